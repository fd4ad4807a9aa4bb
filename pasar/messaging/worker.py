"""The consuming side: inbox dedupe in the handler's transaction, ack after commit, retry with growing
delay, park after N attempts or on a broken contract, and reconnect with backoff when the broker goes.
The same loop relays the service's outbox, so one worker process per service does both jobs."""
from __future__ import annotations

import json
import logging
import signal
import threading
import time
from typing import Callable, Iterable

import pika
from sqlalchemy.exc import IntegrityError

from .. import config, logs, metrics
from ..db import Database, UnitOfWork
from ..stamps import utcnow
from ..events import ContractError, Event, parse_envelope
from .broker import connection_parameters, send_outbox_rows
from .topology import declare_topology

log = logging.getLogger("pasar.worker")
Handler = Callable[[Event, UnitOfWork], None]
ATTEMPT_HEADER = "x-pasar-attempt"


def _as_list(handlers) -> list[Handler]:
    return list(handlers) if isinstance(handlers, (list, tuple)) else [handlers]


class Worker:
    def __init__(self, service: str, db: Database, handlers: dict[str, Handler | Iterable[Handler]],
                 settings: config.MessagingSettings | None = None,
                 periodic: Iterable[tuple[float, Callable[[Database], list[str] | None]]] = ()):
        self.service = service
        self.db = db
        self.handlers = {key: _as_list(h) for key, h in handlers.items()}
        self.settings = settings or config.messaging()
        # (interval seconds, fn(db) -> ids of events it emitted): jobs run between messages, e.g. a sweeper
        self.periodic = [(float(interval), fn) for interval, fn in periodic]
        self.names = None
        self.ready = threading.Event()
        self._stopping = threading.Event()
        self._connection = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                self._consume()
                backoff = 0.5
            except (pika.exceptions.AMQPError, OSError) as exc:
                self.ready.clear()
                log.warning("broker unavailable; reconnecting", extra={"in_seconds": backoff, "error": repr(exc)})
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                self._close()

    def _consume(self) -> None:
        self._connection = pika.BlockingConnection(connection_parameters(self.settings.amqp_url))
        channel = self._connection.channel()
        self.names = declare_topology(channel, self.service, self.handlers.keys(), self.settings)
        channel.basic_qos(prefetch_count=self.settings.prefetch)
        self._publisher = self._connection.channel()
        self._publisher.confirm_delivery()
        channel.basic_consume(queue=self.names.main, on_message_callback=self._on_message, auto_ack=False)
        self.ready.set()
        log.info("worker consuming", extra={"queue": self.names.main, "keys": sorted(self.handlers)})
        last_sweep = 0.0
        last_run = [0.0] * len(self.periodic)
        while not self._stopping.is_set():
            self._connection.process_data_events(time_limit=0.1)
            if time.monotonic() - last_sweep >= self.settings.outbox_sweep_seconds:
                last_sweep = time.monotonic()
                self.relay_outbox(older_than=self.settings.outbox_grace_seconds)
            for index, (interval, job) in enumerate(self.periodic):
                if time.monotonic() - last_run[index] >= interval:
                    last_run[index] = time.monotonic()
                    self._run_periodic(job)

    def _run_periodic(self, job) -> None:
        try:
            emitted = job(self.db)
        except Exception:  # a failing job must not stop consumption; it runs again next interval
            log.exception("periodic job failed", extra={"job": getattr(job, "__name__", repr(job))})
            return
        if emitted:
            self.relay_outbox(ids=emitted)

    def _close(self) -> None:
        try:
            if self._connection is not None and self._connection.is_open:
                self._connection.close()
        except Exception:
            pass
        self._connection = None

    def relay_outbox(self, ids=None, older_than: float = 0.0) -> int:
        return send_outbox_rows(self.db, self._publisher, self.settings.exchange, ids, older_than=older_than)

    # -- one message -------------------------------------------------------------------------------
    def _on_message(self, channel, method, properties, body: bytes) -> None:
        headers = dict(properties.headers or {})
        attempt = int(headers.get(ATTEMPT_HEADER, 1))
        try:
            event = parse_envelope(json.loads(body))
        except (ValueError, ContractError) as exc:  # JSON errors are ValueErrors too
            self._park(body, properties, method.routing_key, f"contract: {exc}", attempt)
            channel.basic_ack(method.delivery_tag)
            return
        token = logs.correlation_id.set(event.correlation_id)
        try:
            emitted = self.apply(event)
        except Exception as exc:
            log.exception("handler failed", extra={"event_id": event.id, "type": event.type, "attempt": attempt})
            reason = f"{type(exc).__name__}: {exc}"
            if attempt < self.settings.max_attempts:
                self._retry(body, properties, attempt, reason)
            else:
                self._park(body, properties, event.type, f"failed {attempt} times; last error: {reason}", attempt)
            channel.basic_ack(method.delivery_tag)
            return
        finally:
            logs.correlation_id.reset(token)
        channel.basic_ack(method.delivery_tag)  # only after the handler's transaction committed
        metrics.event_consumed(self.service, event.type)
        if emitted:
            try:
                self.relay_outbox(ids=emitted)
            except Exception:
                log.warning("publishing follow-up events failed; the relay will retry them")

    def apply(self, event: Event) -> list[str] | None:
        """Run the handlers and record the event in the inbox, in one transaction.
        Returns the ids of events the handlers emitted, or None for a duplicate."""
        with UnitOfWork(self.db, source=self.service, correlation_id=event.correlation_id) as uow:
            try:
                uow.session.execute(self.db.inbox.insert().values(
                    event_id=event.id, type=event.type, processed_at=utcnow()))
            except IntegrityError:
                log.info("duplicate event skipped", extra={"event_id": event.id, "type": event.type})
                return None
            for handler in self.handlers.get(event.type, []):
                handler(event, uow)
            emitted = list(uow.emitted)
            uow.commit()
            return emitted

    def _republish(self, queue: str, body: bytes, properties, headers: dict) -> None:
        self._publisher.basic_publish(
            exchange="", routing_key=queue, body=body,
            properties=pika.BasicProperties(
                content_type=properties.content_type, delivery_mode=pika.DeliveryMode.Persistent,
                message_id=properties.message_id, correlation_id=properties.correlation_id,
                type=properties.type, headers=headers))

    def _retry(self, body, properties, attempt: int, reason: str) -> None:
        headers = dict(properties.headers or {})
        headers.update({ATTEMPT_HEADER: attempt + 1, "x-pasar-last-error": reason[:1000]})
        metrics.event_retried(self.service, properties.type or "unknown")
        # growing delay: the n-th retry waits in the n-th (longer) retry queue
        self._republish(self.names.retries[min(attempt - 1, len(self.names.retries) - 1)], body, properties, headers)

    def _park(self, body, properties, routing_key: str, reason: str, attempt: int) -> None:
        log.error("message parked", extra={"reason": reason, "routing_key": routing_key})
        metrics.event_parked(self.service, routing_key)
        headers = dict(properties.headers or {})
        headers.update({"x-pasar-park-reason": reason[:2000], "x-pasar-attempts": attempt,
                        "x-pasar-routing-key": routing_key, "x-pasar-parked-at": utcnow().isoformat()})
        self._republish(self.names.parked, body, properties, headers)
