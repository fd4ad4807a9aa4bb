"""Checkout and the shopper's order history."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles
from pasar.idempotency import KEY_PARAMETER, idempotency_key
from pasar.web import read_session, uow
from pasar.web import decimal_json_bodies

from .. import service
from ..schemas import FulfillmentOut, OrderDetailOut, OrderIn, OrderListOut, OrderOut, PageArgs
from .answers import AUTH, domain_errors

orders_blp = Blueprint("orders", __name__, url_prefix="/api/v1/orders", description="Checkout and order history")
decimal_json_bodies(orders_blp)  # "qty": 1.5 is read as Decimal("1.5"), never a float


@orders_blp.route("", methods=["POST"])
@orders_blp.arguments(OrderIn)
@orders_blp.response(201, OrderOut)
@orders_blp.alt_response(200, schema=OrderOut, description="the same Idempotency-Key and body again: the same order")
@orders_blp.doc(security=AUTH, parameters=[{**KEY_PARAMETER, "description": (
    "Any unique string (a UUID) per checkout. The same key and body again answer 200 with the same order; "
    "the same key with another body is 409 `idempotency_key_reused`.")}])
@require_roles("shopper")
def place_order(body):
    """Check out: the given items, or the cart when `items` is left out. The catalog prices and reserves the
    lines; the order then waits for card payment or is confirmed at once for cash on delivery."""
    # Not @idempotent: the service claims the key in the order's own transaction, so a crash can never leave
    # an order without its key (or a key without its order). Only the header's rules are shared.
    return service.place_order(uow(), current_identity().user_id, body, idempotency_key())


@orders_blp.route("", methods=["GET"])
@orders_blp.arguments(PageArgs, location="query")
@orders_blp.response(200, OrderListOut)
@orders_blp.doc(security=AUTH)
@require_roles("shopper")
def list_orders(args):
    """The shopper's order history, newest first."""
    with read_session() as session:
        return service.list_orders(session, current_identity().user_id, args.get("status"), args["limit"],
                                   args["offset"])


@orders_blp.route("/by-key/<key>", methods=["GET"])
@orders_blp.response(200, OrderOut)
@orders_blp.doc(security=AUTH)
@require_roles("shopper")
def order_by_key(key: str):
    """The order this shopper's Idempotency-Key placed (404 if none): a resent checkout finds its order."""
    with read_session() as session:
        return service.order_placed_with_key(session, current_identity().user_id, key)


@orders_blp.route("/<order_id>", methods=["GET"])
@orders_blp.response(200, OrderDetailOut)
@orders_blp.doc(security=AUTH)
def get_order(order_id: str):
    who = current_identity()
    with read_session() as session:
        order, timeline = service.order_with_timeline(session, order_id, who.user_id, who.is_admin)
        return {name: getattr(order, name) for name in OrderOut._declared_fields} | {"timeline": timeline}


@orders_blp.route("/<order_id>/cancel", methods=["POST"])
@orders_blp.response(200, OrderOut)
@orders_blp.doc(security=AUTH)
@require_roles("shopper")
@domain_errors
def cancel_order(order_id: str):
    """The shopper cancels, until a courier picks up the first parcel; a paid order is refunded."""
    who = current_identity()
    return service.cancel_order(uow(), order_id, who.user_id, who.is_admin)


@orders_blp.route("/<order_id>/fulfillments/<fulfillment_id>/receive", methods=["POST"])
@orders_blp.response(200, FulfillmentOut)
@orders_blp.doc(security=AUTH)
@require_roles("shopper")
@domain_errors
def confirm_receipt(order_id: str, fulfillment_id: str):
    """"Pesanan diterima": this parcel arrived. The seller's share stops being held. Without it, receipt is
    confirmed automatically AUTO_CONFIRM_DAYS after delivery. Again: the same answer."""
    who = current_identity()
    return service.confirm_receipt(uow(), order_id, fulfillment_id, who.user_id, who.is_admin)
