"""The stripe provider against localstripe, a stateful Stripe emulator (PyPI; Stripe's own stripe-mock is
not installable here). The test plays Stripe.js's part (attach a card, confirm) with the stripe library;
the product code only creates, looks up, cancels and refunds, exactly as it would against Stripe."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import stripe

from services.payments import domain
from services.payments.commands import reconcile
from tests.integration.test_payments_kit import (cancelled, harness, new, payment_requested,  # noqa: F401
                                                 payments_db)
from tests.support.infra import free_port, wait_until

LOCALSTRIPE = Path(sys.executable).parent / "localstripe"


@contextmanager
def running_localstripe(log_dir: Path):
    """localstripe on a free port, for as long as the block runs; yields its base URL."""
    port = free_port()
    log = open(log_dir / "localstripe.log", "wb")
    proc = subprocess.Popen([str(LOCALSTRIPE), "--port", str(port), "--from-scratch"], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(url + "/v1/customers", auth=("sk_test_local", ""), timeout=1).ok,
                   timeout=20, message="localstripe listening")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def localstripe_url(tmp_path_factory):
    with running_localstripe(tmp_path_factory.mktemp("localstripe")) as url:
        yield url


@pytest.fixture
def on_localstripe(localstripe_url, monkeypatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_local")
    monkeypatch.setenv("STRIPE_API_BASE", localstripe_url)
    return stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe_url})


def shopper_pays_with_a_card(stripe_client: stripe.StripeClient, intent_id: str) -> None:
    """What Stripe.js does in the shopper's browser with the client secret."""
    card = stripe_client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    stripe_client.v1.payment_intents.update(intent_id, params={"payment_method": card["id"]})
    assert stripe_client.v1.payment_intents.confirm(intent_id)["status"] == "succeeded"


def test_payment_intent_created_paid_reconciled_and_refunded_on_localstripe(harness, on_localstripe, payments_db):
    order, shopper = new("order"), new("shopper")
    harness.deliver("payment.requested", payment_requested(order, shopper, "card", [("f1", "seller-a", 75_000, 5_000)]))
    payment = harness.payment(order)
    intent = on_localstripe.v1.payment_intents.retrieve(payment.provider_ref)
    assert intent["amount"] == 8_000_000 and intent["currency"] == "idr"
    assert intent["metadata"]["order_id"] == order
    assert payment.client_secret and payment.client_secret.startswith(payment.provider_ref)

    shopper_pays_with_a_card(on_localstripe, payment.provider_ref)
    assert reconcile(["--older-than", "0"], db=payments_db, publisher=None) == 0  # no webhooks from localstripe
    assert harness.payment(order).status == "succeeded"
    assert harness.order_ledger(order) == {domain.PLATFORM_FUNDS: 80_000, domain.SHOPPER_CLEARING: -80_000}

    harness.deliver("order.cancelled", cancelled(order, shopper, "shopper_cancelled", paid=True))
    refunded = harness.payment(order)
    assert refunded.status == "refunded" and refunded.refund_ref.startswith("re_")
    refund = on_localstripe.v1.refunds.retrieve(refunded.refund_ref)
    assert refund["amount"] == 8_000_000 and refund["payment_intent"] == payment.provider_ref
    assert harness.order_ledger(order) == {}


def test_unpaid_order_cancellation_cancels_the_intent_on_localstripe(harness, on_localstripe):
    order, shopper = new("order"), new("shopper")
    harness.deliver("payment.requested", payment_requested(order, shopper, "card", [("f1", "seller-a", 10_000, 0)]))
    ref = harness.payment(order).provider_ref
    harness.deliver("order.cancelled", cancelled(order, shopper, "payment_timeout", paid=False))
    assert on_localstripe.v1.payment_intents.retrieve(ref)["status"] == "canceled"
    assert harness.payment(order).status == "cancelled"


def test_cancelling_an_order_paid_at_stripe_meanwhile_refunds_it_on_localstripe(harness, on_localstripe):
    order, shopper = new("order"), new("shopper")
    harness.deliver("payment.requested", payment_requested(order, shopper, "card", [("f1", "seller-a", 30_000, 0)]))
    ref = harness.payment(order).provider_ref
    shopper_pays_with_a_card(on_localstripe, ref)  # paid, but the timeout fires before we hear of it
    harness.deliver("order.cancelled", cancelled(order, shopper, "payment_timeout", paid=False))
    assert harness.payment(order).status == "refunded"
    assert [e["type"] for e in harness.emitted(order_id=order)] == ["payment.succeeded", "payment.refunded"]
    assert harness.order_ledger(order) == {}
