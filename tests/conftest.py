"""Shared fixtures. Integration tests use the machine's real PostgreSQL and RabbitMQ, each in its own
throwaway database / broker namespace, so runs never see each other's data."""
from __future__ import annotations

import os

import pytest

# Any `pasar` command a test starts ignores the checkout's `.env` (stack.py also passes this explicitly).
os.environ["PASAR_DOTENV"] = "0"

from tests.support.infra import RELEASE_CHECKS, BrokerNamespace, postgres_database
from tests.support.stack import Stack


# Release checks (`@pytest.mark.release`): the long runs that prove a property at scale (chaos with restarts and
# kills, a 60 s database cut, the three-node cluster, 50,000 fuzz cases). `make test` deselects them so the suite
# fits CI's budget, and each keeps a quicker sibling in `make test` that proves the same property at small size;
# `make release-check` (PASAR_RELEASE_CHECKS=1) runs them. Deselected, not skipped: they are not run, and say so.
def pytest_collection_modifyitems(config, items):
    if RELEASE_CHECKS:
        return
    kept = [item for item in items if item.get_closest_marker("release") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


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
