"""Orders HTTP API."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles
from pasar.errors import not_found
from pasar.web import read_session, uow

from .models import Order
from .schemas import OrderIn, OrderOut

blp = Blueprint("orders", __name__, url_prefix="/api/v1/orders", description="Orders")


@blp.route("", methods=["POST"])
@blp.arguments(OrderIn)
@blp.response(201, OrderOut)
@blp.doc(security=[{"bearerAuth": []}])
@require_roles("shopper")
def place_order(body):
    shopper = current_identity()
    with uow() as work:
        order = Order(shopper_id=shopper.user_id, payment_method=body["payment_method"],
                      items=body["items"], delivery_address=body["delivery_address"], status="PLACED")
        work.session.add(order)
        work.session.flush()
        work.emit("order.placed", {"order_id": order.id, "shopper_id": order.shopper_id, "items": order.items,
                                   "payment_method": order.payment_method,
                                   "delivery_address": order.delivery_address}, correlation_id=order.id)
        work.commit()
        return order


@blp.route("/<order_id>")
@blp.response(200, OrderOut)
@blp.doc(security=[{"bearerAuth": []}])
def get_order(order_id: str):
    who = current_identity()
    with read_session() as session:
        order = session.get(Order, order_id)
        # another shopper's order is "not found", not "forbidden": its existence is not theirs to know
        if order is None or (order.shopper_id != who.user_id and not who.is_admin):
            raise not_found("order")
        return order
