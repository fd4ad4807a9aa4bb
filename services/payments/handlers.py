"""Payments event handlers: open payments when orders asks, void/refund on cancellation, pay sellers and
couriers when a fulfillment is delivered, and learn which agent manages which crafter's shop (so the agent
can read that crafter's money). Idempotent by state (service functions)."""
from __future__ import annotations

from datetime import datetime

from pasar.db import UnitOfWork
from pasar.stamps import utcnow
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
    d = event.data
    service.open_cod_on_confirmation(uow, order_id=d["order_id"], shopper_id=d.get("shopper_id"),
                                     method=d.get("payment_method"), total=d.get("total"),
                                     fulfillments=d.get("fulfillments"))


def _occurred_at(event: Event) -> datetime:
    try:
        return datetime.fromisoformat(str(event.occurred_at))
    except ValueError:
        return utcnow()


def remember_managers_of_order(event: Event, uow: UnitOfWork) -> None:
    """order.confirmed (card and cash alike) names each fulfillment's payee, its managing agent and shop.
    payment.requested does not carry the agent, so the confirmation is where payments learns it."""
    service.remember_managers(uow, event.data.get("fulfillments"), seen_at=_occurred_at(event))


def remember_manager_of_delivery(event: Event, uow: UnitOfWork) -> None:
    d = event.data
    service.remember_manager(uow, payee_id=d.get("seller_id"), agent_id=d.get("agent_id"),
                             shop_name=(d.get("pickup") or {}).get("shop_name"), seen_at=_occurred_at(event))


def on_order_cancelled(event: Event, uow: UnitOfWork) -> None:
    d = event.data
    service.cancel_for_order(uow, order_id=d["order_id"], shopper_id=d.get("shopper_id"),
                             method=d.get("payment_method"), reason=d.get("reason"))


def on_delivery_delivered(event: Event, uow: UnitOfWork) -> None:
    service.settle_delivery(uow, event.data)


def on_fulfillment_received(event: Event, uow: UnitOfWork) -> None:
    service.release_seller_share(uow, event.data)


def on_fulfillment_cancelled(event: Event, uow: UnitOfWork) -> None:
    service.refund_parcel(uow, event.data)


def on_complaint_resolved(event: Event, uow: UnitOfWork) -> None:
    service.settle_complaint(uow, event.data)


def on_return_delivered(event: Event, uow: UnitOfWork) -> None:
    service.pay_return_trip(uow, event.data)


HANDLERS = {
    "payment.requested": [on_payment_requested],
    "order.confirmed": [on_order_confirmed, remember_managers_of_order],
    "order.cancelled": [on_order_cancelled],
    "delivery.delivered": [remember_manager_of_delivery, on_delivery_delivered],
    "fulfillment.received": [on_fulfillment_received],
    "fulfillment.cancelled": [on_fulfillment_cancelled],
    "complaint.resolved": [on_complaint_resolved],
    "return.delivered": [on_return_delivered],
}
