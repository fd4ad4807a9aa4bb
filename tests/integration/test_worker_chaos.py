"""Every process of the marketplace on a private broker node that restarts while shoppers keep checking out (three
times in the release check, once in `make test`), and each worker killed with -9 once in between (and started again, as a supervisor would):
no other process exits, every order reaches a settled state, none is reserved or confirmed twice."""
from __future__ import annotations

import signal
import threading
import time
import uuid

import pytest

from pasar import config
from pasar.messaging import broker_status
from tests.e2e.test_orders_e2e import address, setup_listing, stock_of
from tests.support.infra import RELEASE_CHECKS, BrokerNamespace, wait_until
from tests.support.private_broker import PrivateBroker
from tests.support.stack import Stack

pytestmark = pytest.mark.integration
SETTLED = {"CONFIRMED", "REJECTED", "CANCELLED", "COMPLETED"}
STOCK = 500
RESTARTS = 3 if RELEASE_CHECKS else 1  # every worker is killed once either way, spread over the restarts


@pytest.fixture(scope="module")
def rabbit():
    node = PrivateBroker().start()
    yield node
    node.shutdown()


@pytest.fixture
def stack_on_private_broker(rabbit):
    stack = Stack()
    stack.broker = BrokerNamespace.new(amqp_url=rabbit.url)
    stack.start()
    yield stack
    stack.stop()


class Checkouts:
    """Cash-on-delivery checkouts of one unit each, one after another on a thread, like a busy market day."""

    def __init__(self, stack, listing: str, district: str):
        self.shopper = stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
        self.listing, self.district = listing, district
        self.orders: list[str] = []
        self.refused: list[tuple[int, object]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            code, body = self.shopper.post(
                "/api/v1/orders", headers={"Idempotency-Key": str(uuid.uuid4())},
                json={"items": [{"listing_id": self.listing, "qty": 1}], "payment_method": "cod",
                      "delivery_address": address(self.district)})
            if code == 201:
                self.orders.append(body["id"])
            else:
                self.refused.append((code, body))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)


def every_worker_consuming(stack) -> bool:
    for app in config.ALL_APPS:
        ok, _, counts = broker_status(stack.broker.amqp_url, f"{stack.broker.queue_prefix}{app}")
        if not ok or counts["consumers"] < 1:
            return False
    return True


def test_broker_restarts_and_killed_workers_lose_nothing_and_apply_nothing_twice(stack_on_private_broker, rabbit):
    stack = stack_on_private_broker
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    _seller, listing = setup_listing(stack, here, stock=STOCK)
    first_pids = {name: proc.pid for name, proc in stack.procs.items()}
    workers = [f"{app}-worker" for app in config.ALL_APPS]
    killed, back_in = [], []
    with Checkouts(stack, listing, here) as checkouts:
        for round_no in range(RESTARTS):
            start = len(checkouts.orders)
            wait_until(lambda: len(checkouts.orders) >= start + 5, timeout=60, message="checkouts flowing")
            rabbit.restart()
            restarted_at = time.monotonic()
            for name in workers[round_no::RESTARTS]:  # every worker once, spread over the restarts
                stack.stop_process(name, signal.SIGKILL)
                stack.start_process(name, ["worker", name.removesuffix("-worker")])
                killed.append(name)
            wait_until(lambda: every_worker_consuming(stack), timeout=90, interval=0.5,
                       message="every worker consuming again")
            back_in.append(round(time.monotonic() - restarted_at, 1))
        start = len(checkouts.orders)
        wait_until(lambda: len(checkouts.orders) >= start + 5, timeout=60, message="checkouts after the chaos")
    assert sorted(killed) == sorted(workers)
    assert checkouts.refused == []
    orders = checkouts.orders
    shopper = checkouts.shopper

    def statuses():
        return {oid: shopper.get(f"/api/v1/orders/{oid}")[1] for oid in orders}

    seen = wait_until(lambda: (lambda s: s if all(o.get("status") in SETTLED for o in s.values()) else None)(
        statuses()), timeout=120, interval=1, message=f"all {len(orders)} orders settled")
    confirmed = [oid for oid, o in seen.items() if o["status"] == "CONFIRMED"]
    assert len(confirmed) == len(orders)  # plenty of stock: every one is confirmed
    # each reservation taken once: the stock went down by exactly one unit per order
    assert stock_of(stack, listing) == STOCK - len(orders)
    for oid, order in seen.items():
        events = [t["event"] for t in order["timeline"]]
        assert len(events) == len(set(events)), (oid, events)  # no step of the saga applied twice
    # nothing but the killed workers ever exited; they were started again and are running
    for name, proc in stack.procs.items():
        assert proc.poll() is None, (name, stack.logs(name)[-2000:])
        if name not in killed:
            assert proc.pid == first_pids[name], name
    for app in config.ALL_APPS:
        _, _, counts = broker_status(stack.broker.amqp_url, f"{stack.broker.queue_prefix}{app}")
        assert counts["parked"] == 0, app
    print(f"\n{len(orders)} checkouts through {RESTARTS} broker restarts and {len(killed)} worker kills; every worker "
          f"consuming again {back_in} s after each restart (kills included)")
