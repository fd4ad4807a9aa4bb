"""Messaging: raw RabbitMQ (confirmed persistent publish + manual-ack consume) beside the same number of
events through our whole path (outbox commit -> relay -> broker -> worker inbox + handler commit -> ack),
on SQLite and on PostgreSQL, measured in the same run."""
from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import replace

import pika

from pasar.db import UnitOfWork
from pasar.messaging import Worker
from tests.support import probe_service as probe
from tests.support.infra import BrokerNamespace, postgres_database, wait_until

N = 2000


def raw_rabbitmq(ns: BrokerNamespace, n: int = N) -> float:
    conn = pika.BlockingConnection(pika.URLParameters(ns.amqp_url))
    ch = conn.channel()
    queue = f"{ns.queue_prefix}raw"
    ch.queue_declare(queue, durable=True)
    ch.confirm_delivery()
    body = b'{"x": 1}' * 20
    started = time.perf_counter()
    for _ in range(n):
        ch.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2))
    consumer = conn.channel()
    consumer.basic_qos(prefetch_count=16)
    got = 0
    for method, _props, _body in consumer.consume(queue, inactivity_timeout=5):
        if method is None:
            break
        consumer.basic_ack(method.delivery_tag)
        got += 1
        if got == n:
            break
    elapsed = time.perf_counter() - started
    consumer.cancel()
    ch.queue_delete(queue)
    conn.close()
    assert got == n
    return n / elapsed


def through_outbox_and_inbox(settings, url: str, n: int = N) -> float:
    db = probe.make_db(url)
    worker = Worker("probe", db, probe.HANDLERS, settings)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    wait_until(worker.ready.is_set, timeout=15)
    started = time.perf_counter()
    for i in range(n):  # one business transaction per event; the worker's relay publishes them
        with UnitOfWork(db, publisher=None, source="probe") as uow:
            uow.emit("listing.updated", probe.listing_event(f"bench {i}"))
            uow.commit()
    wait_until(lambda: probe.applied_count(db) >= n, timeout=120, interval=0.05, message="all applied")
    elapsed = time.perf_counter() - started
    worker.stop()
    thread.join(10)
    db.dispose()
    return n / elapsed


def run() -> list[str]:
    ns = BrokerNamespace.new()
    try:
        raw = raw_rabbitmq(ns)
        lines = [f"raw RabbitMQ publish(confirm)+consume(ack)   {raw:9.1f} msg/s  (baseline, {N} messages)"]
        settings = replace(ns.settings(), prefetch=64, outbox_sweep_seconds=0.05, outbox_grace_seconds=0.0)
        with postgres_database("pasar_bench") as pg_url:
            for label, url in (("sqlite", f"sqlite:///{tempfile.mkdtemp()}/probe.db"), ("postgresql", pg_url)):
                rate = through_outbox_and_inbox(settings, url)
                ns.cleanup(services=("probe",))
                lines.append(f"outbox->relay->inbox on {label:<11}         {rate:9.1f} events/s  "
                             f"= {rate / raw:.3f}x of raw")
        return lines
    finally:
        ns.cleanup(services=("probe",))
