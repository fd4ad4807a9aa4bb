"""Exchange and queues, declared idempotently by code at worker start.

  pasar.events (topic) --key--> <prefix><service>            main queue, durable
  <main>.retry.<delay>ms   TTL = delay, dead-letters back to the main queue (one per delay step)
  <main>.parked            messages that failed N times or broke their contract, with the reason

Delays are part of the retry queues' names, so changing RETRY_DELAYS_MS never collides with queues
already declared with other arguments.

QUEUE_TYPE=quorum (a RabbitMQ cluster) makes all three kinds quorum queues: each message is kept on a majority of
the nodes, so losing one node of three loses nothing and stops nothing. Quorum queues also let the broker itself
park a message that keeps killing its consumer: after CRASH_DELIVERY_LIMIT deliveries that were never acked (the
worker died mid-handler each time), the main queue dead-letters it to the parking queue. Handler failures do not
count against it: the worker acks those and republishes them to a retry queue itself. Dead-lettering is
"at-least-once" (the broker keeps the message until the target queue has confirmed it; it needs x-overflow
reject-publish), so a retry whose delay expires while a node is down is not dropped on the way back."""
from __future__ import annotations

from dataclasses import dataclass

import pika

from ..config import MessagingSettings

QUEUE_TYPES = ("classic", "quorum")
# Generous on purpose: every message a dying worker held (up to PREFETCH) is counted, not only the guilty one.
CRASH_DELIVERY_LIMIT = 20


class QueueDeclarationMismatch(RuntimeError):
    """A queue exists with other arguments than this process declares (typically another QUEUE_TYPE). Not a
    transient fault: retrying cannot help, an operator has to act."""


@dataclass(frozen=True)
class QueueNames:
    main: str
    retries: tuple[str, ...]
    parked: str

    @classmethod
    def for_service(cls, service: str, settings: MessagingSettings) -> "QueueNames":
        main = f"{settings.queue_prefix}{service}"
        return cls(main=main,
                   retries=tuple(f"{main}.retry.{d}ms" for d in settings.retry_delays_ms),
                   parked=f"{main}.parked")


def queue_arguments(names: QueueNames, settings: MessagingSettings) -> dict[str, dict]:
    """Queue name -> declaration arguments. Classic queues keep exactly the arguments they always had, so
    queues declared by earlier versions stay equivalent."""
    if settings.queue_type not in QUEUE_TYPES:
        raise ValueError(f"QUEUE_TYPE must be one of {', '.join(QUEUE_TYPES)}, not {settings.queue_type!r}")
    quorum = settings.queue_type == "quorum"
    replicated = {"x-queue-type": "quorum"} if quorum else {}
    safe_dead_lettering = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"} if quorum else {}
    arguments = {names.main: {**replicated, **({
        "x-delivery-limit": CRASH_DELIVERY_LIMIT,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": names.parked,
        **safe_dead_lettering,
    } if quorum else {})}}
    for delay, name in zip(settings.retry_delays_ms, names.retries):
        arguments[name] = {**replicated, "x-message-ttl": int(delay), "x-dead-letter-exchange": "",
                           "x-dead-letter-routing-key": names.main, **safe_dead_lettering}
    arguments[names.parked] = dict(replicated)
    return arguments


def _declare(channel, queue: str, arguments: dict, settings: MessagingSettings) -> None:
    try:
        channel.queue_declare(queue=queue, durable=True, arguments=arguments or None)
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code != 406:  # PRECONDITION_FAILED: the queue exists with other arguments
            raise
        raise QueueDeclarationMismatch(
            f"queue {queue!r} already exists with other arguments than this process declares with "
            f"QUEUE_TYPE={settings.queue_type} (the broker says: {exc.reply_text}). A queue's type cannot change in "
            f"place: set QUEUE_TYPE back to the type the queues were made with, or drain the queue and delete it "
            f"(rabbitmqctl delete_queue {queue}) so it is declared anew, or move to new queues with another "
            f"QUEUE_PREFIX.") from None


def declare_topology(channel, service: str, routing_keys, settings: MessagingSettings) -> QueueNames:
    names = QueueNames.for_service(service, settings)
    arguments = queue_arguments(names, settings)
    channel.exchange_declare(exchange=settings.exchange, exchange_type="topic", durable=True)
    _declare(channel, names.main, arguments[names.main], settings)
    for key in sorted(set(routing_keys)):
        channel.queue_bind(queue=names.main, exchange=settings.exchange, routing_key=key)
    for name in names.retries:
        _declare(channel, name, arguments[name], settings)
    _declare(channel, names.parked, arguments[names.parked], settings)
    return names
