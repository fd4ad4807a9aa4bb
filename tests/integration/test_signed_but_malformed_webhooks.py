"""Issue 20: a validly signed webhook whose body is not a Stripe event (the probe sent `[]`) is a 400, not a 500.
Stripe signs only what it sends, so such a body means a leaked secret or a bug; either way it changes nothing."""
from __future__ import annotations

import pytest

from tests.integration.test_payments_kit import WEBHOOK_SECRET, client, payments_db, stripe_signature  # noqa: F401


@pytest.mark.parametrize("payload", ["[]", "{}", '"text"', "7", '{"data": []}', '{"id": "evt_1", "type": 5}',
                                     '{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {}}}',
                                     '{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": []}}'])
def test_a_signed_body_that_is_not_a_stripe_event_is_a_400(client, monkeypatch, payload):  # noqa: F811
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    resp = client.post("/api/v1/webhooks/stripe", data=payload, headers={
        "Content-Type": "application/json", "Stripe-Signature": stripe_signature(payload)})
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.get_json()["error"]["code"] == "bad_payload"
