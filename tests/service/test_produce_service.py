"""Issue 17 through the service layers (SQLite, no broker): chilies by the kilogram reserved and released
exactly, a perishable past its shelf life refused with its reason, a quantity off its step a 422 naming the
field, and 1.5 kg at Rp 42.000/kg priced Rp 63.000."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from pasar.db import Database, UnitOfWork
from pasar.errors import ApiError
from pasar.stamps import utcnow
from services.catalog import service as catalog
from services.catalog.domain import Actor
from services.catalog.models import Base as CatalogBase, Category, Listing, StockMovement
from services.orders import service as orders
from services.orders.models import Base as OrdersBase, Order

FARMER = Actor("farmer-tini", "seller")
SHOP = {"name": "Kebun Bu Tini", "owner_name": None, "street": "Jl. Sawah 1", "village": "Sumberejo",
        "district": "Sanankulon", "regency": "Blitar", "province": "Jawa Timur", "story": "",
        "whatsapp": None, "seller_id": None, "agent_id": None}
ADDRESS = {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3", "district": "Sanankulon",
           "regency": "Blitar"}


@pytest.fixture
def cat(tmp_path, monkeypatch):
    monkeypatch.setenv("PASAR_VAR_DIR", str(tmp_path))
    database = Database("catalog", CatalogBase.metadata, f"sqlite:///{tmp_path / 'catalog.db'}")
    CatalogBase.metadata.create_all(database.engine)
    with database.Session() as session:
        session.add(Category(slug="hasil-bumi", name_id="Hasil bumi", name_en="Produce", position=1))
        session.commit()
    yield database
    database.dispose()


@pytest.fixture
def ords(tmp_path):
    database = Database("orders", OrdersBase.metadata, f"sqlite:///{tmp_path / 'orders.db'}")
    OrdersBase.metadata.create_all(database.engine)
    yield database
    database.dispose()


def outbox(db, event_type: str) -> list[dict]:
    with db.Session() as session:
        rows = session.execute(select(db.outbox.c.envelope).where(db.outbox.c.type == event_type)
                               .order_by(db.outbox.c.created_at)).scalars().all()
    return [json.loads(r)["data"] for r in rows]


def chilies(cat, **over) -> dict:
    with UnitOfWork(cat) as w:
        shop = catalog.create_shop(w, FARMER, SHOP, "Bu Tini")
    data = {"shop_id": shop["id"], "title": "Cabai rawit merah", "description": "petik pagi", "category": "hasil-bumi",
            "unit": "kg", "price": 42000, "stock": D("10"), "status": "published", "low_stock_threshold": 2,
            "min_qty": D("0.5"), "qty_step": D("0.5"), "harvested_on": date.today(), "shelf_life_days": 5, **over}
    with UnitOfWork(cat) as w:
        return catalog.create_listing(w, FARMER, data)


def run(db, use_case, *args, **kw):
    with UnitOfWork(db) as w:
        use_case(w, *args, **kw)
        w.commit()


def test_chilies_by_the_kilogram_are_reserved_and_released_exactly(cat):
    listing = chilies(cat)
    assert (listing["stock"], listing["min_qty"], listing["qty_step"], listing["expired"]) == (
        D("10"), D("0.5"), D("0.5"), False)
    run(cat, catalog.reserve_stock, "order-1", [{"listing_id": listing["id"], "qty": "1.5"}], ADDRESS)
    [reserved] = outbox(cat, "stock.reserved")
    assert [(l["qty"], l["unit"], l["unit_price"]) for l in reserved["lines"]] == [("1.5", "kg", 42000)]
    with cat.Session() as session:
        assert session.get(Listing, listing["id"]).stock == D("8.5")
    run(cat, catalog.release_stock, "order-1", "payment_timeout")
    with cat.Session() as session:
        assert session.get(Listing, listing["id"]).stock == D("10")
        moves = session.scalars(select(StockMovement).where(StockMovement.listing_id == listing["id"])
                                .order_by(StockMovement.created_at)).all()
    assert [(m.kind, m.change, m.stock_after) for m in moves] == [
        ("initial", D("10"), D("10")), ("reserve", D("-1.5"), D("8.5")), ("release", D("1.5"), D("10"))]


def test_a_perishable_past_its_shelf_life_is_not_reserved_and_says_why(cat):
    listing = chilies(cat, harvested_on=date.today() - timedelta(days=6), shelf_life_days=5)
    assert listing["expired"] is True and listing["in_stock"] is False
    run(cat, catalog.reserve_stock, "order-2", [{"listing_id": listing["id"], "qty": 1}], ADDRESS)
    [rejected] = outbox(cat, "stock.rejected")
    assert [p["reason"] for p in rejected["problems"]] == ["expired"]


def test_a_nearby_only_perishable_is_not_sent_to_another_regency(cat):
    listing = chilies(cat, deliver_within="regency")
    far = {**ADDRESS, "district": "Lowokwaru", "regency": "Kota Malang"}
    run(cat, catalog.reserve_stock, "order-3", [{"listing_id": listing["id"], "qty": 1}], far)
    assert [p["reason"] for p in outbox(cat, "stock.rejected")[0]["problems"]] == ["too_far"]


def test_a_fractional_minimum_for_a_bunch_is_a_422_naming_the_field(cat):
    with pytest.raises(ApiError) as caught:
        chilies(cat, unit="ikat", min_qty=D("0.5"), qty_step=D("0.5"))
    assert caught.value.status == 422 and set(caught.value.fields) == {"min_qty", "qty_step"}


def test_orders_refuses_a_quantity_off_the_step_and_prices_one_and_a_half_kilos_exactly(cat, ords):
    listing = chilies(cat)
    [published] = outbox(cat, "listing.published")
    run(ords, orders.remember_listing_terms, published)
    with pytest.raises(ApiError) as caught:
        orders.add_to_cart(UnitOfWork(ords), "shopper-1", listing["id"], D("1.2"))
    assert (caught.value.status, caught.value.fields) == (422, {"qty": ["buy in steps of 0.5 kg from 0.5"]})
    assert orders.add_to_cart(UnitOfWork(ords), "shopper-1", listing["id"], D("1.5"))["lines"][0]["qty"] == D("1.5")
    with pytest.raises(ApiError) as caught:
        orders.place_order(UnitOfWork(ords), "shopper-1", {"payment_method": "cod", "delivery_address": ADDRESS,
                                                            "items": [{"listing_id": listing["id"], "qty": D("0.25")}]},
                           None)
    assert caught.value.fields == {"items": {"0": {"qty": ["buy at least 0.5 kg"]}}}
    order, status = orders.place_order(UnitOfWork(ords), "shopper-1",
                                       {"payment_method": "cod", "delivery_address": ADDRESS}, None)
    [placed] = outbox(ords, "order.placed")
    assert placed["items"] == [{"listing_id": listing["id"], "qty": "1.5"}]
    run(cat, catalog.reserve_stock, order.id, placed["items"], placed["delivery_address"])
    run(ords, orders.stock_reserved, order.id, outbox(cat, "stock.reserved")[0]["lines"])
    with ords.Session() as session:
        order = session.get(Order, order.id)
        assert (order.status, order.goods_total) == ("CONFIRMED", 63000)
        assert [(i["qty"], i["unit"], i["line_total"]) for i in order.fulfillments[0].items] == [("1.5", "kg", 63000)]
        assert orders.cart(session, "shopper-1")["lines"] == []


def test_orders_refuses_an_expired_perishable_at_once(cat, ords):
    listing = chilies(cat, harvested_on=date.today() - timedelta(days=6), shelf_life_days=5)
    run(ords, orders.remember_listing_terms, outbox(cat, "listing.published")[0])
    with pytest.raises(ApiError) as caught:
        orders.add_to_cart(UnitOfWork(ords), "shopper-1", listing["id"], 1)
    assert caught.value.fields == {"listing_id": ["no longer sold: past its shelf life"]}


def test_an_older_listing_event_delivered_late_never_overwrites_newer_buying_terms(cat, ords):
    """Orders' copy of the terms is versioned by the event's `as_of`: the step changed to 1 kg, then the first
    announcement (0.5 kg steps) is redelivered late; orders still refuses 1.5 kg."""
    listing = chilies(cat)
    [first] = outbox(cat, "listing.published")
    with UnitOfWork(cat) as w:
        catalog.update_listing(w, listing["id"], FARMER, {"min_qty": D("1"), "qty_step": D("1")})
    [second] = outbox(cat, "listing.updated")
    assert second["as_of"] > first["as_of"]
    run(ords, orders.remember_listing_terms, second)
    run(ords, orders.remember_listing_terms, first)      # late redelivery of the older event
    with pytest.raises(ApiError) as caught:
        orders.add_to_cart(UnitOfWork(ords), "shopper-1", listing["id"], D("1.5"))
    assert caught.value.fields == {"qty": ["buy in steps of 1 kg from 1"]}
    run(ords, orders.remember_listing_terms, second)     # the same event again: nothing changes
    assert orders.add_to_cart(UnitOfWork(ords), "shopper-1", listing["id"], D("2"))["lines"][0]["qty"] == D("2")
    # an event without a version (an older producer) falls back to the envelope's occurred_at
    old = {k: v for k, v in first.items() if k != "as_of"}
    run(ords, orders.remember_listing_terms, old, "2000-01-01T00:00:00+00:00")
    with pytest.raises(ApiError):
        orders.add_to_cart(UnitOfWork(ords), "shopper-2", listing["id"], D("1.5"))
