"""Connections and confirmed, persistent publishing of outbox rows."""
from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time

import pika
from sqlalchemy import select, text, update

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


class ConfirmTimeout(pika.exceptions.AMQPError):
    """The broker did not confirm a batch in time: treated like a lost connection (the rows stay unsent)."""


class ConfirmedBatches:
    """A channel in publisher-confirm mode that publishes a batch, then waits once for the broker's
    confirms of all of it (RabbitMQ confirms many messages in one `basic.ack multiple`).

    pika's BlockingChannel in confirm mode waits for each message's confirm before the next publish
    (about 70 msg/s on this machine); here the confirms are counted as they arrive, through the
    channel's own callback, and the caller waits once per batch (≥800 msg/s in batches of 50).
    Use it only from the thread that owns the connection."""

    def __init__(self, connection: pika.BlockingConnection, timeout: float = 10.0):
        self._connection = connection
        self.channel = connection.channel()
        self._impl = self.channel._impl  # the async channel under the blocking one: confirms as a stream
        self.timeout = timeout
        self._next = 1
        self._outstanding: set[int] = set()
        self._nacked = 0
        ready = []
        self._impl.confirm_delivery(ack_nack_callback=self._on_confirm, callback=lambda _frame: ready.append(1))
        self._wait(lambda: ready)

    @property
    def is_open(self) -> bool:
        return self.channel.is_open and self._connection.is_open

    def _on_confirm(self, frame) -> None:
        method = frame.method
        done = ({tag for tag in self._outstanding if tag <= method.delivery_tag} if method.multiple
                else {method.delivery_tag})
        if isinstance(method, pika.spec.Basic.Nack):
            self._nacked += len(done & self._outstanding)
        self._outstanding -= done

    def publish(self, exchange: str, routing_key: str, body: bytes, properties) -> None:
        if not self.is_open:
            raise pika.exceptions.ChannelWrongStateError("publishing channel is closed")
        self._impl.basic_publish(exchange=exchange, routing_key=routing_key, body=body, properties=properties)
        self._outstanding.add(self._next)
        self._next += 1

    def wait_for_confirms(self) -> None:
        """Return once the broker took responsibility for everything published so far; raise if it
        refused any (nack), the channel or connection closed, or it did not answer in time."""
        self._wait(lambda: not self._outstanding)
        nacked, self._nacked = self._nacked, 0
        if nacked:
            raise pika.exceptions.NackError([])

    def _wait(self, done) -> None:
        deadline = time.monotonic() + self.timeout
        while not done():
            if not self.is_open:
                raise pika.exceptions.ChannelWrongStateError("channel closed before the broker confirmed")
            if time.monotonic() > deadline:
                raise ConfirmTimeout(f"no publisher confirm within {self.timeout:.0f} s")
            # only I/O: consumer deliveries that arrive meanwhile are queued for the caller's own loop
            self._connection.process_data_events(time_limit=0.005)


def envelope_properties(envelope: dict, headers: dict | None = None) -> pika.BasicProperties:
    return pika.BasicProperties(
        content_type="application/json",
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=str(envelope["id"]),
        correlation_id=envelope.get("correlation_id") or None,
        type=envelope["type"],
        headers=headers if headers is not None else {"x-pasar-attempt": 1},
    )


def publish_envelope(channel, exchange: str, envelope: dict) -> None:
    """The one place an event leaves for the broker. Persistent message with the event id as message_id.
    `channel` is ConfirmedBatches (the caller waits for the batch's confirms) or a BlockingChannel in
    confirm mode (basic_publish returns only once the broker has taken responsibility, or raises)."""
    with tracing.publishing(envelope) as trace_headers:
        _publish(channel, exchange, envelope, {"x-pasar-attempt": 1, **trace_headers})
    # counted when handed to the broker; with ConfirmedBatches the confirm follows for the whole batch
    metrics.event_published(envelope["source"], envelope["type"])


def _publish(channel, exchange: str, envelope: dict, headers: dict) -> None:
    body = json.dumps(envelope).encode()
    if isinstance(channel, ConfirmedBatches):
        if tracing.enabled():  # pika's instrumentation sees BlockingChannel.basic_publish only: span it here
            from opentelemetry import propagate, trace
            span_name = f"publish {envelope['type']}"
            with trace.get_tracer("pasar.messaging").start_as_current_span(span_name, kind=trace.SpanKind.PRODUCER):
                headers = dict(headers)
                propagate.inject(headers)
                channel.publish(exchange, envelope["type"], body, envelope_properties(envelope, headers))
            return
        channel.publish(exchange, envelope["type"], body, envelope_properties(envelope, headers))
        return
    channel.basic_publish(exchange=exchange, routing_key=envelope["type"], body=body,
                          properties=envelope_properties(envelope, headers), mandatory=False)


def send_outbox_rows(db: Database, channel, exchange: str, ids=None, *, older_than: float = 0.0,
                     limit: int = 200) -> int:
    """Publish unsent outbox rows (the given ids, or any older than `older_than` seconds) and mark them
    sent. A row is marked only after the broker confirmed it, so a crash in between means the row is
    sent again later; consumers' inboxes drop that duplicate. With ConfirmedBatches the rows are
    published together and confirmed once; if that fails, every row of the batch counts a failed attempt."""
    table = db.outbox
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
            # "sent" need not wait for the disk: lost in a database crash, the row is only sent again and
            # the consumers' inboxes drop the copy. Saves a flush per batch on a disk shared with the
            # commits that do matter (the business transaction, the handler's with its inbox row).
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        rows = session.execute(query).all()
        if not rows:
            return 0
        published = []
        try:
            for row_id, envelope_text in rows:
                publish_envelope(channel, exchange, json.loads(envelope_text))
                published.append(row_id)
            if isinstance(channel, ConfirmedBatches):
                channel.wait_for_confirms()
        except Exception as exc:
            unconfirmed = ([r for r, _ in rows] if isinstance(channel, ConfirmedBatches)
                           else [r for r, _ in rows if r not in published][:1])
            session.execute(update(table).where(table.c.id.in_(unconfirmed)).values(
                attempts=table.c.attempts + 1, last_error=str(exc)[:500] or type(exc).__name__))
            if not isinstance(channel, ConfirmedBatches) and published:
                session.execute(update(table).where(table.c.id.in_(published)).values(sent_at=utcnow()))
            session.commit()
            raise
        session.execute(update(table).where(table.c.id.in_(published)).values(sent_at=utcnow()))
        session.commit()
    return len(published)


class Publisher:
    """Per-process publisher used right after a commit, so events leave without waiting for the relay.

    Best effort by design: the rows are committed before it runs, so if the broker is away they stay in
    the outbox and the worker's relay sends them. It reconnects on the next publish after a failure;
    after repeated failures it stays quiet for a jittered, growing pause (reset by the next success) so
    web requests are not slowed by reconnect attempts while the broker is down.

    `publish_outbox` sends in the caller's thread and returns once confirmed (scripts, tests). Web
    processes use HandOffPublisher, which returns at once and sends from its own thread."""

    def __init__(self, settings: config.MessagingSettings | None = None):
        from .faults import Backoff
        self.settings = settings or config.messaging()
        self._lock = threading.Lock()
        self._connection = None
        self._channel: ConfirmedBatches | None = None
        self._quiet_until = 0.0
        self._backoff = Backoff(base=1.0, cap=15.0, healthy_after=0.0)

    def _ensure_channel(self) -> ConfirmedBatches:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self.close()
        self._connection = pika.BlockingConnection(
            connection_parameters(self.settings.amqp_url, quick=True, name="publisher"))
        self._channel = ConfirmedBatches(self._connection)
        self._channel.channel.exchange_declare(exchange=self.settings.exchange, exchange_type="topic", durable=True)
        return self._channel

    def publish_outbox(self, db: Database, ids) -> int:
        return self._send(db, ids)

    def _send(self, db: Database, ids) -> int:
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


class HandOffPublisher(Publisher):
    """The web processes' publisher: `publish_outbox` queues the committed ids and returns at once; one
    thread per process sends whatever has queued up, in one confirmed batch per database. A request
    never waits for the broker or for another request's publish.

    Nothing is lost if the thread dies or the process stops with ids still queued: the rows are
    committed, and the worker's outbox sweep sends anything older than OUTBOX_GRACE_SECONDS."""

    def __init__(self, settings: config.MessagingSettings | None = None, max_batch: int = 200):
        super().__init__(settings)
        self.max_batch = max_batch
        self._queue: "queue.SimpleQueue[tuple[Database, list]]" = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.idle = threading.Event()  # set when everything handed over so far has been tried
        self.idle.set()

    def publish_outbox(self, db: Database, ids) -> int:
        self.idle.clear()
        self._queue.put((db, list(ids)))
        self._start()
        return 0

    def _start(self) -> None:
        # started lazily in the process that publishes: gunicorn forks after the app module is imported
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="outbox-publisher", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            batches: dict[int, tuple[Database, list]] = {}
            db, ids = self._queue.get()
            batches[id(db)] = (db, list(ids))
            count = len(ids)
            while count < self.max_batch:  # whatever else queued up meanwhile goes in the same batch
                try:
                    db, ids = self._queue.get_nowait()
                except queue.Empty:
                    break
                batches.setdefault(id(db), (db, []))[1].extend(ids)
                count += len(ids)
            for db, ids in batches.values():
                try:
                    self._send(db, ids)
                except Exception:  # the database went away: the sweep sends these rows later
                    log.warning("immediate publish failed; the relay will send it", exc_info=True)
            if self._queue.empty():
                self.idle.set()
