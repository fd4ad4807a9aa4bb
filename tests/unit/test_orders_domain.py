"""The order and fulfillment state machines: every legal move works and emits its event; every other move
is refused and changes nothing."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from services.orders import domain as d

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
TARIFF = d.DeliveryTariff(same_district=10000, other_district=20000)
ADDRESS = {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3", "district": "Sanankulon"}


def line(seller: str, price: int = 25000, qty: int = 2, district: str = "Sanankulon") -> dict:
    return {"listing_id": f"l-{seller}-{price}", "shop_id": f"shop-{seller}", "seller_id": seller,
            "agent_id": None, "shop_name": f"Toko {seller}", "title": "Tikar", "qty": qty, "unit_price": price,
            "pickup": {"street": "Jl. Desa", "village": "V", "district": district, "phone": "+62811"}}


_ids = itertools.count()


def new_id() -> str:
    return f"id-{next(_ids)}"


def order_in(status: str, method: str = "card", sellers=("s1",)) -> d.Order:
    """An order driven to `status` through legal moves only."""
    order = d.Order(new_id(), "shopper-1", method, [{"listing_id": "x", "qty": 1}], ADDRESS, NOW)
    if status == d.PLACED:
        return order
    if status == d.REJECTED:
        order.reject([{"listing_id": "x", "requested": 1, "available": 0, "reason": "insufficient"}], NOW)
        return order
    if status == d.AWAITING_HARVEST:   # a pre-order paid by card ahead of its harvest (issue 17)
        order.reserve([{**line(sellers[0]), "batch_id": "b1", "expected_on": "2026-12-20", "pay_at": "order"}],
                      TARIFF, NOW, timedelta(minutes=30), timedelta(hours=24), new_id)
        order.payment_succeeded("pay-1", NOW, timedelta(hours=24))
        assert order.status == status
        return order
    order.reserve([line(s) for s in sellers], TARIFF, NOW, timedelta(minutes=30), timedelta(hours=24), new_id)
    if status == d.AWAITING_PAYMENT:
        assert order.status == status
        return order
    if method == "card":
        order.payment_succeeded("pay-1", NOW, timedelta(hours=24))
    if status == d.CONFIRMED:
        return order
    if status == d.CANCELLED:
        order.cancel("shopper_cancelled", NOW)
        return order
    if status == d.COMPLETED:
        for f in order.fulfillments:
            deliver(order, f)
        assert order.complete_if_all_delivered(NOW)
        return order
    raise AssertionError(status)


def deliver(order: d.Order, f: d.Fulfillment) -> None:
    f.mark_ready(order, NOW)
    f.assign(order, "c1")
    f.pick_up(order, "c1", NOW)
    f.deliver(order, "c1", f.cod_amount_due or None, NOW)


def fulfillment_in(status: str, method: str = "card") -> tuple[d.Order, d.Fulfillment]:
    order = order_in(d.CONFIRMED, method)
    f = order.fulfillments[0]
    steps = {
        d.PENDING: [],
        d.READY_FOR_PICKUP: [lambda: f.mark_ready(order, NOW)],
        d.ASSIGNED: [lambda: f.mark_ready(order, NOW), lambda: f.assign(order, "c1")],
        d.PICKED_UP: [lambda: f.mark_ready(order, NOW), lambda: f.assign(order, "c1"),
                      lambda: f.pick_up(order, "c1", NOW)],
        d.DELIVERED: [lambda: deliver(order, f)],
        d.CANCELLED: [lambda: order.cancel("shopper_cancelled", NOW)],
    }[status]
    for step in steps:
        step()
    assert f.status == status
    return order, f


# -- the tables, as the architecture draws them ------------------------------------------------------
LEGAL_ORDER_MOVES = {
    (d.PLACED, d.AWAITING_PAYMENT), (d.PLACED, d.CONFIRMED), (d.PLACED, d.REJECTED),
    (d.AWAITING_PAYMENT, d.CONFIRMED), (d.AWAITING_PAYMENT, d.CANCELLED),
    (d.CONFIRMED, d.COMPLETED), (d.CONFIRMED, d.CANCELLED),
    # a pre-order waits for its harvest (issue 17): placed (cash, or card paid at harvest) or paid ahead; then
    # confirmed (paid, or cash), asked for its money (card at harvest) or cancelled (harvest short, shopper)
    (d.PLACED, d.AWAITING_HARVEST), (d.AWAITING_PAYMENT, d.AWAITING_HARVEST),
    (d.AWAITING_HARVEST, d.CONFIRMED), (d.AWAITING_HARVEST, d.AWAITING_PAYMENT), (d.AWAITING_HARVEST, d.CANCELLED),
}
LEGAL_FULFILLMENT_MOVES = {
    (d.PENDING, d.READY_FOR_PICKUP), (d.READY_FOR_PICKUP, d.ASSIGNED), (d.ASSIGNED, d.PICKED_UP),
    (d.PICKED_UP, d.DELIVERED), (d.ASSIGNED, d.READY_FOR_PICKUP),  # declined: back to waiting
    (d.PENDING, d.CANCELLED), (d.READY_FOR_PICKUP, d.CANCELLED), (d.ASSIGNED, d.CANCELLED),
}


@pytest.mark.parametrize("current,target", list(itertools.product(d.ORDER_STATUSES, repeat=2)))
def test_order_transition_table_allows_exactly_the_drawn_moves(current, target):
    if (current, target) in LEGAL_ORDER_MOVES:
        assert d.transition(current, target) == target
    else:
        with pytest.raises(d.IllegalTransition):
            d.transition(current, target)


@pytest.mark.parametrize("current,target", list(itertools.product(d.FULFILLMENT_STATUSES, repeat=2)))
def test_fulfillment_transition_table_allows_exactly_the_drawn_moves(current, target):
    if (current, target) in LEGAL_FULFILLMENT_MOVES:
        assert d.transition(current, target, d.FULFILLMENT_TRANSITIONS, "fulfillment") == target
    else:
        with pytest.raises(d.IllegalTransition):
            d.transition(current, target, d.FULFILLMENT_TRANSITIONS, "fulfillment")


# -- order methods from every status -----------------------------------------------------------------
ORDER_METHODS = {
    # name: (call, statuses it is legal from, status after, event emitted)
    "reserve": (lambda o: o.reserve([line("s1")], TARIFF, NOW, timedelta(minutes=30), timedelta(hours=1), new_id),
                {d.PLACED}, d.AWAITING_PAYMENT, "payment.requested"),
    "reject": (lambda o: o.reject([{"listing_id": "x", "requested": 1, "available": 0, "reason": "unknown"}], NOW),
               {d.PLACED}, d.REJECTED, "order.rejected"),
    "payment_succeeded": (lambda o: o.payment_succeeded("p", NOW, timedelta(hours=1)),
                          {d.AWAITING_PAYMENT}, d.CONFIRMED, "order.confirmed"),
    "payment_failed": (lambda o: o.payment_failed("p", NOW), {d.AWAITING_PAYMENT}, d.CANCELLED, "order.cancelled"),
    "payment_timeout": (lambda o: o.cancel("payment_timeout", NOW), {d.AWAITING_PAYMENT}, d.CANCELLED,
                        "order.cancelled"),
    "shopper_cancel": (lambda o: o.cancel("shopper_cancelled", NOW),
                       {d.AWAITING_PAYMENT, d.AWAITING_HARVEST, d.CONFIRMED}, d.CANCELLED, "order.cancelled"),
}


@pytest.mark.parametrize("method,status", list(itertools.product(ORDER_METHODS, d.ORDER_STATUSES)))
def test_order_method_moves_only_from_its_legal_statuses(method, status):
    order = order_in(status)
    call, legal_from, after, event_type = ORDER_METHODS[method]
    if status in legal_from:
        events = call(order)
        assert order.status == after
        assert events[0].type == event_type
    else:
        before = order.status
        with pytest.raises(d.DomainError):
            call(order)
        assert order.status == before


def test_cod_order_is_confirmed_when_stock_is_reserved_and_requests_cash_payment():
    order = order_in(d.PLACED, method="cod")
    events = order.reserve([line("s1")], TARIFF, NOW, timedelta(minutes=30), timedelta(hours=24), new_id)
    assert order.status == d.CONFIRMED
    assert [e.type for e in events] == ["payment.requested", "order.confirmed"]
    assert events[0].data["method"] == "cod" and events[0].data["amount"] == 60000
    assert order.fulfillments[0].cod_amount_due == 60000
    assert order.payment_due_at is None


def test_card_order_awaits_payment_with_a_deadline():
    order = order_in(d.AWAITING_PAYMENT)
    assert order.payment_due_at == NOW + timedelta(minutes=30)
    assert not order.payment_overdue(NOW + timedelta(minutes=29))
    assert order.payment_overdue(NOW + timedelta(minutes=30))


def test_total_is_catalog_prices_plus_one_delivery_fee_per_seller():
    order = order_in(d.PLACED, method="cod")
    lines = [line("s1", 10000, 1), line("s1", 5000, 3), line("s2", 7000, 2, district="Kanigoro")]
    events = order.reserve(lines, TARIFF, NOW, timedelta(minutes=30), timedelta(hours=24), new_id)
    assert order.goods_total == 10000 + 15000 + 14000
    assert order.delivery_total == 10000 + 20000  # s1 same district as the shopper, s2 another
    assert order.total == 39000 + 30000
    subtotals = {s["seller_id"]: (s["amount"], s["delivery_fee"]) for s in events[0].data["subtotals"]}
    assert subtotals == {"s1": (25000, 10000), "s2": (14000, 20000)}
    confirmed = events[1].data
    assert {f["seller_id"] for f in confirmed["fulfillments"]} == {"s1", "s2"}
    assert all(f["pickup_deadline"] for f in confirmed["fulfillments"])
    # the shop's address rides along: notifications tells the seller the deadline on the shop's own clock
    assert {f["seller_id"]: f["pickup"]["district"] for f in confirmed["fulfillments"]} == {
        "s1": lines[0]["pickup"]["district"], "s2": "Kanigoro"}


def test_order_cannot_be_cancelled_while_the_catalog_is_still_answering():
    order = order_in(d.PLACED)
    with pytest.raises(d.DomainError) as err:
        order.cancel("shopper_cancelled", NOW)
    assert err.value.code == "still_placing"


def test_paid_order_cancelled_by_shopper_says_paid_so_payments_refunds():
    order = order_in(d.CONFIRMED)
    (event,) = order.cancel("shopper_cancelled", NOW)
    assert event.type == "order.cancelled"
    assert event.data["paid"] is True and event.data["reason"] == "shopper_cancelled"
    assert order.fulfillments[0].status == d.CANCELLED


def test_shopper_cannot_cancel_after_the_first_pickup():
    order = order_in(d.CONFIRMED, sellers=("s1", "s2"))
    first = order.fulfillments[0]
    first.mark_ready(order, NOW)
    first.assign(order, "c1")
    first.pick_up(order, "c1", NOW)
    with pytest.raises(d.DomainError) as err:
        order.cancel("shopper_cancelled", NOW)
    assert err.value.code == "already_picked_up"
    assert order.status == d.CONFIRMED


def test_order_completes_only_when_the_last_fulfillment_is_delivered():
    order = order_in(d.CONFIRMED, method="cod", sellers=("s1", "s2", "s3"))
    for f in order.fulfillments[:-1]:
        deliver(order, f)
        assert order.complete_if_all_delivered(NOW) == []
        assert order.status == d.CONFIRMED
    deliver(order, order.fulfillments[-1])
    (event,) = order.complete_if_all_delivered(NOW)
    assert event.type == "order.completed" and order.status == d.COMPLETED


def test_late_payment_on_a_timed_out_order_is_cancelled_again_as_paid():
    order = order_in(d.AWAITING_PAYMENT)
    order.cancel("payment_timeout", NOW)
    (event,) = order.late_payment("pay-late")
    assert event.data["paid"] is True and event.data["reason"] == "payment_timeout"
    assert order.late_payment("pay-late") == []  # told once


# -- fulfillment methods from every status -----------------------------------------------------------
FULFILLMENT_METHODS = {
    "mark_ready": (lambda o, f: f.mark_ready(o, NOW), {d.PENDING}, d.READY_FOR_PICKUP, "fulfillment.ready"),
    "assign": (lambda o, f: f.assign(o, "c2"), {d.READY_FOR_PICKUP}, d.ASSIGNED, "delivery.assigned"),
    "decline": (lambda o, f: f.decline(o, "c1"), {d.ASSIGNED}, d.READY_FOR_PICKUP, "delivery.unassigned"),
    "pick_up": (lambda o, f: f.pick_up(o, "c1", NOW), {d.ASSIGNED}, d.PICKED_UP, "delivery.picked_up"),
    "deliver": (lambda o, f: f.deliver(o, "c1", None, NOW), {d.PICKED_UP}, d.DELIVERED, "delivery.delivered"),
}


@pytest.mark.parametrize("method,status", list(itertools.product(FULFILLMENT_METHODS, d.FULFILLMENT_STATUSES)))
def test_fulfillment_method_moves_only_from_its_legal_statuses(method, status):
    order, f = fulfillment_in(status)
    call, legal_from, after, event_type = FULFILLMENT_METHODS[method]
    if status in legal_from:
        (event,) = call(order, f)
        assert f.status == after
        assert event.type == event_type and event.fulfillment_id == f.id
    else:
        with pytest.raises(d.DomainError):
            call(order, f)
        assert f.status == status


@pytest.mark.parametrize("status", d.FULFILLMENT_STATUSES)
def test_fulfillment_cancel_only_before_pickup(status):
    order, f = fulfillment_in(status)
    if status in (d.PENDING, d.READY_FOR_PICKUP, d.ASSIGNED):
        events = f.cancel(order)
        assert f.status == d.CANCELLED
        # the courier who had it is told the trip is off
        assert [e.type for e in events] == (["delivery.unassigned"] if status == d.ASSIGNED else [])
    else:
        with pytest.raises(d.IllegalTransition):
            f.cancel(order)


def test_seller_cannot_mark_ready_before_the_order_is_paid():
    order = order_in(d.AWAITING_PAYMENT)
    with pytest.raises(d.DomainError) as err:
        order.fulfillments[0].mark_ready(order, NOW)
    assert err.value.code == "order_not_confirmed"


def test_another_courier_cannot_touch_the_delivery():
    order, f = fulfillment_in(d.ASSIGNED)
    for act in (lambda: f.accept("c2"), lambda: f.decline(order, "c2"), lambda: f.pick_up(order, "c2", NOW)):
        with pytest.raises(d.NotYours):
            act()
    f.pick_up(order, "c1", NOW)
    with pytest.raises(d.NotYours):
        f.deliver(order, "c2", None, NOW)
    assert f.status == d.PICKED_UP


def test_declined_courier_is_never_offered_the_same_delivery_again():
    order, f = fulfillment_in(d.ASSIGNED)
    f.decline(order, "c1")
    assert f.declined_by == ["c1"]
    loads = [d.CourierLoad("c1", 0), d.CourierLoad("c2", 5)]
    assert d.choose_courier(loads, f.declined_by) == "c2"
    assert d.choose_courier([d.CourierLoad("c1", 0)], f.declined_by) is None
    with pytest.raises(d.DomainError):
        f.assign(order, "c1")


def test_accepted_delivery_cannot_be_declined():
    order, f = fulfillment_in(d.ASSIGNED)
    f.accept("c1")
    with pytest.raises(d.DomainError) as err:
        f.decline(order, "c1")
    assert err.value.code == "already_accepted"


def test_least_loaded_courier_wins_then_the_longest_waiting():
    early, late = NOW - timedelta(hours=2), NOW
    loads = [d.CourierLoad("busy", 3, early), d.CourierLoad("late", 1, late), d.CourierLoad("early", 1, early)]
    assert d.choose_courier(loads) == "early"
    assert d.choose_courier([]) is None


@pytest.mark.parametrize("collected,ok", [(60000, True), (59000, False), (61000, False), (None, False), (0, False)])
def test_cod_cash_collected_must_equal_the_amount_due(collected, ok):
    order, f = fulfillment_in(d.PICKED_UP, method="cod")
    assert f.cod_amount_due == 60000
    if ok:
        (event,) = f.deliver(order, "c1", collected, NOW)
        assert event.data["cod_amount_collected"] == 60000
        assert f.status == d.DELIVERED
    else:
        with pytest.raises(d.CashMismatch):
            f.deliver(order, "c1", collected, NOW)
        assert f.status == d.PICKED_UP


def test_card_delivery_refuses_a_cash_report():
    order, f = fulfillment_in(d.PICKED_UP, method="card")
    with pytest.raises(d.CashMismatch):
        f.deliver(order, "c1", 5000, NOW)


def test_delivery_events_carry_what_payments_and_notifications_need():
    order, f = fulfillment_in(d.READY_FOR_PICKUP, method="cod")
    (event,) = f.assign(order, "c1")
    data = event.data
    for key in ("order_id", "fulfillment_id", "courier_id", "seller_id", "agent_id", "shopper_id", "goods_amount",
                "delivery_fee", "cod_amount_due", "pickup", "dropoff", "cod_amount_collected"):
        assert key in data
    # an offer carries only the area (issue 16: name, phone and street come once the courier accepts)
    assert data["pickup"]["shop_name"] == "Toko s1" and data["dropoff"] == d.dropoff_area(ADDRESS)
    assert "phone" not in data["dropoff"] and "street" not in data["dropoff"]
    assert data["cod_amount_due"] == 60000
    f.order = order
    (accepted,) = f.accept("c1")
    assert accepted.type == "delivery.accepted" and accepted.data["dropoff"] == ADDRESS


def test_tariff_is_same_district_or_other():
    assert TARIFF.fee("Sanankulon", " sanankulon ") == 10000
    assert TARIFF.fee("Kanigoro", "Sanankulon") == 20000
    assert TARIFF.fee(None, "Sanankulon") == 20000


def test_request_fingerprint_ignores_key_order_but_not_content():
    a = {"payment_method": "cod", "items": [{"listing_id": "x", "qty": 1}]}
    b = {"items": [{"qty": 1, "listing_id": "x"}], "payment_method": "cod"}
    assert d.request_fingerprint(a) == d.request_fingerprint(b)
    assert d.request_fingerprint(a) != d.request_fingerprint({**a, "payment_method": "card"})


# -- rules moved out of the routes (issue 11) ----------------------------------------------------------
def test_going_on_or_off_duty_needs_a_district_and_only_off_to_on_counts_as_coming_on_duty():
    with pytest.raises(d.DistrictRequired) as no_district:
        d.change_duty(False, None, True, None)
    assert (no_district.value.code, no_district.value.message) == ("district_required",
                                                                   "set your service district first")
    with pytest.raises(d.DistrictRequired):
        d.change_duty(True, None, False, "")  # even going off duty: a profile without a district is not saved
    assert d.change_duty(False, None, True, "Sanankulon") == d.DutyChange("Sanankulon", True, True)
    assert d.change_duty(True, "Sanankulon", True, None) == d.DutyChange("Sanankulon", True, False)
    assert d.change_duty(True, "Sanankulon", False, "Kanigoro") == d.DutyChange("Kanigoro", False, False)


def test_a_cart_has_room_for_one_more_item_until_the_checkouts_limit():
    d.ensure_cart_room(d.MAX_CART_LINES - 1)
    with pytest.raises(d.CartFull) as full:
        d.ensure_cart_room(d.MAX_CART_LINES)
    assert full.value.code == "cart_full"


def test_the_tariff_quotes_each_shops_district_and_nothing_without_a_destination():
    assert TARIFF.quote(["Sanankulon", "Kanigoro"], "SANANKULON") == {
        "same_district": 10000, "other_district": 20000, "to": "SANANKULON", "currency": "IDR", "total": 30000,
        "fees": [{"from_": "Sanankulon", "fee": 10000}, {"from_": "Kanigoro", "fee": 20000}]}
    assert TARIFF.quote(["Sanankulon"], None)["fees"] == [] and TARIFF.quote(["Sanankulon"], None)["total"] == 0


def test_the_board_is_the_districts_ready_parcels_without_a_courier():
    order, f = fulfillment_in(d.READY_FOR_PICKUP)
    assert f.on_board_of(" sanankulon ") and not f.on_board_of("Kanigoro") and not f.on_board_of(None)
    f.assign(order, "c1")
    assert not f.on_board_of("Sanankulon")


def test_a_visitors_cart_merges_into_the_accounts_cart_adding_quantities_within_the_limits():
    from services.orders import domain as orders_domain
    merged, left_out = orders_domain.merge_carts({"a": 2, "b": 1}, {"a": 3, "c": 1})
    assert merged == {"a": 5, "b": 1, "c": 1} and left_out == []
    merged, _ = orders_domain.merge_carts({"a": orders_domain.MAX_CART_QTY - 1}, {"a": 5})
    assert merged["a"] == orders_domain.MAX_CART_QTY
    full = {f"x{i}": 1 for i in range(orders_domain.MAX_CART_LINES)}
    merged, left_out = orders_domain.merge_carts(full, {"x0": 1, "new": 2})
    assert merged["x0"] == 2 and "new" not in merged and left_out == ["new"]


def test_the_delivery_fee_comes_from_district_codes_when_shop_and_address_both_have_one():
    """Issue 18: two spellings of one district are one district by code; names decide only without codes."""
    shop = {"district": "Kec. Sanankulon", "district_code": "35.05.07"}
    assert TARIFF.fee_between(shop, {"district": "Sanankulon", "district_code": "35.05.07"}) == 10000
    assert TARIFF.fee_between(shop, {"district": "Kec. Sanankulon", "district_code": "35.05.06"}) == 20000
    assert TARIFF.fee_between({"district": "Sanankulon"}, {"district": "sanankulon ", "district_code": "35.05.07"}) == 10000
    assert TARIFF.fee_between({"district": ""}, {"district": "Ponggok"}) == 10000  # no pickup district: as before
