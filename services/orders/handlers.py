"""Orders' event handlers: the saga reacting to the catalog and payments, and couriers from accounts.

Each maps one event onto one service call, in the worker's unit of work (which commits with the inbox
row). The use cases, and why they are idempotent by state as well as by event id, are in service.py."""
from __future__ import annotations

from pasar.config import int_setting
from pasar.db import UnitOfWork
from pasar.events import Event

from . import reviews, service


def on_stock_reserved(event: Event, uow: UnitOfWork) -> None:
    service.stock_reserved(uow, event.data["order_id"], event.data["lines"])


def on_stock_rejected(event: Event, uow: UnitOfWork) -> None:
    service.stock_rejected(uow, event.data["order_id"], event.data["problems"])


def on_payment_succeeded(event: Event, uow: UnitOfWork) -> None:
    service.payment_succeeded(uow, event.data["order_id"], event.data["payment_id"])


def on_payment_failed(event: Event, uow: UnitOfWork) -> None:
    service.payment_failed(uow, event.data["order_id"], event.data.get("payment_id"))


def on_harvest_recorded(event: Event, uow: UnitOfWork) -> None:
    """A batch's harvest recorded: its pre-orders filled in order of placement, the rest cancelled (issue 17)."""
    service.harvest_recorded(uow, [o["order_id"] for o in event.data["filled"]],
                             [o["order_id"] for o in event.data["unfilled"]])


def on_account(event: Event, uow: UnitOfWork) -> None:
    data = event.data
    service.courier_account_changed(uow, data["user_id"], data["role"], data.get("name"), data.get("phone"),
                                    data.get("district"))


def on_listing(event: Event, uow: UnitOfWork) -> None:
    """A listing published or changed: keep its buying terms (unit, minimum, step, shelf life, nearby)."""
    service.remember_listing_terms(uow, event.data, event.occurred_at)


def sweep_overdue_payments(db) -> list[str]:
    return service.cancel_overdue_payments(db)


def sweep_receipts(db) -> list[str]:
    return service.auto_confirm_receipts(db)


def sweep_unshipped(db) -> list[str]:
    return service.cancel_unshipped(db)


def sweep_reviews(db) -> list[str]:
    return reviews.release_reviews(db)
def sweep_complaints(db) -> list[str]:
    return service.escalate_overdue_complaints(db)


HANDLERS = {
    "stock.reserved": [on_stock_reserved],
    "stock.rejected": [on_stock_rejected],
    "payment.succeeded": [on_payment_succeeded],
    "payment.failed": [on_payment_failed],
    "harvest.recorded": [on_harvest_recorded],
    "account.registered": [on_account],
    "account.updated": [on_account],
    "listing.published": [on_listing],
    "listing.updated": [on_listing],
}

# Periodic jobs the worker runs between messages: (interval seconds, fn(db) -> emitted event ids).
PERIODIC = [(float(int_setting("PAYMENT_SWEEP_MS", 5000)) / 1000.0, sweep_overdue_payments),
            (float(int_setting("TIMER_SWEEP_MS", 5000)) / 1000.0, sweep_receipts),
            (float(int_setting("TIMER_SWEEP_MS", 5000)) / 1000.0, sweep_unshipped),
            (float(int_setting("TIMER_SWEEP_MS", 5000)) / 1000.0, sweep_reviews),
            (float(int_setting("TIMER_SWEEP_MS", 5000)) / 1000.0, sweep_complaints)]
