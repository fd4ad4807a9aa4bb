"""Prometheus metrics for every process, read at `/metrics` of the app they belong to.

Where the numbers live: gunicorn runs several worker processes per app and each service has a separate
`pasar worker` process, so counters cannot live in one process's memory. prometheus-client's multiprocess
mode keeps them in small memory-mapped files instead: `pasar web <app>` writes under
`<METRICS_DIR>/<app>/web`, `pasar worker <app>` under `<METRICS_DIR>/<app>/worker` (METRICS_DIR defaults to
`var/metrics`). Each command empties its own folder when it starts, so a restart does not add up a dead
process's files twice and the web and worker never wipe each other's. An app's `/metrics` merges both
folders: one scrape per service shows its requests, its worker's events and its saga timings. On one host
workers open no port of their own. Where web and worker do not share a filesystem (a Kubernetes pod each),
WORKER_METRICS_PORT makes `pasar worker` serve its own folder's series on that port (serve_worker below);
the web pod's /metrics then shows the web's series and the state gauges, the worker pod's its events.

Gauges that describe state rather than count happenings (outbox backlog and age, queue depth, consumers) are
read when scraped, by the web process, from the database and the broker.

A process started without `pasar web`/`pasar worker` (a test's in-process app) keeps its metrics in memory.

prometheus-client is imported only inside functions: it decides at import whether it is in multiprocess mode,
so `prepare()` must set the folder before anything imports it."""
from __future__ import annotations

import os
import shutil
import sys
import threading
from functools import cache
from pathlib import Path
from types import SimpleNamespace

from . import config

KINDS = ("web", "worker")
# seconds from a request arriving to its answer; a checkout that proxies and writes is tens of milliseconds
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# seconds from an order being placed to it being confirmed: stock, then (card) a payment a person makes
_SAGA_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


def base_dir() -> Path:
    return Path(config.setting("METRICS_DIR") or (config.var_dir() / "metrics"))


def process_dir(app: str, kind: str) -> Path:
    return base_dir() / app / kind


def prepare(app: str, kind: str) -> Path | None:
    """For `pasar web`/`pasar worker`, before gunicorn starts or the worker imports anything: an empty
    folder of this app and kind, named in PROMETHEUS_MULTIPROC_DIR for this process and its children.
    A folder that cannot be made does not stop the process: it runs with per-process metrics instead."""
    folder = process_dir(app, kind)
    try:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"metrics: cannot use {folder} ({exc}); each process keeps its own numbers", file=sys.stderr)
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return None
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


_series_lock = threading.Lock()


def series() -> SimpleNamespace:
    # `functools.cache` alone lets two threads of a fresh worker (its first two requests at once) both build the
    # series: the second registration raised DuplicateTimeseries, a 500 on a health check at start-up
    with _series_lock:
        return _build_series()


@cache
def _build_series() -> SimpleNamespace:
    from prometheus_client import Counter, Histogram
    return SimpleNamespace(
        requests=Counter("pasar_http_requests", "HTTP requests answered, by route (URL rule) and status",
                         ["app", "method", "route", "status"]),
        latency=Histogram("pasar_http_request_duration_seconds", "Time to answer, by route and status",
                          ["app", "method", "route", "status"], buckets=_LATENCY_BUCKETS),
        published=Counter("pasar_events_published", "Events the broker confirmed, by producing service and type",
                          ["service", "type"]),
        consumed=Counter("pasar_events_consumed", "Events a worker applied (duplicates included), by type",
                         ["service", "type"]),
        retried=Counter("pasar_events_retried", "Events sent back for another attempt after a handler error",
                        ["service", "type"]),
        parked=Counter("pasar_events_parked", "Events moved to the parking queue for a person to look at",
                       ["service", "type"]),
        saga=Histogram("pasar_order_placed_to_confirmed_seconds",
                       "Orders: time from placed to confirmed (stock reserved and, for card, paid)",
                       buckets=_SAGA_BUCKETS),
    )


# -- what the rest of the code calls (one line at each place where something happens) --------------------
_request_children: dict[tuple, tuple] = {}  # labels -> (counter, histogram): labels() costs more than inc()


def observe_request(app: str, method: str, route: str, status: int, seconds: float) -> None:
    key = (app, method, route, status)
    children = _request_children.get(key)
    if children is None:
        s, labels = series(), (app, method, route, str(status))
        children = _request_children[key] = (s.requests.labels(*labels), s.latency.labels(*labels))
    children[0].inc()
    children[1].observe(seconds)


def event_published(service: str, event_type: str) -> None:
    series().published.labels(service, event_type).inc()


def event_consumed(service: str, event_type: str) -> None:
    series().consumed.labels(service, event_type).inc()


def event_retried(service: str, event_type: str) -> None:
    series().retried.labels(service, event_type).inc()


def event_parked(service: str, event_type: str) -> None:
    series().parked.labels(service, event_type).inc()


def order_confirmed(seconds: float) -> None:
    series().saga.observe(max(seconds, 0.0))


# -- the scrape ------------------------------------------------------------------------------------------
class _MergedFolders:
    """The app's web and worker folders as one set of series (prometheus-client's own merge, over both)."""

    def __init__(self, app: str):
        self.app = app

    def collect(self):
        from prometheus_client.multiprocess import MultiProcessCollector
        files = [str(f) for kind in KINDS for f in sorted(process_dir(self.app, kind).glob("*.db"))]
        return MultiProcessCollector.merge(files, accumulate=True)


class _StateGauges:
    """Outbox backlog and the age of its oldest unsent row, the app's queue depth and consumer count."""

    def __init__(self, app: str, db, broker_counts):
        self.app, self.db, self.broker_counts = app, db, broker_counts

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily
        if self.db is not None:
            backlog, oldest = outbox_state(self.db)
            yield _gauge(GaugeMetricFamily, "pasar_outbox_backlog", "Outbox rows not yet confirmed by the broker",
                         self.app, backlog)
            yield _gauge(GaugeMetricFamily, "pasar_outbox_oldest_age_seconds",
                         "Age of the oldest unsent outbox row (0 when none waits)", self.app, oldest)
        counts = self.broker_counts()
        if counts is not None:
            yield _gauge(GaugeMetricFamily, "pasar_queue_depth", "Messages ready in the app's queue",
                         self.app, counts["ready"])
            yield _gauge(GaugeMetricFamily, "pasar_queue_consumers", "Workers consuming the app's queue",
                         self.app, counts["consumers"])
            yield _gauge(GaugeMetricFamily, "pasar_queue_parked", "Messages in the app's parking queue",
                         self.app, counts["parked"])


def _gauge(family, name, documentation, app, value):
    metric = family(name, documentation, labels=["app"])
    metric.add_metric([app], float(value))
    return metric


def outbox_state(db) -> tuple[int, float]:
    from sqlalchemy import func, select

    from .stamps import as_utc, utcnow
    table = db.outbox
    try:
        with db.engine.connect() as conn:
            count, oldest = conn.execute(select(func.count(), func.min(table.c.created_at))
                                         .where(table.c.sent_at.is_(None))).one()
    except Exception:  # no database: the health check says so; the scrape still answers
        return 0, 0.0
    if oldest is None:
        return int(count), 0.0
    if isinstance(oldest, str):  # SQLite's min() returns the stored text, not through the column type
        from datetime import datetime
        oldest = datetime.fromisoformat(oldest)
    return int(count), max((utcnow() - as_utc(oldest)).total_seconds(), 0.0)


def exposition(app: str, db=None, broker_counts=lambda: None) -> tuple[bytes, str]:
    """The text a scraper reads: this app's series (every process of it) and its state gauges."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    if multiprocess():
        registry = CollectorRegistry()
        registry.register(_MergedFolders(app))
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    registry.register(_StateGauges(app, db, broker_counts))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def serve_worker(app: str) -> int | None:
    """WORKER_METRICS_PORT set: serve this worker's series (its own multiprocess folder) over HTTP on a thread of
    its own, for a scraper that cannot read the web process's folder. Returns the port, or None when unset."""
    port = config.int_setting("WORKER_METRICS_PORT", 0)
    if not port:
        return None
    from prometheus_client import CollectorRegistry, start_http_server
    registry = CollectorRegistry()
    if multiprocess():
        from prometheus_client.multiprocess import MultiProcessCollector
        MultiProcessCollector(registry, path=str(process_dir(app, "worker")))
    else:
        from prometheus_client import REGISTRY
        registry.register(_Forward(REGISTRY))
    start_http_server(port, addr=config.setting("WORKER_METRICS_HOST", "0.0.0.0"), registry=registry)
    return port


class _Forward:
    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()
