"""A pooled PostgreSQL connection is pinged only after it sat idle (pasar/db.py): a connection the server
dropped while it idled in the pool is replaced before anyone uses it, and a connection in steady use is not
pinged before every checkout."""
from __future__ import annotations

import time

import psycopg
from sqlalchemy import event, text

from pasar.db import make_engine
from tests.support.infra import PG_ADMIN_URL, postgres_database


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def test_a_connection_dropped_while_idle_is_replaced_before_use(monkeypatch):
    monkeypatch.setenv("DB_PING_IDLE_SECONDS", "0.2")
    with postgres_database("pasar_idle_ping") as url:
        engine = make_engine(url)
        try:
            first = _backend_pid(engine)
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:  # as a server restart would
                admin.execute("SELECT pg_terminate_backend(%s)", (first,))
            time.sleep(0.3)
            second = _backend_pid(engine)  # no error reaches the caller
            assert second != first
        finally:
            engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged_on_every_checkout(monkeypatch):
    monkeypatch.setenv("DB_PING_IDLE_SECONDS", "30")
    with postgres_database("pasar_idle_ping") as url:
        engine = make_engine(url)
        pings = []
        real_ping = engine.dialect.do_ping
        engine.dialect.do_ping = lambda dbapi_conn: pings.append(1) or real_ping(dbapi_conn)
        statements = []
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        try:
            for _ in range(10):
                _backend_pid(engine)
            assert len(statements) == 10 and pings == []
        finally:
            engine.dispose()
