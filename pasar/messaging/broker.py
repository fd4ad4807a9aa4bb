"""Connections and confirmed, persistent publishing of outbox rows."""
from __future__ import annotations

import json
import logging
import os
import threading
import time

import pika
from sqlalchemy import select, update

from .. import config, metrics, tracing
from ..db import Database
from ..stamps import utcnow

log = logging.getLogger("pasar.messaging")


def connection_parameters(amqp_url: str, *, quick: bool = False,
                          name: str | None = None) -> pika.URLParameters | list[pika.URLParameters]:
    """AMQP_URL may name several nodes of one cluster, comma-separated: pika then tries them in order, so a
    process reconnects to a surviving node when its own goes away (behind one load-balanced address, e.g. a
    Kubernetes Service, a single URL is enough)."""
    all_params = []
    for url in (part.strip() for part in amqp_url.split(",")):
        if not url:
            continue
        params = pika.URLParameters(url)
        if name:  # shown by the management UI and `rabbitmqctl list_connections client_properties`
            params.client_properties = {"connection_name": f"{name} pid {os.getpid()}"}
        params.connection_attempts = 1
        params.socket_timeout = 2 if quick else 5
        params.blocked_connection_timeout = 10
        params.heartbeat = 30
        all_params.append(params)
    return all_params[0] if len(all_params) == 1 else all_params


def broker_reachable(amqp_url: str) -> tuple[bool, str]:
    ok, detail, _ = broker_status(amqp_url)
    return ok, detail


def broker_status(amqp_url: str, queue: str | None = None) -> tuple[bool, str, dict | None]:
    """Can we reach the broker, and (with `queue`) how many workers consume that queue and how many
    messages wait in it and in its parking queue. A queue never declared counts as no worker."""
    try:
        conn = pika.BlockingConnection(connection_parameters(amqp_url, quick=True))
    except Exception as exc:  # any failure means "not reachable"; the reason is reported
        return False, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, None
    counts = None
    try:
        if queue:
            counts = {"consumers": 0, "ready": 0, "parked": 0}
            for name, keys in ((queue, ("consumers", "ready")), (f"{queue}.parked", (None, "parked"))):
                try:
                    method = conn.channel().queue_declare(name, passive=True).method
                except pika.exceptions.ChannelClosedByBroker:  # 404: not declared yet, no worker has started
                    continue
                consumers_key, messages_key = keys
                if consumers_key:
                    counts[consumers_key] = method.consumer_count
                counts[messages_key] = method.message_count
    finally:
        try:
            conn.close()
        except Exception:
            pass
    return True, "ok", counts


def publish_envelope(channel, exchange: str, envelope: dict) -> None:
    """The one place an event leaves for the broker. Persistent message with the event id as message_id; the channel is in confirm mode, so
    basic_publish returns only once the broker has taken responsibility (or raises)."""
    with tracing.publishing(envelope) as trace_headers:
        _publish(channel, exchange, envelope, {"x-pasar-attempt": 1, **trace_headers})
    metrics.event_published(envelope["source"], envelope["type"])


def _publish(channel, exchange: str, envelope: dict, headers: dict) -> None:
    channel.basic_publish(
        exchange=exchange,
        routing_key=envelope["type"],
        body=json.dumps(envelope).encode(),
        properties=pika.BasicProperties(
            content_type="application/json",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=str(envelope["id"]),
            correlation_id=envelope.get("correlation_id") or None,
            type=envelope["type"],
            headers=headers,
        ),
        mandatory=False,
    )


def send_outbox_rows(db: Database, channel, exchange: str, ids=None, *, older_than: float = 0.0,
                     limit: int = 200) -> int:
    """Publish unsent outbox rows (the given ids, or any older than `older_than` seconds) and mark them
    sent. A row is marked only after the broker confirmed it, so a crash in between means the row is
    sent again later; consumers' inboxes drop that duplicate."""
    table = db.outbox
    sent = 0
    with db.WriteSession() as session:
        query = select(table.c.id, table.c.envelope).where(table.c.sent_at.is_(None))
        if ids is not None:
            query = query.where(table.c.id.in_(list(ids)))
        elif older_than > 0:
            from datetime import timedelta
            query = query.where(table.c.created_at <= utcnow() - timedelta(seconds=older_than))
        query = query.order_by(table.c.created_at).limit(limit)
        if db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        rows = session.execute(query).all()
        for row_id, envelope_text in rows:
            try:
                publish_envelope(channel, exchange, json.loads(envelope_text))
            except Exception as exc:
                session.execute(update(table).where(table.c.id == row_id).values(
                    attempts=table.c.attempts + 1, last_error=str(exc)[:500]))
                session.commit()
                raise
            session.execute(update(table).where(table.c.id == row_id).values(sent_at=utcnow()))
            sent += 1
        session.commit()
    return sent


class Publisher:
    """Per-process publisher used right after a commit, so events leave without waiting for the relay.

    Best effort by design: the rows are committed before it runs, so if the broker is away they stay in
    the outbox and the worker's relay sends them. It reconnects on the next publish after a failure;
    after repeated failures it stays quiet for a jittered, growing pause (reset by the next success) so
    web requests are not slowed by reconnect attempts while the broker is down."""

    def __init__(self, settings: config.MessagingSettings | None = None):
        from .faults import Backoff
        self.settings = settings or config.messaging()
        self._lock = threading.Lock()
        self._connection = None
        self._channel = None
        self._quiet_until = 0.0
        self._backoff = Backoff(base=1.0, cap=15.0, healthy_after=0.0)

    def _ensure_channel(self):
        if self._channel is not None and self._channel.is_open and self._connection.is_open:
            return self._channel
        self.close()
        self._connection = pika.BlockingConnection(
            connection_parameters(self.settings.amqp_url, quick=True, name="publisher"))
        self._channel = self._connection.channel()
        self._channel.confirm_delivery()
        self._channel.exchange_declare(exchange=self.settings.exchange, exchange_type="topic", durable=True)
        return self._channel

    def publish_outbox(self, db: Database, ids) -> int:
        if time.monotonic() < self._quiet_until:
            return 0
        with self._lock:
            for attempt in (1, 2):  # a second try covers a connection the broker dropped while idle
                try:
                    sent = send_outbox_rows(db, self._ensure_channel(), self.settings.exchange, ids)
                except Exception as exc:  # never the request's problem: the row waits for the relay
                    self.close()
                    if attempt == 2:
                        self._quiet_until = time.monotonic() + self._backoff.failed()
                        log.warning("immediate publish failed; the relay will send it", extra={"error": str(exc)})
                else:
                    self._backoff.reset()
                    return sent
            return 0

    def close(self) -> None:
        try:
            if self._connection is not None and self._connection.is_open:
                self._connection.close()
        except Exception:
            pass
        self._connection = None
        self._channel = None
