"""One engine and session factory per service database, plus the outbox/inbox tables every service shares.

SQLite (WAL) under var/ by default; PostgreSQL when the service's URL says so."""
from __future__ import annotations

import json
import time

import sqlalchemy
import sqlalchemy.exc
from sqlalchemy import (Column, Index, Integer, MetaData, String, Table, Text, event)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import config, tracing
from .events import make_envelope
from .stamps import UtcDateTime, new_id, utcnow


def _messaging_columns(kind: str) -> list[Column]:
    if kind == "outbox":
        return [
            Column("id", String(36), primary_key=True),
            Column("type", String(80), nullable=False),
            Column("envelope", Text, nullable=False),
            Column("created_at", UtcDateTime(), nullable=False),
            Column("sent_at", UtcDateTime(), nullable=True),
            Column("attempts", Integer, nullable=False, default=0),
            Column("last_error", Text, nullable=True),
        ]
    return [  # processed_events: the inbox
        Column("event_id", String(36), primary_key=True),
        Column("type", String(80), nullable=False),
        Column("processed_at", UtcDateTime(), nullable=False),
    ]


def messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Outbox and inbox on the service's own metadata (one definition, every service)."""
    outbox = metadata.tables.get("outbox")
    if outbox is None:
        outbox = Table("outbox", metadata, *_messaging_columns("outbox"))
        Index("ix_outbox_unsent", outbox.c.sent_at, outbox.c.created_at)  # the relay's sweep
    inbox = metadata.tables.get("processed_events")
    if inbox is None:
        inbox = Table("processed_events", metadata, *_messaging_columns("inbox"))
    return outbox, inbox


def create_messaging_tables(op) -> None:
    """For a service's first Alembic migration."""
    op.create_table("outbox", *_messaging_columns("outbox"))
    op.create_index("ix_outbox_unsent", "outbox", ["sent_at", "created_at"])
    op.create_table("processed_events", *_messaging_columns("inbox"))


def drop_messaging_tables(op) -> None:
    op.drop_table("processed_events")
    op.drop_index("ix_outbox_unsent", table_name="outbox")
    op.drop_table("outbox")


def make_engine(url: str, immediate: bool = False) -> Engine:
    """`immediate` (SQLite only) starts transactions with BEGIN IMMEDIATE so concurrent writers queue on
    busy_timeout instead of failing when a deferred read lock cannot be upgraded."""
    if url.startswith("sqlite"):
        # sqlalchemy.create_engine looked up at call time: tracing, when on, wraps it to trace statements
        engine = sqlalchemy.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets the web and worker processes share the file
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # a database that stops answering (cable cut, not a refusal) fails the connect within seconds instead
    # of hanging the worker forever; keepalives notice a dead peer on a connection already open
    engine = sqlalchemy.create_engine(url, pool_size=5, max_overflow=10, pool_use_lifo=True,
                                      connect_args={"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 10,
                                                    "keepalives_interval": 5, "keepalives_count": 3})
    _ping_connections_that_sat_idle(engine, float(config.setting("DB_PING_IDLE_SECONDS", "1") or 1))
    return engine


def _ping_connections_that_sat_idle(engine: Engine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling, but only for a connection that sat in the pool for `idle_seconds`.

    `pool_pre_ping` sent a `SELECT 1` round trip on every checkout: a checkout answered by the orders web
    process made two of them (a sixth of its time under checkouts, issue 14). A connection checked in a
    moment ago was working a moment ago; one that sat idle (across a database restart, a failover) is
    pinged, and a dead one is replaced before the caller sees it (DisconnectionError makes the pool retry
    with a fresh connection). What is given up: a connection returned less than `idle_seconds` before the
    database went away fails its first statement. SQLAlchemy then invalidates every pooled connection at
    once, and that failure is classified an outage (`database_fault`) like any other mid-transaction cut.
    The pool is LIFO so a quiet process keeps reusing its freshest connections and lets the rest idle."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # just connected, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as err:
            raise sqlalchemy.exc.DisconnectionError() from err  # the pool replaces it and checks out again


# SQLSTATEs that say "the database, not this transaction's data, is the problem" (PostgreSQL appendix A)
_PG_CONFLICT_STATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available
_PG_OUTAGE_CLASSES = ("08", "53", "57P01", "57P02", "57P03", "58")  # connection, resources, shutdown, system I/O
_SQLITE_CONFLICT = ("database is locked", "database is busy", "database table is locked")
_SQLITE_OUTAGE = ("disk i/o error", "unable to open database file", "database or disk is full")


def database_fault(exc: BaseException) -> str | None:
    """"conflict" (retry the transaction soon), "outage" (reconnect later) or None (the code's own error).

    Looks at one exception; callers walk the cause chain. SQLAlchemy wraps driver errors (`.orig`)."""
    from sqlalchemy import exc as sa_exc
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection to give within its timeout
        return "outage"
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return "outage"
        exc = exc.orig if exc.orig is not None else exc
    try:
        import psycopg
    except ImportError:  # an SQLite-only install
        psycopg = None
    if psycopg is not None and isinstance(exc, psycopg.Error):
        state = getattr(exc, "sqlstate", None) or ""
        if state in _PG_CONFLICT_STATES:
            return "conflict"
        if state.startswith(_PG_OUTAGE_CLASSES):
            return "outage"
        # refused, reset, "server closed the connection unexpectedly", "too many clients already" at
        # connect: raised by the client library without a server SQLSTATE
        if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)) and not state:
            return "outage"
        return None
    import sqlite3
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if text.startswith(_SQLITE_CONFLICT):
            return "conflict"
        if text.startswith(_SQLITE_OUTAGE):
            return "outage"
    return None


class Database:
    """A service's database: engine, sessions, and its outbox/inbox tables."""

    def __init__(self, service: str, metadata: MetaData, url: str | None = None):
        self.service = service
        self.url = url or config.database_url(service)
        self.engine = make_engine(self.url)
        self.metadata = metadata
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        # writes on SQLite go through an engine that takes the write lock up front; reads stay concurrent
        self.write_engine = make_engine(self.url, immediate=True) if self.url.startswith("sqlite") else self.engine
        self.WriteSession = sessionmaker(self.write_engine, expire_on_commit=False)
        self.outbox, self.inbox = messaging_tables(metadata)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
        self.write_engine.dispose()


class UnitOfWork:
    """One business transaction: domain changes and the events they cause commit together.

    Events go to the outbox in the same transaction; after commit the publisher (if any) is handed their
    ids (a web process's publisher sends them from its own thread, so the request does not wait for the
    broker), and the relay sweeps whatever it could not send.

    `committed` lists every event id this unit emitted and committed, across several commits: the
    worker sends those at once after its ack. A worker handling a batch of messages sets `holding`:
    then commit() only flushes (the batch commits once, with every message's inbox row) and rollback()
    is refused, because it would undo the other messages' work too."""

    def __init__(self, db: Database, publisher=None, source: str | None = None, correlation_id: str | None = None):
        self.db = db
        self.publisher = publisher
        self.source = source or db.service
        self.correlation_id = correlation_id
        self.session: Session | None = None
        self.emitted: list[str] = []
        self.committed: list[str] = []
        self.holding = False

    def __enter__(self) -> "UnitOfWork":
        if self.session is None or not self.holding:
            self.session = self.db.WriteSession()
            self.emitted = []
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.holding:  # the batch owner closes the session
            return
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def emit(self, event_type: str, data: dict, correlation_id: str | None = None) -> str:
        envelope = tracing.stamp(make_envelope(event_type, data, source=self.source,
                                               correlation_id=correlation_id or self.correlation_id))
        self.session.execute(self.db.outbox.insert().values(
            id=envelope["id"], type=event_type, envelope=json.dumps(envelope),
            created_at=utcnow(), sent_at=None, attempts=0))
        self.emitted.append(envelope["id"])
        return envelope["id"]

    def commit(self) -> None:
        if self.holding:
            self.session.flush()
            return
        self.session.commit()
        emitted, self.emitted = self.emitted, []
        self.committed.extend(emitted)
        if emitted and self.publisher is not None:
            self.publisher.publish_outbox(self.db, emitted)

    def rollback(self) -> None:
        if self.holding:
            raise BatchRefused("a handler rolled back inside a batch")
        self.session.rollback()
        self.emitted = []


class BatchRefused(Exception):
    """A handler did something a shared batch transaction cannot do; the worker handles each message alone."""
