"""Orders: orders/s through the saga on the real stack (gateway -> orders -> catalog reserves -> payments
sandbox card payment -> CONFIRMED; and cash on delivery), placement->CONFIRMED latency from the orders
service's own timestamps, beside raw RabbitMQ publish+consume measured in the same run."""
from __future__ import annotations

import statistics
import threading
import time
import uuid
from datetime import datetime

from bench.common import percentile
from bench.messaging import raw_rabbitmq
from tests.support.stack import Stack

SECONDS = 12
CONCURRENCY = 4
ADDRESS = {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3", "district": "Sanankulon",
           "regency": "Blitar", "province": "Jawa Timur"}


def _ok(result, status=200):
    code, body = result
    if code != status:
        raise RuntimeError(f"{code}: {body}")
    return body


def setup_listing(stack) -> str:
    admin = stack.client("bench-admin", "admin")
    _ok(admin.post("/api/v1/categories", json={"slug": "bench-orders", "name_id": "Bench", "name_en": "Bench"}), 201)
    seller = stack.client("bench-seller", "seller", name="Bu Bench")
    shop = _ok(seller.post("/api/v1/shops", json={"name": "Toko Bench", "street": "Jl. Desa 1", "district": "Sanankulon",
                                                  "regency": "Blitar", "whatsapp": "+6281100000000"}), 201)
    listing = _ok(seller.post("/api/v1/products", json={"shop_id": shop["id"], "title": "Tikar pandan",
                                                        "category": "bench-orders", "price": 25000,
                                                        "stock": 100000, "status": "published"}), 201)
    return listing["id"]


def _wait(fetch, until, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if until(value):
            return value
        time.sleep(0.01)
    raise TimeoutError("saga step did not happen in time")


STEPS: dict[str, list[float]] = {"payment opened": [], "paid -> CONFIRMED": []}


def one_order(stack, listing: str, method: str) -> dict:
    started = time.perf_counter()
    shopper = stack.client(f"bench-shopper-{uuid.uuid4().hex[:8]}", "shopper")
    order = _ok(shopper.post("/api/v1/orders", json={"items": [{"listing_id": listing, "qty": 1}],
                                                     "payment_method": method, "delivery_address": ADDRESS},
                             headers={"Idempotency-Key": str(uuid.uuid4())}), 201)
    path = f"/api/v1/orders/{order['id']}"
    if method == "card":
        payment = _wait(lambda: shopper.get(f"/api/v1/payments/orders/{order['id']}"), lambda r: r[0] == 200)[1]
        STEPS["payment opened"].append((time.perf_counter() - started) * 1000)
        _ok(shopper.post(payment["sandbox"]["pay_url"], json={"card_number": "4242424242424242"}))
        paid = time.perf_counter()
    seen = _wait(lambda: shopper.get(path)[1], lambda o: o.get("status") in ("CONFIRMED", "REJECTED", "CANCELLED"))
    if method == "card":
        STEPS["paid -> CONFIRMED"].append((time.perf_counter() - paid) * 1000)
    return seen


def saga_load(stack, listing: str, method: str, seconds: float = SECONDS, concurrency: int = CONCURRENCY):
    """Closed loop: each thread runs whole orders one after the other until time is up."""
    done: list[dict] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def shopper_loop():
        while time.perf_counter() < deadline:
            try:
                order = one_order(stack, listing, method)
            except Exception:
                with lock:
                    errors[0] += 1
                continue
            with lock:
                done.append(order)

    started = time.perf_counter()
    threads = [threading.Thread(target=shopper_loop) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    confirmed = [o for o in done if o["status"] == "CONFIRMED"]
    latencies = [(datetime.fromisoformat(o["confirmed_at"]) - datetime.fromisoformat(o["created_at"])).total_seconds()
                 * 1000 for o in confirmed]
    return len(confirmed) / elapsed, latencies, len(done) - len(confirmed) + errors[0]


def run() -> list[str]:
    with Stack() as stack:
        listing = setup_listing(stack)
        one_order(stack, listing, "cod")  # warm every process up once
        raw = raw_rabbitmq(stack.broker, 2000)
        lines = [f"raw RabbitMQ publish(confirm)+consume(ack)     {raw:9.1f} msg/s  (baseline, same run)"]
        for method, label in (("cod", "cash on delivery"), ("card", "card, sandbox payment")):
            rate, lat, failed = saga_load(stack, listing, method)
            lines.append(f"orders/s placed->CONFIRMED, {label:<22} {rate:7.1f} orders/s  "
                         f"p50 {statistics.median(lat) if lat else float('nan'):7.1f} ms  "
                         f"p99 {percentile(lat, 99):7.1f} ms  (n={len(lat)}, failed {failed}, "
                         f"{CONCURRENCY} shoppers, SQLite)")
            # events per order to CONFIRMED: placed, reserved, payment.requested, confirmed (+ succeeded for card)
            per_order = 4 if method == "cod" else 5
            lines.append(f"  = {rate * per_order:.1f} saga events/s = {rate * per_order / raw:.4f}x of raw RabbitMQ")
        for step, values in STEPS.items():
            if values:
                lines.append(f"  card step (client clock) {step:<20} p50 {statistics.median(values):7.1f} ms  "
                             f"p99 {percentile(values, 99):7.1f} ms")
        return lines
