"""Payments event handlers: open payments when orders asks, void/refund on cancellation, and pay
sellers and couriers when a fulfillment is delivered. Idempotent by state (service functions)."""
from __future__ import annotations

from pasar.db import UnitOfWork
from pasar.events import Event

from . import service


def on_payment_requested(event: Event, uow: UnitOfWork) -> None:
    d = event.data
    service.open_payment(uow, order_id=d["order_id"], shopper_id=d["shopper_id"], method=d["method"],
                         amount=d["amount"], shares=[
                             {"fulfillment_id": s["fulfillment_id"], "seller_id": s["seller_id"],
                              "goods_amount": s["amount"], "delivery_fee": s["delivery_fee"]}
                             for s in d["subtotals"]])


def on_order_confirmed(event: Event, uow: UnitOfWork) -> None:
    """Cash on delivery needs no answer from us, so the confirmation alone may open it (whichever of
    payment.requested / order.confirmed arrives first; the other finds it open)."""
    d = event.data
    if d.get("payment_method") != "cod" or not d.get("fulfillments") or d.get("total") is None:
        return
    service.open_payment(uow, order_id=d["order_id"], shopper_id=d.get("shopper_id") or "", method="cod",
                         amount=d["total"], shares=[
                             {"fulfillment_id": f["fulfillment_id"], "seller_id": f["seller_id"],
                              "goods_amount": f["goods_amount"], "delivery_fee": f["delivery_fee"]}
                             for f in d["fulfillments"]])


def on_order_cancelled(event: Event, uow: UnitOfWork) -> None:
    d = event.data
    service.cancel_for_order(uow, order_id=d["order_id"], shopper_id=d.get("shopper_id"),
                             method=d.get("payment_method"), reason=d.get("reason"))


def on_delivery_delivered(event: Event, uow: UnitOfWork) -> None:
    service.settle_delivery(uow, event.data)


HANDLERS = {
    "payment.requested": [on_payment_requested],
    "order.confirmed": [on_order_confirmed],
    "order.cancelled": [on_order_cancelled],
    "delivery.delivered": [on_delivery_delivered],
}
