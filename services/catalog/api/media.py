"""Media: stored pictures, and the photo uploads again on the gateway's upload path."""
from __future__ import annotations

from flask import Response, request, send_file, send_from_directory
from flask_smorest import Blueprint

from pasar.auth import require_roles
from pasar.errors import not_found
from pasar.idempotency import idempotent
from pasar.web import documents_errors

from .. import images, media, storage
from ..schemas import PhotoOut, PhotoUpload, ShopOut
from .http import BEARER, refuse_impossible_ids
from .products import store_listing_photo
from .shops import store_shop_photo

blp = Blueprint("media", __name__, url_prefix="/api/v1/media", description="Photos and thumbnails")
blp.before_request(refuse_impossible_ids)


@blp.route("/<path:key>")
@documents_errors(blp, 404)
@blp.doc(responses={"200": {"description": "the JPEG picture",
                            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}})
def get_media(key: str):
    """A stored picture. Keys never change content (new uploads get new keys), so they cache for a year."""
    if not media.is_stored_picture(key):
        raise not_found("picture")
    if request.args.get("w") or request.args.get("f"):  # a responsive variant (srcset): made once, then kept
        response = send_variant(key, request.args.get("w", ""), request.args.get("f", "jpeg"))
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
    if storage.store_kind() == "s3":  # read from the bucket and sent from here (why not a redirect: storage.py)
        data = storage.store().read(key)
        if data is None:
            raise not_found("picture")
        response = Response(data, mimetype="image/jpeg")
    else:
        response = send_from_directory(media.media_root(), key, mimetype="image/jpeg", max_age=365 * 24 * 3600,
                                       conditional=True)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def send_variant(key: str, width: str, fmt: str):
    try:
        path, mimetype = images.variant(key, int(width) if width.isdigit() else 0, fmt)
    except images.NoSuchVariant:
        raise not_found("picture at that size")
    return send_file(path, mimetype=mimetype, max_age=365 * 24 * 3600, conditional=True)


# The gateway allows large bodies only for multipart requests under /api/v1/media, so the uploads are
# also offered there (same handlers, same rules); phones' photos are often larger than a JSON body.
@blp.route("/products/<listing_id>/photos", methods=["POST"])
@idempotent
@documents_errors(blp, 401, 403, 404, 409, 413, 422)
@blp.arguments(PhotoUpload, location="files")
@blp.response(201, PhotoOut)
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def upload_listing_photo_via_media(files, listing_id: str):
    """Same as POST /api/v1/products/{listing_id}/photos, on the gateway's upload path."""
    return store_listing_photo(listing_id)


@blp.route("/shops/<shop_id>/photo", methods=["POST"])
@idempotent
@documents_errors(blp, 401, 403, 404, 413, 422)
@blp.arguments(PhotoUpload, location="files")
@blp.response(200, ShopOut)
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def upload_shop_photo_via_media(files, shop_id: str):
    """Same as POST /api/v1/shops/{shop_id}/photo, on the gateway's upload path."""
    return store_shop_photo(shop_id)
