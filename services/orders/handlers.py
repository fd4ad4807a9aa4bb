"""Orders' event handlers: the saga reacting to the catalog's answer."""
from __future__ import annotations

from pasar.db import UnitOfWork
from pasar.events import Event

from . import domain
from .models import Order


def on_stock_reserved(event: Event, uow: UnitOfWork) -> None:
    order = uow.session.get(Order, event.data["order_id"], with_for_update=uow.db.is_postgres)
    if order is None or order.status != domain.PLACED:
        return  # late or repeated answer: the order has moved on
    order.lines = event.data["lines"]
    order.goods_total = domain.goods_total(order.lines)
    order.status = domain.transition(order.status, domain.after_reservation(order.payment_method))
    if order.status == domain.CONFIRMED:
        uow.emit("order.confirmed", {"order_id": order.id, "shopper_id": order.shopper_id}, correlation_id=order.id)


def on_stock_rejected(event: Event, uow: UnitOfWork) -> None:
    order = uow.session.get(Order, event.data["order_id"], with_for_update=uow.db.is_postgres)
    if order is None or order.status != domain.PLACED:
        return
    order.problems = event.data["problems"]
    order.status = domain.transition(order.status, domain.REJECTED)
    uow.emit("order.rejected", {"order_id": order.id, "shopper_id": order.shopper_id,
                                "reason": "stock"}, correlation_id=order.id)


HANDLERS = {
    "stock.reserved": [on_stock_reserved],
    "stock.rejected": [on_stock_rejected],
}
