"""Issue 17's bug report, "one seller, two shops, one parcel": a seller with two shops in different districts
receives one order for items from both. Every shop is its own fulfillment: its own pickup, its own fee, its own
courier — and a parcel of one shop cancelled gives back only that shop's stock."""
from __future__ import annotations

import json

import pytest

from pasar.db import Database, UnitOfWork
from services.orders import domain, service
from services.orders.models import Base, Courier, Order

SHOPPER = "shopper-1"
ADDRESS = {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3", "district": "Sanankulon"}


@pytest.fixture
def db(tmp_path):
    database = Database("orders", Base.metadata, f"sqlite:///{tmp_path / 'orders.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def events(db: Database, event_type: str) -> list[dict]:
    with db.Session() as session:
        rows = session.execute(db.outbox.select().where(db.outbox.c.type == event_type)
                               .order_by(db.outbox.c.created_at)).all()
    return [json.loads(row.envelope)["data"] for row in rows]


def line(listing_id: str, shop_id: str, shop_name: str, district: str, price: int) -> dict:
    return {"listing_id": listing_id, "shop_id": shop_id, "seller_id": "seller-1", "agent_id": None,
            "shop_name": shop_name, "title": "Tikar", "qty": 1, "unit_price": price,
            "pickup": {"street": "Jl. Desa", "village": "V", "district": district}}


def two_shop_order(db: Database) -> Order:
    order, status = service.place_order(UnitOfWork(db), SHOPPER, {
        "payment_method": "cod", "items": [{"listing_id": "mat", "qty": 1}, {"listing_id": "batik", "qty": 1}],
        "delivery_address": ADDRESS}, None)
    assert status == 201
    with UnitOfWork(db) as uow:
        service.stock_reserved(uow, order.id, [line("mat", "shop-a", "Anyaman Sanankulon", "Sanankulon", 50000),
                                               line("batik", "shop-b", "Batik Kanigoro", "Kanigoro", 80000)])
        uow.commit()
    with db.Session() as session:
        return session.get(Order, order.id)


def test_one_seller_with_two_shops_gets_one_fulfillment_per_shop_with_its_own_pickup_and_fee(db):
    order = two_shop_order(db)
    parcels = sorted(order.fulfillments, key=lambda f: f.shop_name)
    assert [(f.shop_name, f.district, f.pickup["district"]) for f in parcels] == [
        ("Anyaman Sanankulon", "Sanankulon", "Sanankulon"), ("Batik Kanigoro", "Kanigoro", "Kanigoro")]
    assert [[i["listing_id"] for i in f.items] for f in parcels] == [["mat"], ["batik"]]
    # the tariff: 10.000 in the shopper's own district, 20.000 from another
    assert [(f.goods_amount, f.delivery_fee, f.cod_amount_due) for f in parcels] == [
        (50000, 10000, 60000), (80000, 20000, 100000)]
    assert (order.goods_total, order.delivery_total, order.total) == (130000, 30000, 160000)
    assert [f.shop_id for f in parcels] == ["shop-a", "shop-b"]
    [asked] = events(db, "payment.requested")
    assert sorted((s["amount"], s["delivery_fee"]) for s in asked["subtotals"]) == [(50000, 10000), (80000, 20000)]


def test_each_shops_parcel_goes_to_a_courier_of_its_own_district(db):
    for courier_id, district in (("courier-s", "Sanankulon"), ("courier-k", "Kanigoro")):
        with UnitOfWork(db) as uow:
            service.courier_account_changed(uow, courier_id, "courier", "Budi", "+62812", district)
            uow.commit()
        service.set_duty(UnitOfWork(db), courier_id, "Budi", district, True, None)
    order = two_shop_order(db)
    for f in order.fulfillments:
        service.mark_ready(UnitOfWork(db), f.id, "seller-1", False)
    assigned = {e["fulfillment_id"]: e["courier_id"] for e in events(db, "delivery.assigned")}
    by_shop = {f.shop_name: assigned[f.id] for f in order.fulfillments}
    assert by_shop == {"Anyaman Sanankulon": "courier-s", "Batik Kanigoro": "courier-k"}


def test_a_refused_parcel_of_one_shop_names_its_shop_so_only_its_stock_comes_back(db):
    order = two_shop_order(db)
    batik = next(f for f in order.fulfillments if f.shop_id == "shop-b")
    service.refuse_fulfillment(UnitOfWork(db), batik.id, "seller-1", False, "out_of_stock")
    [cancelled] = events(db, "fulfillment.cancelled")
    assert (cancelled["fulfillment_id"], cancelled["shop_id"]) == (batik.id, "shop-b")
