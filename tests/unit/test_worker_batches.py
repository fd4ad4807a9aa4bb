"""A batch of messages that arrived together: one transaction and one ack when every message is fine; each
message alone when one fails, so only that one is retried or parked; duplicates skipped; an outage acks
nothing. The broker is replaced by a recording channel; the database is a real SQLite file."""
from __future__ import annotations

import json
import logging

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from pasar.config import MessagingSettings
from pasar.db import UnitOfWork
from pasar.events import make_envelope
from pasar.messaging import Worker
from pasar.messaging.faults import InfrastructureFault
from pasar.messaging.topology import QueueNames
from tests.support import probe_service as probe

SETTINGS = MessagingSettings(amqp_url="amqp://unused", exchange="x", queue_prefix="t.", retry_delays_ms=(10, 20),
                             prefetch=16, outbox_sweep_seconds=1, outbox_grace_seconds=1)


class Method:
    def __init__(self, tag: int):
        self.delivery_tag, self.routing_key = tag, "listing.updated"


class Properties:
    content_type, message_id, correlation_id, type = "application/json", None, None, "listing.updated"

    def __init__(self):
        self.headers = {"x-pasar-attempt": 1}


class RecordingChannel:
    """What the worker told the broker: acks (with `multiple`), nacks and republishes (retry/park)."""

    def __init__(self):
        self.acks, self.nacks, self.published = [], [], []

    def basic_ack(self, delivery_tag, multiple=False):
        self.acks.append((delivery_tag, multiple))

    def basic_nack(self, delivery_tag, requeue=True):
        self.nacks.append(delivery_tag)

    def basic_publish(self, exchange, routing_key, body, properties=None, mandatory=False):
        self.published.append(routing_key)


class BatchWorker(Worker):
    def __init__(self, db, error_for: dict | None = None):
        super().__init__("probe", db, probe.HANDLERS, SETTINGS, batch_size=10)
        self.names = QueueNames.for_service("probe", SETTINGS)
        self.channel = RecordingChannel()
        self._publisher = self.channel
        self.relayed: list[list[str]] = []
        self.batches: list[int] = []

    def relay_outbox(self, ids=None, older_than: float = 0.0) -> int:
        self.relayed.append(list(ids or []))
        return 0

    def apply_batch(self, events, contexts=None):
        self.batches.append(len(events))
        return super().apply_batch(events, contexts)

    def deliver(self, *envelopes) -> None:
        for tag, envelope in enumerate(envelopes, start=1):
            self._on_delivery(self.channel, Method(tag), Properties(), json.dumps(envelope).encode())
        while self._pending:
            self._handle_pending()


def envelope(title: str) -> dict:
    return make_envelope("listing.updated", probe.listing_event(title), source="test", correlation_id=None)


@pytest.fixture
def db(tmp_path):
    database = probe.make_db(f"sqlite:///{tmp_path}/probe.db")
    yield database
    database.dispose()


def test_messages_that_arrived_together_commit_once_and_are_acked_with_one_multiple_ack(db):
    worker = BatchWorker(db)
    worker.deliver(*[envelope(f"mat {i}") for i in range(5)])
    assert worker.batches == [5]
    assert worker.channel.acks == [(5, True)]
    assert sorted(probe.applied_counts_by_event(db).values()) == [1] * 5
    assert worker.channel.published == []


def test_a_failing_message_in_a_batch_is_retried_alone_and_the_others_are_applied_once(db):
    worker = BatchWorker(db)
    good = [envelope(f"mat {i}") for i in range(4)]
    worker.deliver(good[0], good[1], envelope("explode"), good[2], good[3])
    # the batch rolled back as a whole, then each message was handled on its own
    assert worker.batches == [5]
    assert probe.applied_count(db) == 4
    assert all(probe.applied_count(db, event_id=e["id"]) == 1 for e in good)
    assert worker.channel.published == [worker.names.retries[0]]  # only the failing one goes to retry
    assert sorted(tag for tag, _ in worker.channel.acks) == [1, 2, 3, 4, 5]
    assert all(multiple is False for _, multiple in worker.channel.acks)


def test_a_broken_contract_in_a_batch_is_parked_and_the_rest_still_share_one_commit(db):
    worker = BatchWorker(db)
    worker._on_delivery(worker.channel, Method(1), Properties(), json.dumps(envelope("a")).encode())
    worker._on_delivery(worker.channel, Method(2), Properties(), b"{not json")
    worker._on_delivery(worker.channel, Method(3), Properties(), json.dumps(envelope("b")).encode())
    worker._handle_pending()
    assert worker.channel.published == [worker.names.parked]
    assert worker.channel.acks == [(2, False), (3, True)]
    assert worker.batches == [2] and probe.applied_count(db) == 2


def test_a_batch_skips_events_already_applied_and_a_copy_within_the_batch(db, caplog):
    caplog.set_level(logging.INFO, logger="pasar.worker")
    worker = BatchWorker(db)
    first, second = envelope("first"), envelope("second")
    worker.apply(worker_event(first))
    worker.deliver(first, second, second)
    assert probe.applied_count(db, event_id=first["id"]) == 1
    assert probe.applied_count(db, event_id=second["id"]) == 1
    skipped = [r.event_id for r in caplog.records if r.getMessage() == "duplicate event skipped"]
    assert skipped == [first["id"], second["id"]]
    assert worker.channel.acks == [(3, True)]


def worker_event(env: dict):
    from pasar.events import parse_envelope
    return parse_envelope(env)


def test_follow_up_events_of_a_batch_are_relayed_after_the_ack(db):
    worker = BatchWorker(db)
    worker.deliver(envelope("echo:one"), envelope("echo:two"), envelope("plain"))
    assert worker.channel.acks == [(3, True)]
    assert len(worker.relayed) == 1 and len(worker.relayed[0]) == 2
    with db.engine.connect() as conn:
        assert conn.execute(db.outbox.select()).all().__len__() == 2  # committed with the batch


def test_an_outage_during_a_batch_acks_nothing_and_ends_the_session(db):
    worker = BatchWorker(db)
    outage = OperationalError("INSERT ...", {}, psycopg.OperationalError("server closed the connection unexpectedly"))

    def down(event, uow):
        raise outage
    worker.handlers["listing.updated"] = [down]
    with pytest.raises(InfrastructureFault):
        worker.deliver(envelope("a"), envelope("b"))
    assert worker.channel.acks == [] and worker.channel.nacks == []
    assert probe.applied_count(db) == 0


def test_a_conflict_in_a_batch_falls_back_to_one_by_one_and_requeues_without_counting(db):
    worker = BatchWorker(db)
    conflict = OperationalError("UPDATE ...", {}, psycopg.errors.SerializationFailure("could not serialize"))
    calls = []

    def conflicted_once(event, uow):
        calls.append(event.id)
        if len(calls) == 1:
            raise conflict
        probe.apply_listing_update(event, uow)
    worker.handlers["listing.updated"] = [conflicted_once]
    worker._stopping.set()  # no pause after the requeue in a unit test
    a, b = envelope("a"), envelope("b")
    worker.deliver(a, b)
    assert probe.applied_count(db) == 2 and worker.channel.nacks == [] and worker.channel.published == []


def test_a_handler_commit_inside_a_batch_only_flushes_and_a_rollback_refuses_the_batch(db):
    worker = BatchWorker(db)

    def commits(event, uow):
        probe.apply_listing_update(event, uow)
        uow.commit()  # a use case written for the web path commits itself

    def rolls_back(event, uow):
        if event.data["title"] == "undo":
            uow.rollback()
        probe.apply_listing_update(event, uow)
    worker.handlers["listing.updated"] = [commits]
    worker.deliver(envelope("a"), envelope("b"))
    assert worker.channel.acks == [(2, True)] and probe.applied_count(db) == 2
    worker.handlers["listing.updated"] = [rolls_back]
    worker.channel.acks.clear()
    worker.deliver(envelope("c"), envelope("undo"))
    # refused as a batch, then each alone: the rollback now undoes only its own message
    assert probe.applied_count(db) == 4
    assert sorted(worker.channel.acks) == [(1, False), (2, False)]


def test_the_unit_of_work_remembers_every_committed_event_across_commits(db):
    with UnitOfWork(db, source="probe") as uow:
        first = uow.emit("listing.updated", probe.listing_event("one"))
        uow.commit()
        second = uow.emit("listing.updated", probe.listing_event("two"))
        uow.commit()
    assert uow.committed == [first, second]
