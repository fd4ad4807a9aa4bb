"""A courier's live feed: time from `delivery.assigned` published on the broker to the courier's
browser-side SSE client (through the gateway) seeing it. 100 assignments, one at a time, p50/p99
against the 1 s target and against a same-run baseline: a bare AMQP consumer on the same exchange
seeing the same message (the broker's own delivery time, the floor under anything we do)."""
from __future__ import annotations

import json
import statistics
import threading
import time
import uuid

import pika
import requests

from bench.common import percentile
from pasar.events import make_envelope
from pasar.messaging import QueueNames
from tests.support.infra import wait_until
from tests.support.stack import Stack

ASSIGNMENTS = 100
TARGET_MS = 1000.0
CADENCE_S = 0.137
PICKUP = {"shop_name": "Toko Bu Sri", "street": "Jl. Kenanga 1", "village": "Sumberejo", "district": "Sanankulon",
          "phone": "+6281111111111"}
DROPOFF = {"name": "Siti", "phone": "+6282222222222", "street": "Jl. Mawar 3", "village": "Kalipucung",
           "district": "Sanankulon"}


class Arrivals:
    """order id -> when it was seen, with a wait per order id."""

    def __init__(self):
        self.at: dict[str, float] = {}
        self.cond = threading.Condition()

    def seen(self, order_id: str) -> None:
        with self.cond:
            self.at.setdefault(order_id, time.perf_counter())
            self.cond.notify_all()

    def wait(self, order_id: str, timeout: float) -> float | None:
        with self.cond:
            self.cond.wait_for(lambda: order_id in self.at, timeout=timeout)
            return self.at.get(order_id)


def _sse_reader(stack: Stack, courier: str, arrivals: Arrivals, opened: threading.Event) -> None:
    """The courier's page: reconnects with the last id when the server ends a stream (every ~55 s)."""
    headers = {"Authorization": f"Bearer {stack.token(courier, 'courier')}", "Accept": "text/event-stream"}
    last = 0
    while True:
        try:
            resp = requests.get(f"{stack.url}/api/v1/notifications/stream?after={last}", headers=headers,
                                stream=True, timeout=(3, 30))
        except requests.RequestException:
            return  # the stack is gone: the run is over
        buffer = ""
        try:
            for chunk in resp.iter_content(chunk_size=None):
                buffer += chunk.decode()
                opened.set()
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line and line[0] != ":")
                    if fields.get("event") == "notification":
                        message = json.loads(fields["data"])
                        last = message["seq"]
                        arrivals.seen(message["order_id"])
        except requests.RequestException:
            return


def _bare_consumer(stack: Stack, arrivals: Arrivals, ready: threading.Event, stop: threading.Event) -> None:
    conn = pika.BlockingConnection(pika.URLParameters(stack.broker.amqp_url))
    channel = conn.channel()
    queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
    channel.queue_bind(queue, stack.broker.exchange, routing_key="delivery.assigned")
    channel.basic_consume(queue, lambda ch, m, p, body: arrivals.seen(json.loads(body)["data"]["order_id"]),
                          auto_ack=True)
    ready.set()
    while not stop.is_set():
        conn.process_data_events(time_limit=0.05)
    conn.close()


def run() -> list[str]:
    lines = []
    # short keep-alives so the open feed does not hold gunicorn's graceful shutdown for 10 s at the end
    with Stack(extra_env={"NOTIFY_STREAM_KEEPALIVE_SECONDS": "1"}) as stack:
        conn = pika.BlockingConnection(pika.URLParameters(stack.broker.amqp_url))
        channel = conn.channel()
        queue = QueueNames.for_service("notifications", stack.broker.settings()).main
        wait_until(lambda: conn.channel().queue_declare(queue, passive=True), timeout=20,
                   message="notifications worker bound")
        channel.confirm_delivery()

        def publish(event_type: str, data: dict) -> None:
            envelope = make_envelope(event_type, data, source="bench", correlation_id=data.get("order_id"))
            channel.basic_publish(stack.broker.exchange, event_type, json.dumps(envelope).encode(),
                                  pika.BasicProperties(message_id=envelope["id"], delivery_mode=2))

        courier = f"courier-{uuid.uuid4().hex[:8]}"
        publish("account.registered", {"user_id": courier, "role": "courier", "name": "Budi", "locale": "id",
                                       "phone": "+6289900000001", "channels": ["inapp", "whatsapp"]})
        feed, floor = Arrivals(), Arrivals()
        opened, consumer_ready, stop = threading.Event(), threading.Event(), threading.Event()
        threading.Thread(target=_sse_reader, args=(stack, courier, feed, opened), daemon=True).start()
        threading.Thread(target=_bare_consumer, args=(stack, floor, consumer_ready, stop), daemon=True).start()
        assert opened.wait(10) and consumer_ready.wait(10), "feed or baseline consumer did not open"

        # Publish on a fixed cadence that is not a multiple of the feed's 150 ms DB poll, so arrivals
        # fall at every phase of the poll (waiting for each one before the next would publish in lockstep
        # with the poll and always measure its worst case).
        sent_at: dict[str, float] = {}
        started = time.perf_counter()
        for n in range(ASSIGNMENTS):
            order_id = str(uuid.uuid4())
            time.sleep(max(0.0, started + n * CADENCE_S - time.perf_counter()))
            sent_at[order_id] = time.perf_counter()
            publish("delivery.assigned", {"order_id": order_id, "fulfillment_id": str(uuid.uuid4()),
                                          "courier_id": courier, "cod_amount_due": 60000, "pickup": PICKUP,
                                          "dropoff": DROPOFF})
        feed_ms, floor_ms, missed = [], [], 0
        for order_id, sent in sent_at.items():
            seen = feed.wait(order_id, timeout=5)
            if seen is None:
                missed += 1
                continue
            feed_ms.append((seen - sent) * 1000)
            base = floor.wait(order_id, timeout=1)
            if base is not None:
                floor_ms.append((base - sent) * 1000)
        elapsed = time.perf_counter() - started
        stop.set()
        conn.close()

    p50, p99 = statistics.median(feed_ms), percentile(feed_ms, 99)
    b50, b99 = statistics.median(floor_ms), percentile(floor_ms, 99)
    lines.append(f"courier live feed (broker -> worker -> DB -> SSE -> gateway), {len(feed_ms)}/{ASSIGNMENTS} seen, "
                 f"{missed} missed, one every {CADENCE_S * 1000:.0f} ms, {elapsed:.1f} s")
    lines.append(f"{'delivery.assigned -> courier SSE client':<44} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   "
                 f"max {max(feed_ms):7.1f} ms")
    lines.append(f"{'baseline: bare AMQP consumer, same message':<44} p50 {b50:7.1f} ms   p99 {b99:7.1f} ms")
    lines.append(f"{'p50 over baseline':<44} {p50 / b50:6.1f}x   (+{p50 - b50:.1f} ms)")
    verdict = "PASS" if missed == 0 and p99 <= TARGET_MS else "FAIL"
    lines.append(f"{'target: every assignment within 1 s':<44} {verdict} (p99 {p99:.0f} ms of {TARGET_MS:.0f} ms)")
    return lines
