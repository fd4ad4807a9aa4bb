"""The payments use cases called straight, without HTTP or a broker: a SQLite file per test, the sandbox
card provider (no STRIPE_SECRET_KEY), Stripe webhooks signed the way Stripe signs them. What the routes
answer is asserted in tests/integration/test_payments_*.py; these pin the service layer itself."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import pytest
from sqlalchemy import func, select

from pasar.auth import Identity
from pasar.db import Database, UnitOfWork
from pasar.errors import ApiError
from pasar.stamps import utcnow
from services.payments import domain, service
from services.payments.models import Base, LedgerEntry, Payment, Payout

SECRET = "whsec_service_" + "s" * 20
OK_CARD, DECLINED_CARD = "4242424242424242", "4000000000000002"


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("COMMISSION_RATE", raising=False)
    monkeypatch.delenv("MAX_CARD_ATTEMPTS", raising=False)
    database = Database("payments", Base.metadata, f"sqlite:///{tmp_path / 'payments.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def work(db: Database, correlation_id: str | None = None) -> UnitOfWork:
    return UnitOfWork(db, source="payments", correlation_id=correlation_id)


def new(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def open_order(db, method="card", shares=(("seller-a", 45_000, 5_000),)):
    order, shopper = new("order"), new("shopper")
    rows = [{"fulfillment_id": f"{order}-f{i}", "seller_id": seller, "goods_amount": goods, "delivery_fee": fee}
            for i, (seller, goods, fee) in enumerate(shares)]
    with work(db) as uow:
        payment = service.open_payment(uow, order_id=order, shopper_id=shopper, method=method,
                                       amount=sum(r["goods_amount"] + r["delivery_fee"] for r in rows), shares=rows)
        uow.commit()
    return payment, rows


def emitted(db, event_type):
    with db.Session() as s:
        rows = s.execute(select(db.outbox.c.envelope).where(db.outbox.c.type == event_type)).scalars().all()
    return [json.loads(r)["data"] for r in rows]


def refused(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


# -- the sandbox card form --------------------------------------------------------------------------
def test_a_good_test_card_pays_once_and_announces_it(db):
    payment, _ = open_order(db)
    attempt = service.pay_in_sandbox(work(db), payment_id=payment.id, shopper_id=payment.shopper_id,
                                     card_number="4242 4242 4242 4242")
    assert attempt.declined is None
    assert attempt.payment["status"] == "succeeded" and attempt.payment["amount"] == 50_000
    assert [e["amount"] for e in emitted(db, "payment.succeeded")] == [50_000]
    again = refused(service.pay_in_sandbox, work(db), payment_id=payment.id, shopper_id=payment.shopper_id,
                    card_number=OK_CARD)
    assert (again.status, again.code, again.message) == (409, "payment_final", "this payment is already succeeded")
    with db.Session() as s:
        assert service.order_accounts(s, payment.order_id) == {domain.PLATFORM_FUNDS: 50_000,
                                                               domain.SHOPPER_CLEARING: -50_000}


def test_declines_count_down_then_fail_the_payment(db):
    payment, _ = open_order(db)
    answers = [service.pay_in_sandbox(work(db), payment_id=payment.id, shopper_id=payment.shopper_id,
                                      card_number=DECLINED_CARD) for _ in range(3)]
    assert [a.declined[0] for a in answers] == ["card_declined", "card_declined", "too_many_declines"]
    assert answers[0].declined[1] == "the card was declined (card_declined); 2 attempt(s) left"
    assert answers[2].declined[1].endswith("the card attempts are used up; the order will be cancelled")
    assert [a.payment["status"] for a in answers] == ["pending", "pending", "failed"]
    assert [a.payment["attempts_left"] for a in answers] == [2, 1, 0]
    assert [e["reason"] for e in emitted(db, "payment.failed")] == ["too_many_declines"]


def test_the_card_form_refuses_what_is_not_the_shoppers_to_pay(db):
    payment, _ = open_order(db)
    unknown = refused(service.pay_in_sandbox, work(db), payment_id=payment.id, shopper_id=payment.shopper_id,
                      card_number="5555555555554444")
    assert unknown.status == 422 and "card_number" in unknown.fields
    stranger = refused(service.pay_in_sandbox, work(db), payment_id=payment.id, shopper_id="someone-else",
                       card_number=OK_CARD)
    assert (stranger.status, stranger.message) == (404, "payment not found")
    cod, _ = open_order(db, method="cod")
    not_test_mode = refused(service.pay_in_sandbox, work(db), payment_id=cod.id, shopper_id=cod.shopper_id,
                            card_number=OK_CARD)
    assert (not_test_mode.status, not_test_mode.code) == (409, "not_sandbox")


def test_a_payment_is_its_shoppers_and_an_admins_only(db):
    payment, _ = open_order(db)
    mine = service.payment_of_order(db, payment.order_id, Identity(payment.shopper_id, "shopper"))
    assert mine["provider"] == "sandbox" and mine["sandbox"]["label"] == domain.SANDBOX_LABEL
    assert service.payment_of_order(db, payment.order_id, Identity("ops", "admin"))["payment_id"] == payment.id
    for who in (Identity("another", "shopper"), Identity("seller-a", "seller")):
        assert refused(service.payment_of_order, db, payment.order_id, who).status == 404
    with work(db) as uow:  # cancelled before payments heard of it: a tombstone, not a payment to show
        service.cancel_for_order(uow, order_id="order-gone", shopper_id="s", method="card", reason="timeout")
        uow.commit()
    assert refused(service.payment_of_order, db, "order-gone", Identity("s", "shopper")).status == 404


# -- Stripe webhooks --------------------------------------------------------------------------------
def signature_of(payload: bytes, secret: str = SECRET) -> str:
    """Stripe-Signature as Stripe computes it: HMAC-SHA256 of "<timestamp>.<payload>"."""
    stamp = int(time.time())
    return f"t={stamp},v1=" + hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()


def signed(event: dict, secret: str = SECRET) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    return payload, signature_of(payload, secret)


def stripe_payment(db) -> Payment:
    order = new("order")
    with work(db) as uow:
        payment = Payment(id=new("pay"), order_id=order, shopper_id="shopper-s", method="card", provider="stripe",
                          amount=20_000, currency="IDR", status=domain.PENDING, provider_ref=new("pi"))
        uow.session.add(payment)
        uow.commit()
    return payment


def intent_succeeded(payment: Payment, event_id: str) -> dict:
    return {"id": event_id, "object": "event", "type": "payment_intent.succeeded", "data": {"object": {
        "id": payment.provider_ref, "object": "payment_intent", "status": "succeeded", "amount": 2_000_000,
        "amount_received": 2_000_000, "metadata": {"order_id": payment.order_id}}}}


def test_a_verified_webhook_is_applied_once(db, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    payment = stripe_payment(db)
    opened = []

    def new_uow(correlation_id=None):
        opened.append(correlation_id)
        return work(db, correlation_id)

    payload, signature = signed(intent_succeeded(payment, "evt_1"))
    assert service.receive_stripe_webhook(payload, signature, new_uow) == {"received": True, "result": "applied"}
    assert service.receive_stripe_webhook(payload, signature, new_uow) == {"received": True, "result": "duplicate"}
    assert opened == [payment.order_id, payment.order_id]  # the event's order correlates what it causes
    assert [e["amount"] for e in emitted(db, "payment.succeeded")] == [20_000]  # rupiah, not Stripe's cents
    other, signature = signed({"id": "evt_2", "object": "event", "type": "customer.created",
                               "data": {"object": {"id": "cus_1"}}})
    assert service.receive_stripe_webhook(other, signature, new_uow)["result"] == "ignored"


def test_an_unverified_webhook_is_refused_and_changes_nothing(db, monkeypatch):
    payment = stripe_payment(db)
    payload, signature = signed(intent_succeeded(payment, "evt_1"))
    off = refused(service.receive_stripe_webhook, payload, signature, lambda **_: work(db))
    assert (off.status, off.code) == (503, "webhooks_not_configured")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    forged = refused(service.receive_stripe_webhook, payload, signed(intent_succeeded(payment, "evt_1"),
                                                                     "whsec_wrong")[1], lambda **_: work(db))
    assert (forged.status, forged.code) == (400, "bad_signature")
    bad = refused(service.receive_stripe_webhook, b"not json", signature_of(b"not json"), lambda **_: work(db))
    assert (bad.status, bad.code) == (400, "bad_payload")
    assert emitted(db, "payment.succeeded") == []


# -- cash on delivery, payouts and balances ---------------------------------------------------------
def deliver(db, payment: Payment, share: dict, courier="courier-c", collected=None):
    with work(db) as uow:
        payouts = service.settle_delivery(uow, {"order_id": payment.order_id, "fulfillment_id": share["fulfillment_id"],
                                                "courier_id": courier, "cod_amount_collected": collected})
        uow.commit()
    return payouts


def receive(db, share: dict, by: str = "shopper"):
    """The shopper confirmed receipt (or the window closed): the seller's held share becomes available."""
    with work(db) as uow:
        payout = service.release_seller_share(uow, {"fulfillment_id": share["fulfillment_id"], "received_by": by})
        uow.commit()
    return payout


def test_the_confirmation_opens_cash_on_delivery_only(db):
    fulfillments = [{"fulfillment_id": "f-1", "seller_id": "seller-a", "goods_amount": 10_000, "delivery_fee": 5_000}]
    with work(db) as uow:
        card = service.open_cod_on_confirmation(uow, order_id="order-card", shopper_id="s", method="card",
                                                total=15_000, fulfillments=[{"fulfillment_id": "f-0"}])
        no_total = service.open_cod_on_confirmation(uow, order_id="order-x", shopper_id="s", method="cod",
                                                    total=None, fulfillments=fulfillments)
        cod = service.open_cod_on_confirmation(uow, order_id="order-cod", shopper_id=None, method="cod",
                                               total=15_000, fulfillments=fulfillments)
        uow.commit()
    assert card is None and no_total is None
    assert (cod.status, cod.provider, cod.shopper_id, int(cod.amount)) == ("cod_pending", "cod", "", 15_000)
    with db.Session() as s:
        assert s.scalars(select(Payment.order_id)).all() == ["order-cod"]


def test_cash_delivered_pays_out_and_is_remitted_once(db):
    payment, (share,) = open_order(db, method="cod", shares=(("seller-a", 100_000, 10_000),))
    seller_payout, courier_payout = deliver(db, payment, share, collected=110_000)
    assert (int(seller_payout.amount), int(seller_payout.fee), int(courier_payout.amount)) == (95_000, 5_000, 10_000)
    courier = service.read_balance(db, "courier-c")
    assert (courier["courier_earnings"], courier["cod_cash_held"], courier["net"]) == (10_000, 110_000, -100_000)
    after = service.remit_cod_cash(work(db), share["fulfillment_id"])
    assert (after["user_id"], after["cod_cash_held"], after["net"]) == ("courier-c", 0, 10_000)
    twice = refused(service.remit_cod_cash, work(db), share["fulfillment_id"])
    assert (twice.status, twice.code) == (409, "already_remitted")
    assert refused(service.remit_cod_cash, work(db), "no-such-fulfillment").message == \
        "cash-on-delivery delivery not found"
    assert service.platform_balances(db)["total"] == 0


def test_a_payout_paid_by_hand_is_recorded_once(db):
    payment, (share,) = open_order(db, method="cod")
    seller_payout, _ = deliver(db, payment, share)
    held = refused(service.mark_payout_paid, work(db), seller_payout.id)  # not before the receipt
    assert (held.status, held.code) == (409, "payout_not_owed")
    receive(db, share)
    paid = service.mark_payout_paid(work(db), seller_payout.id)
    assert paid.status == "paid"
    assert service.read_balance(db, "seller-a")["seller_payable"] == 0
    twice = refused(service.mark_payout_paid, work(db), seller_payout.id)
    assert (twice.status, twice.code, twice.message) == (409, "payout_not_owed", "this payout is already paid")
    assert refused(service.mark_payout_paid, work(db), "no-such-payout").status == 404


def test_each_reader_sees_only_their_payouts(db):
    payment, shares = open_order(db, method="cod", shares=(("seller-a", 10_000, 5_000), ("shop:crafts", 20_000, 5_000),
                                                           ("shop:other", 30_000, 5_000)))
    with work(db) as uow:
        service.remember_managers(uow, [{"seller_id": "shop:crafts", "agent_id": "agent-g", "shop_name": " Anyaman "},
                                        {"seller_id": "seller-a", "agent_id": "agent-g"},  # not a crafter: ignored
                                        "not a fulfillment"], seen_at=utcnow())
        uow.commit()
    for share in shares:
        deliver(db, payment, share)
        receive(db, share)

    def payees(who, payee_id=None):
        return sorted(p.payee_id for p in service.payouts_for(db, who, payee_id))

    assert payees(Identity("seller-a", "seller")) == ["seller-a"]
    assert payees(Identity("courier-c", "courier")) == ["courier-c"] * 3
    assert payees(Identity("agent-g", "agent")) == ["shop:crafts"]
    assert payees(Identity("agent-g", "agent"), "shop:other") == []
    assert payees(Identity("ops", "admin"), "shop:other") == ["shop:other"]
    assert len(payees(Identity("ops", "admin"))) == 6
    managed = service.read_managed_balances(db, Identity("agent-g", "agent"), None)
    assert [(m["payee_id"], m["shop_name"], m["seller_payable"]) for m in managed["managed"]] == \
        [("shop:crafts", "Anyaman", 19_000)]
    unnamed = refused(service.read_managed_balances, db, Identity("ops", "admin"), None)
    assert (unnamed.status, unnamed.fields) == (422, {"agent_id": ["an admin names the agent"]})
    assert service.read_managed_balances(db, Identity("ops", "admin"), "agent-g")["total_payable"] == 19_000


def test_a_connected_account_is_set_and_replaced(db):
    assert service.set_connected_account(work(db), "seller-a", "acct_1") == {"seller_id": "seller-a",
                                                                              "stripe_account_id": "acct_1"}
    assert service.set_connected_account(work(db), "seller-a", "acct_2")["stripe_account_id"] == "acct_2"


def test_a_delivery_reported_twice_pays_out_once(db):
    payment, (share,) = open_order(db, method="cod")
    payouts = deliver(db, payment, share)
    assert deliver(db, payment, share) == []  # delivered twice: paid once
    with db.Session() as s:
        assert len(s.scalars(select(Payout)).all()) == 2
    assert sorted(e["payout_id"] for e in emitted(db, "payout.created")) == sorted(p.id for p in payouts)


# -- after the sale (issue 16): the seller's share held until receipt; one parcel refunded on its own ---------
def pay(db, payment: Payment) -> None:
    service.pay_in_sandbox(work(db), payment_id=payment.id, shopper_id=payment.shopper_id,
                           card_number="4242 4242 4242 4242")


def ledger_sums_to_zero(db) -> None:
    with db.Session() as s:
        for tx_id, total in s.execute(select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount))
                                      .group_by(LedgerEntry.transaction_id)):
            assert total == 0, tx_id
    assert service.platform_balances(db)["total"] == 0


def test_the_sellers_share_is_held_until_receipt_then_available_once(db):
    payment, (share,) = open_order(db, method="cod", shares=(("seller-a", 10_000, 5_000),))
    deliver(db, payment, share, collected=15_000)
    balance = service.read_balance(db, "seller-a")
    assert (balance["seller_held"], balance["seller_available"], balance["net"]) == (9_500, 0, 0)
    with db.Session() as s:
        (seller_payout,) = s.scalars(select(Payout).where(Payout.payee_role == "seller")).all()
        assert seller_payout.status == "held"
    payout = receive(db, share, "timer")
    assert payout.status == "owed" and receive(db, share) is None  # a second receipt changes nothing
    balance = service.read_balance(db, "seller-a")
    assert (balance["seller_held"], balance["seller_available"], balance["net"]) == (0, 9_500, 9_500)
    (released,) = emitted(db, "payout.released")
    assert (released["amount"], released["received_by"]) == (9_500, "timer")
    ledger_sums_to_zero(db)


def test_a_receipt_before_its_delivery_is_settled_is_retried_not_lost(db):
    payment, (share,) = open_order(db, method="cod")
    with pytest.raises(LookupError):
        receive(db, share)


def test_one_parcel_of_a_card_order_is_refunded_alone_then_the_rest_on_cancel(db):
    payment, shares = open_order(db, method="card", shares=(("seller-a", 10_000, 5_000), ("seller-b", 20_000, 5_000)))
    pay(db, payment)
    cancelled = {"order_id": payment.order_id, "fulfillment_id": shares[0]["fulfillment_id"], "seller_id": "seller-a",
                 "goods_amount": 10_000, "delivery_fee": 5_000, "reason": "out_of_stock"}
    with work(db) as uow:
        assert service.refund_parcel(uow, cancelled) == 15_000
        uow.commit()
    with work(db) as uow:
        assert service.refund_parcel(uow, cancelled) == 0  # the same cancellation again: refunded once
        uow.commit()
    (refund,) = emitted(db, "payment.refunded")
    assert (refund["amount"], refund["fulfillment_id"], refund["partial"]) == (15_000, shares[0]["fulfillment_id"], True)
    with db.Session() as s:
        assert s.get(Payment, payment.id).status == "succeeded"  # the other parcel is still paid for
    with work(db) as uow:  # the shopper cancels the rest: only what is left goes back
        service.cancel_for_order(uow, order_id=payment.order_id, shopper_id="s", method="card",
                                 reason="shopper_cancelled")
        uow.commit()
    assert sorted(e["amount"] for e in emitted(db, "payment.refunded")) == [15_000, 25_000]
    with db.Session() as s:
        assert service.order_accounts(s, payment.order_id).get(domain.PLATFORM_FUNDS) == 0
    ledger_sums_to_zero(db)


def test_a_cash_on_delivery_parcel_cancelled_alone_is_simply_not_owed(db):
    payment, shares = open_order(db, method="cod", shares=(("seller-a", 10_000, 5_000), ("seller-b", 20_000, 5_000)))
    with work(db) as uow:
        assert service.refund_parcel(uow, {"order_id": payment.order_id, "fulfillment_id": shares[0]["fulfillment_id"],
                                           "seller_id": "seller-a", "goods_amount": 10_000, "delivery_fee": 5_000,
                                           "reason": "harvest_failed"}) == 0
        uow.commit()
    deliver(db, payment, shares[1], collected=25_000)
    with db.Session() as s:
        assert s.get(Payment, payment.id).status == "cod_collected"  # the cancelled parcel owes nothing
    assert emitted(db, "payment.refunded") == []
    ledger_sums_to_zero(db)
