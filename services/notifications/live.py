"""Live-feed wake-ups between processes: the worker that records a message says "user X has news"; every
notifications web process that holds an open feed for X wakes it, and the feed reads the database.

Why Redis pub/sub (REDIS_URL) and not PostgreSQL LISTEN/NOTIFY: Redis is already the gateway's shared
rate-limit store, so a multi-host deployment has it anyway; LISTEN needs one session-pinned database
connection per web process held open forever, outside the SQLAlchemy pool, and stops working behind a
PgBouncer in transaction mode (the pooler docs/SCALING.md suggests for connection counts); and the same code
then serves a SQLite or PostgreSQL database alike.

Pub/sub is fire-and-forget, so a wake-up is only a hint: the database stays the one source of truth (each
feed reads `seq > last` after every wake-up), and a feed also re-reads every NOTIFY_STREAM_RECHECK_SECONDS
(default 5) so a wake-up lost in a Redis restart delays a message by at most that, never loses it.

Without REDIS_URL (the single-machine default) nothing is published and each open feed reads the database
every NOTIFY_STREAM_POLL_SECONDS (0.15 s), as before.

One subscriber thread per web process (not one Redis connection per feed): it listens on one channel and
sets the threading.Event of every local feed waiting for the user named in the message."""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict

from pasar import config

log = logging.getLogger(__name__)


def redis_url() -> str | None:
    return config.setting("REDIS_URL") or None


def channel() -> str:
    # several deployments may share one Redis (the limiter's RATELIMIT_KEY_PREFIX has the same purpose)
    return f"{config.setting('REDIS_KEY_PREFIX', 'pasar')}:notifications:feed"


_publisher = None
_publisher_lock = threading.Lock()


def _client():
    global _publisher
    with _publisher_lock:
        if _publisher is None:
            import redis
            _publisher = redis.Redis.from_url(redis_url(), socket_timeout=2, socket_connect_timeout=2)
        return _publisher


def announce(user_ids) -> None:
    """After the messages committed: wake the feeds of these people wherever they are open. A Redis fault
    is logged and swallowed: the event is already applied and the feeds' re-read delivers the message."""
    if not redis_url():
        return
    try:
        client = _client()
        for user_id in sorted(set(user_ids)):
            client.publish(channel(), user_id)
    except Exception as exc:  # noqa: BLE001 - a hint lost is a message late by at most the recheck
        log.warning("live feed: could not announce to Redis (%s); open feeds pick it up on their re-read", exc)


class FeedWakeups:
    """This process's open feeds by user, woken by the subscriber thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._waiting: dict[str, set[threading.Event]] = defaultdict(set)
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()

    def ensure_listening(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._listen, name="feed-wakeups", daemon=True)
                self._thread.start()

    def register(self, user_id: str) -> threading.Event:
        wake = threading.Event()
        with self._lock:
            self._waiting[user_id].add(wake)
        return wake

    def unregister(self, user_id: str, wake: threading.Event) -> None:
        with self._lock:
            feeds = self._waiting.get(user_id)
            if feeds is not None:
                feeds.discard(wake)
                if not feeds:
                    del self._waiting[user_id]

    def _wake(self, user_id: str) -> None:
        with self._lock:
            for wake in self._waiting.get(user_id, ()):
                wake.set()

    def _wake_everyone(self) -> None:
        # after a reconnect: anything announced while we were away is read now rather than at the recheck
        with self._lock:
            for feeds in self._waiting.values():
                for wake in feeds:
                    wake.set()

    def _listen(self) -> None:
        import redis
        backoff = 0.5
        while True:  # a web process never gives up on Redis; feeds fall back to their re-read meanwhile
            try:
                client = redis.Redis.from_url(redis_url(), socket_connect_timeout=2, health_check_interval=30)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(channel())
                self._wake_everyone()
                self.connected.set()
                backoff = 0.5
                while True:
                    message = pubsub.get_message(timeout=30)
                    if message and message.get("type") == "message":
                        self._wake(message["data"].decode())
            except Exception as exc:  # noqa: BLE001 - transient: retry with a growing pause
                self.connected.clear()
                log.warning("live feed: Redis subscription lost (%s); retrying in %.1f s", exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)


WAKEUPS = FeedWakeups()


class FeedWaiter:
    """How one open feed waits between database reads: on a wake-up (REDIS_URL) or a short poll."""

    def __init__(self, user_id: str):
        self.user_id = user_id
        self.fanout = bool(redis_url())
        self.poll = float(config.setting("NOTIFY_STREAM_POLL_SECONDS", "0.15"))
        self.recheck = float(config.setting("NOTIFY_STREAM_RECHECK_SECONDS", "5"))
        self._wake = None
        if self.fanout:
            WAKEUPS.ensure_listening()
            self._wake = WAKEUPS.register(user_id)

    def wait(self, at_most: float) -> None:
        if self._wake is None:
            time.sleep(min(self.poll, max(at_most, 0.0)))
            return
        self._wake.wait(timeout=max(0.0, min(self.recheck, at_most)))
        self._wake.clear()

    def close(self) -> None:
        if self._wake is not None:
            WAKEUPS.unregister(self.user_id, self._wake)
            self._wake = None
