"""Quorum queues (QUEUE_TYPE=quorum) on real RabbitMQ: the retry and parking paths work on them, a queue of the
other type is refused with a message that says what to do, and on a real three-node cluster (three nodes of the
machine's RabbitMQ, joined with join_cluster) every process of the stack keeps going while the node leading the
busiest queue is stopped and brought back: every order ends settled, none lost, none applied twice."""
from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections import Counter

import pika
import pytest

from pasar.db import UnitOfWork
from pasar.messaging import Publisher, QueueNames, Worker, declare_topology
from pasar.messaging.topology import CRASH_DELIVERY_LIMIT, QueueDeclarationMismatch, queue_arguments
from tests.support import probe_service as probe
from tests.support.infra import BrokerNamespace, wait_until
from tests.support.private_broker import PrivateCluster
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

SETTLED = ("CONFIRMED", "REJECTED")  # where a cash-on-delivery order ends without people acting on it


def quorum(ns: BrokerNamespace):
    return dataclasses.replace(ns.settings(), queue_type="quorum")


def test_quorum_covers_main_retry_and_parked_queues_and_classic_keeps_its_old_arguments():
    ns = BrokerNamespace.new()
    names = QueueNames.for_service("orders", ns.settings())
    classic = queue_arguments(names, ns.settings())
    assert classic[names.main] == {} and classic[names.parked] == {}  # as declared before QUEUE_TYPE existed
    assert classic[names.retries[0]] == {"x-message-ttl": 100, "x-dead-letter-exchange": "",
                                          "x-dead-letter-routing-key": names.main}
    replicated = queue_arguments(names, quorum(ns))
    assert set(replicated) == {names.main, names.parked, *names.retries}
    assert all(args["x-queue-type"] == "quorum" for args in replicated.values())
    main = replicated[names.main]
    # a message whose consumer keeps dying before the ack is parked by the broker, and not lost on the way there
    assert main["x-delivery-limit"] == CRASH_DELIVERY_LIMIT and main["x-dead-letter-routing-key"] == names.parked
    for name in (names.main, *names.retries):
        assert replicated[name]["x-dead-letter-strategy"] == "at-least-once"
        assert replicated[name]["x-overflow"] == "reject-publish"  # what at-least-once dead-lettering requires
    assert [replicated[r]["x-message-ttl"] for r in names.retries] == [100, 200, 400]
    assert all(replicated[r]["x-dead-letter-routing-key"] == names.main for r in names.retries)


def test_a_queue_of_the_other_type_is_refused_with_a_message_saying_what_to_do(broker):
    connection = pika.BlockingConnection(pika.URLParameters(broker.amqp_url))
    try:
        declare_topology(connection.channel(), "probe", ["listing.updated"], broker.settings())  # classic
        with pytest.raises(QueueDeclarationMismatch) as refused:
            declare_topology(connection.channel(), "probe", ["listing.updated"], quorum(broker))
        message = str(refused.value)
        main = QueueNames.for_service("probe", broker.settings()).main
        assert f"queue {main!r} already exists" in message and "QUEUE_TYPE=quorum" in message
        assert "cannot change in place" in message and f"rabbitmqctl delete_queue {main}" in message
        with pytest.raises(ValueError, match="QUEUE_TYPE must be one of classic, quorum"):
            declare_topology(connection.channel(), "probe", [], dataclasses.replace(broker.settings(), queue_type="qourum"))
    finally:
        connection.close()
        broker.cleanup(services=("probe",))


def test_on_quorum_queues_a_failing_message_is_retried_with_delay_then_parked_with_its_reason(pg_url):
    ns = BrokerNamespace.new()
    db = probe.make_db(pg_url)
    # one message per transaction: the two events may arrive together, and a failed batch is retried one by one
    # (tests/unit/test_worker_batches.py), which would add a handler call that is not a delivery
    worker = Worker("probe", db, probe.HANDLERS, quorum(ns), batch_size=1)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_until(worker.ready.is_set, timeout=15, message="worker consuming quorum queues")
        probe.attempts.clear()
        with UnitOfWork(db, publisher=Publisher(quorum(ns)), source="probe") as uow:
            uow.emit("listing.updated", probe.listing_event("explode"))
            uow.emit("listing.updated", probe.listing_event("fine on a quorum queue"))
            uow.commit()
        wait_until(lambda: probe.applied_count(db, title="fine on a quorum queue") == 1, timeout=15, message="applied")
        parked = wait_until(lambda: ns.parked("probe"), timeout=30, message="failing message parked")
        # the fine event once, the failing one on its first try and once per retry queue (TTL dead-lettering)
        assert len(probe.attempts) == 1 + quorum(ns).max_attempts
        headers, _ = parked[0]
        assert "the village road is flooded" in headers["x-pasar-park-reason"]
        assert probe.applied_count(db, title="explode") == 0
    finally:
        worker.stop()
        thread.join(timeout=15)
        ns.cleanup(services=("probe",))
        db.dispose()


# -- the three-node cluster ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster():
    started = time.monotonic()
    nodes = PrivateCluster(3).start()
    nodes.start_seconds = time.monotonic() - started
    yield nodes
    nodes.shutdown()


def _ok(result, status=200):
    code, body = result
    assert code == status, body
    return body


def _listing(stack, district: str, stock: int) -> str:
    admin = stack.client("admin-cluster", "admin")
    slug = f"cluster-{uuid.uuid4().hex[:6]}"
    _ok(admin.post("/api/v1/categories", json={"slug": slug, "name_id": "Kerajinan", "name_en": "Crafts"}), 201)
    seller = stack.client(f"seller-{uuid.uuid4().hex[:6]}", "seller", name="Bu Ani")
    shop = _ok(seller.post("/api/v1/shops", json={"name": "Toko Ani", "street": "Jl. Desa 1", "village": "Desa",
                                                  "district": district, "regency": "Blitar",
                                                  "whatsapp": "+6281100000000"}), 201)
    listing = _ok(seller.post("/api/v1/products", json={"shop_id": shop["id"], "title": "Tikar pandan",
                                                        "category": slug, "price": 25000, "stock": stock,
                                                        "status": "published"}), 201)
    return listing["id"]


class Shoppers:
    """Cash-on-delivery orders of one item each, every one with its Idempotency-Key, sent again after a failed
    answer (as a phone on a village network would): a resend is the same order, never a second one."""

    def __init__(self, stack, listing: str, district: str):
        self.stack, self.listing, self.district = stack, listing, district
        self.orders: dict[str, object] = {}  # order id -> the shopper's client
        self.resends = 0

    def place(self, count: int) -> None:
        for _ in range(count):
            shopper = self.stack.client(f"shopper-{uuid.uuid4().hex[:8]}", "shopper")
            key = str(uuid.uuid4())
            body = {"items": [{"listing_id": self.listing, "qty": 1}], "payment_method": "cod",
                    "delivery_address": {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3",
                                         "district": self.district, "regency": "Blitar", "province": "Jawa Timur"}}
            for _attempt in range(5):
                try:
                    code, answer = shopper.post("/api/v1/orders", json=body, headers={"Idempotency-Key": key})
                except OSError:
                    code, answer = None, None
                if code in (200, 201):
                    self.orders[answer["id"]] = shopper
                    break
                self.resends += 1
            else:
                pytest.fail(f"an order could not be placed after 5 tries: {code} {answer}")

    def statuses(self) -> dict[str, str]:
        return {order_id: _ok(client.get(f"/api/v1/orders/{order_id}"))["status"]
                for order_id, client in self.orders.items()}

    def all_settled(self) -> dict[str, str] | None:
        statuses = self.statuses()
        return statuses if all(s in SETTLED for s in statuses.values()) else None


def test_orders_survive_stopping_the_node_that_leads_the_busiest_queue(cluster):
    stock, before, during, after = 24, 12, 12, 8  # 32 orders for 24 items: 8 must be turned away, no more
    stack = Stack(postgres=True, extra_env={"AMQP_URL": cluster.url, "QUEUE_TYPE": "quorum"})
    stack.broker = BrokerNamespace.new(amqp_url=cluster.nodes[0].url)
    clock = {"start": time.monotonic()}
    with stack:
        clock["stack up"] = time.monotonic()
        prefix = stack.broker.queue_prefix
        ours = [q for q in cluster.queues() if q["name"].startswith(prefix)]
        assert ours and all(q["type"] == "quorum" for q in ours), ours  # main, retry and parked queues alike
        district = f"Kec-{uuid.uuid4().hex[:6]}"
        listing = _listing(stack, district, stock)
        shoppers = Shoppers(stack, listing, district)

        shoppers.place(before)  # their events are on their way through the queues when the node goes
        mains = {f"{prefix}{app}" for app in ("catalog", "orders", "payments", "notifications", "gateway")}
        queues = [q for q in cluster.queues() if q["name"] in mains]
        busiest = max(queues, key=lambda q: (q["messages"], q["name"] == f"{prefix}orders"))
        leader = cluster.node_named(busiest["leader"])
        clock["fault"] = time.monotonic()
        leader.stop_node()
        survivors = [n for n in cluster.nodes if n is not leader]
        moved = wait_until(lambda: (lambda q: q if q["leader"] != leader.name else None)(
            next(q for q in cluster.queues(via=survivors[0]) if q["name"] == busiest["name"])),
            timeout=60, message="a surviving node leads the busiest queue")
        shoppers.place(during)
        wait_until(shoppers.all_settled, timeout=120, interval=0.5,
                   message="orders placed before and during the outage settled on two nodes")
        clock["settled on two nodes"] = time.monotonic()

        leader.start_node()
        wait_until(lambda: cluster.running_nodes(survivors[0]) == {n.name for n in cluster.nodes}, timeout=120,
                   interval=0.5, message="the stopped node back in the cluster")
        clock["node back"] = time.monotonic()
        shoppers.place(after)
        statuses = wait_until(shoppers.all_settled, timeout=120, interval=0.5, message="every order settled")
        clock["all settled"] = time.monotonic()

        outcome = Counter(statuses.values())
        total = before + during + after
        assert len(statuses) == total                                   # no order lost or made twice by a resend
        assert outcome["CONFIRMED"] == stock and outcome["REJECTED"] == total - stock  # no item reserved twice
        product = _ok(stack.client().get(f"/api/v1/products/{listing}"))
        assert product["stock"] == 0
        duplicates = 0
        for order_id, client in shoppers.orders.items():
            events = [t["event"] for t in _ok(client.get(f"/api/v1/orders/{order_id}"))["timeline"]]
            duplicates += sum(n - 1 for n in Counter(events).values())
        assert duplicates == 0
        assert all(not stack.broker.parked(app) for app in ("catalog", "orders", "payments", "notifications"))
        reconnects = sum(stack.logs(f"{app}-worker").count("reconnecting")
                         for app in ("gateway", "catalog", "orders", "payments", "notifications"))
        print(f"\ncluster run: orders={total} confirmed={outcome['CONFIRMED']} rejected={outcome['REJECTED']} "
              f"faults=1 (stopped {leader.name}, leader of {busiest['name']} with {busiest['messages']} waiting; "
              f"new leader {moved['leader']}) worker_reconnects={reconnects} client_resends={shoppers.resends} "
              f"duplicates={duplicates} lost={total - len(statuses)}\n"
              f"seconds: cluster start {cluster.start_seconds:.0f}, stack start {clock['stack up'] - clock['start']:.0f}, "
              f"fault -> {before + during} orders settled {clock['settled on two nodes'] - clock['fault']:.0f}, "
              f"node restart {clock['node back'] - clock['settled on two nodes']:.0f}, "
              f"last {after} orders {clock['all settled'] - clock['node back']:.0f}")
