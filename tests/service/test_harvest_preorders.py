"""Issue 17, harvest pre-orders, through the catalog and orders service layers (SQLite, events carried by hand
from one outbox to the other handler): a batch filled to its cap, an order beyond it refused, the harvest
short: the first orders filled in order of placement, the rest cancelled (paid ones refunded by payments on
order.cancelled), what is left on the shelf; pay at harvest asks for the money only then."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from pasar.db import UnitOfWork
from pasar.errors import ApiError
from services.catalog import domain as catalog_domain
from services.catalog import service as catalog
from services.catalog.models import Listing, Reservation, StockMovement
from services.orders import service as orders
from services.orders.models import Order

from tests.service.test_produce_service import ADDRESS, FARMER, cat, chilies, ords, outbox, run  # noqa: F401

NEXT_WEEK = date.today() + timedelta(days=7)


def test_fill_in_order_walks_the_orders_as_placed_and_never_splits_one():
    promises = [("a", D("4")), ("b", D("4")), ("c", D("1.5")), ("d", D("0.5"))]
    assert catalog_domain.fill_in_order(promises, D("7")) == (["a", "c", "d"], ["b"], D("1"))
    assert catalog_domain.fill_in_order(promises, D("10")) == (["a", "b", "c", "d"], [], D("0"))
    assert catalog_domain.fill_in_order(promises, D("0")) == ([], ["a", "b", "c", "d"], D("0"))
    assert catalog_domain.batch_problems("kg", D("0"), 0, date.today() - timedelta(days=1), date.today(),
                                         D("0.5"), D("0.5")).keys() == {"cap", "price", "expected_on"}
    assert catalog_domain.batch_problems("ikat", D("2.5"), 1000, date.today(), date.today(), D(1), D(1)) == {
        "cap": ["a listing sold per ikat is counted in whole numbers"]}


def _place(ords, cat, shopper: str, listing_id: str, batch_id: str, qty, method: str = "cod"):
    order, _ = orders.place_order(UnitOfWork(ords), shopper, {
        "payment_method": method, "delivery_address": ADDRESS,
        "items": [{"listing_id": listing_id, "qty": D(str(qty)), "batch_id": batch_id}]}, None)
    placed = [p for p in outbox(ords, "order.placed") if p["order_id"] == order.id][0]
    assert placed["items"] == [{"listing_id": listing_id, "qty": placed["items"][0]["qty"], "batch_id": batch_id}]
    run(cat, catalog.reserve_stock, order.id, placed["items"], placed["delivery_address"])
    for answer in outbox(cat, "stock.reserved"):
        if answer["order_id"] == order.id:
            run(ords, orders.stock_reserved, order.id, answer["lines"])
    for answer in outbox(cat, "stock.rejected"):
        if answer["order_id"] == order.id:
            run(ords, orders.stock_rejected, order.id, answer["problems"])
    with ords.Session() as session:
        return session.get(Order, order.id)


def test_a_batch_oversubscribed_then_harvested_short(cat, ords):
    listing = chilies(cat, stock=D("0"))
    run(ords, orders.remember_listing_terms, outbox(cat, "listing.published")[0])
    with UnitOfWork(cat) as w:
        batch = catalog.open_batch(w, listing["id"], FARMER, {"expected_on": NEXT_WEEK, "cap": D("10"),
                                                             "price": 40000, "pay_at": "order"})
    assert (batch["status"], batch["remaining"], batch["price"]) == ("open", D("10"), 40000)
    with UnitOfWork(cat) as w, pytest.raises(ApiError) as caught:
        catalog.open_batch(w, listing["id"], FARMER, {"expected_on": NEXT_WEEK, "cap": D("5")})
    assert caught.value.status == 409
    shown = catalog.get_product(cat.Session(), listing["id"], None)["harvest"]
    assert (shown["expected_on"], shown["remaining"], shown["price"]) == (NEXT_WEEK.isoformat(), 10, 40000)

    first = _place(ords, cat, "ani", listing["id"], batch["id"], "4", "card")     # pays at order
    second = _place(ords, cat, "budi", listing["id"], batch["id"], "4.5")         # cash on delivery
    third = _place(ords, cat, "citra", listing["id"], batch["id"], "1.5", "card")
    beyond = _place(ords, cat, "dewi", listing["id"], batch["id"], "1")           # the cap is reached
    assert (first.status, first.total, first.preorder["pay_at"]) == ("AWAITING_PAYMENT", 4 * 40000 + first.delivery_total, "order")
    assert (second.status, third.status, beyond.status) == ("AWAITING_HARVEST", "AWAITING_PAYMENT", "REJECTED")
    assert beyond.problems[0]["reason"] == "insufficient" and beyond.problems[0]["available"] == 0
    assert [p["method"] for p in outbox(ords, "payment.requested")] == ["card", "card"]   # cash waits for the harvest
    run(ords, orders.payment_succeeded, first.id, "pay-1")
    run(ords, orders.payment_succeeded, third.id, "pay-3")
    with ords.Session() as session:
        assert session.get(Order, first.id).status == "AWAITING_HARVEST" and session.get(Order, first.id).paid

    # a pre-order cannot share its checkout with other goods
    with pytest.raises(ApiError) as caught:
        orders.place_order(UnitOfWork(ords), "ani", {"payment_method": "cod", "delivery_address": ADDRESS, "items": [
            {"listing_id": listing["id"], "qty": D("1"), "batch_id": batch["id"]},
            {"listing_id": "another", "qty": D("1")}]}, None)
    assert caught.value.fields == {"items": ["a pre-order for a coming harvest is ordered on its own"]}

    with UnitOfWork(cat) as w:   # 6 kg came in: Ani's 4 kg fit, Budi's 4.5 kg do not, Citra's 1.5 kg do
        done = catalog.record_harvest(w, batch["id"], FARMER, D("6"))
    assert (done["status"], done["harvested_qty"], done["filled_qty"]) == ("harvested", D("6"), D("5.5"))
    with UnitOfWork(cat) as w:   # the same weight again answers the same; another one is refused
        assert catalog.record_harvest(w, batch["id"], FARMER, D("6"))["filled_qty"] == D("5.5")
    with UnitOfWork(cat) as w, pytest.raises(ApiError) as caught:
        catalog.record_harvest(w, batch["id"], FARMER, D("7"))
    assert caught.value.status == 409
    [recorded] = outbox(cat, "harvest.recorded")
    assert [o["order_id"] for o in recorded["filled"]] == [first.id, third.id]
    assert recorded["unfilled"] == [{"order_id": second.id, "qty": "4.5"}]
    with cat.Session() as session:
        assert session.get(Listing, listing["id"]).stock == D("0.5")          # what was left goes on the shelf
        moves = session.scalars(select(StockMovement).where(StockMovement.listing_id == listing["id"])
                                .order_by(StockMovement.created_at, StockMovement.id)).all()
        assert sum(m.change for m in moves) == D("0.5")
        states = {r.order_id: r.status for r in session.scalars(select(Reservation))}
        assert states == {first.id: "held", second.id: "released", third.id: "held"}

    run(ords, orders.harvest_recorded, [first.id, third.id], [second.id])
    run(ords, orders.harvest_recorded, [first.id, third.id], [second.id])      # redelivered: nothing twice
    with ords.Session() as session:
        got = {o.id: o for o in session.scalars(select(Order))}
    assert got[first.id].status == "CONFIRMED" and got[third.id].status == "CONFIRMED"
    assert (got[second.id].status, got[second.id].cancel_reason) == ("CANCELLED", "harvest_short")
    cancelled = outbox(ords, "order.cancelled")
    assert [(c["order_id"], c["reason"], c["paid"]) for c in cancelled] == [(second.id, "harvest_short", False)]
    assert len(outbox(ords, "order.confirmed")) == 2
    # the cancelled one's release changes no stock (its promise was released at the harvest)
    run(cat, catalog.release_stock, second.id, "harvest_short")
    with cat.Session() as session:
        assert session.get(Listing, listing["id"]).stock == D("0.5")


def test_pay_at_harvest_asks_for_the_money_only_when_filled_and_a_short_paid_order_is_refunded(cat, ords):
    listing = chilies(cat, stock=D("0"))
    with UnitOfWork(cat) as w:
        at_harvest = catalog.open_batch(w, listing["id"], FARMER, {"expected_on": NEXT_WEEK, "cap": D("3"),
                                                                  "price": 41000, "pay_at": "harvest"})
    early = _place(ords, cat, "eko", listing["id"], at_harvest["id"], "2", "card")
    late = _place(ords, cat, "fajar", listing["id"], at_harvest["id"], "1", "card")
    assert (early.status, late.status) == ("AWAITING_HARVEST", "AWAITING_HARVEST")
    assert outbox(ords, "payment.requested") == []
    # the shopper may cancel while waiting for the harvest (nothing paid, nothing to refund); its cap frees up
    orders.cancel_order(UnitOfWork(ords), late.id, "fajar", False)
    [cancel] = outbox(ords, "order.cancelled")
    run(cat, catalog.release_stock, late.id, cancel["reason"])
    assert catalog.get_product(cat.Session(), listing["id"], None)["harvest"]["remaining"] == 1
    with UnitOfWork(cat) as w:
        catalog.record_harvest(w, at_harvest["id"], FARMER, D("2"))
    [recorded] = outbox(cat, "harvest.recorded")
    assert [o["order_id"] for o in recorded["filled"]] == [early.id] and recorded["unfilled"] == []
    run(ords, orders.harvest_recorded, [early.id], [])
    [asked] = outbox(ords, "payment.requested")
    assert (asked["order_id"], asked["amount"], asked["method"]) == (early.id, 82000 + early.delivery_total, "card")
    with ords.Session() as session:
        assert session.get(Order, early.id).status == "AWAITING_PAYMENT"

    # pay at order, paid, then the harvest fails: cancelled as paid, so payments refunds it
    with UnitOfWork(cat) as w:
        again = catalog.open_batch(w, listing["id"], FARMER, {"expected_on": NEXT_WEEK, "cap": D("2")})
    paid = _place(ords, cat, "gita", listing["id"], again["id"], "2", "card")
    run(ords, orders.payment_succeeded, paid.id, "pay-g")
    with UnitOfWork(cat) as w:
        catalog.record_harvest(w, again["id"], FARMER, D("0"))
    run(ords, orders.harvest_recorded, [], [paid.id])
    last = outbox(ords, "order.cancelled")[-1]
    assert (last["order_id"], last["reason"], last["paid"], last["amount"]) == (
        paid.id, "harvest_short", True, 2 * 42000 + paid.delivery_total)   # the listing's price by default


def test_perishables_need_a_delivery_window_within_their_shelf_life_and_the_courier_sees_it(cat, ords):
    """Issue 17, perishables limited to a delivery window: the shopper picks a day and a part of it at checkout;
    missing or past the chilies' last selling day is a 422 naming `delivery_window`; the parcel's delivery events
    (what the courier gets) carry the window."""
    from services.orders import domain as orders_domain
    from services.orders.schemas import OrderIn

    listing = chilies(cat, delivery_window=True)   # harvested today, 5 days' shelf life, delivered in a window
    run(ords, orders.remember_listing_terms, outbox(cat, "listing.published")[0])
    body = {"payment_method": "cod", "delivery_address": ADDRESS,
            "items": [{"listing_id": listing["id"], "qty": D("1")}]}
    with pytest.raises(ApiError) as caught:
        orders.place_order(UnitOfWork(ords), "hana", body, None)
    assert caught.value.fields == {"delivery_window": ["choose a delivery window for fresh produce"]}
    too_late = (date.today() + timedelta(days=4)).isoformat()
    with pytest.raises(ApiError) as caught:
        orders.place_order(UnitOfWork(ords), "hana", OrderIn().load(
            {**body, "items": [{"listing_id": listing["id"], "qty": "1"}], "delivery_window": {
                "date": too_late, "slot": "pagi"}}), None)
    last = (date.today() + timedelta(days=orders_domain.DELIVERY_WINDOW_DAYS)).isoformat()
    assert caught.value.fields == {"delivery_window": [f"deliver between {date.today().isoformat()} and {last}"]}
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    order, status = orders.place_order(UnitOfWork(ords), "hana", OrderIn().load(
        {**body, "items": [{"listing_id": listing["id"], "qty": "1"}],
         "delivery_window": {"date": tomorrow, "slot": "sore"}}), "key-1")
    assert status == 201 and order.delivery_window == {"date": tomorrow, "slot": "sore"}
    again, status = orders.place_order(UnitOfWork(ords), "hana", OrderIn().load(
        {**body, "items": [{"listing_id": listing["id"], "qty": "1"}],
         "delivery_window": {"date": tomorrow, "slot": "sore"}}), "key-1")
    assert (again.id, status) == (order.id, 200)
    [placed] = outbox(ords, "order.placed")
    run(cat, catalog.reserve_stock, order.id, placed["items"], placed["delivery_address"])
    run(ords, orders.stock_reserved, order.id, outbox(cat, "stock.reserved")[0]["lines"])
    with UnitOfWork(ords) as w:
        o = orders.lock_order(w, order.id)
        f = o.fulfillments[0]
        f.mark_ready(o, o.confirmed_at)
        events = f.assign(o, "courier-1", accepted=True)
    assert events[0].data["delivery_window"] == {"date": tomorrow, "slot": "sore"}
    # a perishable the seller did not limit to a window needs none
    plain = chilies(cat, title="Cabai hijau")
    run(ords, orders.remember_listing_terms, outbox(cat, "listing.published")[-1])
    orders.place_order(UnitOfWork(ords), "hana", {**body, "items": [{"listing_id": plain["id"], "qty": D("1")}]}, None)


def test_a_late_harvest_tells_each_shopper_once_who_may_cancel_for_a_full_refund(cat, ords):
    from services.catalog import questions
    from services.notifications import domain as notifications_domain

    listing = chilies(cat, stock=D("0"))
    with UnitOfWork(cat) as w:
        batch = catalog.open_batch(w, listing["id"], FARMER, {"expected_on": date.today(), "cap": D("5")})
    order = _place(ords, cat, "intan", listing["id"], batch["id"], "2", "card")
    run(cat, questions.remember_order_shopper, order.id, "intan")
    assert catalog.tell_late_harvests(cat) == []                      # not late on the expected day itself
    tomorrow = date.today() + timedelta(days=1)
    assert len(catalog.tell_late_harvests(cat, today=tomorrow)) == 1
    assert catalog.tell_late_harvests(cat, today=tomorrow) == []      # told once
    [late] = outbox(cat, "harvest.late")
    assert late["orders"] == [{"order_id": order.id, "shopper_id": "intan"}]
    [told] = notifications_domain.intents_for("harvest.late", late)
    assert (told.recipient_id, told.kind, told.order_id) == ("intan", "harvest_late", order.id)
    # the shopper cancels while waiting: nothing was paid yet here (pay at order, not paid), the cap frees up
    orders.cancel_order(UnitOfWork(ords), order.id, "intan", False)
    run(cat, catalog.release_stock, order.id, "shopper_cancelled")
    assert catalog.get_product(cat.Session(), listing["id"], None)["harvest"]["remaining"] == 5
