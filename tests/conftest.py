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
    """All processes on SQLite (the `make run` default), shared by the end-to-end tests of a run.

    Hundreds of tests reach this one stack from one address (127.0.0.1) within a few minutes, so the per-address
    allowances (any API call without a login, sign-ups, one-time codes, logins across accounts) are raised: with
    the defaults, whichever test happened to come after the busiest ones got a 429 instead of what it checks. The
    per-account login allowance (10 guesses a minute) stays at its default: tests here prove it; the per-address
    limits are proved on stacks of their own (test_gateway_security's door, test_account_recovery)."""
    s = Stack(extra_env={"RATELIMIT_API": "100000/minute", "RATELIMIT_REGISTER": "10000/minute",
                         "RATELIMIT_CODES_PER_IP": "10000/hour", "RATELIMIT_LOGIN_PER_IP": "10000/minute"})
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
