"""Sending email / WhatsApp deliveries outside the event's transaction, with retries and parking.

The event handler only records `pending` delivery rows (with the inbox message, in its transaction),
so an SMTP outage never makes the event itself fail and come back. Sending happens here:

  claim (short transaction: status=sending, lease) -> send (no transaction open) -> record the result:
  sent | pending again after the next backoff delay | parked (retries exhausted or refused for good).

Each channel has its own loop thread, so a hanging SMTP server never delays WhatsApp messages. A
claimed row whose process died mid-send becomes due again when its lease runs out."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from pasar import config
from pasar.db import Database
from pasar.stamps import utcnow

from . import domain
from .channels import SENDERS, SendError
from .models import Delivery

log = logging.getLogger("notifications.dispatch")


def retry_delays() -> tuple[float, ...]:
    return domain.parse_delays(config.setting("NOTIFY_RETRY_DELAYS_SECONDS", "30,120,600,3600"))


@dataclass(frozen=True)
class Claimed:
    """A snapshot of a claimed row, so the send runs with no session open."""
    id: str
    recipient_id: str
    channel: str
    address: str | None
    locale: str
    subject: str
    text: str
    html: str | None
    event_id: str
    attempts: int


class Dispatcher:
    def __init__(self, db: Database, channel: str, senders: dict | None = None, lease_seconds: float = 120.0):
        self.db = db
        self.channel = channel
        self.senders = senders or SENDERS
        self.lease = timedelta(seconds=lease_seconds)

    def claim(self, limit: int = 20) -> list[Claimed]:
        now = utcnow()
        with self.db.WriteSession() as session:
            query = (select(Delivery)
                     .where(Delivery.channel == self.channel,
                            Delivery.status.in_((domain.PENDING, domain.SENDING)),
                            Delivery.next_attempt_at <= now)
                     .order_by(Delivery.next_attempt_at).limit(limit))
            if self.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            rows = session.scalars(query).all()
            claimed = []
            for row in rows:
                row.status = domain.SENDING
                row.next_attempt_at = now + self.lease
                claimed.append(Claimed(row.id, row.recipient_id, row.channel, row.address, row.locale, row.subject,
                                       row.text, row.html, row.event_id, row.attempts))
            session.commit()
        return claimed

    def sweep(self, limit: int = 20) -> int:
        """Send whatever is due on this channel; returns how many were attempted."""
        claimed = self.claim(limit)
        for item in claimed:
            self.send_one(item)
        return len(claimed)

    def send_one(self, item: Claimed) -> None:
        provider_id, error, permanent = None, None, False
        try:
            provider_id = self.senders[item.channel](item)
        except SendError as exc:
            error, permanent = str(exc), exc.permanent
        except Exception as exc:  # a bug in a sender must not stop the loop; it counts as a failed try
            log.exception("sender crashed", extra={"delivery_id": item.id, "channel": item.channel})
            error = f"{type(exc).__name__}: {exc}"
        attempts = item.attempts + 1
        with self.db.WriteSession() as session:
            row = session.get(Delivery, item.id)
            if row is None:
                return
            row.attempts = attempts
            if error is None:
                row.status, row.sent_at, row.provider_id, row.last_error = domain.SENT, utcnow(), provider_id, None
                row.next_attempt_at = None
            else:
                delay = None if permanent else domain.retry_delay(attempts, retry_delays())
                row.last_error = error[:2000]
                if delay is None:
                    row.status, row.next_attempt_at = domain.PARKED, None
                    log.error("delivery parked", extra={"delivery_id": item.id, "channel": item.channel,
                                                        "attempts": attempts, "error": error[:300]})
                else:
                    row.status, row.next_attempt_at = domain.PENDING, utcnow() + timedelta(seconds=delay)
                    log.warning("delivery failed; will retry", extra={"delivery_id": item.id, "in_seconds": delay,
                                                                      "channel": item.channel, "error": error[:300]})
            session.commit()


class DispatchLoop(threading.Thread):
    """One channel's sender thread: wakes when a handler committed new rows, else polls for retries."""

    def __init__(self, dispatcher: Dispatcher, interval: float):
        super().__init__(name=f"dispatch-{dispatcher.channel}", daemon=True)
        self.dispatcher = dispatcher
        self.interval = interval
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(self.interval)
            self.wake.clear()
            if self.stopping.is_set():
                break
            try:
                while self.dispatcher.sweep() and not self.stopping.is_set():
                    pass
            except Exception:  # database briefly away: try again on the next tick
                log.exception("dispatch sweep failed", extra={"channel": self.dispatcher.channel})

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()


_loops: dict[int, list[DispatchLoop]] = {}
_loops_lock = threading.Lock()


def ensure_running(db: Database) -> list[DispatchLoop]:
    """Start this process's sender threads for `db` if they are not running (the worker's PERIODIC job
    calls it every few seconds, so they start with the worker and come back if one ever dies)."""
    with _loops_lock:
        loops = [loop for loop in _loops.get(id(db), []) if loop.is_alive()]
        running = {loop.dispatcher.channel for loop in loops}
        interval = float(config.setting("NOTIFY_DISPATCH_POLL_SECONDS", "1"))
        for channel in domain.EXTERNAL_CHANNELS:
            if channel not in running:  # first call, or the thread died: (re)start it
                loop = DispatchLoop(Dispatcher(db, channel), interval)
                loop.start()
                loops.append(loop)
        _loops[id(db)] = loops
        return loops


def wake(db: Database) -> None:
    for loop in _loops.get(id(db), []):
        loop.wake.set()


def stop(db: Database) -> None:
    with _loops_lock:
        loops = _loops.pop(id(db), [])
    for loop in loops:
        loop.stop()
    for loop in loops:
        loop.join(timeout=15)
