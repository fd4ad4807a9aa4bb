"""Real infrastructure for tests: free ports, waiting on conditions, throwaway PostgreSQL databases,
and a private namespace (exchange + queue prefix) on the real RabbitMQ so runs never see each other."""
from __future__ import annotations

import os
import socket
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import pika
import psycopg

from pasar import config

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
# `make release-check` (PASAR_RELEASE_CHECKS=1): the long checks run at full size (tests/conftest.py deselects the
# `release`-marked ones otherwise, and the scaled ones below run smaller in `make test`)
RELEASE_CHECKS = os.environ.get("PASAR_RELEASE_CHECKS") == "1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, message: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # the condition may not be checkable yet (service starting)
            last_exc = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}" + (f" (last error: {last_exc!r})" if last_exc else ""))


@contextmanager
def postgres_database(prefix: str = "pasar_test"):
    """A fresh PostgreSQL database, dropped afterwards. Yields a SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class BrokerNamespace:
    exchange: str
    queue_prefix: str
    amqp_url: str = AMQP_URL
    retry_delays_ms: str = "100,200,400"

    @classmethod
    def new(cls, **kw) -> "BrokerNamespace":
        tag = uuid.uuid4().hex[:10]
        return cls(exchange=f"test.{tag}.events", queue_prefix=f"test.{tag}.", **kw)

    def env(self) -> dict:
        return {"AMQP_URL": self.amqp_url, "EVENTS_EXCHANGE": self.exchange, "QUEUE_PREFIX": self.queue_prefix,
                "RETRY_DELAYS_MS": self.retry_delays_ms, "OUTBOX_GRACE_SECONDS": "0.5",
                "OUTBOX_SWEEP_SECONDS": "0.2"}

    def settings(self) -> config.MessagingSettings:
        return config.MessagingSettings(
            amqp_url=self.amqp_url, exchange=self.exchange, queue_prefix=self.queue_prefix,
            retry_delays_ms=tuple(int(x) for x in self.retry_delays_ms.split(",")), prefetch=16,
            outbox_sweep_seconds=0.2, outbox_grace_seconds=0.5)

    def cleanup(self, services=config.ALL_APPS) -> None:
        from pasar.messaging import QueueNames
        try:
            conn = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        except Exception:
            return
        ch = conn.channel()
        for service in services:
            names = QueueNames.for_service(service, self.settings())
            for queue in (names.main, names.parked, *names.retries, f"{self.queue_prefix}probe"):
                ch.queue_delete(queue=queue)
        ch.exchange_delete(exchange=self.exchange)
        conn.close()

    def parked(self, service: str) -> list[tuple[dict, bytes]]:
        """Drain the service's parking queue: [(headers, body)]."""
        from pasar.messaging import QueueNames
        names = QueueNames.for_service(service, self.settings())
        conn = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        ch = conn.channel()
        out = []
        while True:
            method, props, body = ch.basic_get(names.parked, auto_ack=True)
            if method is None:
                break
            out.append((dict(props.headers or {}), body))
        conn.close()
        return out


def rabbitmq_running() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
        return True
    except OSError:
        return False
