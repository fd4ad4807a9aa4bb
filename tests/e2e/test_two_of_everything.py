"""Every process twice, on PostgreSQL, as two hosts behind a load balancer would run them: two gateways, two web
processes of every service (the second gateway talks to the second of each), two workers per queue competing for
its messages, so also two outbox relays and two payment-timeout sweepers (both run inside each orders worker).
Gateway state is in the machine's Redis (rate limits, live-feed wake-ups) under this test's own key prefix.

What must hold however the work is split between the twins:
- no item reserved twice: more cash orders than stock, sent alternately through both gateways, confirm exactly
  the stock and reject the rest; the listing ends at 0 (the catalog locks the listing row per reservation);
- no order cancelled or charged twice: card orders left unpaid are cancelled by exactly one of the two sweepers
  (SKIP LOCKED) and their stock released once; a paid order paid again through the other gateway is still one
  payment;
- no duplicate event or notification: every order's timeline has each event once (inbox dedupe by event id in
  every worker), and each person's inbox has one message per (kind, order);
- per-order order where it matters, the order's own state machine: its events are applied under a lock on the
  order row, so the timeline of each order reads in the saga's order (placed before reserved before confirmed /
  cancelled) even with two orders workers taking its events at once;
- live feeds across processes: a courier's feed open on either notifications process (through either gateway)
  gets a message the other process's worker recorded, woken by Redis pub/sub (the test sets the database
  re-read and the keep-alive to 10 minutes, so nothing but the wake-up can deliver it inside the feed);
- rate limits are one allowance across both gateways."""
from __future__ import annotations

import json
import os
import threading
import uuid
from collections import Counter

import pytest
import redis
import requests

from tests.e2e.test_notifications_inbox import assignment, publish, sse_events
from tests.e2e.test_orders_e2e import address, setup_listing
from tests.support.infra import wait_until
from tests.support.stack import Stack

# 20 processes start and stop on 2 shared cores: the module's first test pays for the start (not a timed check)
pytestmark = pytest.mark.timeout(900)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LOGIN_LIMIT = 4
PAYMENT_TIMEOUT = 60  # seconds: time to pay the paid ones at this machine's load, short enough for the test
SETTLED = {"CONFIRMED", "REJECTED", "CANCELLED"}


def _ok(result, status=200):
    code, body = result
    assert code == status, body
    return body


@pytest.fixture(scope="module")
def twins():
    prefix = f"pasar-twins-{uuid.uuid4().hex[:10]}"
    stack = Stack(postgres=True, replicas=2, extra_env={
        "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix,
        "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix, "RATELIMIT_LOGIN": f"{LOGIN_LIMIT}/minute",
        "NOTIFY_STREAM_RECHECK_SECONDS": "600", "NOTIFY_STREAM_KEEPALIVE_SECONDS": "600",
        "PAYMENT_TIMEOUT_SECONDS": str(PAYMENT_TIMEOUT), "PAYMENT_SWEEP_MS": "500"})
    with stack:
        yield stack
    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter(match=f"*{prefix}*"):
        store.delete(key)


def _feed(stack, via: int, user_id: str, role: str, opened: threading.Event, got: list):
    """A live feed through gateway `via`; records the first notification (or the reconnect at its end)."""
    resp = requests.get(stack.urls[via] + "/api/v1/notifications/stream?max_seconds=60", stream=True,
                        timeout=(10, 120), headers={"Authorization": f"Bearer {stack.token(user_id, role)}",
                                                    "Accept": "text/event-stream"})
    with resp:
        chunks = resp.iter_content(chunk_size=None)
        first = next(chunks)
        got.append(("opened", first.decode()))
        opened.set()
        for kind, data in sse_events(chunks):
            got.append((kind, data))
            return


def test_a_couriers_live_feed_on_either_notifications_process_gets_the_message(twins):
    courier = f"courier-{uuid.uuid4().hex[:8]}"
    publish(twins, "account.registered", {"user_id": courier, "role": "courier", "name": "Budi", "locale": "id",
                                          "phone": "+6289900000001", "channels": ["inapp"]})
    feeds = []
    for via in (0, 1):  # gateway 0 → notifications web 1, gateway 1 → notifications web 2
        opened, got = threading.Event(), []
        thread = threading.Thread(target=_feed, args=(twins, via, courier, "courier", opened, got), daemon=True)
        thread.start()
        assert opened.wait(120), f"feed through gateway {via} opened"
        feeds.append((thread, got))
    data = assignment(courier)
    publish(twins, "delivery.assigned", data)  # one of the two notifications workers records it
    for via, (thread, got) in enumerate(feeds):
        thread.join(timeout=120)
        assert got[0][0] == "opened" and got[0][1].startswith("retry: "), got
        kinds = [kind for kind, _ in got[1:]]
        assert kinds == ["notification"], f"feed through gateway {via}: {got}"  # not the reconnect at the end
        message = json.loads(got[1][1])
        assert message["kind"] == "delivery_assigned" and message["order_id"] == data["order_id"]


def test_two_gateways_count_one_login_allowance(twins):
    identifier = f"08{uuid.uuid4().int % 10**10:010d}"
    answers = [requests.post(twins.urls[n % 2] + "/api/v1/auth/login", timeout=30,
                             json={"identifier": identifier, "password": "wrong-password-123"}).status_code
               for n in range(2 * LOGIN_LIMIT)]
    assert answers == [401] * LOGIN_LIMIT + [429] * LOGIN_LIMIT, answers


def _place(stack, via: int, listing: str, district: str, method: str) -> tuple[str, object]:
    shopper = stack.client(f"shopper-{uuid.uuid4().hex[:8]}", "shopper", via=via)
    order = _ok(shopper.post("/api/v1/orders", json={"items": [{"listing_id": listing, "qty": 1}],
                                                     "payment_method": method, "delivery_address": address(district)},
                             headers={"Idempotency-Key": str(uuid.uuid4())}), 201)
    return order["id"], shopper


def _order(client, order_id):
    return _ok(client.get(f"/api/v1/orders/{order_id}"))


def _timeline(client, order_id):
    return [t["event"] for t in _order(client, order_id)["timeline"]]


def test_every_process_twice_keeps_every_invariant(twins):
    cash_stock, cash_orders, card_paid, card_unpaid = 10, 16, 3, 3
    district = f"Kec-{uuid.uuid4().hex[:6]}"
    _seller, cash_listing = setup_listing(twins, district, stock=cash_stock)
    _seller2, card_listing = setup_listing(twins, district, stock=card_paid + card_unpaid)

    cash = dict(_place(twins, n % 2, cash_listing, district, "cod") for n in range(cash_orders))
    card = dict(_place(twins, n % 2, card_listing, district, "card") for n in range(card_paid + card_unpaid))
    card_ids = list(card)

    # the first ones are paid as soon as their payment opens, each paid again through the other gateway
    payments = {}
    for n, order_id in enumerate(card_ids[:card_paid]):
        shopper = card[order_id]
        payment = wait_until(lambda: (lambda r: r[1] if r[0] == 200 else None)(
            shopper.get(f"/api/v1/payments/orders/{order_id}")), timeout=120, message="payment opened")
        assert _ok(shopper.post(payment["sandbox"]["pay_url"], json={"card_number": "4242424242424242"})
                   )["status"] == "succeeded"
        other = twins.client(None, via=(n + 1) % 2)
        other.session.headers.update(shopper.session.headers)
        code, again = other.post(payment["sandbox"]["pay_url"], json={"card_number": "4242424242424242"})
        assert code in (200, 409), again  # the same payment, never a second charge
        payments[order_id] = payment["payment_id"]

    everyone = {**cash, **card}
    statuses = wait_until(
        lambda: (lambda s: s if all(v in SETTLED for v in s.values()) else None)(
            {order_id: _order(client, order_id)["status"] for order_id, client in everyone.items()}),
        timeout=PAYMENT_TIMEOUT + 240, interval=1, message="every order settled (the unpaid ones by a sweeper)")

    cash_outcome = Counter(statuses[o] for o in cash)
    assert cash_outcome == {"CONFIRMED": cash_stock, "REJECTED": cash_orders - cash_stock}, cash_outcome
    assert [statuses[o] for o in card_ids] == ["CONFIRMED"] * card_paid + ["CANCELLED"] * card_unpaid
    public = twins.client()
    assert _ok(public.get(f"/api/v1/products/{cash_listing}"))["stock"] == 0
    wait_until(lambda: _ok(public.get(f"/api/v1/products/{card_listing}"))["stock"] == card_unpaid, timeout=60,
               message="the unpaid orders' stock released, once each")

    for order_id in card_ids[:card_paid]:
        payment = _ok(card[order_id].get(f"/api/v1/payments/orders/{order_id}"))
        assert payment["payment_id"] == payments[order_id] and payment["status"] == "succeeded"
        assert payment["amount"] == 25000 + 10000

    duplicates, out_of_order = 0, []
    for order_id, client in everyone.items():
        events = _timeline(client, order_id)
        duplicates += sum(n - 1 for n in Counter(events).values())
        final = {"CONFIRMED": "order.confirmed", "REJECTED": "order.rejected", "CANCELLED": "order.cancelled"}
        if events[0] != "order.placed" or final[statuses[order_id]] not in events:
            out_of_order.append((order_id, events))
    assert duplicates == 0
    assert out_of_order == []

    # one message per person, kind and order (the shopper hears about their own order once)
    def inboxes_settled():
        seen = {}
        for order_id, client in everyone.items():
            items = _ok(client.get("/api/v1/notifications?limit=50"))["items"]
            if not items:
                return None
            seen[order_id] = Counter((item["kind"], item["order_id"]) for item in items)
        return seen
    inboxes = wait_until(inboxes_settled, timeout=120, interval=1, message="every shopper told")
    repeated = {order_id: kinds for order_id, kinds in inboxes.items() if any(n > 1 for n in kinds.values())}
    assert repeated == {}

    for app in ("catalog", "orders", "payments", "notifications"):
        assert not twins.broker.parked(app), app
    consumed = {name: twins.logs(name) for name in twins.procs if name.endswith(("-worker", "-worker-2"))}
    print(f"\ntwo of everything: orders={len(everyone)} cash confirmed={cash_outcome['CONFIRMED']} "
          f"rejected={cash_outcome['REJECTED']} card paid={card_paid} cancelled by a sweeper={card_unpaid} "
          f"duplicates={duplicates} lost={len(everyone) - len(statuses)} processes={len(twins.procs)} "
          f"workers={len(consumed)}")
