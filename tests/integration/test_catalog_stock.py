"""Stock reservation as the catalog's worker runs it: all lines or none, no oversell under real concurrency
on PostgreSQL, one answer per order however often it is re-sent, release on cancel/reject, commit on
delivery, and a ledger whose movements always add up to the stock."""
from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pasar.db import Database

from services.catalog.commands import ledger_mismatches
from services.catalog.models import Base, Listing, Reservation, StockMovement
from tests.integration.test_catalog_api import Catalog, make_listing, make_shop, seller
from tests.support.infra import wait_until

ADDRESS = {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3", "village": "Sumberejo",
           "district": "Sanankulon", "regency": "Blitar", "province": "Jawa Timur"}


def placed(order_id: str, *items: tuple[str, int]) -> dict:
    return {"order_id": order_id, "shopper_id": "shopper-1", "payment_method": "cod", "delivery_address": ADDRESS,
            "items": [{"listing_id": lid, "qty": qty} for lid, qty in items]}


def stock_of(cat, listing_id: str) -> int:
    with cat.db.Session() as s:
        return s.get(Listing, listing_id).stock


def ledger(cat, listing_id: str) -> list[StockMovement]:
    with cat.db.Session() as s:
        return s.scalars(select(StockMovement).where(StockMovement.listing_id == listing_id)
                         .order_by(StockMovement.created_at)).all()


def assert_ledger_consistent(cat, listing_id: str) -> None:
    movements = ledger(cat, listing_id)
    assert sum(m.change for m in movements) == stock_of(cat, listing_id)
    assert all(m.stock_after >= 0 for m in movements)


@pytest.fixture(params=["sqlite", "postgres"])
def cat(request, tmp_path, monkeypatch, pg_url_factory):
    monkeypatch.setenv("PASAR_VAR_DIR", str(tmp_path))
    url = pg_url_factory() if request.param == "postgres" else f"sqlite:///{tmp_path / 'catalog.db'}"
    c = Catalog(url)
    yield c
    c.dispose()


@pytest.fixture
def pg_url_factory():
    from contextlib import ExitStack
    from tests.support.infra import postgres_database
    with ExitStack() as stack:
        yield lambda: stack.enter_context(postgres_database("pasar_catalog"))


@pytest.fixture
def pg_cat(tmp_path, monkeypatch, pg_url):
    monkeypatch.setenv("PASAR_VAR_DIR", str(tmp_path))
    c = Catalog(pg_url)
    yield c
    c.dispose()


@contextmanager
def row_held(cat, listing_id: str):
    """Another transaction holds the listing's row lock until the block ends, so every order sent meanwhile
    is in flight at the same moment, queued on the lock; `waiting()` counts the sessions queued."""
    url = cat.db.url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as watcher:
        holder.execute("SELECT stock FROM listings WHERE id = %s FOR UPDATE", (listing_id,))

        def waiting() -> int:
            return watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND wait_event_type = 'Lock'").fetchone()[0]
        try:
            yield waiting
        finally:
            holder.rollback()  # lets them all go at once


def deliver_from_threads(cat, deliveries: list[tuple[str, dict, str]]):
    """Each delivery on its own thread and its own database connection (a worker process each)."""
    dbs = [Database("catalog", Base.metadata, cat.db.url) for _ in deliveries]
    results, errors = [], []

    def run(db, event_type, data, event_id):
        try:
            results.append(cat.deliver(event_type, data, event_id=event_id, db=db))
        except BaseException as exc:  # collected and judged by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(db, *d)) for db, d in zip(dbs, deliveries)]
    return threads, dbs, results, errors


def finish(threads, dbs) -> None:
    for t in threads:
        if t.ident is not None:
            t.join(60)
    for db in dbs:
        db.dispose()


SIMULTANEOUS_ORDERS = 20  # one database connection each, plus three: well under a shared server's 100


def test_twenty_simultaneous_orders_for_the_last_unit_reserve_exactly_one(pg_cat):
    cat = pg_cat
    owner = seller(cat)
    listing = make_listing(owner, make_shop(owner)["id"], stock=1, low_stock_threshold=1)
    lid = listing["id"]
    orders = [f"order-{n:02d}-{uuid.uuid4().hex[:6]}" for n in range(SIMULTANEOUS_ORDERS)]
    threads, dbs, _, errors = deliver_from_threads(
        cat, [("order.placed", placed(o, (lid, 1)), str(uuid.uuid4())) for o in orders])
    try:
        with row_held(cat, lid) as waiting:
            for t in threads:
                t.start()
            # all of them are inside their transaction at once, each waiting for the last unit's row; a
            # delivery that failed (e.g. the server refused a connection) ends the wait at once
            wait_until(lambda: errors or waiting() == SIMULTANEOUS_ORDERS, timeout=60,
                       message=f"{SIMULTANEOUS_ORDERS} orders queued on the listing's row lock")
            assert errors == [], f"a delivery failed before reaching the row lock: {errors[0]!r}"
    finally:
        finish(threads, dbs)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    reserved, rejected = cat.outbox("stock.reserved"), cat.outbox("stock.rejected")
    assert len(reserved) == 1 and len(rejected) == SIMULTANEOUS_ORDERS - 1
    assert {r["order_id"] for r in reserved} | {r["order_id"] for r in rejected} == set(orders)
    assert all(r["problems"] == [{"listing_id": lid, "requested": 1, "available": 0, "reason": "insufficient"}]
               for r in rejected)
    assert stock_of(cat, lid) == 0
    with cat.db.Session() as s:
        assert s.scalar(select(func.count()).select_from(Reservation)) == 1
    kinds = [(m.kind, m.change, m.stock_after) for m in ledger(cat, lid)]
    assert kinds == [("initial", 1, 1), ("reserve", -1, 0)]
    assert_ledger_consistent(cat, lid)
    assert ledger_mismatches(cat.db) == []
    assert [e["stock"] for e in cat.outbox("stock.low")] == [0]
    status, seen = cat.client().get(f"/api/v1/products/{lid}")
    assert (status, seen["stock"], seen["in_stock"]) == (200, 0, False)


def test_the_same_order_racing_itself_under_two_event_ids_reserves_once(pg_cat):
    """A re-sent order.placed can arrive while the first copy is still being handled (two workers)."""
    cat = pg_cat
    owner = seller(cat)
    lid = make_listing(owner, make_shop(owner)["id"], stock=5)["id"]
    copies = [("order.placed", placed("order-twice", (lid, 2)), str(uuid.uuid4())) for _ in range(2)]
    threads, dbs, results, errors = deliver_from_threads(cat, copies)
    try:
        with row_held(cat, lid) as waiting:
            for t in threads:
                t.start()
            wait_until(lambda: waiting() == 2, timeout=30, message="both copies queued on the row lock")
    finally:
        finish(threads, dbs)
    # one copy reserved; the other collided on the order's one answer and rolled back (the worker retries it)
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], IntegrityError)
    # the retry of the failed copy is handled and finds the order answered; the other is a known event id
    assert sorted(cat.deliver(t, d, event_id=e) is None for t, d, e in copies) == [False, True]
    assert stock_of(cat, lid) == 3
    assert len(cat.outbox("stock.reserved")) == 1 and cat.outbox("stock.rejected") == []
    assert [m.kind for m in ledger(cat, lid)] == ["initial", "reserve"]
    assert_ledger_consistent(cat, lid)


def test_redelivered_order_placed_reserves_once(cat):
    owner = seller(cat)
    lid = make_listing(owner, make_shop(owner)["id"], stock=5)["id"]
    event_id = str(uuid.uuid4())
    assert cat.deliver("order.placed", placed("order-1", (lid, 2)), event_id=event_id)
    assert cat.deliver("order.placed", placed("order-1", (lid, 2)), event_id=event_id) is None  # same message again
    cat.deliver("order.placed", placed("order-1", (lid, 2)))  # the same order re-sent under a new event id
    assert stock_of(cat, lid) == 3
    assert len(cat.outbox("stock.reserved")) == 1
    assert [m.kind for m in ledger(cat, lid)] == ["initial", "reserve"]
    assert_ledger_consistent(cat, lid)


def test_reservation_is_all_or_nothing_with_a_problem_per_line(cat):
    owner = seller(cat)
    shop = make_shop(owner)
    plenty = make_listing(owner, shop["id"], stock=10)["id"]
    scarce = make_listing(owner, shop["id"], stock=1, title="Keranjang")["id"]
    draft = make_listing(owner, shop["id"], stock=9, title="Draf", status="draft")["id"]
    cat.deliver("order.placed", placed("order-2", (plenty, 3), (scarce, 2), (draft, 1), ("nope", 1)))
    (rejected,) = cat.outbox("stock.rejected")
    assert sorted(rejected["problems"], key=lambda p: p["reason"]) == [
        {"listing_id": scarce, "requested": 2, "available": 1, "reason": "insufficient"},
        {"listing_id": "nope", "requested": 1, "available": 0, "reason": "unknown"},
        {"listing_id": draft, "requested": 1, "available": 0, "reason": "unpublished"},
    ]
    assert (stock_of(cat, plenty), stock_of(cat, scarce)) == (10, 1)  # nothing held
    # a closed shop sells nothing, even from a published listing
    other = seller(cat, "Pak Tutup")
    closed = make_shop(other, name="Toko tutup")
    shut = make_listing(other, closed["id"], stock=5, title="Gerabah")["id"]
    assert other.patch(f"/api/v1/shops/{closed['id']}", json={"status": "closed"})[0] == 200
    cat.deliver("order.placed", placed("order-2b", (shut, 1)))
    assert cat.outbox("stock.rejected")[-1]["problems"] == [
        {"listing_id": shut, "requested": 1, "available": 0, "reason": "unpublished"}]
    assert cat.client().get(f"/api/v1/products/{shut}")[0] == 404
    # the same listing on two lines counts together
    cat.deliver("order.placed", placed("order-3", (scarce, 1), (scarce, 1)))
    assert cat.outbox("stock.rejected")[-1]["problems"][0]["requested"] == 2
    # an id no listing can have is answered as unknown (not retried until parked, leaving the order waiting)
    assert cat.deliver("order.placed", placed("order-3b", (plenty, 1), ("bad\x00id", 1)))
    assert cat.outbox("stock.rejected")[-1] == {"order_id": "order-3b", "problems": [
        {"listing_id": "bad\x00id", "requested": 1, "available": 0, "reason": "unknown"}]}
    assert stock_of(cat, plenty) == 10


def test_reserved_lines_carry_price_shop_agent_and_pickup(cat):
    crafter_agent = cat.client("agent-77", "agent", "Pak Made")
    cat.deliver("account.registered", {"user_id": "agent-77", "role": "agent", "name": "Pak Made",
                                       "phone": "+6281999000111", "district": "Pujut"})
    shop = make_shop(crafter_agent, name="Tenun Sade", whatsapp=None, village="Rembitan", district="Pujut",
                     regency="Lombok Tengah", province="Nusa Tenggara Barat", street="Dusun Sade")
    lid = make_listing(crafter_agent, shop["id"], title="Kain tenun", price=350000, stock=3, unit="lembar")["id"]
    cat.deliver("order.placed", placed("order-4", (lid, 2)))
    (reserved,) = cat.outbox("stock.reserved")
    assert reserved["lines"] == [{
        "listing_id": lid, "shop_id": shop["id"], "seller_id": f"shop:{shop['id']}", "title": "Kain tenun",
        "qty": 2, "unit_price": 350000, "unit": "lembar", "shop_name": "Tenun Sade", "agent_id": "agent-77",
        "pickup": {"street": "Dusun Sade", "village": "Rembitan", "district": "Pujut", "regency": "Lombok Tengah",
                   "province": "Nusa Tenggara Barat", "phone": "+6281999000111"}}]


def test_cancel_releases_delivery_commits_and_the_ledger_adds_up(cat):
    a, b = seller(cat), seller(cat, "Pak Budi")
    la = make_listing(a, make_shop(a)["id"], stock=5)["id"]
    lb = make_listing(b, make_shop(b, name="Kopi Budi")["id"], stock=5, title="Kopi")["id"]
    cat.deliver("order.placed", placed("order-5", (la, 2), (lb, 1)))
    cat.deliver("order.placed", placed("order-6", (la, 1)))
    assert (stock_of(cat, la), stock_of(cat, lb)) == (2, 4)
    cat.deliver("order.cancelled", {"order_id": "order-6", "reason": "shopper_cancelled"})
    cat.deliver("order.cancelled", {"order_id": "order-6", "reason": "shopper_cancelled"})  # a second cancel
    assert stock_of(cat, la) == 3
    # seller a's parcel arrives: only a's line is committed; b's stays held until its own delivery
    seller_a = cat.client().get(f"/api/v1/products/{la}")[1]["seller_id"]
    cat.deliver("delivery.delivered", {"order_id": "order-5", "fulfillment_id": "f-a", "courier_id": "c-1",
                                       "seller_id": seller_a})
    with cat.db.Session() as s:
        status = dict(s.execute(select(Reservation.listing_id, Reservation.status)
                                .where(Reservation.order_id == "order-5")).all())
    assert status == {la: "committed", lb: "held"}
    cat.deliver("order.rejected", {"order_id": "order-5", "reason": "late"})  # only held units come back
    assert (stock_of(cat, la), stock_of(cat, lb)) == (3, 5)
    assert [m.kind for m in ledger(cat, la)] == ["initial", "reserve", "reserve", "release", "commit"]
    for lid in (la, lb):
        assert_ledger_consistent(cat, lid)
    assert ledger_mismatches(cat.db) == []
