"""The operator's desk (issue 16): parked events seen and replayed through pasar.messaging.parking, the functions
/operator/antrian and /api/v1/auth/queues call (gateway/queues.py), against a real RabbitMQ node and PostgreSQL.
A message parked after its handler failed is listed with its reason; replayed (once the fault is fixed) it is
applied once; a second copy replayed later is a no-op thanks to the inbox; an unknown event id moves nothing."""
from __future__ import annotations

import json
import threading
import uuid

import pika
import pytest

from pasar.db import UnitOfWork
from pasar.events import make_envelope
from pasar.messaging import Publisher, QueueNames, Worker, parking
from tests.support import probe_service as probe
from tests.support.infra import BrokerNamespace, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def ns():
    namespace = BrokerNamespace.new()
    yield namespace
    namespace.cleanup(services=("probe",))


@pytest.fixture
def db(pg_url):
    database = probe.make_db(pg_url)
    yield database
    database.dispose()


def emit(db, ns, title: str) -> str:
    with UnitOfWork(db, publisher=Publisher(ns.settings()), source="probe") as uow:
        event_id = uow.emit("listing.updated", probe.listing_event(title))
        uow.commit()
    return event_id


def parked_now(ns, names) -> dict:
    (queue,) = parking.parked_overview(ns.amqp_url, [names], latest=5)
    return queue


def test_a_parked_event_is_listed_then_replayed_and_applied_once(db, ns):
    names = QueueNames.for_service("probe", ns.settings())
    road = {"flooded": True}

    def flaky(event, uow):
        if road["flooded"]:
            raise RuntimeError("the village road is flooded")
        probe.apply_listing_update(event, uow)

    worker = Worker("probe", db, {"listing.updated": [flaky]}, ns.settings())
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_until(worker.ready.is_set, timeout=15, message="worker consuming")
        event_id = emit(db, ns, "panen jagung")
        queue = wait_until(lambda: (q := parked_now(ns, names))["count"] == 1 and q, timeout=20,
                           message="message parked")
        (seen,) = queue["latest"]
        assert (seen["event_id"], seen["type"]) == (event_id, "listing.updated")
        assert "the village road is flooded" in seen["reason"] and seen["parked_at"]
        assert parked_now(ns, names)["count"] == 1  # looking took nothing away

        road["flooded"] = False
        assert parking.replay(ns.amqp_url, names, "no-such-event") == []
        assert parked_now(ns, names)["count"] == 1

        (moved,) = parking.replay(ns.amqp_url, names, event_id)
        assert moved.event_id == event_id
        wait_until(lambda: probe.applied_count(db, event_id=event_id) == 1, timeout=20, message="replayed event")
        assert parked_now(ns, names)["count"] == 0

        # a second copy of the same event parked (say, a replay that crashed between publish and ack) and a new
        # event after it: "replay all" moves both, the copy is dropped by the inbox, the new one is applied
        conn = pika.BlockingConnection(pika.URLParameters(ns.amqp_url))
        channel = conn.channel()
        channel.confirm_delivery()
        after_id = str(uuid.uuid4())
        for title, eid in (("panen jagung", event_id), ("panen padi", after_id)):
            envelope = {**make_envelope("listing.updated", probe.listing_event(title), source="probe",
                                        correlation_id=None), "id": eid}
            channel.basic_publish("", names.parked, json.dumps(envelope).encode(), pika.BasicProperties(
                delivery_mode=2, message_id=eid, type="listing.updated",
                headers={"x-pasar-park-reason": "copy", "x-pasar-parked-at": "2026-12-04T10:00:00+00:00"}))
        conn.close()
        for _ in range(3):  # looking keeps every message and their order (newest first on the page)
            assert [m["event_id"] for m in parked_now(ns, names)["latest"]] == [after_id, event_id]
        assert len(parking.replay(ns.amqp_url, names, None)) == 2
        wait_until(lambda: probe.applied_count(db, title="panen padi") == 1, timeout=20, message="new event applied")
        assert probe.applied_count(db, event_id=event_id) == 1
        assert parked_now(ns, names)["count"] == 0
    finally:
        worker.stop()
        thread.join(timeout=15)
