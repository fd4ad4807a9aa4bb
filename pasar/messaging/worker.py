"""The consuming side: inbox dedupe in the handler's transaction, ack after commit, retry with growing
delay, park after N attempts or on a broken contract, and reconnect with backoff when the broker or the
database goes (an infrastructure fault is never counted against the message; see faults.py).
The same loop relays the service's outbox, so one worker process per service does both jobs."""
from __future__ import annotations

import json
import logging
import random
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
from .faults import CONFLICT, OUTAGE, Backoff, Fault, InfrastructureFault, classify
from .topology import declare_topology

log = logging.getLogger("pasar.worker")
Handler = Callable[[Event, UnitOfWork], None]
ATTEMPT_HEADER = "x-pasar-attempt"


def _as_list(handlers) -> list[Handler]:
    return list(handlers) if isinstance(handlers, (list, tuple)) else [handlers]


class Worker:
    def __init__(self, service: str, db: Database, handlers: dict[str, Handler | Iterable[Handler]],
                 settings: config.MessagingSettings | None = None,
                 periodic: Iterable[tuple[float, Callable[[Database], list[str] | None]]] = (),
                 backoff: Backoff | None = None):
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
        self._publisher = None
        self.backoff = backoff or Backoff()

    # -- lifecycle ---------------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        """Consume until stopped. Nothing that goes wrong in a session ends the process: the session's
        connections are dropped and a new one starts after a jittered, growing pause."""
        while not self._stopping.is_set():
            try:
                self._session()
            except Exception as exc:  # any failure of the loop itself: reconnect, never exit
                self.ready.clear()
                fault = classify(exc)
                delay = self.backoff.failed()
                if fault is None:
                    log.exception("worker session failed; reconnecting", extra={"in_seconds": round(delay, 2)})
                else:
                    log.warning(f"{fault.source} unavailable; reconnecting",
                                extra={"in_seconds": round(delay, 2), "fault": fault.kind, "error": repr(exc)})
                if fault is None or fault.source == "database":
                    self._drop_database_connections()
                self._stopping.wait(delay)
            finally:
                self._close()
        self.ready.clear()

    def _session(self) -> None:
        """One connected period: database first (no point taking messages it cannot store), then the
        broker; consume, relay the outbox and run periodic jobs until stopped or something breaks."""
        self.db.ping()
        self._connection = pika.BlockingConnection(
            connection_parameters(self.settings.amqp_url, name=f"{self.service}-worker"))
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
            self.backoff.healthy()
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
        except Exception as exc:
            fault = classify(exc)
            if fault is not None and fault.kind == OUTAGE:
                raise  # the database went: reconnect like for any other outage
            # the job's own error or a lost race: it runs again next interval; consumption goes on
            log.exception("periodic job failed", extra={"job": getattr(job, "__name__", repr(job))})
            return
        if emitted:
            self.relay_outbox(ids=emitted)

    def _drop_database_connections(self) -> None:
        try:  # pooled connections may be dead; the next session opens fresh ones
            self.db.dispose()
        except Exception:
            log.warning("could not drop pooled database connections", exc_info=True)

    def _close(self) -> None:
        try:
            if self._connection is not None and self._connection.is_open:
                self._connection.close()
        except Exception:
            pass
        self._connection = None

    def relay_outbox(self, ids=None, older_than: float = 0.0) -> int:
        """Follow-up events of a handled message (`ids`) or the sweep of rows left unsent (`older_than`)."""
        return send_outbox_rows(self.db, self._publisher, self.settings.exchange, ids, older_than=older_than)

    # -- one message -------------------------------------------------------------------------------
    def _on_message(self, channel, method, properties, body: bytes) -> None:
        """The one place a delivered message is handled. Ack only after the handler's transaction
        committed; a broker or database fault anywhere here ends the session (see run), and the broker
        redelivers what was not acked."""
        headers = dict(properties.headers or {})
        attempt = int(headers.get(ATTEMPT_HEADER, 1))
        try:
            event = parse_envelope(json.loads(body))
        except (ValueError, ContractError) as exc:  # JSON errors are ValueErrors too
            self._park(body, properties, method.routing_key, f"contract: {exc}", attempt)
            self._ack(channel, method.delivery_tag)
            return
        token = logs.correlation_id.set(event.correlation_id)
        try:
            emitted = self.apply(event)
        except Exception as exc:
            fault = classify(exc)
            if fault is not None:
                self._give_back(channel, method, event, fault, exc)
                return
            log.exception("handler failed", extra={"event_id": event.id, "type": event.type, "attempt": attempt})
            reason = f"{type(exc).__name__}: {exc}"
            if attempt < self.settings.max_attempts:
                self._retry(body, properties, attempt, reason)
            else:
                self._park(body, properties, event.type, f"failed {attempt} times; last error: {reason}", attempt)
            self._ack(channel, method.delivery_tag)
            return
        finally:
            logs.correlation_id.reset(token)
        self._ack(channel, method.delivery_tag)  # only after the handler's transaction committed
        metrics.event_consumed(self.service, event.type)
        if emitted:
            # sent at once for speed; if this fails the rows wait in the outbox and the sweep sends them
            self.relay_outbox(ids=emitted)

    def _give_back(self, channel, method, event: Event, fault: Fault, exc: BaseException) -> None:
        """Not the message's fault: it returns to the queue as it was (no attempt counted)."""
        if fault.kind == CONFLICT:
            log.info("transaction conflict; message requeued",
                     extra={"event_id": event.id, "type": event.type, "error": repr(exc)})
            channel.basic_nack(method.delivery_tag, requeue=True)
            self._stopping.wait(random.uniform(0.02, 0.2))  # let the other transaction finish first
            return
        log.warning("infrastructure fault while handling; pausing to reconnect",
                    extra={"event_id": event.id, "type": event.type, "error": repr(exc)})
        raise InfrastructureFault(fault, exc) from exc  # unacked: redelivered on the next connection

    def _ack(self, channel, delivery_tag) -> None:
        channel.basic_ack(delivery_tag)

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
