"""Orders' use cases through the service layer alone: no Flask, no broker, a throwaway SQLite file.
What a route or a handler would see is asserted here — the answer, the refusal (status, code, fields), the
events left in the outbox — so a rule that moves between service.py and domain.py keeps its tests. The same
paths run over HTTP on PostgreSQL in tests/integration/test_orders_saga.py."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from pasar.db import Database, UnitOfWork
from pasar.errors import ApiError
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


def handle(db: Database, use_case, *args) -> None:
    """As the worker does: the event's use case in an open unit of work, committed after."""
    with UnitOfWork(db) as uow:
        use_case(uow, *args)
        uow.commit()


def catalog_line(listing_id: str, seller: str = "seller-1", district: str = "Sanankulon", qty: int = 1,
                 price: int = 25000) -> dict:
    return {"listing_id": listing_id, "shop_id": f"shop-{seller}", "seller_id": seller, "agent_id": "agent-1",
            "shop_name": f"Toko {seller}", "title": "Tikar", "qty": qty, "unit_price": price,
            "pickup": {"street": "Jl. Desa", "village": "V", "district": district}}


def confirmed_cod_order(db: Database, district: str = "Sanankulon") -> Order:
    order, status = service.place_order(UnitOfWork(db), SHOPPER, {
        "payment_method": "cod", "items": [{"listing_id": "l-1", "qty": 1}], "delivery_address": ADDRESS}, None)
    assert status == 201
    handle(db, service.stock_reserved, order.id, [catalog_line("l-1", district=district)])
    with db.Session() as session:
        return session.get(Order, order.id)


def ready_parcel(db: Database, district: str = "Sanankulon") -> str:
    order = confirmed_cod_order(db, district)
    f = service.mark_ready(UnitOfWork(db), order.fulfillments[0].id, "seller-1", False)
    return f.id


def courier(db: Database, courier_id: str, district: str | None, available: bool = False) -> None:
    handle(db, service.courier_account_changed, courier_id, "courier", "Budi", "+62812", district)
    if available:
        service.set_duty(UnitOfWork(db), courier_id, "Budi", district, True, None)


def refused(call, *args) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args)
    return caught.value


# -- cart --------------------------------------------------------------------------------------------
def test_adding_to_the_cart_adds_to_the_line_there_and_refuses_more_than_the_most_of_one_item(db):
    service.add_to_cart(UnitOfWork(db), SHOPPER, "l-1", 2)
    assert service.add_to_cart(UnitOfWork(db), SHOPPER, "l-1", 3)["lines"][0]["qty"] == 5
    err = refused(service.add_to_cart, UnitOfWork(db), SHOPPER, "l-1", domain.MAX_CART_QTY)
    assert (err.status, err.code, err.fields) == (422, "too_many",
                                                  {"qty": [f"at most {domain.MAX_CART_QTY} of one item"]})
    with db.Session() as session:
        assert service.cart(session, SHOPPER)["count"] == 5  # the refused addition left nothing behind


def test_a_full_cart_refuses_another_item_but_still_takes_more_of_one_it_has(db):
    for n in range(domain.MAX_CART_LINES):
        service.set_cart_qty(UnitOfWork(db), SHOPPER, f"l-{n}", 1)
    for call in (service.add_to_cart, service.set_cart_qty):
        err = refused(call, UnitOfWork(db), SHOPPER, "one-more", 1)
        assert (err.status, err.code, err.message, err.fields) == (
            422, "cart_full", f"a cart holds at most {domain.MAX_CART_LINES} different items",
            {"listing_id": ["the cart is full"]})
    assert service.add_to_cart(UnitOfWork(db), SHOPPER, "l-0", 1)["count"] == domain.MAX_CART_LINES + 1
    assert service.set_cart_qty(UnitOfWork(db), SHOPPER, "l-0", 7)["count"] == domain.MAX_CART_LINES + 6


def test_removing_and_emptying_touch_only_this_shoppers_cart(db):
    service.add_to_cart(UnitOfWork(db), SHOPPER, "l-1", 1)
    service.add_to_cart(UnitOfWork(db), SHOPPER, "l-2", 1)
    service.add_to_cart(UnitOfWork(db), "someone-else", "l-1", 4)
    assert [l["listing_id"] for l in service.remove_from_cart(UnitOfWork(db), SHOPPER, "l-1")["lines"]] == ["l-2"]
    assert service.empty_cart(UnitOfWork(db), SHOPPER) == {"lines": [], "count": 0}
    with db.Session() as session:
        assert service.cart(session, "someone-else")["count"] == 4


def test_delivery_fees_quote_each_shop_district_and_the_sum(db):
    quote = service.delivery_fees(["Sanankulon", "Kanigoro"], " sanankulon ")
    assert [f["fee"] for f in quote["fees"]] == [10000, 20000]
    assert (quote["total"], quote["currency"], quote["to"]) == (30000, "IDR", " sanankulon ")
    assert service.delivery_fees(["Sanankulon"], None)["fees"] == []


# -- checkout ------------------------------------------------------------------------------------------
def test_checkout_of_the_cart_merges_its_lines_and_emits_order_placed(db):
    service.add_to_cart(UnitOfWork(db), SHOPPER, "l-2", 1)
    service.add_to_cart(UnitOfWork(db), SHOPPER, "l-1", 2)
    order, status = service.place_order(UnitOfWork(db), SHOPPER,
                                        {"payment_method": "card", "delivery_address": ADDRESS}, None)
    assert status == 201 and order.status == domain.PLACED
    assert [e["items"] for e in events(db, "order.placed")] == [[{"listing_id": "l-2", "qty": 1},
                                                                 {"listing_id": "l-1", "qty": 2}]]
    with db.Session() as session:
        order, timeline = service.order_with_timeline(session, order.id, SHOPPER, False)
    assert [t.event for t in timeline] == ["order.placed"]


def test_checkout_merges_repeated_items_into_one_line_each():
    assert domain.merged_items([{"listing_id": "a", "qty": 1}, {"listing_id": "b", "qty": 2},
                                {"listing_id": "a", "qty": 3}]) == [{"listing_id": "a", "qty": 4},
                                                                    {"listing_id": "b", "qty": 2}]


def test_checkout_of_an_empty_cart_is_refused_with_a_field_error(db):
    err = refused(service.place_order, UnitOfWork(db), SHOPPER, {"payment_method": "cod", "delivery_address": ADDRESS},
                  None)
    assert (err.status, err.code, err.fields) == (422, "empty_cart", {"items": ["the cart is empty"]})
    assert events(db, "order.placed") == []


def test_one_idempotency_key_gives_one_order_and_refuses_another_body(db):
    body = {"payment_method": "cod", "items": [{"listing_id": "l-1", "qty": 1}], "delivery_address": ADDRESS}
    first, status = service.place_order(UnitOfWork(db), SHOPPER, body, "key-1")
    again, again_status = service.place_order(UnitOfWork(db), SHOPPER, body, "key-1")
    assert (status, again_status, again.id) == (201, 200, first.id)
    err = refused(service.place_order, UnitOfWork(db), SHOPPER, {**body, "payment_method": "card"}, "key-1")
    assert (err.status, err.code) == (409, "idempotency_key_reused")
    _, other_shopper = service.place_order(UnitOfWork(db), "shopper-2", body, "key-1")  # keys are per shopper
    assert other_shopper == 201
    assert len(events(db, "order.placed")) == 2


def test_another_shoppers_order_does_not_exist_for_me(db):
    order = confirmed_cod_order(db)
    with db.Session() as session:
        assert refused(service.order_with_timeline, session, order.id, "shopper-2", False).status == 404
        assert service.order_with_timeline(session, order.id, "admin-1", True)[0].id == order.id
    assert refused(service.cancel_order, UnitOfWork(db), order.id, "shopper-2", False).status == 404
    assert service.cancel_order(UnitOfWork(db), order.id, SHOPPER, False).status == domain.CANCELLED


# -- the saga --------------------------------------------------------------------------------------------
def test_a_reservation_confirms_cash_on_delivery_and_takes_only_what_was_bought_out_of_the_cart(db):
    service.add_to_cart(UnitOfWork(db), SHOPPER, "l-1", 1)
    service.add_to_cart(UnitOfWork(db), SHOPPER, "kept", 1)
    order, _ = service.place_order(UnitOfWork(db), SHOPPER, {
        "payment_method": "cod", "items": [{"listing_id": "l-1", "qty": 1}], "delivery_address": ADDRESS}, None)
    handle(db, service.stock_reserved, order.id, [catalog_line("l-1")])
    handle(db, service.stock_reserved, order.id, [catalog_line("l-1")])  # repeated: the order moved on
    handle(db, service.stock_rejected, order.id, [{"listing_id": "l-1", "reason": "insufficient"}])
    with db.Session() as session:
        assert session.get(Order, order.id).status == domain.CONFIRMED
        assert [l["listing_id"] for l in service.cart(session, SHOPPER)["lines"]] == ["kept"]
    assert len(events(db, "order.confirmed")) == 1 and events(db, "order.rejected") == []


def test_a_refused_reservation_rejects_and_leaves_the_cart_to_be_fixed(db):
    service.add_to_cart(UnitOfWork(db), SHOPPER, "l-1", 1)
    order, _ = service.place_order(UnitOfWork(db), SHOPPER, {"payment_method": "card", "delivery_address": ADDRESS},
                                   None)
    handle(db, service.stock_rejected, order.id, [{"listing_id": "l-1", "reason": "insufficient"}])
    with db.Session() as session:
        assert session.get(Order, order.id).status == domain.REJECTED
        assert service.cart(session, SHOPPER)["count"] == 1
    assert events(db, "order.rejected")[0]["problems"] == [{"listing_id": "l-1", "reason": "insufficient"}]


def test_card_payment_confirms_once_a_failure_after_it_changes_nothing_and_late_money_is_given_back(db):
    paid, _ = service.place_order(UnitOfWork(db), SHOPPER, {
        "payment_method": "card", "items": [{"listing_id": "l-1", "qty": 1}], "delivery_address": ADDRESS}, None)
    handle(db, service.stock_reserved, paid.id, [catalog_line("l-1")])
    handle(db, service.payment_succeeded, paid.id, "pay-1")
    handle(db, service.payment_failed, paid.id, "pay-1")
    failed, _ = service.place_order(UnitOfWork(db), SHOPPER, {
        "payment_method": "card", "items": [{"listing_id": "l-2", "qty": 1}], "delivery_address": ADDRESS}, None)
    handle(db, service.stock_reserved, failed.id, [catalog_line("l-2")])
    handle(db, service.payment_failed, failed.id, "pay-2")
    handle(db, service.payment_succeeded, failed.id, "pay-2")  # the money came after all: refund it
    with db.Session() as session:
        assert session.get(Order, paid.id).status == domain.CONFIRMED
        assert (session.get(Order, failed.id).status, session.get(Order, failed.id).paid) == (domain.CANCELLED, True)
    assert [(e["order_id"], e["paid"]) for e in events(db, "order.cancelled")] == [
        (failed.id, False), (failed.id, True)]
    handle(db, service.payment_succeeded, "no-such-order", "pay-3")  # nothing to do, and no error


# -- couriers ------------------------------------------------------------------------------------------
def test_going_on_duty_needs_a_district_and_coming_on_duty_is_offered_the_waiting_board(db):
    fulfillment_id = ready_parcel(db, "Sanankulon")
    assert events(db, "delivery.assigned") == []  # nobody on duty: it waits on the board
    err = refused(service.set_duty, UnitOfWork(db), "courier-1", "Budi", None, True, None)
    assert (err.status, err.code, err.fields) == (422, "district_required",
                                                  {"district": ["required before going on duty"]})
    me = service.set_duty(UnitOfWork(db), "courier-1", "Budi", None, True, "sanankulon")
    assert (me["available"], me["district"], me["active_deliveries"]) == (True, "sanankulon", 1)
    assert [(e["fulfillment_id"], e["courier_id"]) for e in events(db, "delivery.assigned")] == [
        (fulfillment_id, "courier-1")]
    service.set_duty(UnitOfWork(db), "courier-1", "Budi", None, False, None)
    service.set_duty(UnitOfWork(db), "courier-1", "Budi", None, True, None)  # back on: nothing left waiting
    assert len(events(db, "delivery.assigned")) == 1


def test_a_courier_not_yet_heard_of_sees_the_tokens_profile_off_duty(db):
    with db.Session() as session:
        assert service.courier_profile(session, "courier-9", "Ani", "Kanigoro") == {
            "user_id": "courier-9", "name": "Ani", "district": "Kanigoro", "available": False, "active_deliveries": 0}


def test_an_account_that_stops_being_a_courier_is_never_dispatched_to_again(db):
    courier(db, "courier-1", "Sanankulon", available=True)
    handle(db, service.courier_account_changed, "courier-1", "shopper", "Budi", None, None)
    ready_parcel(db, "Sanankulon")
    assert events(db, "delivery.assigned") == []
    with db.Session() as session:
        assert session.get(Courier, "courier-1").available is False


# -- the board and deliveries -------------------------------------------------------------------------
def test_the_board_shows_the_districts_unclaimed_parcels_and_a_claim_takes_one_off_it(db):
    here = ready_parcel(db, "Sanankulon")
    ready_parcel(db, "Kanigoro")
    courier(db, "courier-1", "SANANKULON ")
    with db.Session() as session:
        assert [f.id for f in service.open_board(session, "courier-1", None)["deliveries"]] == [here]
        assert service.visible_delivery(session, here, "courier-1", False, None).id == here
        assert service.open_board(session, "courier-unknown", None) == {"deliveries": [], "total": 0}
        assert [f.id for f in service.open_board(session, "courier-unknown", "sanankulon")["deliveries"]] == [here]
    claimed = service.claim_delivery(UnitOfWork(db), here, "courier-1", False, None)
    assert (claimed.courier_id, claimed.accepted, claimed.order.status) == ("courier-1", True, domain.CONFIRMED)
    courier(db, "courier-2", "Sanankulon")
    assert refused(service.claim_delivery, UnitOfWork(db), here, "courier-2", False, None).status == 404
    with db.Session() as session:
        assert service.open_board(session, "courier-1", None)["total"] == 0


def test_a_claim_of_a_parcel_no_longer_on_the_board_is_refused_by_the_domain():
    order = domain.Order("o-1", SHOPPER, "cod", [{"listing_id": "l-1", "qty": 1}], ADDRESS)
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    order.reserve([catalog_line("l-1")], domain.DeliveryTariff(10000, 20000), now, timedelta(minutes=30),
                  timedelta(hours=24), iter(["f-1"]).__next__)
    f = order.fulfillments[0]
    f.mark_ready(order, now)
    assert f.on_board_of(" sanankulon ") and not f.on_board_of("Kanigoro") and not f.on_board_of(None)
    with pytest.raises(domain.DomainError) as other_district:
        f.claim(order, "courier-2", "Kanigoro")
    assert other_district.value.code == "not_on_board" and f.courier_id is None
    f.claim(order, "courier-1", "Sanankulon")
    with pytest.raises(domain.DomainError) as taken:
        f.claim(order, "courier-2", "Sanankulon")
    assert taken.value.code == "not_on_board" and f.courier_id == "courier-1"


def test_only_the_seller_or_their_agent_marks_a_parcel_ready_and_it_goes_to_the_districts_courier(db):
    courier(db, "courier-1", "Sanankulon", available=True)
    order = confirmed_cod_order(db)
    fulfillment_id = order.fulfillments[0].id
    assert refused(service.mark_ready, UnitOfWork(db), fulfillment_id, "seller-2", False).status == 404
    f = service.mark_ready(UnitOfWork(db), fulfillment_id, "agent-1", False)
    assert (f.status, f.courier_id, f.accepted) == (domain.ASSIGNED, "courier-1", False)
    with db.Session() as session:
        assert service.list_fulfillments(session, "seller-1", None, 10, 0)["total"] == 1
        assert service.list_fulfillments(session, "seller-2", None, 10, 0)["total"] == 0


def test_a_declined_offer_goes_to_the_next_courier_then_the_board(db):
    courier(db, "courier-1", "Sanankulon", available=True)
    courier(db, "courier-2", "Sanankulon", available=True)
    fulfillment_id = ready_parcel(db)
    first = events(db, "delivery.assigned")[0]["courier_id"]
    second = ({"courier-1", "courier-2"} - {first}).pop()
    service.decline_delivery(UnitOfWork(db), fulfillment_id, first, False, None)
    assert [e["courier_id"] for e in events(db, "delivery.assigned")] == [first, second]
    service.decline_delivery(UnitOfWork(db), fulfillment_id, second, False, None)
    with db.Session() as session:
        assert [f.id for f in service.open_board(session, first, None)["deliveries"]] == [fulfillment_id]
    assert [e["reason"] for e in events(db, "delivery.unassigned")] == ["declined", "declined"]


def test_cash_on_delivery_is_delivered_with_exactly_the_cash_due_and_completes_the_order(db):
    courier(db, "courier-1", "Sanankulon", available=True)
    fulfillment_id = ready_parcel(db)
    service.accept_delivery(UnitOfWork(db), fulfillment_id, "courier-1", False, None)
    with pytest.raises(domain.DomainError):  # the API answers 409: not before the pickup
        service.deliver(UnitOfWork(db), fulfillment_id, "courier-1", False, None, 35000)
    service.pick_up(UnitOfWork(db), fulfillment_id, "courier-1", False, None)
    with pytest.raises(domain.CashMismatch):
        service.deliver(UnitOfWork(db), fulfillment_id, "courier-1", False, None, 1000)
    f = service.deliver(UnitOfWork(db), fulfillment_id, "courier-1", False, None, 35000)
    assert (f.status, f.cod_amount_collected, f.order.status) == (domain.DELIVERED, 35000, domain.COMPLETED)
    assert [e["total"] for e in events(db, "order.completed")] == [35000]
    with db.Session() as session:
        assert [d.id for d in service.list_deliveries(session, "courier-1", domain.DELIVERED, 10, 0)["deliveries"]] \
            == [fulfillment_id]


def test_a_cancelled_order_is_not_cancelled_twice(db):
    order = confirmed_cod_order(db)
    service.cancel_order(UnitOfWork(db), order.id, SHOPPER, False)
    with pytest.raises(domain.DomainError) as again:
        service.cancel_order(UnitOfWork(db), order.id, SHOPPER, False)
    assert again.value.code == "illegal_transition"
    assert service.cancel_overdue_payments(db) == []


def test_a_parcel_from_a_coded_shop_goes_to_the_courier_of_that_district_code_not_of_a_namesake(db):
    """Issue 18: two official districts may share a name (Sanankulon in two regencies, say); with codes on both
    sides the code decides. A courier who typed the name (no code) still gets it, as before codes."""
    service.set_duty(UnitOfWork(db), "courier-namesake", "Budi", None, True, "Sanankulon", "33.01.01")
    service.set_duty(UnitOfWork(db), "courier-here", "Joko", None, False, "Sanankulon", "35.05.07")
    order, status = service.place_order(UnitOfWork(db), SHOPPER, {
        "payment_method": "cod", "items": [{"listing_id": "l-1", "qty": 1}], "delivery_address": ADDRESS}, None)
    line = catalog_line("l-1")
    line["pickup"]["district_code"] = "35.05.07"
    handle(db, service.stock_reserved, order.id, [line])
    with db.Session() as session:
        fulfillment_id = session.get(Order, order.id).fulfillments[0].id
    f = service.mark_ready(UnitOfWork(db), fulfillment_id, "seller-1", False)
    assert (f.district_code, f.status, f.courier_id) == ("35.05.07", domain.READY_FOR_PICKUP, None)  # not the namesake
    with db.Session() as session:
        assert service.open_board(session, "courier-namesake", None)["total"] == 0
        assert [d.id for d in service.open_board(session, "courier-here", None)["deliveries"]] == [fulfillment_id]
    assert refused(service.claim_delivery, UnitOfWork(db), fulfillment_id, "courier-namesake", False, None).status == 404
    courier(db, "courier-typed", "sanankulon ")  # no code: by name, as before codes
    with db.Session() as session:
        assert [d.id for d in service.open_board(session, "courier-typed", None)["deliveries"]] == [fulfillment_id]
    on_duty = service.set_duty(UnitOfWork(db), "courier-here", "Joko", None, True, None)  # on duty: offered at once
    assert on_duty["district_code"] == "35.05.07"
    with db.Session() as session:
        assert session.get(Order, order.id).fulfillments[0].courier_id == "courier-here"


def test_same_area_compares_codes_when_both_have_one_else_names():
    assert domain.same_area("Sanankulon", "35.05.07", "sanankulon ", "35.05.07")
    assert not domain.same_area("Sanankulon", "35.05.07", "Sanankulon", "33.01.01")
    assert domain.same_area("Kec. X", "35.05.07", "Sanankulon", "35.05.07")
    assert domain.same_area("Sanankulon", None, " SANANKULON", "35.05.07")


def test_the_same_district_name_sent_again_keeps_the_official_code_and_another_name_drops_it(db):
    service.set_duty(UnitOfWork(db), "courier-1", "Joko", None, False, "Sanankulon", "35.05.07")
    assert service.set_duty(UnitOfWork(db), "courier-1", "Joko", None, True, " sanankulon")["district_code"] == "35.05.07"
    moved = service.set_duty(UnitOfWork(db), "courier-1", "Joko", None, True, "Kanigoro")
    assert (moved["district"], moved["district_code"]) == ("Kanigoro", None)
