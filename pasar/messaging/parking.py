"""Parked messages, for the operator (issue 16's desk): how many wait in each app's parking queue, the latest
few with why they were parked, and replaying one (by event id) or all of them back into the main queue.

A replay publishes the message to the main queue (the default exchange, as a retry coming back does) with its
attempt count reset, waits for the broker's confirm, and only then acks it off the parking queue: a crash in
between leaves a copy in both, and the consumer's inbox (dedupe by event id) applies it at most once. Messages
looked at but not replayed are copied back to the tail of the parking queue before they are acked (see
`_go_through`), so looking never uses up a quorum queue's delivery limit."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pika

from ..stamps import utcnow
from .broker import connection_parameters
from .topology import QueueNames

PEEK_LIMIT = 500  # messages read to find the latest few / one event id; parking queues are small


@dataclass(frozen=True)
class ParkedMessage:
    event_id: str
    type: str
    reason: str
    parked_at: str
    attempts: int | None
    routing_key: str

    def as_dict(self) -> dict:
        return {"event_id": self.event_id, "type": self.type, "reason": self.reason, "parked_at": self.parked_at,
                "attempts": self.attempts, "routing_key": self.routing_key}


def describe(properties, body: bytes) -> ParkedMessage:
    """What the operator needs to see of one parked message. Parked by the worker: its `x-pasar-*` headers; parked
    by the broker (a message that kept killing its consumer): the broker's `x-death` record."""
    headers = dict(properties.headers or {})
    event_id, kind = properties.message_id or "", properties.type or ""
    if not (event_id and kind):
        try:
            envelope = json.loads(body)
            event_id, kind = event_id or str(envelope.get("id", "")), kind or str(envelope.get("type", ""))
        except (ValueError, AttributeError):
            pass
    reason = headers.get("x-pasar-park-reason")
    parked_at = headers.get("x-pasar-parked-at") or ""
    if reason is None:
        deaths = headers.get("x-death") or []
        death = deaths[0] if deaths else {}
        reason = f"broker: {death.get('reason', 'unknown')}" + (
            f" after {death.get('count')} deliveries" if death.get("count") else "")
        if not parked_at and death.get("time"):
            parked_at = death["time"].isoformat() if hasattr(death["time"], "isoformat") else str(death["time"])
    reason = reason.decode() if isinstance(reason, bytes) else str(reason)
    attempts = headers.get("x-pasar-attempts")
    return ParkedMessage(event_id, kind, reason, str(parked_at), int(attempts) if attempts is not None else None,
                         str(headers.get("x-pasar-routing-key") or kind))


def _parked_queue(channel, names: QueueNames) -> int | None:
    try:
        return channel.queue_declare(names.parked, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker:  # never declared: no worker of this app has started
        return None


def _copy(channel, queue: str, properties, body: bytes, headers: dict) -> None:
    """Publish (the channel is in confirm mode: returns once the broker has it) a copy of a message to `queue`."""
    channel.basic_publish(exchange="", routing_key=queue, body=body, properties=pika.BasicProperties(
        content_type=properties.content_type or "application/json", delivery_mode=pika.DeliveryMode.Persistent,
        message_id=properties.message_id, correlation_id=properties.correlation_id, type=properties.type,
        headers=headers))


def _go_through(channel, names: QueueNames, count: int, pick) -> tuple[list[ParkedMessage], list[ParkedMessage]]:
    """Take each parked message once (at most PEEK_LIMIT): a picked one is copied to the main queue, any other is
    copied back to the tail of the parking queue, and only then is the original acked. A message is never handed
    back unacked, because a quorum queue counts every return against its delivery limit (RabbitMQ 4.0 to 4.2, and
    its default limit is 20) and the parking queue has nowhere to dead-letter it: looking 20 times would drop it.
    A crash between copy and ack leaves two copies, never none; a replayed copy is dropped by the inbox."""
    seen, moved = [], []
    for _ in range(min(count, PEEK_LIMIT)):
        method, properties, body = channel.basic_get(names.parked, auto_ack=False)
        if method is None:
            break
        message = describe(properties, body)
        if pick(message):
            headers = {k: v for k, v in (properties.headers or {}).items()
                       if k not in ("x-death", "x-pasar-park-reason", "x-pasar-parked-at")}
            headers.update({"x-pasar-attempt": 1, "x-pasar-replayed-at": utcnow().isoformat()})
            _copy(channel, names.main, properties, body, headers)
            moved.append(message)
        else:
            # the reason travels in our own headers: a broker may drop an x-death a client publishes
            headers = {**(properties.headers or {}), "x-pasar-park-reason": message.reason,
                       "x-pasar-parked-at": message.parked_at}
            _copy(channel, names.parked, properties, body, headers)
            seen.append(message)
        channel.basic_ack(method.delivery_tag)
    return seen, moved


def parked_overview(amqp_url: str, names: list[QueueNames], latest: int = 5) -> list[dict]:
    """Per app queue: the parked count and the latest `latest` parked messages (newest first). Nothing is lost
    and the order is kept: every message is read once and put back at the tail."""
    out = []
    conn = pika.BlockingConnection(connection_parameters(amqp_url, quick=True, name="operator-desk"))
    try:
        for queue in names:
            channel = conn.channel()
            count = _parked_queue(channel, queue)
            if count is None:
                out.append({"queue": queue.main, "parked_queue": queue.parked, "declared": False, "count": 0,
                            "latest": []})
                continue
            seen = []
            if count and latest:
                channel.confirm_delivery()
                seen, _ = _go_through(channel, queue, count, lambda _m: False)
            channel.close()
            out.append({"queue": queue.main, "parked_queue": queue.parked, "declared": True, "count": count,
                        "latest": [m.as_dict() for m in reversed(seen[-latest:])] if latest else []})
    finally:
        try:
            conn.close()
        except Exception:
            pass
    return out


def replay(amqp_url: str, names: QueueNames, event_id: str | None = None) -> list[ParkedMessage]:
    """Move the parked message with this event id (every copy of it), or with None every parked message, back
    to the main queue; answers what was moved. The copy in the main queue is confirmed before the parked one
    is acked."""
    conn = pika.BlockingConnection(connection_parameters(amqp_url, quick=True, name="operator-desk"))
    try:
        channel = conn.channel()
        count = _parked_queue(channel, names)
        if not count:
            return []
        channel.confirm_delivery()
        _, moved = _go_through(channel, names, count, lambda m: event_id is None or m.event_id == event_id)
        channel.close()
    finally:
        try:
            conn.close()
        except Exception:
            pass
    return moved
