"""The kernel's observability pieces on their own: the date-time column type, /metrics and who may read it,
the trace context kept in an outbox envelope, and log lines with trace ids."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest
from flask_smorest import Blueprint
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text

from pasar import logs, metrics, tracing
from pasar.stamps import UtcDateTime
from pasar.web import create_service_app

WIB = timezone(timedelta(hours=7))


# -- one date-time type ----------------------------------------------------------------------------------
@pytest.fixture
def moments(tmp_path):
    table = Table("moments", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime()))
    engine = create_engine(f"sqlite:///{tmp_path / 'moments.db'}")
    table.metadata.create_all(engine)
    yield engine, table
    engine.dispose()


def test_times_come_back_aware_utc_whatever_went_in(moments):
    engine, table = moments
    aware = datetime(2026, 11, 1, 19, 10, 12, 689863, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "at": aware}, {"id": 2, "at": aware.astimezone(WIB)},
                                     {"id": 3, "at": aware.replace(tzinfo=None)}, {"id": 4, "at": None}])
        # a row written by hand (or by an older release): SQLite's own clock, no offset
        conn.execute(text("INSERT INTO moments (id, at) VALUES (5, '2026-11-01 19:10:12')"))
    with engine.connect() as conn:
        rows = dict(conn.execute(select(table.c.id, table.c.at)).all())
    assert rows[1] == rows[2] == rows[3] == aware
    assert all(rows[n].utcoffset() == timedelta(0) for n in (1, 2, 3, 5))
    assert rows[1].isoformat() == "2026-11-01T19:10:12.689863+00:00"
    assert rows[4] is None
    assert rows[5] == datetime(2026, 11, 1, 19, 10, 12, tzinfo=timezone.utc)


def test_comparisons_in_queries_use_the_same_storage(moments):
    engine, table = moments
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "at": now - timedelta(minutes=5)}, {"id": 2, "at": now}])
    with engine.connect() as conn:
        older = conn.execute(select(table.c.id).where(table.c.at < (now - timedelta(minutes=1)).astimezone(WIB)))
        assert [row.id for row in older] == [1]


def test_every_models_date_time_column_uses_the_kernel_type():
    from gateway.models import Base as gateway_base
    from services.catalog.models import Base as catalog_base
    from services.notifications.models import Base as notifications_base
    from services.orders.models import Base as orders_base
    from services.payments.models import Base as payments_base
    from sqlalchemy import DateTime
    found = 0
    for metadata in (gateway_base.metadata, catalog_base.metadata, notifications_base.metadata, orders_base.metadata,
                     payments_base.metadata):
        for table in metadata.tables.values():
            for column in table.columns:
                if isinstance(column.type, (DateTime, UtcDateTime)):
                    found += 1
                    assert isinstance(column.type, UtcDateTime), f"{table.name}.{column.name}"
    assert found > 30


# -- /metrics --------------------------------------------------------------------------------------------
def small_app(service: str):
    blp = Blueprint("things", __name__, url_prefix="/api/v1/things")

    @blp.route("/<thing_id>")
    def thing(thing_id):
        return {"id": thing_id}

    return create_service_app(service, None, [blp], title="t")


def test_requests_are_counted_by_url_rule_not_by_path(monkeypatch):
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    client = small_app("catalog").test_client()
    for thing in ("a", "b", "c"):
        assert client.get(f"/api/v1/things/{thing}").status_code == 200
    client.get("/nowhere")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'pasar_http_requests_total{app="catalog",method="GET",route="/api/v1/things/<thing_id>",status="200"}' in body
    assert 'route="/api/v1/things/a"' not in body
    assert 'route="(no route)",status="404"' in body
    assert 'pasar_http_request_duration_seconds_bucket{app="catalog",le="0.005",method="GET",' in body


def test_the_gateway_hides_metrics_without_a_token_and_asks_for_it_with_one(monkeypatch):
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    gateway = small_app("gateway").test_client()
    assert gateway.get("/metrics").status_code == 404
    monkeypatch.setenv("METRICS_TOKEN", "s3cret-token")
    assert gateway.get("/metrics").status_code == 401
    assert gateway.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    answer = gateway.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert answer.status_code == 200 and "pasar_http_requests_total" in answer.get_data(as_text=True)
    # a service asks for the token as well once one is configured
    assert small_app("orders").test_client().get("/metrics").status_code == 401


def test_event_counters_and_saga_timing_appear_by_type(monkeypatch):
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    metrics.event_published("payments", "payment.succeeded")
    metrics.event_consumed("payments", "order.confirmed")
    metrics.event_retried("payments", "order.confirmed")
    metrics.event_parked("payments", "order.confirmed")
    metrics.order_confirmed(1.5)
    body = small_app("payments").test_client().get("/metrics").get_data(as_text=True)
    for line in ('pasar_events_published_total{service="payments",type="payment.succeeded"}',
                 'pasar_events_consumed_total{service="payments",type="order.confirmed"}',
                 'pasar_events_retried_total{service="payments",type="order.confirmed"}',
                 'pasar_events_parked_total{service="payments",type="order.confirmed"}',
                 'pasar_order_placed_to_confirmed_seconds_bucket{le="2.5"}'):
        assert line in body, line


def test_prepare_gives_each_process_kind_its_own_emptied_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("METRICS_DIR", str(tmp_path))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    stale = tmp_path / "orders" / "web" / "counter_999.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    worker_file = tmp_path / "orders" / "worker" / "counter_1000.db"
    worker_file.parent.mkdir(parents=True)
    worker_file.write_bytes(b"live")
    folder = metrics.prepare("orders", "web")
    assert folder == tmp_path / "orders" / "web" and list(folder.iterdir()) == []
    assert worker_file.exists()  # the worker's numbers are not the web's to wipe
    import os
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(folder)


# -- traces through the outbox ---------------------------------------------------------------------------
@pytest.fixture
def tracing_on(monkeypatch):
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    monkeypatch.setitem(tracing._state, "on", True)
    yield trace.get_tracer("test", tracer_provider=TracerProvider())


def test_off_means_the_envelope_is_untouched(monkeypatch):
    monkeypatch.setitem(tracing._state, "on", False)
    envelope = {"id": "e1", "type": "order.placed"}
    assert tracing.stamp(dict(envelope)) == envelope
    with tracing.publishing(dict(envelope)) as headers:
        assert headers == {}


def test_the_context_is_kept_in_the_stored_envelope_and_leaves_as_headers_only(tracing_on):
    with tracing_on.start_as_current_span("checkout") as span:
        stored = json.dumps(tracing.stamp({"id": "e1", "type": "order.placed", "data": {}}))
        trace_id = format(span.get_span_context().trace_id, "032x")
    envelope = json.loads(stored)
    assert envelope[tracing.TRACE_KEY]["traceparent"].split("-")[1] == trace_id
    with tracing.publishing(envelope) as headers:
        assert tracing.current_ids()[0] == trace_id  # the publish happens inside the checkout's trace
        assert headers["traceparent"].split("-")[1] == trace_id
    assert tracing.TRACE_KEY not in envelope  # the published body stays the event contract
    assert tracing.current_ids() is None


def test_log_lines_carry_the_trace_and_span_id(tracing_on):
    formatter = logs.JsonFormatter("orders")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    assert "trace_id" not in json.loads(formatter.format(record))
    with tracing_on.start_as_current_span("work") as span:
        entry = json.loads(formatter.format(record))
    assert entry["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert entry["span_id"] == format(span.get_span_context().span_id, "016x")
