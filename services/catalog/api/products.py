"""Products: browse and search the market; sellers and agents manage their listings, photos and stock."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import require_roles, require_verified_phone
from pasar.idempotency import idempotent
from pasar.web import decimal_json_bodies
from pasar.web import documents_errors, read_session, uow

from .. import service
from ..schemas import (BatchIn, BatchOut, BrowseArgs, HarvestIn, ListingIn, ListingOut, ListingPage, ListingPatch, ModerationIn, MovementOut,
                       PhotoOut, PhotoUpload, ShopQuery, StatusIn)
from .http import BEARER, actor, conditional_get, optional_actor, plain_json, refuse_impossible_ids, uploaded_photo

blp = Blueprint("products", __name__, url_prefix="/api/v1/products",
                description="Village products: browse, search, manage")
decimal_json_bodies(blp)  # "stock": 7.5 is read as Decimal("7.5"), never a float
blp.after_request(conditional_get)
blp.before_request(refuse_impossible_ids)


@blp.route("")
@documents_errors(blp, 422)
@blp.arguments(BrowseArgs, location="query")
@blp.response(200, ListingPage)
def browse(args):
    """Browse and search published products: words (`q`), filters, sort, pages with totals."""
    with read_session() as session:
        return plain_json(service.browse(session, args))


@blp.route("", methods=["POST"])
@idempotent
@documents_errors(blp, 401, 403, 422)
@blp.arguments(ListingIn)
@blp.response(201, ListingOut)
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def create_listing(data):
    require_verified_phone()
    with uow() as work:
        return service.create_listing(work, actor(), data)


@blp.route("/<listing_id>")
@documents_errors(blp, 404)
@blp.response(200, ListingOut)
def get_product(listing_id: str):
    with read_session() as session:
        return plain_json(service.get_product(session, listing_id, optional_actor()))


@blp.route("/<listing_id>", methods=["PATCH"])
@documents_errors(blp, 401, 403, 404, 422)
@blp.arguments(ListingPatch)
@blp.response(200, ListingOut)
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def update_listing(data, listing_id: str):
    with uow() as work:
        return service.update_listing(work, listing_id, actor(), data)


@blp.route("/<listing_id>/status", methods=["POST"])
@documents_errors(blp, 401, 403, 404, 409, 422)
@blp.arguments(StatusIn)
@blp.response(200, ListingOut)
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def change_status(data, listing_id: str):
    """draft → published → archived (and back: archived → draft/published, published → draft)."""
    with uow() as work:
        return service.change_status(work, listing_id, actor(), data["status"])


@blp.route("/<listing_id>/photos", methods=["POST"])
@idempotent
@documents_errors(blp, 401, 403, 404, 409, 413, 422)
@blp.arguments(PhotoUpload, location="files")
@blp.response(201, PhotoOut)
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def upload_listing_photo(files, listing_id: str):
    """Upload a photo (JPEG/PNG/WebP); it is re-encoded and a small thumbnail is made for lists."""
    return store_listing_photo(listing_id)


def store_listing_photo(listing_id: str) -> dict:
    """Also offered on the gateway's upload path (api/media.py)."""
    with uow() as work:
        return service.add_listing_photo(work, listing_id, actor(), uploaded_photo())


@blp.route("/<listing_id>/photos/<photo_id>", methods=["DELETE"])
@documents_errors(blp, 401, 403, 404)
@blp.response(204)
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def delete_listing_photo(listing_id: str, photo_id: str):
    with uow() as work:
        service.delete_listing_photo(work, listing_id, photo_id, actor())
    return ""


@blp.route("/<listing_id>/harvests", methods=["POST"])
@idempotent
@documents_errors(blp, 401, 403, 404, 409, 422)
@blp.arguments(BatchIn)
@blp.response(201, BatchOut)
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def open_batch(data, listing_id: str):
    """Open a harvest batch: shoppers pre-order against its cap until the harvest is recorded (issue 17)."""
    with uow() as work:
        return service.open_batch(work, listing_id, actor(), data)


@blp.route("/<listing_id>/harvests")
@documents_errors(blp, 401, 403, 404)
@blp.response(200, BatchOut(many=True))
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def listing_batches(listing_id: str):
    """A listing's harvest batches, newest first (its managers only)."""
    with read_session() as session:
        return service.listing_batches(session, listing_id, actor())


@blp.route("/harvests/<batch_id>/harvest", methods=["POST"])
@documents_errors(blp, 401, 403, 404, 409, 422)
@blp.arguments(HarvestIn)
@blp.response(200, BatchOut)
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def record_harvest(data, batch_id: str):
    """Record what was harvested: pre-orders are filled in the order they were placed, the rest cancelled
    and refunded (through orders and payments), what is left goes on the shelf. The same weight again answers
    the same."""
    with uow() as work:
        return service.record_harvest(work, batch_id, actor(), data["harvested_qty"])


@blp.route("/<listing_id>/stock-ledger")
@documents_errors(blp, 401, 403, 404, 422)
@blp.arguments(ShopQuery(only=("page", "per_page")), location="query")
@blp.response(200, MovementOut(many=True))
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def stock_ledger(args, listing_id: str):
    """Every stock movement of a listing, newest first (its managers only)."""
    with read_session() as session:
        return service.stock_ledger(session, listing_id, actor(), args["page"], args["per_page"])


@blp.route("/hidden")
@documents_errors(blp, 401, 403)
@blp.response(200, ListingOut(many=True))
@blp.doc(security=BEARER)
@require_roles("admin")
def hidden_listings():
    """The operator's list: listings hidden from the market, last hidden first."""
    with read_session() as session:
        return plain_json(service.hidden_things(session, "listing"))


@blp.route("/<listing_id>/moderation", methods=["POST"])
@documents_errors(blp, 401, 403, 404, 422)
@blp.arguments(ModerationIn)
@blp.response(200, ListingOut)
@blp.doc(security=BEARER)
@require_roles("admin")
def moderate_listing(data, listing_id: str):
    """The operator hides a listing from the market (browse, search, its page, new orders) or shows it again,
    with a reason; recorded and shown on it, and its owner is told. The same action again changes nothing."""
    with uow() as work:
        return plain_json(service.moderate(work, "listing", listing_id, actor(), data["action"], data["reason"]))
