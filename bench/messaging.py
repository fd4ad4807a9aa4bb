"""P5, the event bus: raw RabbitMQ with batched publisher confirms (the broker's real limit) beside the
same number of events through our whole path (commit to the outbox -> the web process's hand-off publisher
-> broker -> worker batch + inbox + handler commit -> ack), on SQLite and on PostgreSQL, in the same run.
The old baseline (one confirm per message) is printed too, for the before/after table."""
from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import replace

import pika

from bench.common import machine_load, target_line
from pasar.db import UnitOfWork
from pasar.messaging import HandOffPublisher, Worker
from pasar.messaging.broker import ConfirmedBatches
from pasar.messaging.worker import run_consumers
from tests.support import probe_service as probe
from tests.support.infra import BrokerNamespace, postgres_database, wait_until

N = 2000
BATCH = 100
PRODUCERS = 8
BODY = b'{"x": 1}' * 20


def _consume(conn, queue: str, n: int, ack_every: int) -> None:
    consumer = conn.channel()
    consumer.basic_qos(prefetch_count=2 * ack_every)
    got = 0
    for method, _props, _body in consumer.consume(queue, inactivity_timeout=10):
        if method is None:
            break
        got += 1
        if got % ack_every == 0 or got == n:
            consumer.basic_ack(method.delivery_tag, multiple=True)
        if got == n:
            break
    consumer.cancel()
    assert got == n, f"raw consume got {got} of {n}"


def raw_rabbitmq(ns: BrokerNamespace, n: int = N, batched: bool = True) -> float:
    """Persistent publish with confirms (batched: one wait per BATCH) + manual-ack consume."""
    conn = pika.BlockingConnection(pika.URLParameters(ns.amqp_url))
    queue = f"{ns.queue_prefix}raw"
    conn.channel().queue_declare(queue, durable=True)
    props = pika.BasicProperties(delivery_mode=2)
    started = time.perf_counter()
    if batched:
        channel = ConfirmedBatches(conn)
        for i in range(n):
            channel.publish("", queue, BODY, props)
            if (i + 1) % BATCH == 0:
                channel.wait_for_confirms()
        channel.wait_for_confirms()
    else:
        channel = conn.channel()
        channel.confirm_delivery()
        for _ in range(n):
            channel.basic_publish("", queue, BODY, props)
    _consume(conn, queue, n, BATCH if batched else 1)
    elapsed = time.perf_counter() - started
    conn.channel().queue_delete(queue)
    conn.close()
    return n / elapsed


def commit_ceiling(url: str, threads: int, n: int = 40) -> float:
    """Bare one-row commits/s on this database at `threads` at once: the floor under any outbox path
    (every event costs at least its business transaction's commit)."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url, pool_size=threads, max_overflow=0)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_commits (id serial PRIMARY KEY, v text)"))

    def go():
        for _ in range(n):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO bench_commits (v) VALUES ('x')"))
    started = time.perf_counter()
    workers = [threading.Thread(target=go) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    rate = n * threads / (time.perf_counter() - started)
    engine.dispose()
    return rate


def through_outbox_and_inbox(settings, url: str, n: int = N, consumers: int = 2) -> float:
    db = probe.make_db(url)
    workers = [Worker("probe", db, probe.HANDLERS, settings)]
    workers += [Worker("probe", db, probe.HANDLERS, settings, sweeps=False) for _ in range(consumers - 1)]
    thread = threading.Thread(target=run_consumers, args=(workers,), daemon=True)
    thread.start()
    wait_until(lambda: all(w.ready.is_set() for w in workers), timeout=30)
    publisher = HandOffPublisher(settings)

    def produce(count: int, tag: int) -> None:
        for i in range(count):  # one business transaction per event, as a web request makes them
            with UnitOfWork(db, publisher=publisher, source="probe") as uow:
                uow.emit("listing.updated", probe.listing_event(f"bench {tag}-{i}"))
                uow.commit()

    started = time.perf_counter()
    producers = [threading.Thread(target=produce, args=(n // PRODUCERS, t)) for t in range(PRODUCERS)]
    for p in producers:
        p.start()
    for p in producers:
        p.join()
    wait_until(lambda: probe.applied_count(db) >= n, timeout=300, interval=0.05, message="all applied")
    elapsed = time.perf_counter() - started
    workers[0].stop()
    thread.join(15)
    publisher.close()
    db.dispose()
    return n / elapsed


def run() -> list[str]:
    ns = BrokerNamespace.new()
    lines = [machine_load()]
    try:
        single = raw_rabbitmq(ns, 1000, batched=False)
        raw = raw_rabbitmq(ns)
        lines.append(f"raw RabbitMQ, one confirm per message          {single:9.1f} msg/s  (the old baseline)")
        lines.append(f"raw RabbitMQ, confirms batched by {BATCH:<4}          {raw:9.1f} msg/s  (baseline, {N} messages)")
        # the sweep is the safety net here: the hand-off publisher sends first (grace 2 s as in production)
        settings = replace(ns.settings(), prefetch=64, outbox_sweep_seconds=0.5, outbox_grace_seconds=2.0)
        with postgres_database("pasar_bench") as pg_url:
            for label, url in (("sqlite", f"sqlite:///{tempfile.mkdtemp()}/probe.db"), ("postgresql", pg_url)):
                rate = through_outbox_and_inbox(settings, url)
                ns.cleanup(services=("probe",))
                lines.append(f"outbox->relay->inbox on {label:<11}             {rate:9.1f} events/s "
                             f"= {rate / raw:.3f}x of raw batched, {rate / single:.2f}x of raw one-by-one")
                if label == "postgresql":
                    ceiling = commit_ceiling(pg_url, PRODUCERS)
                    lines.append(f"PostgreSQL bare commits, {PRODUCERS} threads            {ceiling:9.1f} commits/s "
                                 f"(the floor: each event is one business commit, plus its share of batches)")
                    lines.append(target_line("P5 bus, PostgreSQL", rate, raw, at_least=0.5, unit=" /s",
                                             note=f"= {rate / ceiling:.2f}x of the commit ceiling"))
                else:
                    lines.append(target_line("P5 bus, SQLite (no target; shown)", rate, raw, at_least=0.5,
                                             unit=" /s"))
        lines.append(machine_load())
        return lines
    finally:
        ns.cleanup(services=("probe",))
