"""Local rails' pure rules and the providers' verification, without a network: channels, the Midtrans status
cycle, split routes, Xendit's callback token and Midtrans' signature_key over the raw strings."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from gateway.web import rails
from services.payments import domain
from services.payments.providers.midtrans import MidtransProvider, signature_of, to_rupiah
from services.payments.providers.xendit import XenditProvider, next_action_of, report_of_callback


def test_channels_are_known_and_the_first_enabled_provider_takes_one():
    assert domain.channel_kind("qris") == domain.NEXT_QR and domain.channel_network("va_bca") == "BCA"
    with pytest.raises(domain.UnknownChannel):
        domain.parse_channel_list("qris, va_bogus", ())
    assert domain.parse_channel_list(" QRIS ,va_bni", ()) == ("qris", "va_bni")
    enabled = [("xendit", ("qris", "va_bca")), ("midtrans", ("qris", "gopay"))]
    assert domain.provider_for_channel("qris", enabled) == "xendit"
    assert domain.provider_for_channel("gopay", enabled) == "midtrans"
    assert domain.provider_for_channel("ewallet_ovo", enabled) is None


@pytest.mark.parametrize("status, fraud, expected", [
    ("pending", None, None), ("settlement", None, (domain.OUTCOME_SUCCEEDED, None)),
    ("capture", "accept", (domain.OUTCOME_SUCCEEDED, None)), ("capture", "challenge", None),
    ("expire", None, (domain.OUTCOME_CANCELLED, "expired")), ("cancel", None, (domain.OUTCOME_CANCELLED, "cancel")),
    ("deny", None, (domain.OUTCOME_CANCELLED, "denied")), ("refund", None, (domain.OUTCOME_REFUNDED, "refund")),
    ("chargeback", None, (domain.OUTCOME_REFUNDED, "chargeback")), ("partial_refund", None, None)])
def test_the_midtrans_status_cycle(status, fraud, expected):
    assert domain.midtrans_outcome(status, fraud) == expected


def test_split_routes_give_each_seller_with_a_sub_account_goods_less_commission():
    shares = [("seller-a", 25_000, 10_000), ("seller-a", 10_001, 0), ("seller-b", 40_000, 10_000),
              ("seller-c", 30_000, 5_000)]
    routes = domain.split_routes("order-1", shares, Decimal("0.05"), {"seller-a": "acc_a", "seller-b": "acc_b"})
    # commission is rounded down per fulfillment: 1.250 and 500 (of 10.001); delivery fees stay with the platform
    assert [(r.seller_id, r.destination_account_id, r.amount) for r in routes] == [
        ("seller-a", "acc_a", 23_750 + 9_501), ("seller-b", "acc_b", 38_000)]
    moved = domain.split_routed("pay-1", "order-1", "seller-a", 33_251)
    assert sum(amount for _, amount in moved.entries) == 0
    assert dict(moved.entries)[domain.PLATFORM_FUNDS] == -33_251


def test_xendit_callbacks_need_the_token_compared_whole():
    provider = XenditProvider("xnd_key", "http://127.0.0.1:9", callback_token="the-token")
    body = json.dumps({"event": "payment.succeeded", "data": {"id": "py-1", "payment_request_id": "pr-1",
                                                              "reference_id": "order-1", "amount": 65000,
                                                              "status": "SUCCEEDED"}}).encode()
    for wrong in ({}, {"x-callback-token": ""}, {"x-callback-token": "the-toke"}, {"x-callback-token": "the-token "}):
        with pytest.raises(domain.WebhookRejected) as refused:
            provider.parse_webhook(body, wrong)
        assert refused.value.code == "bad_signature"
    (report,) = provider.parse_webhook(body, {"x-callback-token": "the-token", "webhook-id": "whk-1"})
    assert (report.event_id, report.outcome, report.provider_ref, report.amount, report.order_id) == (
        "xendit:whk-1", domain.OUTCOME_SUCCEEDED, "pr-1", 65000, "order-1")
    with pytest.raises(domain.WebhookRejected) as unset:
        XenditProvider("xnd_key", None, callback_token=None).parse_webhook(body, {"x-callback-token": "x"})
    assert unset.value.code == "webhooks_not_configured"
    with pytest.raises(domain.WebhookRejected):
        provider.parse_webhook(b"not json", {"x-callback-token": "the-token"})


def test_xendit_expiry_and_failure_callbacks_void_the_payment():
    expired = report_of_callback("payment_request.expiry", {"id": "pr-2", "reference_id": "o"}, "e1")
    failed = report_of_callback("payment.failed", {"payment_request_id": "pr-3", "failure_code": "INSUFFICIENT_BALANCE"},
                                "e2")
    assert (expired.outcome, expired.reason) == (domain.OUTCOME_CANCELLED, "expired")
    assert (failed.outcome, failed.provider_ref, failed.reason) == (domain.OUTCOME_CANCELLED, "pr-3",
                                                                    "INSUFFICIENT_BALANCE")
    assert report_of_callback("payment.pending", {"id": "x"}, "e3") is None


def test_xendit_next_actions_from_the_documented_shapes():
    qr = next_action_of({"payment_method": {"type": "QR_CODE", "qr_code": {"channel_properties": {
        "qr_string": "00020101", "expires_at": "2026-12-01T10:00:00Z"}}}})
    va = next_action_of({"payment_method": {"type": "VIRTUAL_ACCOUNT", "virtual_account": {
        "channel_code": "BRI", "channel_properties": {"virtual_account_number": "880812345"}}}})
    wallet = next_action_of({"payment_method": {"type": "EWALLET"}, "actions": [
        {"url_type": "DEEPLINK", "url": "dana://pay"}, {"url_type": "WEB", "url": "https://pay.example/x"}]})
    assert (qr.kind, qr.qr_string, qr.expires_at) == ("qr", "00020101", "2026-12-01T10:00:00Z")
    assert (va.kind, va.va_number, va.va_bank) == ("va", "880812345", "BRI")
    assert (wallet.kind, wallet.deeplink, wallet.redirect_url) == ("deeplink", "dana://pay", "https://pay.example/x")


def test_midtrans_signature_is_over_the_raw_strings_as_received():
    sig = signature_of("order-1", "200", "650000.00", "SB-Mid-server-x")
    assert sig != signature_of("order-1", "200", "650000", "SB-Mid-server-x")  # never re-format the amount
    assert len(sig) == 128 and to_rupiah("650000.00") == 650000
    provider = MidtransProvider("SB-Mid-server-x", "http://127.0.0.1:9", "http://127.0.0.1:9/snap/v1")
    note = {"order_id": "order-1", "status_code": "200", "gross_amount": "650000.00", "transaction_status": "settlement"}
    for forged in ({**note, "signature_key": signature_of("order-1", "200", "650000.00", "other-key")},
                   {**note, "gross_amount": "1.00", "signature_key": sig}, note):
        with pytest.raises(domain.WebhookRejected):  # refused before any status query (the address is closed)
            provider.parse_webhook(json.dumps(forged).encode(), {})


def test_the_pay_page_helpers():
    from datetime import datetime, timezone
    now = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    assert rails.time_left("2026-12-01T10:29:05Z", now) == {"minutes": 29, "seconds": 5, "until": "17:29",
                                                            "over": False}
    assert rails.time_left("2026-12-01T09:00:00+00:00", now)["over"] is True and rails.time_left(None) is None
    assert "BRIVA" in " ".join(rails.va_steps("bri")) and rails.va_steps("XYZ") == rails.VA_STEPS_ANY_BANK
    assert rails.qr_png_data_uri("00020101021226").startswith("data:image/png;base64,")
