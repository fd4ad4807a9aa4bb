"""The live feed's wait between database reads (services/notifications/live.py): without REDIS_URL a short poll,
with it a wake-up through the machine's Redis that reaches the feeds of the person named, and nobody else's."""
from __future__ import annotations

import os
import threading
import uuid

from services.notifications import live
from tests.support.infra import wait_until

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_without_redis_a_feed_polls_and_announcing_is_a_no_op(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    waiter = live.FeedWaiter("courier-1")
    assert waiter.fanout is False and waiter.poll == 0.15
    live.announce(["courier-1"])  # nothing to publish to, and no error
    waiter.wait(0.01)
    waiter.close()


def test_a_wake_up_through_redis_reaches_that_persons_feeds_only(monkeypatch):
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("REDIS_KEY_PREFIX", f"pasar-test-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("NOTIFY_STREAM_RECHECK_SECONDS", "600")
    mine, theirs = live.FeedWaiter("courier-a"), live.FeedWaiter("courier-b")
    assert live.WAKEUPS.connected.wait(30), "subscribed to Redis"
    mine._wake.clear(), theirs._wake.clear()  # (on subscribing every open feed is woken once to re-read)
    woke = threading.Event()
    thread = threading.Thread(target=lambda: (mine.wait(600), woke.set()), daemon=True)
    thread.start()
    live.announce(["courier-a"])
    wait_until(woke.is_set, timeout=30, message="courier-a's feed woken")
    assert not theirs._wake.is_set()  # courier-b's feed sleeps on
    mine.close(), theirs.close()
