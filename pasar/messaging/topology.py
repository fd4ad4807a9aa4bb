"""Exchange and queues, declared idempotently by code at worker start.

  pasar.events (topic) --key--> <prefix><service>            main queue, durable
  <main>.retry.<delay>ms   TTL = delay, dead-letters back to the main queue (one per delay step)
  <main>.parked            messages that failed N times or broke their contract, with the reason

Delays are part of the retry queues' names, so changing RETRY_DELAYS_MS never collides with queues
already declared with other arguments."""
from __future__ import annotations

from dataclasses import dataclass

from ..config import MessagingSettings


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


def declare_topology(channel, service: str, routing_keys, settings: MessagingSettings) -> QueueNames:
    names = QueueNames.for_service(service, settings)
    channel.exchange_declare(exchange=settings.exchange, exchange_type="topic", durable=True)
    channel.queue_declare(queue=names.main, durable=True)
    for key in sorted(set(routing_keys)):
        channel.queue_bind(queue=names.main, exchange=settings.exchange, routing_key=key)
    for delay, name in zip(settings.retry_delays_ms, names.retries):
        channel.queue_declare(queue=name, durable=True, arguments={
            "x-message-ttl": int(delay),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": names.main,
        })
    channel.queue_declare(queue=names.parked, durable=True)
    return names
