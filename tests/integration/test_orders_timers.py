"""The after-the-sale timers on PostgreSQL with two sweepers racing (two orders workers): every due parcel is
received, or cancelled, exactly once; a parcel not yet due is left alone; a sweep after a restart finds what
fell due meanwhile (the deadline is a column)."""
from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from pasar.db import Database
from pasar.migrate import upgrade
from pasar.stamps import new_id, utcnow
from services.orders import domain, service
from services.orders.models import Base, Order

ADDRESS = {"name": "S", "phone": "+62812", "street": "Jl", "district": "D"}


@pytest.fixture
def db(pg_url):
    upgrade("orders", pg_url)
    database = Database("orders", Base.metadata, pg_url)
    yield database
    database.dispose()


def confirmed_order(db: Database, ship_in: timedelta) -> Order:
    order = service.new_order("shopper-1", "cod", [{"listing_id": "l", "qty": 1}], ADDRESS)
    line = {"listing_id": "l", "shop_id": "s", "seller_id": "seller", "title": "T", "qty": 1, "unit_price": 1000}
    order.reserve([line], service.tariff(), utcnow(), timedelta(minutes=30), timedelta(hours=1), new_id, ship_in)
    return order


def save(db: Database, order: Order) -> None:
    with db.WriteSession() as session:
        session.add(order)
        session.commit()


def delivered_order(db: Database, receipt_in: timedelta) -> str:
    order = confirmed_order(db, timedelta(hours=48))
    f = order.fulfillments[0]
    f.status, f.courier_id, f.accepted = domain.DELIVERED, "courier-1", True
    f.delivered_at = utcnow()
    f.receipt_due_at = utcnow() + receipt_in
    save(db, order)
    return f.id


def unshipped_order(db: Database, ship_in: timedelta) -> str:
    order = confirmed_order(db, ship_in)
    save(db, order)
    return order.fulfillments[0].id


def race(sweep, db: Database, sweepers: int = 2) -> list[str]:
    """Run `sweep` in `sweepers` threads at once (each its own connections, like two workers)."""
    start = threading.Barrier(sweepers)
    results: list[list[str]] = [[] for _ in range(sweepers)]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = sweep(db, limit=5)  # small batches: the sweepers interleave over many parcels
            while more := sweep(db, limit=5):
                results[i] += more
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(sweepers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return [eid for r in results for eid in r]


def outbox(db: Database, event_type: str) -> list[dict]:
    with db.Session() as session:
        rows = session.execute(db.outbox.select().where(db.outbox.c.type == event_type)).all()
    return [json.loads(row.envelope)["data"] for row in rows]


def test_two_sweepers_confirm_each_overdue_receipt_exactly_once(db):
    due = [delivered_order(db, timedelta(seconds=-1)) for _ in range(12)]
    open_still = delivered_order(db, timedelta(days=3))
    emitted = race(service.auto_confirm_receipts, db)
    received = outbox(db, "fulfillment.received")
    assert sorted(e["fulfillment_id"] for e in received) == sorted(due)
    assert len(emitted) == len(due) and all(e["received_by"] == "timer" for e in received)
    with db.Session() as session:
        assert session.get(domain.Fulfillment, open_still).received_at is None
    assert service.auto_confirm_receipts(db) == []  # a later sweep (a restarted worker) finds nothing left


def test_two_sweepers_cancel_each_unshipped_parcel_exactly_once(db):
    due = [unshipped_order(db, timedelta(seconds=-1)) for _ in range(12)]
    not_yet = unshipped_order(db, timedelta(hours=48))
    race(service.cancel_unshipped, db)
    cancelled = outbox(db, "fulfillment.cancelled")
    assert sorted(e["fulfillment_id"] for e in cancelled) == sorted(due)
    assert {e["reason"] for e in cancelled} == {"not_shipped"}
    with db.Session() as session:
        assert session.get(domain.Fulfillment, not_yet).status == domain.PENDING
        # each was its order's only parcel: the order ends cancelled, once, with no order.cancelled on top
        assert {session.get(Order, session.get(domain.Fulfillment, f).order_id).status for f in due} == {
            domain.CANCELLED}
    assert outbox(db, "order.cancelled") == []
