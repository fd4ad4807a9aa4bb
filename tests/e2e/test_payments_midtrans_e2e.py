"""Midtrans as the only local rail (PAYMENT_PROVIDERS=midtrans): QRIS and bank-transfer virtual accounts through
the Core API, against the fake Midtrans (tests/support/fake_midtrans.py), every process behind the gateway.
GoPay, Snap, forged notifications and "Saya sudah bayar": test_payments_rails_e2e.py."""
from __future__ import annotations

import pytest

from tests.support.fake_midtrans import FakeMidtrans
from tests.support.fake_xendit import FakeXendit
from tests.support.infra import wait_until
from tests.support.stack import Stack

from .test_orders_e2e import _ok, stock_of, wait_status
from .test_payments_rails_e2e import checkout, ledger, opened, payment_of, rails_env, refunded, refuse


@pytest.fixture(scope="module")
def midtrans_only():
    stack = Stack()
    xendit = FakeXendit(secret_key="unused", callback_token="unused", webhook_url=None)
    midtrans = FakeMidtrans(server_key="SB-Mid-server-fake-key",
                            webhook_url=f"{stack.url}/api/v1/webhooks/midtrans").start()
    stack.extra_env = rails_env(xendit, midtrans, providers="midtrans")
    try:
        stack.start()
    except BaseException:  # a start that times out leaves no process behind
        stack.stop()
        raise
    yield stack, midtrans
    stack.stop()
    midtrans.stop()


def test_midtrans_qris_paid_and_the_duplicate_notification_applied_once(midtrans_only):
    stack, midtrans = midtrans_only
    shopper, order, _ = checkout(stack, "qris")
    payment = opened(shopper, order["id"])
    assert payment["provider"] == "midtrans" and payment["next_action"]["kind"] == "qr"
    assert payment["next_action"]["qr_string"].startswith("000201")
    assert midtrans.settle(order["id"]) == 200
    assert wait_status(shopper, order["id"], "CONFIRMED")["paid"] is True
    before = ledger(stack)
    assert midtrans.notify(order["id"]) == 200 and midtrans.replay(midtrans.notifications[-1]) == 200
    assert ledger(stack) == before and before["total"] == 0
    assert before["accounts"]["platform:funds"] >= payment["amount"]


def test_midtrans_va_paid(midtrans_only):
    stack, midtrans = midtrans_only
    shopper, order, _ = checkout(stack, "va_bri")
    action = opened(shopper, order["id"])["next_action"]
    assert action["kind"] == "va" and action["va_bank"] == "BRI" and action["va_number"].isdigit()
    assert action["expires_at"]
    assert midtrans.settle(order["id"]) == 200
    assert wait_status(shopper, order["id"], "CONFIRMED")["paid"] is True


def test_midtrans_va_expired_cancels_the_order_and_releases_the_stock(midtrans_only):
    stack, midtrans = midtrans_only
    shopper, order, listings = checkout(stack, "va_permata", qty=3, stock=5)
    assert opened(shopper, order["id"])["next_action"]["va_bank"] == "PERMATA"
    assert midtrans.expire(order["id"]) == 200
    wait_status(shopper, order["id"], "CANCELLED")
    assert payment_of(shopper, order["id"])["failure_reason"] == "expired"
    wait_until(lambda: stock_of(stack, listings[0][1]) == 5, timeout=20, message="stock released")


def test_midtrans_forged_notification_for_a_va_changes_nothing(midtrans_only):
    stack, midtrans = midtrans_only
    shopper, order, _ = checkout(stack, "va_bca")
    opened(shopper, order["id"])
    before = ledger(stack)
    midtrans.transactions[order["id"]]["transaction_status"] = "settlement"
    assert midtrans.notify(order["id"], tamper={"signature_key": "0" * 128}) == 400
    assert payment_of(shopper, order["id"])["status"] == "pending" and ledger(stack) == before


def test_midtrans_late_va_money_after_cancellation_is_flagged(midtrans_only):
    stack, midtrans = midtrans_only
    shopper, order, _ = checkout(stack, "va_bca")
    opened(shopper, order["id"])
    _ok(shopper.post(f"/api/v1/orders/{order['id']}/cancel"))
    wait_until(lambda: payment_of(shopper, order["id"])["status"] == "cancelled", timeout=20, message="voided")
    assert midtrans.settle(order["id"]) == 200
    flagged = wait_until(lambda: (lambda p: p if p["attention"] else None)(payment_of(shopper, order["id"])),
                         timeout=20, message="flagged for a manual refund")
    assert flagged["attention"] == "manual_refund_required" and ledger(stack)["total"] == 0


def test_midtrans_qris_a_refused_parcel_is_refunded_partially_with_a_refund_key(midtrans_only):
    stack, midtrans = midtrans_only
    shopper, order, _ = checkout(stack, "qris", sellers=2)
    opened(shopper, order["id"])
    assert midtrans.settle(order["id"]) == 200
    confirmed = wait_status(shopper, order["id"], "CONFIRMED")
    parcel = confirmed["fulfillments"][0]
    refuse(stack, parcel["seller_id"], parcel["id"])
    part = parcel["goods_amount"] + parcel["delivery_fee"]
    payment = refunded(shopper, order["id"], "refunded", part)
    assert payment["status"] == "succeeded"
    tx = midtrans.transactions[order["id"]]
    assert tx["transaction_status"] == "partial_refund" and tx["refund_amount"] == f"{part}.00"
    call = next(r for r in midtrans.received if r["path"] == f"/v2/{order['id']}/refund")
    assert call["body"]["refund_key"] == f"{parcel['id']}-refund" and call["body"]["amount"] == part
    assert ledger(stack)["total"] == 0
