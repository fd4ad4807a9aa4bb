"""Stripe without the internet: webhooks signed exactly as Stripe signs them (the stripe library's own
verification decides), and the API calls the stripe library would send, caught by a recording HTTP
client that answers in Stripe's documented shape."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from services.payments import domain
from services.payments.commands import reconcile
from services.payments.models import ProviderEvent
from tests.integration.test_payments_kit import (received, auth, client, FakeStripeAccount, cancelled, charge_refunded_json,  # noqa: F401
                                                 delivered, harness, new, payment_requested, payments_db,
                                                 stripe_event, stripe_signature, use_stripe)


@pytest.fixture
def stripe_account(monkeypatch):
    account = FakeStripeAccount()
    account.recorder = use_stripe(monkeypatch, account)
    return account



def open_card_order(harness, stripe_account, amount_goods=150_000, fee=10_000, seller="seller-a"):
    order, shopper = new("order"), new("shopper")
    harness.deliver("payment.requested", payment_requested(order, shopper, "card",
                                                           [(f"{order}-f1", seller, amount_goods, fee)]))
    payment = harness.payment(order)
    return order, shopper, payment.provider_ref


def post_webhook(client, payload: str, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/api/v1/webhooks/stripe", data=payload, headers=headers)


# -- the requests we send ---------------------------------------------------------------------------
def test_payment_intent_is_created_once_per_order_in_stripe_units_with_the_order_as_key(harness, stripe_account):
    order, shopper, pi_id = open_card_order(harness, stripe_account, 150_000, 10_000)
    harness.deliver("payment.requested", payment_requested(order, shopper, "card", [(f"{order}-f1", "seller-a",
                                                                                      150_000, 10_000)]))
    (create,) = stripe_account.recorder.requests  # the redelivered request made no second call
    assert (create.method, create.path) == ("POST", "/v1/payment_intents")
    assert create.idempotency_key == f"pasar-order-{order}-intent"
    assert create.form["amount"] == "16000000"  # Rp 160.000 → 16000000 (IDR is two-decimal at Stripe)
    assert create.form["currency"] == "idr"
    assert create.form["metadata[order_id]"] == order
    assert create.form["metadata[shopper_id]"] == shopper
    assert create.headers["Authorization"] == "Bearer sk_test_recording"
    payment = harness.payment(order)
    assert (payment.provider, payment.status, payment.amount) == ("stripe", "pending", 160_000)
    assert payment.client_secret == f"{pi_id}_secret_abc123"


def test_client_secret_is_served_to_the_orders_shopper_only(harness, stripe_account, client):
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    resp = client.get(f"/api/v1/payments/orders/{order}", headers=auth(shopper))
    assert resp.status_code == 200
    assert resp.json["client_secret"] == f"{pi_id}_secret_abc123"
    assert resp.json["amount"] == 160_000 and isinstance(resp.json["amount"], int)
    assert resp.json["sandbox"] is None and resp.json["provider"] == "stripe"
    other = client.get(f"/api/v1/payments/orders/{order}", headers=auth("someone-else"))
    assert other.status_code == 404 and other.json["error"]["code"] == "not_found"
    admin = client.get(f"/api/v1/payments/orders/{order}", headers=auth("admin-1", "admin"))
    assert admin.status_code == 200 and admin.json["client_secret"] is None
    assert client.get(f"/api/v1/payments/orders/{order}").status_code == 401


def test_cancelling_an_unpaid_order_cancels_its_payment_intent(harness, stripe_account):
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    harness.deliver("order.cancelled", cancelled(order, shopper, "payment_timeout", paid=False))
    cancel = stripe_account.recorder.requests[-1]
    assert (cancel.method, cancel.path) == ("POST", f"/v1/payment_intents/{pi_id}/cancel")
    assert cancel.idempotency_key == f"pasar-order-{order}-cancel"
    assert harness.payment(order).status == "cancelled"
    assert harness.emitted("payment.failed", order) == []  # orders cancelled it; nothing to tell


def test_cancelling_when_stripe_says_it_already_succeeded_refunds_it(harness, stripe_account):
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    stripe_account.succeed(pi_id)  # paid at Stripe, webhook not here yet
    harness.deliver("order.cancelled", cancelled(order, shopper, "payment_timeout", paid=False))
    calls = [(r.method, r.path) for r in stripe_account.recorder.requests]
    assert calls[-3:] == [("POST", f"/v1/payment_intents/{pi_id}/cancel"), ("GET", f"/v1/payment_intents/{pi_id}"),
                          ("POST", "/v1/refunds")]
    assert harness.payment(order).status == "refunded"
    assert harness.order_ledger(order) == {}
    assert [e["type"] for e in harness.emitted(order_id=order)] == ["payment.succeeded", "payment.refunded"]


def test_refund_of_a_paid_order_asks_stripe_for_the_whole_amount_once(harness, stripe_account, client):
    order, shopper, pi_id = open_card_order(harness, stripe_account, 99_000, 1_000)
    stripe_account.succeed(pi_id)
    payload = stripe_event("payment_intent.succeeded", stripe_account.intents[pi_id])
    assert post_webhook(client, payload, stripe_signature(payload)).status_code == 200
    harness.deliver("order.cancelled", cancelled(order, shopper, "shopper_cancelled", paid=True))
    harness.deliver("order.cancelled", cancelled(order, shopper, "shopper_cancelled", paid=True))
    refunds = [r for r in stripe_account.recorder.requests if r.path == "/v1/refunds"]
    assert len(refunds) == 1
    assert refunds[0].form["payment_intent"] == pi_id and refunds[0].form["amount"] == "10000000"
    assert refunds[0].idempotency_key == f"pasar-order-{order}-refund"
    (refunded,) = harness.emitted("payment.refunded", order)
    assert refunded["amount"] == 100_000 and refunded["reason"] == "shopper_cancelled"


def test_seller_with_a_connected_account_is_paid_by_transfer_grouped_by_order(harness, stripe_account, client):
    resp = client.put("/api/v1/payouts/connected-accounts/seller-connect", json={"stripe_account_id": "acct_123abc"},
                      headers=auth("admin-1", "admin"))
    assert resp.status_code == 200
    order, shopper, pi_id = open_card_order(harness, stripe_account, 200_000, 15_000, seller="seller-connect")
    stripe_account.succeed(pi_id)
    payload = stripe_event("payment_intent.succeeded", stripe_account.intents[pi_id])
    assert post_webhook(client, payload, stripe_signature(payload)).json["result"] == "applied"
    harness.deliver("delivery.delivered", delivered(order, f"{order}-f1", "courier-1"))
    harness.deliver("fulfillment.received", received(order, f"{order}-f1"))  # the receipt releases the held share
    (transfer,) = [r for r in stripe_account.recorder.requests if r.path == "/v1/transfers"]
    assert transfer.form["transfer_group"] == order
    assert transfer.form["destination"] == "acct_123abc"
    assert transfer.form["amount"] == str(190_000 * 100)
    assert transfer.idempotency_key.startswith("pasar-payout-")
    assert harness.balance(domain.seller_payable("seller-connect")) == 0  # paid out, nothing owed
    assert harness.balance(domain.courier_earnings("courier-1")) == -15_000
    assert sum(harness.order_ledger(order).values()) == 0
    # held at delivery, transferred once the receipt released it
    seller_payout = [p for p in harness.emitted("payout.created", order) if p["payee_role"] == "seller"][0]
    assert seller_payout["status"] == "held"
    (released,) = harness.emitted("payout.released", order)
    assert (released["status"], released["amount"]) == ("transferred", 190_000)


def test_reconcile_settles_a_payment_whose_webhook_never_came(harness, stripe_account, payments_db):
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    stripe_account.succeed(pi_id)
    assert reconcile(["--older-than", "0"], db=payments_db, publisher=None) == 0
    assert harness.payment(order).status == "succeeded"
    assert ("GET", f"/v1/payment_intents/{pi_id}") in [(r.method, r.path) for r in stripe_account.recorder.requests]
    assert len(harness.emitted("payment.succeeded", order)) == 1
    assert reconcile(["--older-than", "0"], db=payments_db, publisher=None) == 0  # nothing stuck any more
    assert len(harness.emitted("payment.succeeded", order)) == 1


def test_reconcile_leaves_a_declined_intent_open_for_another_card(harness, stripe_account, payments_db):
    """A declined intent is back at `requires_payment_method`: still usable, so reconciliation settles nothing
    (declines are counted from their webhooks, one event each); a success found later is settled."""
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    stripe_account.intents[pi_id]["last_payment_error"] = {"code": "card_declined", "message": "declined"}
    assert reconcile(["--older-than", "0"], db=payments_db, publisher=None) == 0
    payment = harness.payment(order)
    assert (payment.status, payment.attempts) == ("pending", 0)
    assert harness.emitted(order_id=order) == []
    stripe_account.succeed(pi_id)  # the shopper tried another card
    assert reconcile(["--older-than", "0"], db=payments_db, publisher=None) == 0
    assert harness.payment(order).status == "succeeded"
    assert len(harness.emitted("payment.succeeded", order)) == 1


# -- the webhook ------------------------------------------------------------------------------------
def state(harness, payments_db, order):
    with payments_db.Session() as s:
        seen = s.scalar(select(func.count()).select_from(ProviderEvent))
    return harness.payment(order).status, harness.order_ledger(order), len(harness.emitted(order_id=order)), seen


def test_valid_signature_is_accepted_and_the_payment_succeeds(harness, stripe_account, client):
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    payload = stripe_event("payment_intent.succeeded", stripe_account.succeed(pi_id))
    resp = post_webhook(client, payload, stripe_signature(payload))
    assert resp.status_code == 200 and resp.json == {"received": True, "result": "applied"}
    assert harness.payment(order).status == "succeeded"
    (ok,) = harness.emitted("payment.succeeded", order)
    assert ok["amount"] == 160_000 and ok["shopper_id"] == shopper and ok["provider"] == "stripe"
    assert harness.order_ledger(order) == {domain.PLATFORM_FUNDS: 160_000, domain.SHOPPER_CLEARING: -160_000}


@pytest.mark.parametrize("how", ["forged", "tampered", "stale", "missing", "garbage"])
def test_bad_signatures_are_refused_with_400_and_change_nothing(harness, stripe_account, client, payments_db, how):
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    payload = stripe_event("payment_intent.succeeded", stripe_account.succeed(pi_id))
    signature = {
        "forged": stripe_signature(payload, secret="whsec_someone_else"),
        "tampered": stripe_signature(payload),
        "stale": stripe_signature(payload, timestamp=int(time.time()) - 3600),
        "missing": None,
        "garbage": "not-a-signature",
    }[how]
    if how == "tampered":  # signed, then the amount changed in transit
        payload = payload.replace('"amount": 16000000', '"amount": 1')
        assert '"amount": 1,' in payload
    before = state(harness, payments_db, order)
    resp = post_webhook(client, payload, signature)
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "bad_signature"
    assert state(harness, payments_db, order) == before
    assert before[0] == "pending"


def test_the_same_event_twice_is_applied_once(harness, stripe_account, client):
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    payload = stripe_event("payment_intent.succeeded", stripe_account.succeed(pi_id))
    assert post_webhook(client, payload, stripe_signature(payload)).json["result"] == "applied"
    again = post_webhook(client, payload, stripe_signature(payload))
    assert again.status_code == 200 and again.json["result"] == "duplicate"
    assert len(harness.emitted("payment.succeeded", order)) == 1
    assert harness.order_ledger(order)[domain.PLATFORM_FUNDS] == 160_000


def test_out_of_order_events_are_harmless(harness, stripe_account, client):
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    intent = stripe_account.intents[pi_id]
    declined = dict(intent, status="requires_payment_method", last_payment_error={"code": "card_declined"})
    succeeded_payload = stripe_event("payment_intent.succeeded", stripe_account.succeed(pi_id))
    failed_payload = stripe_event("payment_intent.payment_failed", declined)
    assert post_webhook(client, succeeded_payload, stripe_signature(succeeded_payload)).json["result"] == "applied"
    # an older decline arriving after the success changes nothing
    assert post_webhook(client, failed_payload, stripe_signature(failed_payload)).json["result"] == "unchanged"
    assert harness.payment(order).status == "succeeded"
    assert harness.emitted("payment.failed", order) == []


def test_a_refund_that_overtakes_the_success_leaves_everything_netted_out(harness, stripe_account, client):
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    refund_payload = stripe_event("charge.refunded", charge_refunded_json(pi_id, order, 160_000))
    success_payload = stripe_event("payment_intent.succeeded", stripe_account.succeed(pi_id))
    assert post_webhook(client, refund_payload, stripe_signature(refund_payload)).json["result"] == "applied"
    assert post_webhook(client, success_payload, stripe_signature(success_payload)).json["result"] == "unchanged"
    assert harness.payment(order).status == "refunded"
    assert harness.order_ledger(order) == {}
    assert len(harness.emitted("payment.refunded", order)) == 1


def declined_webhook(stripe_account, pi_id: str, code: str = "card_declined") -> str:
    """payment_intent.payment_failed as Stripe sends it: the intent back at requires_payment_method."""
    intent = dict(stripe_account.intents[pi_id], status="requires_payment_method",
                  last_payment_error={"code": code, "message": "Your card was declined."})
    return stripe_event("payment_intent.payment_failed", intent)


def test_a_decline_webhook_is_one_attempt_and_the_intent_stays_payable(harness, stripe_account, client):
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    payload = declined_webhook(stripe_account, pi_id, "insufficient_funds")
    resp = post_webhook(client, payload, stripe_signature(payload))
    assert resp.status_code == 200 and resp.json["result"] == "applied"
    assert post_webhook(client, payload, stripe_signature(payload)).json["result"] == "duplicate"  # counted once
    payment = harness.payment(order)
    assert (payment.status, payment.attempts, payment.last_decline) == ("pending", 1, "insufficient_funds")
    assert harness.emitted(order_id=order) == []  # orders keeps waiting
    assert not any(r.path.endswith("/cancel") for r in stripe_account.recorder.requests)  # the intent is not voided
    view = client.get(f"/api/v1/payments/orders/{order}", headers=auth(shopper)).json
    assert view["client_secret"] == f"{pi_id}_secret_abc123"  # Stripe.js can confirm it with another card
    assert (view["status"], view["attempts"], view["attempts_left"], view["last_decline"]) == (
        "pending", 1, 2, "insufficient_funds")
    # the shopper's next card goes through
    payload = stripe_event("payment_intent.succeeded", stripe_account.succeed(pi_id))
    assert post_webhook(client, payload, stripe_signature(payload)).json["result"] == "applied"
    assert harness.payment(order).status == "succeeded"
    assert [e["type"] for e in harness.emitted(order_id=order)] == ["payment.succeeded"]
    assert harness.order_ledger(order) == {domain.PLATFORM_FUNDS: 160_000, domain.SHOPPER_CLEARING: -160_000}


def test_declines_until_the_attempts_are_used_up_fail_the_payment_and_tell_orders_once(harness, stripe_account,
                                                                                      client):
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    for _ in range(3):
        payload = declined_webhook(stripe_account, pi_id)
        assert post_webhook(client, payload, stripe_signature(payload)).json["result"] == "applied"
    assert harness.payment(order).status == "failed"
    (failed,) = harness.emitted("payment.failed", order)
    assert failed["reason"] == "too_many_declines" and failed["provider"] == "stripe"
    late = declined_webhook(stripe_account, pi_id)
    assert post_webhook(client, late, stripe_signature(late)).json["result"] == "unchanged"
    # orders cancels the order; payments voids the intent, which still took cards at Stripe
    harness.deliver("order.cancelled", cancelled(order, shopper, "payment_failed", paid=False))
    cancel = stripe_account.recorder.requests[-1]
    assert (cancel.method, cancel.path) == ("POST", f"/v1/payment_intents/{pi_id}/cancel")
    assert cancel.idempotency_key == f"pasar-order-{order}-cancel"
    harness.deliver("order.cancelled", cancelled(order, shopper, "payment_failed", paid=False))
    assert sum(r.path.endswith("/cancel") for r in stripe_account.recorder.requests) == 1
    # Stripe then reports the void: nothing more to tell orders
    voided = stripe_event("payment_intent.canceled", stripe_account.intents[pi_id])
    assert post_webhook(client, voided, stripe_signature(voided)).json["result"] == "applied"
    assert len(harness.emitted("payment.failed", order)) == 1
    assert harness.payment(order).status == "cancelled" and harness.order_ledger(order) == {}


def test_a_cancellation_at_stripe_is_final_at_once(harness, stripe_account, client):
    order, shopper, pi_id = open_card_order(harness, stripe_account)
    payload = declined_webhook(stripe_account, pi_id)
    post_webhook(client, payload, stripe_signature(payload))
    stripe_account.intents[pi_id].update(status="canceled", cancellation_reason="abandoned")  # at the dashboard
    voided = stripe_event("payment_intent.canceled", stripe_account.intents[pi_id])
    assert post_webhook(client, voided, stripe_signature(voided)).json["result"] == "applied"
    assert harness.payment(order).status == "cancelled"
    (failed,) = harness.emitted("payment.failed", order)
    assert failed["reason"] == "abandoned"  # Stripe's cancellation_reason


def test_events_for_payments_we_do_not_know_are_acknowledged_and_ignored(harness, stripe_account, client):
    payload = stripe_event("payment_intent.succeeded", {"id": "pi_unknown", "object": "payment_intent",
                                                        "status": "succeeded", "amount": 100, "metadata": {}})
    resp = post_webhook(client, payload, stripe_signature(payload))
    assert resp.status_code == 200 and resp.json["result"] == "unknown"
    other = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    assert post_webhook(client, other, stripe_signature(other)).json["result"] == "ignored"


def test_webhook_without_a_configured_secret_is_unavailable(client, monkeypatch):
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    payload = json.dumps({"id": "evt_1"})
    assert post_webhook(client, payload, stripe_signature(payload)).status_code == 503
