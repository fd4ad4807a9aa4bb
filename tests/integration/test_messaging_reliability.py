"""The messaging layer's promises, proven against a real RabbitMQ node and a real PostgreSQL database:
nothing lost while the broker is away, nothing applied twice, failures retried with growing delay and
then parked with their reason, broken contracts parked without hurting the worker, and a worker killed
mid-handler leaves the message to be redelivered and applied once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pika
import pytest
from sqlalchemy import select

from pasar.db import UnitOfWork
from pasar.events import make_envelope
from pasar.messaging import Publisher, Worker
from tests.support import probe_service as probe
from tests.support.infra import BrokerNamespace, wait_until
from tests.support.private_broker import PrivateBroker

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def rabbit():
    node = PrivateBroker().start()
    yield node
    node.shutdown()


@pytest.fixture
def ns(rabbit):
    namespace = BrokerNamespace.new(amqp_url=rabbit.url)
    yield namespace
    namespace.cleanup(services=("probe",))


@pytest.fixture
def db(pg_url):
    database = probe.make_db(pg_url)
    yield database
    database.dispose()


@contextmanager
def running_worker(db, ns):
    worker = Worker("probe", db, probe.HANDLERS, ns.settings())
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    wait_until(worker.ready.is_set, timeout=15, message="worker consuming")
    try:
        yield worker, thread
    finally:
        worker.stop()
        thread.join(timeout=15)


def emit(db, ns, title: str, publisher=None) -> str:
    with UnitOfWork(db, publisher=publisher or Publisher(ns.settings()), source="probe") as uow:
        event_id = uow.emit("listing.updated", probe.listing_event(title))
        uow.commit()
    return event_id


def publish_raw(ns, body: bytes, routing_key: str = "listing.updated") -> None:
    conn = pika.BlockingConnection(pika.URLParameters(ns.amqp_url))
    channel = conn.channel()
    channel.confirm_delivery()
    channel.basic_publish(ns.exchange, routing_key, body, pika.BasicProperties(delivery_mode=2))
    conn.close()


def unsent_outbox(db) -> int:
    with db.engine.connect() as conn:
        return len(conn.execute(select(db.outbox.c.id).where(db.outbox.c.sent_at.is_(None))).all())


def test_event_published_while_broker_is_down_is_delivered_when_it_returns(db, ns, rabbit):
    with running_worker(db, ns):
        emit(db, ns, "before the outage")
        wait_until(lambda: probe.applied_count(db, title="before the outage") == 1, timeout=15, message="first event")

        rabbit.stop_app()
        emit(db, ns, "during the outage")       # commit succeeds; the publish cannot
        assert unsent_outbox(db) == 1            # kept safe in the outbox, not lost
        rabbit.start_app()                       # the worker reconnects with backoff and its relay sends it

        wait_until(lambda: probe.applied_count(db, title="during the outage") == 1, timeout=40,
                   message="event from the outage delivered")
        wait_until(lambda: unsent_outbox(db) == 0, timeout=10, message="outbox row marked sent")


def test_persistent_message_survives_a_broker_restart_while_no_worker_runs(db, ns, rabbit):
    with running_worker(db, ns):
        pass  # declares the queue, then stops consuming
    emit(db, ns, "waiting in the queue")          # published at once, confirmed, persistent
    assert unsent_outbox(db) == 0
    rabbit.stop_app()
    rabbit.start_app()
    with running_worker(db, ns):
        wait_until(lambda: probe.applied_count(db, title="waiting in the queue") == 1, timeout=20,
                   message="message kept by the broker across the restart")


def test_the_same_message_delivered_twice_is_applied_once(db, ns):
    envelope = make_envelope("listing.updated", probe.listing_event("twice"), source="probe", correlation_id=None)
    with running_worker(db, ns):
        publish_raw(ns, json.dumps(envelope).encode())
        publish_raw(ns, json.dumps(envelope).encode())
        emit(db, ns, "after the duplicates")  # consumed after both copies (one consumer, in order)
        wait_until(lambda: probe.applied_count(db, title="after the duplicates") == 1, timeout=15, message="marker")
    assert probe.applied_count(db, event_id=envelope["id"]) == 1


def test_failing_handler_is_retried_with_growing_delay_then_parked_with_reason(db, ns):
    probe.attempts.clear()
    with running_worker(db, ns):
        emit(db, ns, "explode")
        parked = wait_until(lambda: ns.parked("probe"), timeout=20, message="message parked")
    delays = ns.settings().retry_delays_ms
    assert len(probe.attempts) == len(delays) + 1 == ns.settings().max_attempts
    gaps_ms = [(b - a) * 1000 for a, b in zip(probe.attempts, probe.attempts[1:])]
    for gap, delay in zip(gaps_ms, delays):
        assert gap >= delay * 0.9, (gaps_ms, delays)
    assert gaps_ms[-1] > 2 * gaps_ms[0]  # the delay grows
    headers, body = parked[0]
    assert "the village road is flooded" in headers["x-pasar-park-reason"]
    assert headers["x-pasar-attempts"] == len(delays) + 1
    assert json.loads(body)["data"]["title"] == "explode"   # the original message is kept whole
    assert probe.applied_count(db, title="explode") == 0     # each failed attempt rolled back


def test_payload_breaking_its_contract_is_parked_and_the_worker_carries_on(db, ns):
    broken = make_envelope("listing.updated", probe.listing_event("fine"), source="probe", correlation_id=None)
    del broken["data"]["price"]
    with running_worker(db, ns) as (_, thread):
        publish_raw(ns, b"{not json")
        publish_raw(ns, json.dumps(broken).encode())
        emit(db, ns, "still working")
        wait_until(lambda: probe.applied_count(db, title="still working") == 1, timeout=15, message="next event")
        assert thread.is_alive()
    parked = ns.parked("probe")
    reasons = sorted(h["x-pasar-park-reason"] for h, _ in parked)
    assert len(reasons) == 2
    assert all(r.startswith("contract:") for r in reasons)
    assert any("price" in r for r in reasons)
    assert probe.applied_count(db, event_id=broken["id"]) == 0


def _worker_process(pg_url: str, ns: BrokerNamespace, **env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.support.probe_service", pg_url],
                            env={**os.environ, **ns.env(), **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def test_worker_killed_mid_handler_leaves_the_message_redelivered_and_applied_once(db, ns, pg_url, tmp_path):
    marker = tmp_path / "in-handler"
    first = _worker_process(pg_url, ns, PROBE_SLOW_MARKER=str(marker))
    try:
        with running_worker(db, ns):
            pass  # make sure the queue exists before publishing (the subprocess may still be starting)
        emit(db, ns, "slow")
        wait_until(marker.exists, timeout=20, message="first worker inside the handler")
        os.killpg(first.pid, signal.SIGKILL)  # no commit, no ack
        first.wait(timeout=10)
        assert probe.applied_count(db, title="slow") == 0
        second = _worker_process(pg_url, ns)
        try:
            wait_until(lambda: probe.applied_count(db, title="slow") == 1, timeout=30,
                       message="message redelivered to the second worker")
            emit(db, ns, "after redelivery")
            wait_until(lambda: probe.applied_count(db, title="after redelivery") == 1, timeout=15, message="marker")
            assert probe.applied_count(db, title="slow") == 1
        finally:
            second.terminate()
            second.wait(timeout=15)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
