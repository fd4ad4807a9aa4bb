"""The operator's desk (issue 16): what /operator/antrian shows of a parked message (pasar.messaging.parking)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pika

from pasar.messaging import parking


def test_a_message_parked_by_the_worker_shows_its_reason_and_when():
    props = pika.BasicProperties(message_id="e-1", type="delivery.delivered", headers={
        "x-pasar-park-reason": "failed 4 times; last error: road flooded", "x-pasar-attempts": 4,
        "x-pasar-routing-key": "delivery.delivered", "x-pasar-parked-at": "2026-12-04T10:00:00+00:00"})
    seen = parking.describe(props, b"{}")
    assert seen.as_dict() == {"event_id": "e-1", "type": "delivery.delivered",
                              "reason": "failed 4 times; last error: road flooded",
                              "parked_at": "2026-12-04T10:00:00+00:00", "attempts": 4,
                              "routing_key": "delivery.delivered"}


def test_a_message_parked_by_the_broker_shows_the_broker_s_reason_and_the_envelope_s_id():
    """A message that kept killing its consumer is dead-lettered by the broker itself: no x-pasar headers."""
    when = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)
    props = pika.BasicProperties(headers={"x-death": [{"reason": "delivery_limit", "count": 20, "time": when}]})
    body = json.dumps({"id": "e-2", "type": "order.confirmed", "data": {}}).encode()
    seen = parking.describe(props, body)
    assert (seen.event_id, seen.type, seen.attempts) == ("e-2", "order.confirmed", None)
    assert seen.reason == "broker: delivery_limit after 20 deliveries"
    assert seen.parked_at.startswith("2026-12-04T10:00")
    # a body that is not even JSON is still listed (it can be seen and replayed)
    assert parking.describe(pika.BasicProperties(), b"{not json").reason == "broker: unknown"
