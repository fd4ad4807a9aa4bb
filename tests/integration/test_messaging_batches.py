"""Batches on the real broker and PostgreSQL: outbox rows relayed with one confirm per batch, two consumers
of one queue in one process, and the web publisher that hands committed rows to its own thread."""
from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy import select

from pasar.db import UnitOfWork
from pasar.messaging import HandOffPublisher, Worker
from pasar.messaging.worker import run_consumers
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


def unsent(db) -> int:
    with db.engine.connect() as conn:
        return len(conn.execute(select(db.outbox.c.id).where(db.outbox.c.sent_at.is_(None))).all())


def test_two_consumers_apply_a_backlog_of_batched_events_exactly_once(db, ns):
    ids = []
    with UnitOfWork(db, source="probe") as uow:  # a backlog only the relay will send, in batches
        for i in range(300):
            ids.append(uow.emit("listing.updated", probe.listing_event(f"mat {i}" if i % 3 else f"echo:{i}")))
        uow.commit()
    workers = [Worker("probe", db, probe.HANDLERS, ns.settings(), batch_size=20),
               Worker("probe", db, probe.HANDLERS, ns.settings(), batch_size=20, sweeps=False)]
    thread = threading.Thread(target=run_consumers, args=(workers,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: probe.applied_count(db) >= 400, timeout=120, message="backlog and follow-ups applied")
    finally:
        workers[0].stop()
        thread.join(30)
    counts = probe.applied_counts_by_event(db)
    assert len(counts) == 400 and set(counts.values()) == {1}  # 300 + 100 "reply:" follow-ups, each once
    assert all(counts.get(event_id) == 1 for event_id in ids)
    assert unsent(db) == 0
    assert ns.parked("probe") == []


def test_the_web_publisher_returns_before_the_broker_confirms_and_sends_from_its_own_thread(db, ns):
    no_sweep = replace(ns.settings(), outbox_sweep_seconds=3600)  # only the publisher can send these rows
    with_worker = Worker("probe", db, probe.HANDLERS, no_sweep)
    thread = threading.Thread(target=with_worker.run, daemon=True)
    thread.start()
    wait_until(with_worker.ready.is_set, timeout=15, message="worker consuming")
    publisher = HandOffPublisher(ns.settings())
    try:
        emitted = []
        for i in range(30):
            with UnitOfWork(db, publisher=publisher, source="probe") as uow:
                emitted.append(uow.emit("listing.updated", probe.listing_event(f"handed {i}")))
                uow.commit()
        wait_until(publisher.idle.is_set, timeout=30, message="publisher thread caught up")
        assert unsent(db) == 0  # sent by the publisher's thread, not left for the sweep
        wait_until(lambda: probe.applied_count(db) == 30, timeout=30, message="all applied")
        assert all(probe.applied_count(db, event_id=e) == 1 for e in emitted)
    finally:
        publisher.close()
        with_worker.stop()
        thread.join(15)
