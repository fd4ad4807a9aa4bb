"""The shopper's cart."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles
from pasar.idempotency import idempotent
from pasar.web import read_session, uow
from pasar.web import decimal_json_bodies

from .. import service
from ..schemas import CartLineIn, CartMergeIn, CartMergeOut, CartOut, CartQtyIn
from .answers import AUTH, domain_errors

cart_blp = Blueprint("cart", __name__, url_prefix="/api/v1/cart", description="The shopper's cart")
decimal_json_bodies(cart_blp)  # "qty": 1.5 is read as Decimal("1.5"), never a float


@cart_blp.route("", methods=["GET"])
@cart_blp.response(200, CartOut)
@cart_blp.doc(security=AUTH)
@require_roles("shopper")
def get_cart():
    with read_session() as session:
        return service.cart(session, current_identity().user_id)


@cart_blp.route("/lines", methods=["POST"])
@idempotent
@cart_blp.arguments(CartLineIn)
@cart_blp.response(200, CartOut)
@cart_blp.doc(security=AUTH)
@require_roles("shopper")
@domain_errors
def add_to_cart(body):
    """Add `qty` of a listing (added to what is already there, so a retry should carry an Idempotency-Key).
    Prices and stock are the catalog's, checked at checkout."""
    return service.add_to_cart(uow(), current_identity().user_id, body["listing_id"], body["qty"])


@cart_blp.route("/merge", methods=["POST"])
@idempotent
@cart_blp.arguments(CartMergeIn)
@cart_blp.response(200, CartMergeOut)
@cart_blp.doc(security=AUTH)
@require_roles("shopper")
def merge_cart(body):
    """Add a visitor's cart (filled before logging in) into this one: the same item's quantities are added, at
    most 999 each and 50 items in all. Send an Idempotency-Key: a repeated merge would add twice."""
    return service.merge_cart(uow(), current_identity().user_id, body["lines"])


@cart_blp.route("/lines/<listing_id>", methods=["PUT"])
@cart_blp.arguments(CartQtyIn)
@cart_blp.response(200, CartOut)
@cart_blp.doc(security=AUTH)
@require_roles("shopper")
def set_cart_qty(body, listing_id: str):
    return service.set_cart_qty(uow(), current_identity().user_id, listing_id, body["qty"])


@cart_blp.route("/lines/<listing_id>", methods=["DELETE"])
@cart_blp.response(200, CartOut)
@cart_blp.doc(security=AUTH)
@require_roles("shopper")
def remove_from_cart(listing_id: str):
    return service.remove_from_cart(uow(), current_identity().user_id, listing_id)


@cart_blp.route("", methods=["DELETE"])
@cart_blp.response(200, CartOut)
@cart_blp.doc(security=AUTH)
@require_roles("shopper")
def empty_cart():
    return service.empty_cart(uow(), current_identity().user_id)
