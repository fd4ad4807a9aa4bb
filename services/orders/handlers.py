"""Orders' event handlers: the saga reacting to the catalog and payments, and couriers from accounts.

Each handler is idempotent by state as well as by event id: it looks at where the order is before
moving it, so a repeated business fact (a second event with a new id) changes nothing."""
from __future__ import annotations

from sqlalchemy import delete

from pasar.config import int_setting
from pasar.db import UnitOfWork
from pasar.stamps import new_id, utcnow
from pasar.events import Event

from . import domain, service
from .models import CartLine, Courier


def on_stock_reserved(event: Event, uow: UnitOfWork) -> None:
    order = service.lock_order(uow, event.data["order_id"])
    if order is None or order.status != domain.PLACED:
        return  # late or repeated answer: the order has moved on
    events = order.reserve(event.data["lines"], service.tariff(), utcnow(), service.payment_timeout(),
                           service.pickup_window(), new_id)
    service.record(uow, order, events)
    # what was bought leaves the cart; a rejected order leaves it in place to be fixed
    bought = [item["listing_id"] for item in order.items]
    uow.session.execute(delete(CartLine).where(CartLine.shopper_id == order.shopper_id,
                                               CartLine.listing_id.in_(bought)))


def on_stock_rejected(event: Event, uow: UnitOfWork) -> None:
    order = service.lock_order(uow, event.data["order_id"])
    if order is None or order.status != domain.PLACED:
        return
    service.record(uow, order, order.reject(event.data["problems"], utcnow()))


def on_payment_succeeded(event: Event, uow: UnitOfWork) -> None:
    order = service.lock_order(uow, event.data["order_id"])
    if order is None:
        return
    if order.status == domain.AWAITING_PAYMENT:
        service.record(uow, order, order.payment_succeeded(event.data["payment_id"], utcnow(),
                                                           service.pickup_window()))
    elif order.status == domain.CANCELLED:
        service.record(uow, order, order.late_payment(event.data["payment_id"]))


def on_payment_failed(event: Event, uow: UnitOfWork) -> None:
    order = service.lock_order(uow, event.data["order_id"])
    if order is None or order.status != domain.AWAITING_PAYMENT:
        return
    service.record(uow, order, order.payment_failed(event.data.get("payment_id"), utcnow()))


def on_account(event: Event, uow: UnitOfWork) -> None:
    """Orders keeps couriers (id, name, phone, district) so it can dispatch without asking the gateway."""
    data = event.data
    courier = uow.session.get(Courier, data["user_id"])
    if data["role"] != "courier":
        if courier is not None:
            courier.available = False  # no longer a courier: never dispatch to them again
        return
    if courier is None:
        courier = Courier(user_id=data["user_id"], available=False)
        uow.session.add(courier)
    courier.name = data.get("name") or ""
    courier.phone = data.get("phone")
    if data.get("district"):
        courier.district = data["district"]


def sweep_overdue_payments(db) -> list[str]:
    return service.cancel_overdue_payments(db)


HANDLERS = {
    "stock.reserved": [on_stock_reserved],
    "stock.rejected": [on_stock_rejected],
    "payment.succeeded": [on_payment_succeeded],
    "payment.failed": [on_payment_failed],
    "account.registered": [on_account],
    "account.updated": [on_account],
}

# Periodic jobs the worker runs between messages: (interval seconds, fn(db) -> emitted event ids).
PERIODIC = [(float(int_setting("PAYMENT_SWEEP_MS", 5000)) / 1000.0, sweep_overdue_payments)]
