"""Shared fixtures. Integration tests use the machine's real PostgreSQL and RabbitMQ, each in its own
throwaway database / broker namespace, so runs never see each other's data."""
from __future__ import annotations

import os

import pytest

# Any `pasar` command a test starts ignores the checkout's `.env` (stack.py also passes this explicitly).
os.environ["PASAR_DOTENV"] = "0"

from tests.support.infra import BrokerNamespace, postgres_database
from tests.support.stack import Stack


@pytest.fixture
def pg_url():
    with postgres_database() as url:
        yield url


@pytest.fixture
def broker():
    ns = BrokerNamespace.new()
    yield ns
    ns.cleanup()


@pytest.fixture(scope="session")
def stack():
    """All processes on SQLite (the `make run` default), shared by the end-to-end tests of a run."""
    s = Stack()
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def pg_stack():
    """All processes on PostgreSQL."""
    s = Stack(postgres=True)
    s.start()
    yield s
    s.stop()
