"""The messaging layer's promises, proven against a real RabbitMQ node and a real PostgreSQL database:
nothing lost while the broker is away, nothing applied twice, failures retried with growing delay and
then parked with their reason, broken contracts parked without hurting the worker, and a worker killed
mid-handler leaves the message to be redelivered and applied once. The broker closing the connection at
the worst moments (follow-up publish, ack, outbox sweep) and the database refusing connections in the sweep
leave the worker running, and every event applied once."""
from __future__ import annotations

import json
import logging
import os
import uuid
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pika
import pytest
from sqlalchemy import select

import psycopg
from sqlalchemy import create_engine

from pasar.db import UnitOfWork
from pasar.events import make_envelope
from pasar.stamps import utcnow
from pasar.messaging import Publisher, Worker
from tests.support import probe_service as probe
from tests.support.infra import PG_ADMIN_URL, BrokerNamespace, wait_until
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
def running_worker(db, ns, worker=None):
    worker = worker or Worker("probe", db, probe.HANDLERS, ns.settings())
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


def unsent_outbox(db, older_than: float = 0.0) -> int:
    """Rows not yet sent; with `older_than`, only those the outbox sweep would pick up now (past its grace)."""
    query = select(db.outbox.c.id).where(db.outbox.c.sent_at.is_(None))
    if older_than:
        query = query.where(db.outbox.c.created_at <= utcnow() - timedelta(seconds=older_than))
    with db.engine.connect() as conn:
        return len(conn.execute(query).all())


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


# -- faults at the worst moments ---------------------------------------------------------------------------

class StrikingWorker(Worker):
    """The probe's worker, with one fault injected (once) at a chosen step, right before the step runs:
    by default the broker closes every connection, as on a node restart or a network cut."""

    def __init__(self, db, ns, moment: str, strike):
        super().__init__("probe", db, probe.HANDLERS, ns.settings())
        self.moment, self._strike_fn = moment, strike
        self.struck = threading.Event()

    def _strike(self, moment: str) -> None:
        if moment == self.moment and not self.struck.is_set():
            self.struck.set()
            self._strike_fn()

    def relay_outbox(self, ids=None, older_than: float = 0.0) -> int:
        if ids:
            self._strike("follow-up publish")
        elif older_than and unsent_outbox(self.db, older_than):
            # only when this sweep will publish a row: a row younger than the grace is left for a later sweep,
            # and a fault struck then would meet no publish (the row later sent at the first try)
            self._strike("outbox sweep")
        return super().relay_outbox(ids, older_than)

    def _ack(self, channel, delivery_tag) -> None:
        self._strike("ack")
        super()._ack(channel, delivery_tag)


def emit_to_outbox_only(db, title: str) -> str:
    """Committed with no immediate publish: only the worker's outbox sweep will send it."""
    with UnitOfWork(db, source="probe") as uow:
        event_id = uow.emit("listing.updated", probe.listing_event(title))
        uow.commit()
    return event_id


def outbox_attempts(db, event_id: str) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(db.outbox.c.attempts).where(db.outbox.c.id == event_id)).scalar_one()


def assert_still_working(db, ns, thread, title: str) -> None:
    emit(db, ns, title)
    wait_until(lambda: probe.applied_count(db, title=title) == 1, timeout=40, message=f"{title!r} applied")
    assert thread.is_alive()


def test_broker_closing_the_connection_during_the_follow_up_publish_does_not_stop_the_worker(db, ns, rabbit):
    worker = StrikingWorker(db, ns, "follow-up publish", rabbit.close_all_connections)
    with running_worker(db, ns, worker) as (_, thread):
        emit(db, ns, "echo:one")
        wait_until(worker.struck.is_set, timeout=20, message="connection closed during the follow-up publish")
        # the follow-up stayed in the outbox and the sweep of the next session sent it
        wait_until(lambda: probe.applied_count(db, title="reply:one") == 1, timeout=40, message="follow-up applied")
        assert_still_working(db, ns, thread, "after the follow-up fault")
    assert probe.applied_count(db, title="echo:one") == 1
    assert probe.applied_count(db, title="reply:one") == 1
    assert unsent_outbox(db) == 0
    assert ns.parked("probe") == []


def test_broker_closing_the_connection_during_ack_redelivers_and_the_inbox_drops_the_copy(db, ns, rabbit, caplog):
    caplog.set_level(logging.INFO, logger="pasar.worker")
    worker = StrikingWorker(db, ns, "ack", rabbit.close_all_connections)
    with running_worker(db, ns, worker) as (_, thread):
        event_id = emit(db, ns, "acked into the void")
        wait_until(worker.struck.is_set, timeout=20, message="connection closed during the ack")
        # committed but never acked: the broker hands it out again and the inbox recognises it
        wait_until(lambda: any("duplicate event skipped" in r.getMessage() and getattr(r, "event_id", None) == event_id
                               for r in caplog.records), timeout=40, message="redelivered copy skipped")
        assert_still_working(db, ns, thread, "after the ack fault")
    assert probe.applied_count(db, event_id=event_id) == 1
    assert ns.parked("probe") == []


def test_broker_closing_the_connection_during_the_outbox_sweep_leaves_the_row_for_the_next_sweep(db, ns, rabbit):
    worker = StrikingWorker(db, ns, "outbox sweep", rabbit.close_all_connections)
    with running_worker(db, ns, worker) as (_, thread):
        event_id = emit_to_outbox_only(db, "swept through a fault")
        wait_until(worker.struck.is_set, timeout=20, message="connection closed during the sweep")
        wait_until(lambda: probe.applied_count(db, event_id=event_id) == 1, timeout=40, message="swept row applied")
        assert_still_working(db, ns, thread, "after the sweep fault")
    assert outbox_attempts(db, event_id) == 1  # the publish that met the closed connection was recorded
    assert unsent_outbox(db) == 0
    assert probe.applied_count(db, event_id=event_id) == 1


@pytest.fixture
def role_with_no_connections_left():
    """A PostgreSQL role allowed no connection at all: connecting as it fails exactly as a full server does
    (SQLSTATE 53300, "too many connections")."""
    name = f"pasar_full_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{name}" LOGIN CONNECTION LIMIT 0')
    try:
        yield PG_ADMIN_URL.replace("postgresql://postgres@", f"postgresql+psycopg://{name}@")
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_too_many_clients_in_the_outbox_sweep_pauses_the_worker_instead_of_killing_it(db, ns,
                                                                                      role_with_no_connections_left):
    refused = []

    def connect_to_a_full_server():
        engine = create_engine(role_with_no_connections_left)
        try:
            with engine.connect():
                pass
        except Exception as exc:  # the real driver error, raised where the sweep's connect would raise it
            refused.append(exc)
            raise
        finally:
            engine.dispose()

    worker = StrikingWorker(db, ns, "outbox sweep", connect_to_a_full_server)
    with running_worker(db, ns, worker) as (_, thread):
        event_id = emit_to_outbox_only(db, "swept past a full server")
        wait_until(worker.struck.is_set, timeout=20, message="sweep met a full server")
        wait_until(lambda: probe.applied_count(db, event_id=event_id) == 1, timeout=40, message="swept row applied")
        assert_still_working(db, ns, thread, "after the full server")
    assert "too many connections" in str(refused[0])
    assert ns.parked("probe") == []


class FlakyDatabaseWorker(Worker):
    """The probe's worker whose first `times` handler transactions meet a database fault of one kind."""

    def __init__(self, db, ns, error: Exception, times: int):
        super().__init__("probe", db, probe.HANDLERS, ns.settings())
        self.error, self.left = error, times
        self.sessions = 0

    def apply(self, event):
        if self.left > 0:
            self.left -= 1
            raise self.error
        return super().apply(event)

    def _session(self) -> None:
        self.sessions += 1
        super()._session()


def _db_error(driver_error: Exception):
    from sqlalchemy.exc import OperationalError
    return OperationalError("INSERT INTO processed_events ...", {}, driver_error)


def test_a_database_conflict_requeues_the_message_without_counting_an_attempt(db, ns):
    probe.attempts.clear()
    conflicts = ns.settings().max_attempts + 2  # more than would park it, were they counted
    worker = FlakyDatabaseWorker(db, ns, _db_error(psycopg.errors.SerializationFailure("could not serialize")),
                                 conflicts)
    with running_worker(db, ns, worker) as (_, thread):
        event_id = emit(db, ns, "conflicted")
        wait_until(lambda: probe.applied_count(db, event_id=event_id) == 1, timeout=30, message="applied at last")
        assert thread.is_alive()
    assert worker.left == 0 and worker.sessions == 1  # requeued on the same connection, no reconnect
    assert probe.attempts and ns.parked("probe") == []


def test_a_database_outage_mid_handler_reconnects_and_the_message_comes_back_uncounted(db, ns):
    worker = FlakyDatabaseWorker(db, ns, _db_error(psycopg.OperationalError("server closed the connection "
                                                                            "unexpectedly")), 1)
    with running_worker(db, ns, worker) as (_, thread):
        event_id = emit(db, ns, "outage mid-handler")
        wait_until(lambda: probe.applied_count(db, event_id=event_id) == 1, timeout=30, message="redelivered, applied")
        assert thread.is_alive()
    assert worker.sessions == 2  # paused, reconnected, took the message again
    assert ns.parked("probe") == []
    assert probe.applied_count(db, event_id=event_id) == 1


def test_a_web_publisher_reconnects_after_the_broker_restarts(db, ns, rabbit):
    with running_worker(db, ns):
        pass  # the queue exists; from here on only the publisher sends (no relay runs)
    publisher = Publisher(ns.settings())
    emit(db, ns, "before the restart", publisher)
    assert unsent_outbox(db) == 0
    rabbit.restart()
    failed = []

    def publish_goes_out_at_once():
        before = unsent_outbox(db)
        emit(db, ns, "after the restart", publisher)
        if unsent_outbox(db) == before:
            return True
        failed.append(1)  # the row stays in the outbox for the relay; the next publish reconnects
        return False
    wait_until(publish_goes_out_at_once, timeout=30, interval=0.2, message="publisher sending again")
    assert unsent_outbox(db) == len(failed)
    publisher.close()
