"""A worker whose database goes away for a minute, while events keep arriving, carries on: same process,
nothing parked, every event applied exactly once when the database is back. The cable is cut by a TCP
proxy between the worker and the real PostgreSQL (the server keeps running for everyone else); the
events are written and published by the test over its own, uncut connection."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pika
import pytest

from pasar.db import UnitOfWork
from pasar.messaging import Publisher, QueueNames
from tests.support import probe_service as probe
from tests.support.infra import RELEASE_CHECKS, BrokerNamespace, wait_until
from tests.support.private_broker import PrivateBroker
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration
# a minute in the release check; in `make test` 15 s, still 20 times the whole retry ladder (100+200+400 ms) the
# tests configure, so a worker that counted the outage against its messages would park them many times over
OUTAGE_SECONDS = 60 if RELEASE_CHECKS else 15


@pytest.fixture(scope="module")
def rabbit():
    node = PrivateBroker().start()
    yield node
    node.shutdown()


def through(proxy: TcpProxy, url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}").geturl()


def queue_depth(ns: BrokerNamespace) -> int:
    conn = pika.BlockingConnection(pika.URLParameters(ns.amqp_url))
    try:
        return conn.channel().queue_declare(QueueNames.for_service("probe", ns.settings()).main,
                                            passive=True).method.message_count
    finally:
        conn.close()


class EventStream:
    """Emits one listing.updated every `every` seconds on its own thread, like shops editing listings."""

    def __init__(self, db, ns, every: float = 0.25):
        self.db, self.publisher, self.every = db, Publisher(ns.settings()), every
        self.ids: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self._stop.wait(self.every):
            with UnitOfWork(self.db, publisher=self.publisher, source="probe") as uow:
                self.ids.append(uow.emit("listing.updated", probe.listing_event(f"stream-{n}")))
                uow.commit()
            n += 1

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=15)
        self.publisher.close()


def test_worker_rides_out_a_minute_without_its_database(pg_url, rabbit, tmp_path):
    ns = BrokerNamespace.new(amqp_url=rabbit.url)
    db = probe.make_db(pg_url)  # the test's own connection, never cut
    proxy = TcpProxy("127.0.0.1", urlsplit(pg_url).port or 5432).start()
    log_path = tmp_path / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "tests.support.probe_service", through(proxy, pg_url)],
                              env={**os.environ, **ns.env()}, stdout=subprocess.DEVNULL,
                              stderr=open(log_path, "wb"), start_new_session=True)
    try:
        # the worker declares its queue; events published before that would have nowhere to go
        wait_until(lambda: queue_depth(ns) == 0, timeout=30, message="worker's queue declared")
        with EventStream(db, ns) as stream:
            wait_until(lambda: probe.applied_count(db) >= 8, timeout=30, message="worker applying the stream")
            proxy.cut()
            cut_at = time.monotonic()
            wait_until(lambda: "database unavailable" in log_path.read_text(), timeout=20,
                       message="worker noticed the outage")
            emitted_before_cut = len(stream.ids)
            # the outage lasts a minute; meanwhile events pile up in the queue, none consumed or parked
            wait_until(lambda: time.monotonic() - cut_at >= OUTAGE_SECONDS and queue_depth(ns) > 0,
                       timeout=OUTAGE_SECONDS + 20, interval=1, message="a minute of outage")
            assert worker.poll() is None, log_path.read_text()
            assert len(stream.ids) > emitted_before_cut + OUTAGE_SECONDS * 1.5  # events kept coming meanwhile
            applied_during_outage = probe.applied_count(db)
            proxy.restore()
            restored_at = time.monotonic()
            wait_until(lambda: probe.applied_count(db) > applied_during_outage, timeout=60, interval=0.1,
                       message="worker consuming again after the database returned")
            resumed_in = time.monotonic() - restored_at
            wait_until(lambda: probe.applied_count(db) >= len(stream.ids) - 1, timeout=60, interval=0.2,
                       message="backlog applied after the database returned")
            recovered_in = time.monotonic() - restored_at
        final = list(stream.ids)
        wait_until(lambda: probe.applied_count(db) == len(final), timeout=30, message="every event applied")
        assert worker.poll() is None, log_path.read_text()  # the same process throughout
        counts = probe.applied_counts_by_event(db)
        assert set(counts) == set(final)
        assert [eid for eid, n in counts.items() if n != 1] == []  # each exactly once
        assert ns.parked("probe") == []
        print(f"\noutage {OUTAGE_SECONDS}s, {len(final)} events; consuming again {resumed_in:.1f}s and backlog "
              f"applied {recovered_in:.1f}s after the database returned")
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        proxy.stop()
        db.dispose()
        ns.cleanup(services=("probe",))
