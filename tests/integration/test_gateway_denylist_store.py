"""The gateway's own access-token denylist (no Redis), on SQLite and PostgreSQL: what is put is read back until
it expires. Its read runs outside a transaction on PostgreSQL (asked on every request through the gateway),
so a long-lived pooled connection must still see a revocation committed a moment ago by another."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from gateway.models import Base
from gateway.revocation import DatabaseDenylist
from pasar.db import Database
from tests.support.infra import postgres_database


@contextmanager
def _sqlite(tmp_path):
    yield f"sqlite:///{tmp_path / 'gateway.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request, tmp_path):
    """Two denylists on one database, as two gateway processes have."""
    with (postgres_database("pasar_denylist") if request.param == "postgres" else _sqlite(tmp_path)) as url:
        first, second = Database("gateway", Base.metadata, url), Database("gateway", Base.metadata, url)
        Base.metadata.create_all(first.engine)
        yield DatabaseDenylist(first), DatabaseDenylist(second)
        first.dispose()
        second.dispose()


def test_a_revocation_put_by_one_process_is_read_by_the_other_at_once(stores):
    writer, reader = stores
    assert reader.get(["jti:a", "user:u1"]) == [None, None]  # its pooled connection is open from here on
    writer.put({"jti:a": 1, "user:u1": 1_700_000_000_000}, ttl=60)
    assert reader.get(["jti:a", "user:u1", "fam:f"]) == [1, 1_700_000_000_000, None]
    writer.put({"user:u1": 1_800_000_000_000}, ttl=60)  # a later cut-off wins
    assert reader.get(["user:u1"]) == [1_800_000_000_000]


def test_an_expired_entry_refuses_nothing(stores):
    writer, reader = stores
    writer.put({"jti:old": 1}, ttl=-1)
    assert reader.get(["jti:old"]) == [None]
