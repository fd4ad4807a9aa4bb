"""Which errors are the message's fault, and the reconnect backoff (jittered, capped, reset when healthy)."""
from __future__ import annotations

import sqlite3

import pika.exceptions
import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError, OperationalError

from pasar.messaging.faults import CONFLICT, OUTAGE, Backoff, Fault, classify


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_backoff_doubles_up_to_its_cap_with_jitter_in_the_upper_half():
    low = Backoff(base=0.5, cap=10, rng=lambda: 0.0)
    high = Backoff(base=0.5, cap=10, rng=lambda: 1.0)
    assert [round(low.failed(), 3) for _ in range(7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert [round(high.failed(), 3) for _ in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_backoff_starts_over_after_a_healthy_period_but_not_after_a_short_one():
    clock = Clock()
    backoff = Backoff(base=0.5, cap=10, healthy_after=10, rng=lambda: 1.0, clock=clock)
    for _ in range(6):
        backoff.failed()
    backoff.healthy()
    clock.now += 3  # up for three seconds only: still flapping, keep waiting long
    assert backoff.failed() == 10.0
    backoff.healthy()
    clock.now += 11
    assert backoff.failed() == 0.5  # a healthy stretch: the next outage starts from the base again


def wrapped(driver_error: Exception) -> OperationalError:
    return OperationalError("SELECT 1", {}, driver_error)


@pytest.mark.parametrize("error, expected", [
    (pika.exceptions.StreamLostError("Transport indicated EOF"), Fault(OUTAGE, "broker")),
    (pika.exceptions.ConnectionClosedByBroker(320, "CONNECTION_FORCED"), Fault(OUTAGE, "broker")),
    (pika.exceptions.ChannelWrongStateError("Channel is closed."), Fault(OUTAGE, "broker")),
    (pika.exceptions.AMQPConnectionError("refused"), Fault(OUTAGE, "broker")),
    (wrapped(psycopg.OperationalError("connection failed: Connection refused")), Fault(OUTAGE, "database")),
    (wrapped(psycopg.OperationalError("server closed the connection unexpectedly")), Fault(OUTAGE, "database")),
    (wrapped(psycopg.errors.TooManyConnections("sorry, too many clients already")), Fault(OUTAGE, "database")),
    (wrapped(psycopg.errors.AdminShutdown("terminating connection due to administrator command")),
     Fault(OUTAGE, "database")),
    (wrapped(psycopg.errors.SerializationFailure("could not serialize access")), Fault(CONFLICT, "database")),
    (wrapped(psycopg.errors.DeadlockDetected("deadlock detected")), Fault(CONFLICT, "database")),
    (wrapped(sqlite3.OperationalError("database is locked")), Fault(CONFLICT, "database")),
    (wrapped(sqlite3.OperationalError("disk I/O error")), Fault(OUTAGE, "database")),
])
def test_infrastructure_errors_are_not_the_messages_fault(error, expected):
    assert classify(error) == expected
    try:  # wrapped again by the code that met it (e.g. a handler's own exception type)
        raise RuntimeError("while reserving stock") from error
    except RuntimeError as outer:
        assert classify(outer) == expected


@pytest.mark.parametrize("error", [
    RuntimeError("the village road is flooded"),
    KeyError("listing_id"),
    IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key")),
    wrapped(psycopg.errors.QueryCanceled("canceling statement due to statement timeout")),
    wrapped(sqlite3.OperationalError("no such column: prise")),
])
def test_the_handlers_own_errors_stay_the_messages(error):
    assert classify(error) is None


def test_a_real_sqlite_lock_timeout_is_a_conflict(tmp_path):
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (n INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(OperationalError) as caught:
            with engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert classify(caught.value) == Fault(CONFLICT, "database")
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
