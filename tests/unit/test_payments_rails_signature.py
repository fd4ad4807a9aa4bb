"""Xendit's signed callbacks: X-Callback-Signature (hex HMAC-SHA256 over "<webhook-id>.<timestamp>.<raw body>")
and webhook-timestamp, checked after the token, before anything in the body is read."""
from __future__ import annotations

import json
import time

import pytest

from services.payments import domain
from services.payments.providers.xendit import XenditProvider, callback_signature, verify_signature

SECRET = "whsec-unit-0123456789"
BODY = json.dumps({"event": "payment.succeeded", "data": {"id": "py-1", "payment_request_id": "pr-1",
                                                         "reference_id": "order-1", "amount": 50000}}).encode()


def signed(body: bytes = BODY, *, stamp: int | None = None, secret: str = SECRET, webhook_id: str = "whk-1") -> dict:
    stamp = int(time.time()) if stamp is None else stamp
    return {"x-callback-token": "the-token", "webhook-id": webhook_id, "webhook-timestamp": str(stamp),
            "x-callback-signature": callback_signature(secret, webhook_id, str(stamp), body)}


def provider() -> XenditProvider:
    return XenditProvider("xnd_key", "http://127.0.0.1:9", callback_token="the-token", webhook_secret=SECRET)


def test_a_correctly_signed_fresh_callback_is_read():
    reports = provider().parse_webhook(BODY, signed())
    assert [(r.outcome, r.provider_ref, r.event_id) for r in reports] == [
        (domain.OUTCOME_SUCCEEDED, "pr-1", "xendit:whk-1")]


@pytest.mark.parametrize("headers", [
    {**signed(), "x-callback-signature": ""},                                  # missing
    {k: v for k, v in signed().items() if k != "webhook-timestamp"},         # no timestamp
    signed(secret="someone-elses-secret"),                                     # wrong key
    {**signed(), "webhook-id": "whk-2"},                                       # another delivery's id
    {**signed(), "webhook-timestamp": str(int(time.time()) + 1)},             # the timestamp changed
    {**signed(), "webhook-timestamp": "1e9"},                                  # not a Unix time
])
def test_a_missing_or_wrong_signature_is_refused(headers):
    with pytest.raises(domain.WebhookRejected) as refused:
        provider().parse_webhook(BODY, headers)
    assert refused.value.code == "bad_signature"


def test_a_tampered_body_is_refused():
    with pytest.raises(domain.WebhookRejected):
        provider().parse_webhook(BODY.replace(b"50000", b"5"), signed())


def test_a_stale_or_future_timestamp_is_refused_even_when_correctly_signed():
    now = 2_000_000_000
    verify_signature(BODY, signed(stamp=now - 300), SECRET, 300, now=now)          # at the edge: accepted
    for stamp in (now - 301, now + 301):
        with pytest.raises(domain.WebhookRejected) as refused:
            verify_signature(BODY, signed(stamp=stamp), SECRET, 300, now=now)
        assert refused.value.code == "stale_callback"


def test_the_token_is_still_required_when_signed():
    with pytest.raises(domain.WebhookRejected):
        provider().parse_webhook(BODY, {**signed(), "x-callback-token": "not-the-token"})


def test_without_a_webhook_secret_the_token_alone_is_checked_as_before():
    plain = XenditProvider("xnd_key", "http://127.0.0.1:9", callback_token="the-token")
    assert plain.parse_webhook(BODY, {"x-callback-token": "the-token", "webhook-id": "whk-1"})
