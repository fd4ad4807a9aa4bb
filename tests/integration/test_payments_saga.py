"""Every way an order's money story can end — paid and delivered, declined until the card attempts are used up,
paid after declines, timed out, cash on delivery, refunded — leaves the ledger balanced per order and
sellers/couriers owed exactly the right amounts."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pasar.db import Database
from pasar.migrate import upgrade
from services.orders import domain as orders
from services.payments import domain
from services.payments.models import Base
from tests.integration.test_payments_kit import (received, Harness, cancelled, delivered, harness, new,  # noqa: F401
                                                 payment_requested, payments_db)

CLEARING = domain.SHOPPER_CLEARING


def test_card_order_paid_and_delivered_pays_seller_less_commission_and_courier_the_fee(harness):
    order, shopper = new("order"), new("shopper")
    harness.deliver("payment.requested", payment_requested(order, shopper, "card", [
        ("f1", "seller-a", 100_000, 10_000), ("f2", "seller-b", 33_333, 8_000)]))
    assert harness.payment(order).status == "pending"
    assert harness.pay_in_sandbox(order, "4242 4242 4242 4242") == "applied"
    (succeeded,) = harness.emitted("payment.succeeded", order)
    assert succeeded["amount"] == 151_333 and succeeded["shopper_id"] == shopper and succeeded["method"] == "card"

    harness.deliver("delivery.delivered", delivered(order, "f1", "courier-x"))
    harness.deliver("fulfillment.received", received(order, "f1"))  # the receipt releases the held share
    harness.deliver("delivery.delivered", delivered(order, "f2", "courier-x"))
    harness.deliver("fulfillment.received", received(order, "f2"))  # the receipt releases the held share

    assert harness.balance(domain.seller_payable("seller-a")) == -95_000      # 5% of 100.000
    assert harness.balance(domain.seller_payable("seller-b")) == -31_667      # 5% of 33.333 = 1666.65 → 1666
    assert harness.balance(domain.PLATFORM_COMMISSION) == -(5_000 + 1_666)
    assert harness.balance(domain.courier_earnings("courier-x")) == -18_000
    assert harness.order_ledger(order) == {domain.PLATFORM_FUNDS: 151_333, domain.seller_payable("seller-a"): -95_000,
                                           domain.seller_payable("seller-b"): -31_667,
                                           domain.PLATFORM_COMMISSION: -6_666,
                                           domain.courier_earnings("courier-x"): -18_000}
    payouts = {(p["payee_role"], p["payee_id"], p["fulfillment_id"]): (p["amount"], p["fee"])
               for p in harness.emitted("payout.created", order)}
    assert payouts == {("seller", "seller-a", "f1"): (95_000, 5_000), ("courier", "courier-x", "f1"): (10_000, 0),
                       ("seller", "seller-b", "f2"): (31_667, 1_666), ("courier", "courier-x", "f2"): (8_000, 0)}


def test_the_same_delivery_reported_twice_pays_once(harness):
    order = new("order")
    harness.deliver("payment.requested", payment_requested(order, "s1", "card", [("f1", "seller-a", 50_000, 5_000)]))
    harness.pay_in_sandbox(order, "4242424242424242")
    harness.deliver("delivery.delivered", delivered(order, "f1", "courier-x"))
    harness.deliver("fulfillment.received", received(order, "f1"))  # the receipt releases the held share
    harness.deliver("delivery.delivered", delivered(order, "f1", "courier-x"))  # a new event id, same fact
    assert harness.balance(domain.seller_payable("seller-a")) == -47_500
    assert len(harness.emitted("payout.created", order)) == 2


DECLINED, PAID = "4000000000000002", "4242424242424242"


def test_a_declined_card_is_one_attempt_the_payment_stays_open_and_orders_hears_nothing(harness):
    order = new("order")
    harness.deliver("payment.requested", payment_requested(order, "s1", "card", [("f1", "seller-a", 50_000, 5_000)]))
    assert harness.pay_in_sandbox(order, DECLINED) == "applied"
    payment = harness.payment(order)
    assert (payment.status, payment.attempts, payment.last_decline) == ("pending", 1, "card_declined")
    assert payment.failure_reason is None
    assert harness.emitted(order_id=order) == []  # orders keeps waiting, until its payment deadline
    assert harness.order_ledger(order) == {}


def test_declined_until_the_attempts_are_used_up_fails_once_and_tells_orders(harness):
    order = new("order")
    harness.deliver("payment.requested", payment_requested(order, "s1", "card", [("f1", "seller-a", 50_000, 5_000)]))
    for _ in range(3):  # MAX_CARD_ATTEMPTS, default 3
        harness.pay_in_sandbox(order, DECLINED)
    (failed,) = harness.emitted("payment.failed", order)
    assert failed["reason"] == "too_many_declines" and failed["attempts"] == 3
    assert failed["last_decline"] == "card_declined" and failed["amount"] == 55_000
    assert harness.pay_in_sandbox(order, DECLINED) == "unchanged"  # a late decline: nothing more
    harness.deliver("order.cancelled", cancelled(order, "s1", "payment_failed", paid=False))
    payment = harness.payment(order)
    assert (payment.status, payment.attempts, payment.failure_reason) == ("failed", 3, "too_many_declines")
    assert len(harness.emitted("payment.failed", order)) == 1
    assert harness.order_ledger(order) == {}
    assert harness.emitted("payment.refunded", order) == []


def test_max_card_attempts_is_configurable(harness, monkeypatch):
    monkeypatch.setenv("MAX_CARD_ATTEMPTS", "1")  # the old rule: one decline ends it
    order = new("order")
    harness.deliver("payment.requested", payment_requested(order, "s1", "card", [("f1", "seller-a", 10_000, 0)]))
    harness.pay_in_sandbox(order, DECLINED)
    assert harness.payment(order).status == "failed"
    assert [e["reason"] for e in harness.emitted("payment.failed", order)] == ["too_many_declines"]


def orders_hears(order: orders.Order, emitted: list[dict], now: datetime) -> list:
    """What orders does with payments' answers (services/orders/handlers.py): a success confirms an order
    awaiting payment, a failure cancels it; anything else about a settled order is ignored."""
    events = []
    for e in emitted:
        if order.status != orders.AWAITING_PAYMENT:
            continue
        if e["type"] == "payment.succeeded":
            events += order.payment_succeeded(e["payment_id"], now, timedelta(hours=24))
        elif e["type"] == "payment.failed":
            events += order.payment_failed(e["payment_id"], now)
    return events


def card_order_awaiting_payment(harness, goods=50_000) -> orders.Order:
    """orders' own Order, reserved, its payment.requested delivered to payments as orders sends it."""
    order = orders.Order(new("order"), new("shopper"), "card", [{"listing_id": "l1", "qty": 1}],
                         {"name": "Bu Sri", "district": "Wlingi"})
    line = {"listing_id": "l1", "shop_id": "shop-1", "seller_id": "seller-a", "agent_id": None, "shop_name": "Toko",
            "title": "Gula", "qty": 1, "unit_price": goods, "pickup": {"district": "Wlingi"}}
    (requested,) = order.reserve([line], orders.DeliveryTariff(10_000, 20_000), datetime.now(timezone.utc),
                                 timedelta(minutes=30), timedelta(hours=24), lambda: new("f"))
    harness.deliver(requested.type, requested.data)
    assert order.status == orders.AWAITING_PAYMENT
    return order


def test_a_decline_then_a_success_captures_once_and_the_order_is_confirmed(harness):
    order = card_order_awaiting_payment(harness)
    now = datetime.now(timezone.utc)
    harness.pay_in_sandbox(order.id, DECLINED)
    assert orders_hears(order, harness.emitted(order_id=order.id), now) == []
    assert order.status == orders.AWAITING_PAYMENT  # still payable, until payment_due_at
    assert harness.pay_in_sandbox(order.id, PAID) == "applied"
    payment = harness.payment(order.id)
    assert (payment.status, payment.attempts, payment.last_decline) == ("succeeded", 1, "card_declined")
    assert [e["type"] for e in harness.emitted(order_id=order.id)] == ["payment.succeeded"]
    assert [e.type for e in orders_hears(order, harness.emitted(order_id=order.id), now)] == ["order.confirmed"]
    assert order.status == orders.CONFIRMED
    assert harness.order_ledger(order.id) == {domain.PLATFORM_FUNDS: 60_000, CLEARING: -60_000}  # one capture
    assert harness.pay_in_sandbox(order.id, DECLINED) == "unchanged"  # a late decline undoes nothing
    assert harness.payment(order.id).status == "succeeded"


def test_the_attempts_used_up_cancel_the_order_exactly_as_a_failed_payment_did(harness):
    order = card_order_awaiting_payment(harness)
    now = datetime.now(timezone.utc)
    for left in (2, 1):
        harness.pay_in_sandbox(order.id, DECLINED)
        assert orders_hears(order, harness.emitted(order_id=order.id), now) == []
        assert harness.payment(order.id).attempts == 3 - left
    harness.pay_in_sandbox(order.id, DECLINED)
    told = orders_hears(order, harness.emitted(order_id=order.id), now)
    assert order.status == orders.CANCELLED and order.cancel_reason == "payment_failed"
    (cancelled_event,) = [e for e in told if e.type == "order.cancelled"]
    assert cancelled_event.data["paid"] is False
    harness.deliver(cancelled_event.type, cancelled_event.data)  # payments hears the cancellation back
    assert harness.payment(order.id).status == "failed"
    assert harness.pay_in_sandbox(order.id, PAID) == "applied"  # money after the end goes straight back
    assert [e["type"] for e in harness.emitted(order_id=order.id)] == ["payment.failed", "payment.succeeded",
                                                                        "payment.refunded"]
    assert harness.order_ledger(order.id) == {}


def test_cash_on_delivery_is_recorded_then_held_by_the_courier_when_delivered(harness):
    order = new("order")
    harness.deliver("payment.requested", payment_requested(order, "s1", "cod", [("f1", "seller-a", 20_000, 7_000)]))
    assert harness.payment(order).status == "cod_pending"
    assert harness.emitted("payment.succeeded", order) == []  # nothing to answer for cash
    harness.deliver("delivery.delivered", delivered(order, "f1", "courier-y", cod_collected=27_000))
    harness.deliver("fulfillment.received", received(order, "f1"))  # the receipt releases the held share
    assert harness.payment(order).status == "cod_collected"
    assert harness.balance(domain.cod_cash_held("courier-y")) == 27_000
    assert harness.balance(domain.courier_earnings("courier-y")) == -7_000
    assert harness.balance(domain.seller_payable("seller-a")) == -19_000
    assert sum(harness.order_ledger(order).values()) == 0 and CLEARING not in harness.order_ledger(order)


def test_cash_on_delivery_can_be_opened_by_order_confirmed_alone(harness):
    order = new("order")
    harness.deliver("order.confirmed", {"order_id": order, "shopper_id": "s1", "payment_method": "cod",
                                        "total": 30_000, "fulfillments": [
                                            {"fulfillment_id": "f1", "seller_id": "seller-a", "agent_id": None,
                                             "goods_amount": 25_000, "delivery_fee": 5_000}]})
    harness.deliver("payment.requested", payment_requested(order, "s1", "cod", [("f1", "seller-a", 25_000, 5_000)]))
    assert harness.payment(order).status == "cod_pending" and harness.payment(order).amount == 30_000


def test_shopper_cancelling_a_paid_order_gets_a_refund_and_the_ledger_nets_out(harness):
    order = new("order")
    harness.deliver("payment.requested", payment_requested(order, "s1", "card", [("f1", "seller-a", 80_000, 9_000)]))
    harness.pay_in_sandbox(order, "4242424242424242")
    harness.deliver("order.cancelled", cancelled(order, "s1", "shopper_cancelled", paid=True))
    harness.deliver("order.cancelled", cancelled(order, "s1", "shopper_cancelled", paid=True))
    assert harness.payment(order).status == "refunded"
    (refunded,) = harness.emitted("payment.refunded", order)
    assert refunded["amount"] == 89_000 and refunded["reason"] == "shopper_cancelled"
    assert harness.order_ledger(order) == {}
    assert harness.balance(domain.seller_payable("seller-a")) == 0


def test_timed_out_order_is_voided_and_a_late_payment_is_sent_back(harness):
    order = new("order")
    harness.deliver("payment.requested", payment_requested(order, "s1", "card", [("f1", "seller-a", 40_000, 4_000)]))
    harness.deliver("order.cancelled", cancelled(order, "s1", "payment_timeout", paid=False))
    assert harness.payment(order).status == "cancelled"
    assert harness.emitted("payment.refunded", order) == []
    # the provider reports a success that happened just before the void: the money goes straight back
    harness.pay_in_sandbox(order, "4242424242424242")
    assert harness.payment(order).status == "refunded"
    assert [e["type"] for e in harness.emitted(order_id=order)] == ["payment.succeeded", "payment.refunded"]
    assert harness.order_ledger(order) == {}


def test_orders_retelling_the_cancellation_as_paid_after_a_late_payment_refunds_once(harness):
    """Orders answers a late payment.succeeded by emitting order.cancelled again with paid=true."""
    order = new("order")
    harness.deliver("payment.requested", payment_requested(order, "s1", "card", [("f1", "seller-a", 40_000, 4_000)]))
    harness.deliver("order.cancelled", cancelled(order, "s1", "payment_timeout", paid=False))
    harness.pay_in_sandbox(order, "4242424242424242")
    harness.deliver("order.cancelled", cancelled(order, "s1", "payment_timeout", paid=True))
    assert len(harness.emitted("payment.refunded", order)) == 1
    assert harness.order_ledger(order) == {}


def test_cancellation_arriving_before_the_payment_request_opens_nothing_later(harness):
    order = new("order")
    harness.deliver("order.cancelled", cancelled(order, "s1", "payment_timeout", paid=False))
    harness.deliver("payment.requested", payment_requested(order, "s1", "card", [("f1", "seller-a", 40_000, 4_000)]))
    assert harness.payment(order).status == "cancelled"
    assert harness.order_ledger(order) == {}


def test_commission_rate_is_configurable(harness, monkeypatch):
    monkeypatch.setenv("COMMISSION_RATE", "0.1")
    order = new("order")
    harness.deliver("payment.requested", payment_requested(order, "s1", "card", [("f1", "seller-c", 12_345, 0)]))
    harness.pay_in_sandbox(order, "4242424242424242")
    harness.deliver("delivery.delivered", delivered(order, "f1", "courier-z"))
    harness.deliver("fulfillment.received", received(order, "f1"))  # the receipt releases the held share
    assert harness.balance(domain.seller_payable("seller-c")) == -(12_345 - 1_234)


def test_a_card_delivery_without_a_captured_payment_is_refused_not_paid(harness):
    order = new("order")
    harness.deliver("payment.requested", payment_requested(order, "s1", "card", [("f1", "seller-a", 10_000, 1_000)]))
    with pytest.raises(ValueError):
        harness.deliver("delivery.delivered", delivered(order, "f1", "courier-x"))  # the worker retries, then parks
    assert harness.order_ledger(order) == {}


# -- the property: any mix of orders and endings --------------------------------------------------------
ENDINGS = ("paid", "failed", "declined_then_paid", "timed_out", "cod_delivered", "refunded")
MAX_ATTEMPTS = domain.DEFAULT_MAX_CARD_ATTEMPTS
fulfillment = st.tuples(st.integers(0, 3), st.integers(0, 5_000_000), st.integers(0, 60_000), st.integers(0, 2))
order_plan = st.tuples(st.sampled_from(ENDINGS), st.lists(fulfillment, min_size=1, max_size=3),
                       st.booleans())  # redeliver every event as a second, distinct event


@pytest.fixture(scope="module")
def shared_harness(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('payments-prop') / 'payments.db'}"
    upgrade("payments", url)
    db = Database("payments", Base.metadata, url)
    yield Harness(db)
    db.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=st.lists(order_plan, min_size=1, max_size=4), rate=st.sampled_from(["0.05", "0.1", "0", "0.075"]))
def test_every_saga_ending_balances_and_pays_exactly(shared_harness, monkeypatch, plans, rate):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    monkeypatch.setenv("COMMISSION_RATE", rate)
    h = shared_harness
    run = uuid.uuid4().hex[:8]  # this example's own sellers and couriers
    sellers = [f"seller-{run}-{i}" for i in range(4)]
    couriers = [f"courier-{run}-{i}" for i in range(3)]
    owed_seller = {s: 0 for s in sellers}
    owed_courier = {c: 0 for c in couriers}
    cash_held = {c: 0 for c in couriers}
    commission_total = 0
    orders = []

    def send(kind, data, twice):
        h.deliver(kind, data)
        if twice:
            h.deliver(kind, data)

    for ending, lines, twice in plans:
        order, shopper = new("order"), new("shopper")
        orders.append((order, ending))
        shares = [(f"{order}-f{i}", sellers[s], goods, fee) for i, (s, goods, fee, _) in enumerate(lines)]
        method = "cod" if ending == "cod_delivered" else "card"
        send("payment.requested", payment_requested(order, shopper, method, shares), twice)
        if ending == "failed":  # the card attempts used up: orders hears payment.failed once and cancels
            for _ in range(MAX_ATTEMPTS):
                assert h.emitted("payment.failed", order) == []
                h.pay_in_sandbox(order, DECLINED)
            assert len(h.emitted("payment.failed", order)) == 1
            send("order.cancelled", cancelled(order, shopper, "payment_failed", paid=False), twice)
            continue
        if ending == "declined_then_paid":  # a mistyped card, then the right one: paid like any other
            for _ in range(1 + len(lines) % (MAX_ATTEMPTS - 1)):
                h.pay_in_sandbox(order, DECLINED)
            assert h.payment(order).status == "pending" and h.emitted(order_id=order) == []
        if ending == "timed_out":
            send("order.cancelled", cancelled(order, shopper, "payment_timeout", paid=False), twice)
            continue
        if method == "card":
            h.pay_in_sandbox(order, PAID)
        if ending == "refunded":
            send("order.cancelled", cancelled(order, shopper, "shopper_cancelled", paid=True), twice)
            continue
        for (fid, seller, goods, fee), (_, _, _, courier_index) in zip(shares, lines):
            courier = couriers[courier_index]
            send("delivery.delivered", delivered(order, fid, courier, goods + fee if method == "cod" else None), twice)
            send("fulfillment.received", received(order, fid, "timer"), twice)
            cut = domain.commission(goods, domain.parse_rate(rate))
            assert cut <= goods * float(rate) < cut + 1
            owed_seller[seller] += goods - cut
            owed_courier[courier] += fee
            commission_total += cut
            if method == "cod":
                cash_held[courier] += goods + fee

    final = {"paid": "succeeded", "failed": "failed", "declined_then_paid": "succeeded", "timed_out": "cancelled",
             "cod_delivered": "cod_collected", "refunded": "refunded"}
    for order, ending in orders:
        ledger = h.order_ledger(order)
        assert sum(ledger.values()) == 0, (ending, ledger)
        assert ledger.get(CLEARING, 0) == 0, (ending, ledger)  # nothing left unassigned
        assert h.payment(order).status == final[ending]
        if ending in ("failed", "timed_out", "refunded"):
            assert ledger == {}, (ending, ledger)
        assert all(type(v) is int for v in ledger.values())
        kinds = [e["type"] for e in h.emitted(order_id=order)]
        assert kinds.count("payment.failed") == (1 if ending == "failed" else 0), (ending, kinds)
        assert kinds.count("payment.succeeded") == (1 if ending in ("paid", "declined_then_paid", "refunded") else 0)
    for seller, amount in owed_seller.items():
        assert -h.balance(domain.seller_payable(seller)) == amount
    for courier in couriers:
        assert -h.balance(domain.courier_earnings(courier)) == owed_courier[courier]
        assert h.balance(domain.cod_cash_held(courier)) == cash_held[courier]
    order_ids = {o for o, _ in orders}
    earned = sum(v for o in order_ids for k, v in h.order_ledger(o).items() if k == domain.PLATFORM_COMMISSION)
    assert -earned == commission_total


def test_sagas_on_postgresql_balance_too(pg_url, monkeypatch):
    """The same rules on PostgreSQL (row locks, BigInteger sums) as on the SQLite default."""
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    monkeypatch.delenv("COMMISSION_RATE", raising=False)
    upgrade("payments", pg_url)
    db = Database("payments", Base.metadata, pg_url)
    try:
        h = Harness(db)
        paid, refunded, cod = new("order"), new("order"), new("order")
        h.deliver("payment.requested", payment_requested(paid, "s1", "card", [("pf1", "seller-pg", 1_000_000, 20_000)]))
        h.deliver("payment.requested", payment_requested(refunded, "s2", "card", [("rf1", "seller-pg", 5_000, 1_000)]))
        h.deliver("payment.requested", payment_requested(cod, "s3", "cod", [("cf1", "seller-pg", 30_000, 6_000)]))
        h.pay_in_sandbox(paid, "4242424242424242")
        h.pay_in_sandbox(refunded, "4242424242424242")
        h.deliver("order.cancelled", cancelled(refunded, "s2", "shopper_cancelled", paid=True))
        h.deliver("delivery.delivered", delivered(paid, "pf1", "courier-pg"))
        h.deliver("fulfillment.received", received(paid, "pf1"))  # the receipt releases the held share
        h.deliver("delivery.delivered", delivered(cod, "cf1", "courier-pg", cod_collected=36_000))
        h.deliver("fulfillment.received", received(cod, "cf1"))  # the receipt releases the held share
        for order in (paid, refunded, cod):
            assert sum(h.order_ledger(order).values()) == 0
            assert h.order_ledger(order).get(CLEARING, 0) == 0
        assert h.order_ledger(refunded) == {}
        assert h.balance(domain.seller_payable("seller-pg")) == -(950_000 + 28_500)
        assert h.balance(domain.courier_earnings("courier-pg")) == -26_000
        assert h.balance(domain.cod_cash_held("courier-pg")) == 36_000
    finally:
        db.dispose()


STEPS = st.lists(st.sampled_from(["succeeded", "failed", "failed", "cancelled", "refunded", "order_cancelled",
                                  "again"]), max_size=9)  # declines drawn twice as often: reaching the limit


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_provider_reports_in_any_order_and_number_keep_the_money_consistent(shared_harness, monkeypatch, steps):
    """Webhooks arrive late, twice, out of order, interleaved with the order's cancellation: whatever the
    sequence, money is captured at most once, returned at most once, and never left half-moved. A decline is
    one attempt; orders hears payment.failed at most once: at the MAX_CARD_ATTEMPTS-th decline or a void at the
    provider, while the payment was pending and orders had not cancelled it itself."""
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    h = shared_harness
    order = new("order")
    h.deliver("payment.requested", payment_requested(order, "s1", "card", [(f"{order}-f", "seller-o", 70_000, 3_000)]))
    ref = h.payment(order).provider_ref
    last = None
    declines_while_pending, failed_expected = 0, False
    for step in steps:
        before = h.payment(order)
        if step == "order_cancelled":
            h.deliver("order.cancelled", cancelled(order, "s1", "payment_timeout", paid=False))
        elif step == "again":
            if last is not None:
                assert h.report(last) == "duplicate"  # the very same provider event: applied once
        else:
            last = domain.ProviderReport(f"evt-{uuid.uuid4().hex}", step, ref,
                                         73_000 if step in ("succeeded", "refunded") else None,
                                         "card_declined" if step == "failed" else None, order)
            h.report(last)
            if before.status == "pending" and step == "failed":
                declines_while_pending += 1
                failed_expected |= declines_while_pending == MAX_ATTEMPTS and not before.order_cancelled
            if before.status == "pending" and step == "cancelled" and not before.order_cancelled:
                failed_expected = True  # a void at the provider is final at once
        after = h.payment(order)
        assert after.attempts == min(declines_while_pending, MAX_ATTEMPTS) <= MAX_ATTEMPTS
        if step == "failed" and before.status == "pending":  # one attempt: final only when they are used up
            assert after.status == ("failed" if declines_while_pending == MAX_ATTEMPTS else "pending")
    status, ledger = h.payment(order).status, h.order_ledger(order)
    kinds = [e["type"] for e in h.emitted(order_id=order)]
    assert kinds.count("payment.succeeded") <= 1 and kinds.count("payment.refunded") <= 1
    assert kinds.count("payment.failed") == (1 if failed_expected else 0), (steps, kinds)
    assert sum(ledger.values()) == 0
    if status == "succeeded":
        assert ledger == {domain.PLATFORM_FUNDS: 73_000, CLEARING: -73_000}
        assert "order_cancelled" not in steps  # a cancelled order never keeps the money
    else:
        assert ledger == {}, (status, steps)
    if "payment.succeeded" in kinds and "order_cancelled" in steps:
        assert status == "refunded" and kinds[-1] == "payment.refunded"
