"""Is an error the message's fault or the infrastructure's, and how long to wait before reconnecting.

Only the handler's own errors count an attempt and move a message toward the retry queues and parking.
An infrastructure fault says nothing about the message, so the worker gives it back untouched:

  conflict  the database refused this transaction because of another one (serialization failure,
            deadlock, lock not available, SQLite busy/locked): requeue and carry on consuming.
  outage    the database or the broker is unreachable, overloaded or going away (connection refused
            or lost, too many clients, admin shutdown, any pika connection/channel error): stop
            consuming, reconnect both with backoff; unacked messages return as redeliveries."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import pika.exceptions

from ..db import database_fault

CONFLICT, OUTAGE = "conflict", "outage"


@dataclass(frozen=True)
class Fault:
    kind: str    # CONFLICT or OUTAGE
    source: str  # "database" or "broker"


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def classify(exc: BaseException) -> Fault | None:
    """The infrastructure fault behind `exc` (looking through wrapped causes), or None if the error
    is the code's own (a bug, a broken invariant, bad data) and so the message's."""
    for link in _chain(exc):
        if isinstance(link, InfrastructureFault):
            return link.fault
        if isinstance(link, pika.exceptions.AMQPError):
            return Fault(OUTAGE, "broker")
        kind = database_fault(link)
        if kind:
            return Fault(kind, "database")
    return None


class InfrastructureFault(Exception):
    """Raised out of the consume loop so the worker drops its connections and reconnects; the message
    being handled is not acked, so the broker redelivers it (attempt count unchanged)."""

    def __init__(self, fault: Fault, cause: BaseException):
        super().__init__(f"{fault.source} {fault.kind}: {type(cause).__name__}: {cause}")
        self.fault = fault


class Backoff:
    """Jittered exponential backoff: base · factor^n, capped, each wait drawn from [½·d, d] so a fleet of
    workers does not reconnect in lockstep. Once a connection has stayed healthy for `healthy_after`
    seconds, the next failure starts again from `base` (one outage last week does not slow today's)."""

    def __init__(self, base: float = 0.5, factor: float = 2.0, cap: float = 10.0, healthy_after: float = 10.0,
                 rng=random.random, clock=time.monotonic):
        self.base, self.factor, self.cap, self.healthy_after = base, factor, cap, healthy_after
        self._rng, self._clock = rng, clock
        self.failures = 0
        self._healthy_since: float | None = None

    def healthy(self) -> None:
        """The connection is up and working; start the healthy clock (idempotent)."""
        if self._healthy_since is None:
            self._healthy_since = self._clock()

    def failed(self) -> float:
        """Seconds to wait before the next attempt."""
        if self._healthy_since is not None and self._clock() - self._healthy_since >= self.healthy_after:
            self.failures = 0
        self._healthy_since = None
        ceiling = min(self.cap, self.base * self.factor ** self.failures)
        self.failures += 1
        return ceiling * (0.5 + 0.5 * self._rng())

    def reset(self) -> None:
        self.failures = 0
        self._healthy_since = None
