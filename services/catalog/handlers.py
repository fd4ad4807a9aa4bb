"""Catalog's event handlers: each event is one use case in service.py (the worker owns the transaction,
with the inbox row that makes a redelivery change nothing)."""
from __future__ import annotations

from pasar.config import int_setting
from pasar.db import UnitOfWork
from pasar.events import Event

from . import questions, service


def reserve_stock(event: Event, uow: UnitOfWork) -> None:
    """A placed order: reserve all its lines or none."""
    service.reserve_stock(uow, event.data["order_id"], event.data["items"], event.data.get("delivery_address"))


def release_stock(event: Event, uow: UnitOfWork) -> None:
    """An order cancelled or rejected: its held units go back on the shelf."""
    service.release_stock(uow, event.data["order_id"], note=event.data.get("reason") or event.type)


def release_parcel_stock(event: Event, uow: UnitOfWork) -> None:
    """One seller's parcel cancelled before pickup (refused, or not shipped in time): its units go back."""
    service.release_stock(uow, event.data["order_id"], note=f"fulfillment {event.data['fulfillment_id']} "
                          f"{event.data['reason']}", seller_id=event.data["seller_id"],
                          shop_id=event.data.get("shop_id"))


def commit_stock(event: Event, uow: UnitOfWork) -> None:
    """A seller's parcel delivered: its reserved units have left for good."""
    service.commit_stock(uow, event.data["order_id"], event.data.get("seller_id"),
                         event.data.get("fulfillment_id", ""), shop_id=event.data.get("shop_id"))


def remember_seller(event: Event, uow: UnitOfWork) -> None:
    """An account registered or updated: keep the sellers directory current."""
    data = event.data
    service.remember_seller(uow, data["user_id"], data["role"], data["name"], phone=data.get("phone"),
                            email=data.get("email"), district=data.get("district"))


def remember_order_shopper(event: Event, uow: UnitOfWork) -> None:
    """A placed order: whose it is, so its shopper may ask its shops questions about it (issue 19)."""
    questions.remember_order_shopper(uow, event.data["order_id"], event.data["shopper_id"])


def remember_cs_staff(event: Event, uow: UnitOfWork) -> None:
    """An account registered or updated: keep the customer-service staff directory."""
    questions.remember_cs_staff(uow, event.data)
def count_review(event: Event, uow: UnitOfWork) -> None:
    """A shopper's review published: its stars count into its listings' and shop's averages, once."""
    data = event.data
    service.count_review(uow, data["review_id"], data["side"], data["rating"], data["listing_ids"])


def uncount_review(event: Event, uow: UnitOfWork) -> None:
    """A review hidden by the operator: its stars are taken back out, once."""
    data = event.data
    service.uncount_review(uow, data["review_id"], data["side"], data["rating"])


def sweep_late_harvests(db) -> list[str]:
    return service.tell_late_harvests(db)


# Periodic jobs the worker runs between messages: (interval seconds, fn(db) -> emitted event ids).
PERIODIC = [(float(int_setting("HARVEST_SWEEP_MS", 60000)) / 1000.0, sweep_late_harvests)]


HANDLERS = {
    "order.placed": [reserve_stock, remember_order_shopper],
    "order.cancelled": [release_stock],
    "order.rejected": [release_stock],
    "fulfillment.cancelled": [release_parcel_stock],
    "delivery.delivered": [commit_stock],
    "account.registered": [remember_seller, remember_cs_staff],
    "account.updated": [remember_seller, remember_cs_staff],
    "review.published": [count_review],
    "review.hidden": [uncount_review],
}
