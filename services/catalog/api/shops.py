"""Shops: village shops, run by their seller or by an agent for crafters."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import require_roles, require_verified_phone
from pasar.idempotency import idempotent
from pasar.web import documents_errors, read_session, uow

from .. import service
from ..schemas import ListingPage, ModerationIn, PhotoUpload, ShopIn, ShopListingArgs, ShopOut, ShopPage, ShopPatch, ShopQuery
from .http import (BEARER, actor, actor_name, conditional_get, optional_actor, plain_json, refuse_impossible_ids,
                   uploaded_photo)

blp = Blueprint("shops", __name__, url_prefix="/api/v1/shops",
                description="Village shops, run by their seller or by an agent for crafters")
blp.after_request(conditional_get)
blp.before_request(refuse_impossible_ids)


@blp.route("")
@documents_errors(blp, 401, 422)
@blp.arguments(ShopQuery, location="query")
@blp.response(200, ShopPage)
def list_shops(args):
    who = actor() if args.get("mine") else optional_actor()
    with read_session() as session:
        return service.list_shops(session, args, who)


@blp.route("", methods=["POST"])
@idempotent
@documents_errors(blp, 401, 403, 422)
@blp.arguments(ShopIn)
@blp.response(201, ShopOut)
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def create_shop(data):
    require_verified_phone()  # issue 18: a shop is opened by someone whose phone number is proven
    with uow() as work:
        return service.create_shop(work, actor(), data, actor_name())


@blp.route("/<shop_id>")
@documents_errors(blp, 404)
@blp.response(200, ShopOut)
def get_shop(shop_id: str):
    with read_session() as session:
        return service.get_shop(session, shop_id, optional_actor())


@blp.route("/<shop_id>", methods=["PATCH"])
@documents_errors(blp, 401, 403, 404, 422)
@blp.arguments(ShopPatch)
@blp.response(200, ShopOut)
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def update_shop(data, shop_id: str):
    with uow() as work:
        return service.update_shop(work, shop_id, actor(), data)


@blp.route("/<shop_id>/photo", methods=["POST"])
@idempotent
@documents_errors(blp, 401, 403, 404, 413, 422)
@blp.arguments(PhotoUpload, location="files")
@blp.response(200, ShopOut)
@blp.doc(security=BEARER)
@require_roles("seller", "agent")
def upload_shop_photo(files, shop_id: str):
    """The shop's profile photo (JPEG/PNG/WebP), re-encoded with a small thumbnail."""
    return store_shop_photo(shop_id)


def store_shop_photo(shop_id: str) -> dict:
    """Also offered on the gateway's upload path (api/media.py)."""
    with uow() as work:
        return service.set_shop_photo(work, shop_id, actor(), uploaded_photo())


@blp.route("/<shop_id>/products")
@documents_errors(blp, 404, 422)
@blp.arguments(ShopListingArgs, location="query")
@blp.response(200, ListingPage)
def shop_products(args, shop_id: str):
    """Published products of a shop; the shop's managers also see drafts and archived ones (`status`)."""
    with read_session() as session:
        return plain_json(service.shop_products(session, shop_id, optional_actor(), args))


@blp.route("/hidden")
@documents_errors(blp, 401, 403)
@blp.response(200, ShopOut(many=True))
@blp.doc(security=BEARER)
@require_roles("admin")
def hidden_shops():
    """The operator's list: shops hidden from the market, last hidden first."""
    with read_session() as session:
        return plain_json(service.hidden_things(session, "shop"))


@blp.route("/<shop_id>/moderation", methods=["POST"])
@documents_errors(blp, 401, 403, 404, 422)
@blp.arguments(ModerationIn)
@blp.response(200, ShopOut)
@blp.doc(security=BEARER)
@require_roles("admin")
def moderate_shop(data, shop_id: str):
    """The operator hides a shop (and so all its listings) from the market, or shows it again, with a reason;
    recorded and shown on it, and its owner is told. The same action again changes nothing."""
    with uow() as work:
        return plain_json(service.moderate(work, "shop", shop_id, actor(), data["action"], data["reason"]))
