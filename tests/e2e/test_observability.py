"""Operable from outside: one checkout is one trace across the processes, every app's /metrics shows its
series after it, and no JSON answer of a journey carries a date-time without an offset.

Traces leave each process by OTLP/HTTP to a small collector this test runs (spans decoded with
opentelemetry-proto and kept in memory); the stack is the real one: gunicorn and workers as separate processes."""
from __future__ import annotations

import gzip
import json
import re
import threading
import uuid
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pika
import pytest
import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (ExportTraceServiceRequest,
                                                                      ExportTraceServiceResponse)

import sqlalchemy as sa

from tests.e2e.test_thin_slice import ADDRESS
from tests.support.infra import wait_until
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e
METRICS_TOKEN = "metrics-token-for-the-test-0123456789"


class Collector:
    """OTLP/HTTP trace receiver: spans as dicts, with the service (process) that sent them."""

    def __init__(self):
        self.spans: list[dict] = []
        self.lock = threading.Lock()
        collector = self

        class Receive(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                request = ExportTraceServiceRequest.FromString(raw)
                collector.add(request)
                body = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Receive)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, request: ExportTraceServiceRequest) -> None:
        found = []
        for resource_spans in request.resource_spans:
            attrs = {a.key: a.value for a in resource_spans.resource.attributes}
            service = attrs["service.name"].string_value
            pid = attrs["process.pid"].int_value if "process.pid" in attrs else 0
            for scope in resource_spans.scope_spans:
                for span in scope.spans:
                    found.append({"trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                                  "parent_id": span.parent_span_id.hex() or None, "name": span.name,
                                  "service": service, "pid": pid, "start": span.start_time_unix_nano})
        with self.lock:
            self.spans.extend(found)

    def trace(self, trace_id: str) -> list[dict]:
        with self.lock:
            return [s for s in self.spans if s["trace_id"] == trace_id]

    def find(self, service: str, name: str) -> list[dict]:
        with self.lock:
            return [s for s in self.spans if s["service"] == service and s["name"] == name]


@pytest.fixture(scope="module")
def observed():
    collector = Collector()
    collector.thread.start()
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200",
           "METRICS_TOKEN": METRICS_TOKEN, "LOG_LEVEL": "INFO"}
    with Stack(extra_env=env) as stack:
        yield stack, collector
    collector.server.shutdown()


def put_listing(stack, stock: int, price: int = 25000) -> str:
    """Stock straight into the catalog's database (SQLite or PostgreSQL), with the database's own clock."""
    listing_id = str(uuid.uuid4())
    engine = sa.create_engine(stack.env.get("CATALOG_DATABASE_URL") or f"sqlite:///{stack.var / 'catalog.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO listings (id, shop_id, seller_id, title, description, price, stock, status, created_at) "
            "VALUES (:id, 'shop-1', 'seller-1', 'Tikar pandan', '', :price, :stock, 'published', CURRENT_TIMESTAMP)"),
            {"id": listing_id, "price": price, "stock": stock})
    engine.dispose()
    return listing_id


def checkout(stack, shopper_id: str | None = None):
    listing = put_listing(stack, stock=5)
    shopper = stack.client(shopper_id or f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
    status, order = shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing, "qty": 1}], "payment_method": "cod", "delivery_address": ADDRESS})
    assert status == 201, order
    seen = wait_until(lambda: (lambda r: r[1] if r[1]["status"] != "PLACED" else None)(
        shopper.get(f"/api/v1/orders/{order['id']}")), timeout=20, message="order answered by the catalog")
    assert seen["status"] == "CONFIRMED"
    return shopper, listing, seen


def render_tree(spans: list[dict]) -> str:
    children = defaultdict(list)
    ids = {s["span_id"] for s in spans}
    for span in sorted(spans, key=lambda s: s["start"]):
        children[span["parent_id"] if span["parent_id"] in ids else None].append(span)
    lines = []

    def walk(parent, depth):
        for span in children.get(parent, []):
            lines.append(f"{'  ' * depth}{span['name']}  [{span['service']} pid {span['pid']}]")
            walk(span["span_id"], depth + 1)
    walk(None, 0)
    return "\n".join(lines)


def test_one_checkout_is_one_trace_across_the_processes(observed):
    stack, collector = observed
    _, _, order = checkout(stack)
    # the gateway's server span for this request is the root; find its trace by the order's own spans
    def whole_trace():
        roots = [s for s in collector.find("pasar-gateway", "POST /api/v1/<resource>") if s["parent_id"] is None]
        for root in roots:
            spans = collector.trace(root["trace_id"])
            services = {s["service"] for s in spans}
            ids = {s["span_id"] for s in spans}
            complete = all(s["parent_id"] in ids for s in spans if s["parent_id"])  # late batches arrived
            if complete and {"pasar-gateway", "pasar-orders", "pasar-catalog-worker", "pasar-orders-worker",
                             "pasar-payments-worker", "pasar-notifications-worker"} <= services:
                return spans
        return None
    spans = wait_until(whole_trace, timeout=30, interval=0.2,
                       message="spans of every process that handled the checkout, in one trace")
    dump = render_tree(spans)
    (stack.var / "checkout-trace.txt").write_text(dump + "\n")
    print("\n" + dump)
    assert len({s["pid"] for s in spans}) >= 4  # separate processes, not one process's threads
    # one tree: a single root, the gateway's request (every parent is in the trace: see whole_trace)
    assert [s["service"] for s in spans if s["parent_id"] is None] == ["pasar-gateway"]
    names = {(s["service"], s["name"]) for s in spans}
    assert ("pasar-orders", "POST /api/v1/orders") in names
    assert ("pasar-orders", "publish order.placed") in names
    assert ("pasar-catalog-worker", "consume order.placed") in names
    assert ("pasar-orders-worker", "consume stock.reserved") in names
    assert ("pasar-notifications-worker", "consume order.confirmed") in names
    assert ("pasar-payments-worker", "consume order.confirmed") in names
    assert any(svc == "pasar-catalog-worker" and name.startswith(("UPDATE", "SELECT")) for svc, name in names)


def test_logs_carry_the_trace_id(observed):
    stack, collector = observed
    checkout(stack)
    lines = [json.loads(line) for line in stack.logs("orders").splitlines() if line.startswith("{")]
    traced = [entry for entry in lines if entry.get("trace_id")]
    assert traced, "orders logged no line with a trace id"
    trace_ids = {s["trace_id"] for s in collector.spans}
    assert any(entry["trace_id"] in trace_ids and len(entry["span_id"]) == 16 for entry in traced)


def scrape(url: str, token: str | None = METRICS_TOKEN) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(url + "/metrics", headers=headers, timeout=10)


def sample(text: str, name: str, **labels) -> float | None:
    """The value of the first sample of `name` whose labels include `labels`."""
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    return None


def park_a_broken_message(stack) -> None:
    """A message that breaks its contract, straight onto the exchange: the catalog worker parks it."""
    connection = pika.BlockingConnection(pika.URLParameters(stack.env["AMQP_URL"]))
    try:
        channel = connection.channel()
        channel.basic_publish(stack.env["EVENTS_EXCHANGE"], "order.placed",
                              b'{"not": "an envelope"}', pika.BasicProperties(type="order.placed"))
    finally:
        connection.close()


def all_consumers_seen(stack, app: str) -> str:
    """The app's scrape once its queue-consumer gauge shows WORKER_CONCURRENCY consumers. The gauge is the
    broker's live count, and a consumer that met a transient fault reconnects after a short pause (by design),
    so the test waits for the count instead of reading it once; a consumer that never comes back still fails."""
    consumers = int(stack.env.get("WORKER_CONCURRENCY", "2"))

    def seen():
        text = scrape(stack.service_url(app)).text
        return text if sample(text, "pasar_queue_consumers", app=app) == consumers else None
    return wait_until(seen, timeout=30, message=f"{app}: {consumers} consumers of its queue")


def test_every_app_shows_its_series_after_a_checkout(observed):
    stack, _ = observed
    checkout(stack)
    park_a_broken_message(stack)

    # the public door: nothing without the token, everything with it
    assert scrape(stack.url, token=None).status_code == 401
    assert scrape(stack.url, token="wrong").status_code == 401
    gateway = scrape(stack.url)
    assert gateway.status_code == 200 and gateway.headers["Content-Type"].startswith("text/plain")
    assert sample(gateway.text, "pasar_http_requests_total", app="gateway", method="POST",
                  route="/api/v1/<resource>", status="201") >= 1
    assert sample(gateway.text, "pasar_http_request_duration_seconds_count", app="gateway",
                  route="/api/v1/<resource>", status="201") >= 1

    orders = scrape(stack.service_url("orders")).text
    # by route (the URL rule), not by the order's own path
    assert sample(orders, "pasar_http_requests_total", app="orders", method="POST", route="/api/v1/orders",
                  status="201") >= 1
    assert sample(orders, "pasar_http_requests_total", route="/api/v1/orders/<order_id>", status="200") >= 1
    assert sample(orders, "pasar_http_request_duration_seconds_bucket", route="/api/v1/orders", le="+Inf") >= 1
    # the web process published order.placed; the worker (another process, same scrape) did the rest
    assert sample(orders, "pasar_events_published_total", service="orders", type="order.placed") >= 1
    assert sample(orders, "pasar_events_consumed_total", service="orders", type="stock.reserved") >= 1
    assert sample(orders, "pasar_events_published_total", service="orders", type="order.confirmed") >= 1
    assert sample(orders, "pasar_order_placed_to_confirmed_seconds_count") >= 1
    assert sample(orders, "pasar_order_placed_to_confirmed_seconds_bucket", le="+Inf") >= 1
    assert sample(orders, "pasar_outbox_backlog", app="orders") is not None
    assert sample(orders, "pasar_outbox_oldest_age_seconds", app="orders") is not None
    # one worker process, WORKER_CONCURRENCY consumers of its queue (2 by default)
    all_consumers_seen(stack, "orders")
    assert sample(orders, "pasar_queue_depth", app="orders") is not None

    def catalog_parked():
        text = scrape(stack.service_url("catalog")).text
        return text if sample(text, "pasar_events_parked_total", service="catalog", type="order.placed") else None
    catalog = wait_until(catalog_parked, timeout=15, message="the broken message counted as parked")
    assert sample(catalog, "pasar_events_consumed_total", service="catalog", type="order.placed") >= 1
    assert sample(catalog, "pasar_events_published_total", service="catalog", type="stock.reserved") >= 1
    assert sample(catalog, "pasar_queue_parked", app="catalog") >= 1

    for app in ("payments", "notifications"):
        text = scrape(stack.service_url(app)).text
        assert sample(text, "pasar_events_consumed_total", service=app, type="order.confirmed") >= 1, app
        # every worker runs WORKER_CONCURRENCY consumers of its queue, not only the orders worker
        text = all_consumers_seen(stack, app)
        assert sample(text, "pasar_http_requests_total", app=app, route="/healthz") >= 1, app
    # a service asks for the token too when one is configured
    assert scrape(stack.service_url("orders"), token=None).status_code == 401


# -- times with offset -------------------------------------------------------------------------------------
_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def naive_times(node, path="") -> list[str]:
    if isinstance(node, str):
        return [f"{path}={node}"] if _NAIVE.match(node) else []
    if isinstance(node, dict):
        return [found for key, value in node.items() for found in naive_times(value, f"{path}.{key}")]
    if isinstance(node, list):
        return [found for n, value in enumerate(node) for found in naive_times(value, f"{path}.{n}")]
    return []


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_no_answer_of_a_journey_has_a_time_without_offset(request, database):
    stack = request.getfixturevalue("stack" if database == "sqlite" else "pg_stack")
    phone = f"+62812{uuid.uuid4().int % 10**8:08d}"
    registered = requests.post(stack.url + "/api/v1/auth/register", timeout=10, json={
        "name": "Siti", "phone": phone, "password": "kata-sandi-panjang", "district": "Sanankulon"})
    assert registered.status_code == 201, registered.text
    user_id = registered.json()["account"]["id"]
    shopper, listing, order = checkout(stack, shopper_id=user_id)
    seller = stack.client("seller-1", "seller")
    answers = {"register": registered.json(), "order": order}
    for who, client, path in [
            ("shopper", shopper, "/api/v1/auth/me"), ("shopper", shopper, "/api/v1/orders"),
            ("shopper", shopper, f"/api/v1/orders/{order['id']}"), ("shopper", shopper, "/api/v1/cart"),
            ("shopper", shopper, f"/api/v1/products/{listing}"), ("shopper", shopper, "/api/v1/products"),
            ("shopper", shopper, "/api/v1/notifications"), ("seller", seller, "/api/v1/fulfillments"),
            ("seller", seller, "/api/v1/balances/me")]:
        status, body = client.get(path)
        assert status == 200, (path, status, body)
        answers[f"{who} GET {path}"] = body
    shopper.post("/api/v1/cart/lines", json={"listing_id": listing, "qty": 1})
    answers["cart after a line"] = shopper.get("/api/v1/cart")[1]

    problems = {name: naive_times(body) for name, body in answers.items()}
    assert {name: found for name, found in problems.items() if found} == {}
    # and the journey did show times, so the check above had something to look at
    stamped = [v for body in answers.values() for v in re.findall(r'"(\d{4}-\d{2}-\d{2}T[^"]+)"', json.dumps(body))]
    assert len(stamped) >= 5 and all(_DATE_TIME.match(v) for v in stamped)
