"""The order saga on the real broker and PostgreSQL: the orders app and worker run here, in a private
exchange; the catalog's and payments' side is played by publishing their events, and everything orders
emits is read back from a probe queue bound to every key."""
from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass, field

import pika
import pytest
import sqlalchemy as sa

from pasar.auth import Identity, issue_access_token
from pasar.db import Database
from pasar.events import make_envelope
from pasar.messaging import Worker
from pasar.messaging.broker import publish_envelope
from pasar.migrate import upgrade
from services.orders import handlers
from services.orders.app import create_app
from services.orders.models import Base
from tests.support.infra import BrokerNamespace, postgres_database, wait_until

TIMEOUT = 15


def address(district: str) -> dict:
    return {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3", "village": "Sumberejo",
            "district": district, "regency": "Blitar", "province": "Jawa Timur"}


@dataclass
class Saga:
    """The orders service under test, plus the other services' voices."""
    db_url: str
    ns: BrokerNamespace
    app: object = None
    worker: Worker | None = None
    thread: threading.Thread | None = None
    seen: list = field(default_factory=list)

    def start_worker(self) -> None:
        db = Database("orders", Base.metadata, self.db_url)
        self.worker = Worker("orders", db, handlers.HANDLERS, settings=self.ns.settings(),
                             periodic=[(0.2, handlers.sweep_overdue_payments)])
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.thread.start()
        assert self.worker.ready.wait(10), "orders worker did not start"

    def stop_worker(self) -> None:
        self.worker.stop()
        self.thread.join(10)
        self.worker.db.dispose()

    # -- other services' voices ----------------------------------------------------------------------
    def publish(self, event_type: str, data: dict, source: str = "test", envelope: dict | None = None) -> dict:
        envelope = envelope or make_envelope(event_type, data, source=source, correlation_id=data.get("order_id"))
        conn = pika.BlockingConnection(pika.URLParameters(self.ns.amqp_url))
        channel = conn.channel()
        channel.confirm_delivery()
        publish_envelope(channel, self.ns.exchange, envelope)
        conn.close()
        return envelope

    def events(self, event_type: str | None = None, order_id: str | None = None) -> list[dict]:
        """Everything orders has published so far (drained from the probe queue)."""
        conn = pika.BlockingConnection(pika.URLParameters(self.ns.amqp_url))
        channel = conn.channel()
        while True:
            method, _props, body = channel.basic_get(f"{self.ns.queue_prefix}probe", auto_ack=True)
            if method is None:
                break
            self.seen.append(json.loads(body))
        conn.close()
        return [e for e in self.seen if e["source"] == "orders" and (event_type is None or e["type"] == event_type)
                and (order_id is None or e["data"].get("order_id") == order_id)]

    def wait_event(self, event_type: str, order_id: str, count: int = 1) -> list[dict]:
        return wait_until(lambda: (lambda found: found if len(found) >= count else None)(
            self.events(event_type, order_id)), TIMEOUT, message=f"{count} {event_type} for {order_id}")

    # -- HTTP ----------------------------------------------------------------------------------------
    def client(self, user_id: str, role: str, district: str | None = None) -> "Client":
        token = issue_access_token(Identity(user_id=user_id, role=role, name=user_id, district=district))
        return Client(self.app.test_client(), token)

    def order(self, order_id: str, shopper: "Client") -> dict:
        status, body = shopper.get(f"/api/v1/orders/{order_id}")
        assert status == 200, body
        return body

    def wait_status(self, order_id: str, shopper: "Client", status: str) -> dict:
        return wait_until(lambda: (lambda o: o if o["status"] == status else None)(self.order(order_id, shopper)),
                          TIMEOUT, message=f"order {order_id} {status}")

    # -- a whole order up to the catalog's answer ----------------------------------------------------
    def place(self, shopper: "Client", method: str, sellers: list[tuple[str, str]], dropoff: str,
              key: str | None = None) -> dict:
        """sellers: [(seller_id, shop district)]; one line of 2 x Rp 25.000 per seller."""
        items = [{"listing_id": f"listing-{seller}", "qty": 2} for seller, _ in sellers]
        headers = {"Idempotency-Key": key} if key else {}
        status, order = shopper.post("/api/v1/orders", json={
            "items": items, "payment_method": method, "delivery_address": address(dropoff)}, headers=headers)
        assert status == 201, order
        (placed,) = self.wait_event("order.placed", order["id"])
        assert placed["data"]["items"] == items
        return order

    def reserve(self, order_id: str, sellers: list[tuple[str, str]], price: int = 25000) -> dict:
        lines = [{"listing_id": f"listing-{seller}", "shop_id": f"shop-{seller}", "seller_id": seller,
                  "agent_id": f"agent-of-{seller}", "shop_name": f"Toko {seller}", "title": f"Tikar {seller}",
                  "qty": 2, "unit_price": price,
                  "pickup": {"street": "Jl. Desa 1", "village": "Desa", "district": district, "regency": "Blitar",
                             "province": "Jawa Timur", "phone": "+62811000000"}}
                 for seller, district in sellers]
        return self.publish("stock.reserved", {"order_id": order_id, "lines": lines}, source="catalog")

    def pay(self, order: dict, outcome: str = "succeeded") -> dict:
        return self.publish(f"payment.{outcome}", {
            "order_id": order["id"], "payment_id": f"pay-{order['id'][:8]}", "method": "card",
            "amount": order["total"], "reason": None if outcome == "succeeded" else "card_declined",
            "shopper_id": order["shopper_id"]}, source="payments")

    def courier(self, district: str, available: bool = True) -> "Client":
        """A courier the gateway announced (account.registered), then on duty through the API."""
        user_id = f"courier-{uuid.uuid4().hex[:8]}"
        self.publish("account.registered", {"user_id": user_id, "role": "courier", "name": user_id,
                                            "email": None, "phone": "+62812", "locale": "id", "district": district,
                                            "channels": ["inapp"]}, source="gateway")
        client = self.client(user_id, "courier")
        wait_until(lambda: client.get("/api/v1/couriers/me")[1]["district"] == district, TIMEOUT,
                   message="courier known from account.registered")
        if available:
            status, body = client.put("/api/v1/couriers/me", json={"available": True})
            assert status == 200 and body["available"] is True, body
        client.user_id = user_id
        return client


class Client:
    def __init__(self, flask_client, token: str):
        self.flask = flask_client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.user_id = None

    def call(self, method: str, path: str, json=None, headers=None):
        resp = self.flask.open(path, method=method, json=json, headers={**self.headers, **(headers or {})})
        return resp.status_code, resp.get_json()

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def put(self, path, **kw):
        return self.call("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture(scope="module")
def saga():
    ns = BrokerNamespace.new()
    with postgres_database("pasar_orders_saga") as url, pytest.MonkeyPatch.context() as mp:
        for name, value in ns.env().items():
            mp.setenv(name, value)
        mp.setenv("PAYMENT_TIMEOUT_SECONDS", "1800")
        mp.setenv("DELIVERY_FEE_SAME_DISTRICT", "10000")
        mp.setenv("DELIVERY_FEE_OTHER", "20000")
        upgrade("orders", url)
        conn = pika.BlockingConnection(pika.URLParameters(ns.amqp_url))
        channel = conn.channel()
        channel.exchange_declare(ns.exchange, exchange_type="topic", durable=True)
        channel.queue_declare(f"{ns.queue_prefix}probe", durable=True)
        channel.queue_bind(f"{ns.queue_prefix}probe", ns.exchange, routing_key="#")
        conn.close()
        s = Saga(db_url=url, ns=ns)
        s.app = create_app(db=Database("orders", Base.metadata, url))
        s.start_worker()
        try:
            yield s
        finally:
            s.stop_worker()
            s.app.extensions["pasar"].db.dispose()
            if s.app.extensions["pasar"].publisher:
                s.app.extensions["pasar"].publisher.close()
            ns.cleanup()


def new_shopper(saga: Saga) -> Client:
    client = saga.client(f"shopper-{uuid.uuid4().hex[:8]}", "shopper")
    return client


def district() -> str:
    return f"Kecamatan-{uuid.uuid4().hex[:6]}"


# == the saga ==========================================================================================
def test_card_order_paid_is_confirmed_with_one_fulfillment_per_seller(saga):
    shopper, here = new_shopper(saga), district()
    sellers = [("seller-a-" + here, here)]
    order = saga.place(shopper, "card", sellers, dropoff=here)
    saga.reserve(order["id"], sellers)
    waiting = saga.wait_status(order["id"], shopper, "AWAITING_PAYMENT")
    assert waiting["total"] == 50000 + 10000 and waiting["payment_due_at"]
    (requested,) = saga.wait_event("payment.requested", order["id"])
    assert requested["data"]["method"] == "card" and requested["data"]["amount"] == 60000
    assert requested["data"]["currency"] == "IDR"
    assert requested["data"]["subtotals"] == [{"seller_id": sellers[0][0], "amount": 50000, "delivery_fee": 10000,
                                               "fulfillment_id": waiting["fulfillments"][0]["id"]}]
    saga.pay(waiting)
    confirmed = saga.wait_status(order["id"], shopper, "CONFIRMED")
    assert confirmed["paid"] is True
    (event,) = saga.wait_event("order.confirmed", order["id"])
    assert event["data"]["payment_method"] == "card" and event["data"]["total"] == 60000
    (f,) = event["data"]["fulfillments"]
    assert f["seller_id"] == sellers[0][0] and f["agent_id"] == f"agent-of-{sellers[0][0]}"
    assert f["items"] == [{"title": f"Tikar {sellers[0][0]}", "qty": 2, "unit_price": 25000}]
    assert f["goods_amount"] == 50000 and f["delivery_fee"] == 10000 and f["pickup_deadline"]
    assert [t["event"] for t in confirmed["timeline"]] == ["order.placed", "payment.requested", "order.confirmed"]


def test_card_payment_failure_cancels_the_order_unpaid(saga):
    shopper, here = new_shopper(saga), district()
    order = saga.place(shopper, "card", [("seller-f", here)], dropoff=here)
    saga.reserve(order["id"], [("seller-f", here)])
    waiting = saga.wait_status(order["id"], shopper, "AWAITING_PAYMENT")
    saga.pay(waiting, "failed")
    cancelled = saga.wait_status(order["id"], shopper, "CANCELLED")
    assert cancelled["cancel_reason"] == "payment_failed"
    assert [f["status"] for f in cancelled["fulfillments"]] == ["CANCELLED"]
    (event,) = saga.wait_event("order.cancelled", order["id"])
    assert event["data"] == {**event["data"], "reason": "payment_failed", "paid": False, "payment_method": "card",
                             "shopper_id": shopper_id(shopper, cancelled)}


def shopper_id(_client, order: dict) -> str:
    return order["shopper_id"]


def test_unpaid_card_order_is_cancelled_after_the_timeout_even_across_a_worker_restart(saga, monkeypatch):
    monkeypatch.setenv("PAYMENT_TIMEOUT_SECONDS", "1")
    shopper, here = new_shopper(saga), district()
    order = saga.place(shopper, "card", [("seller-t", here)], dropoff=here)
    saga.stop_worker()  # the worker is down when the answer arrives and when the deadline passes
    saga.reserve(order["id"], [("seller-t", here)])
    saga.start_worker()
    saga.wait_status(order["id"], shopper, "AWAITING_PAYMENT")
    saga.stop_worker()
    with saga.app.extensions["pasar"].db.engine.connect() as conn:
        due = conn.execute(sa.text("SELECT payment_due_at FROM orders WHERE id = :id"), {"id": order["id"]}).scalar()
    wait_until(lambda: __import__("pasar.db").db.utcnow() > due, 5, message="deadline passed while down")
    assert saga.order(order["id"], shopper)["status"] == "AWAITING_PAYMENT"
    saga.start_worker()  # a fresh worker's sweeper finds what fell due while it was down
    cancelled = saga.wait_status(order["id"], shopper, "CANCELLED")
    assert cancelled["cancel_reason"] == "payment_timeout"
    (event,) = saga.wait_event("order.cancelled", order["id"])
    assert event["data"]["reason"] == "payment_timeout" and event["data"]["paid"] is False
    # money that arrives after the timeout is handed back: the cancellation is told again as paid
    saga.pay(cancelled)
    late = saga.wait_event("order.cancelled", order["id"], count=2)
    assert late[1]["data"]["paid"] is True
    assert saga.order(order["id"], shopper)["status"] == "CANCELLED"


def test_stock_rejected_rejects_the_order_with_the_catalogs_reasons(saga):
    shopper, here = new_shopper(saga), district()
    order = saga.place(shopper, "cod", [("seller-r", here)], dropoff=here)
    problems = [{"listing_id": "listing-seller-r", "requested": 2, "available": 1, "reason": "insufficient"}]
    saga.publish("stock.rejected", {"order_id": order["id"], "problems": problems}, source="catalog")
    rejected = saga.wait_status(order["id"], shopper, "REJECTED")
    assert rejected["problems"] == problems and rejected["fulfillments"] == []
    (event,) = saga.wait_event("order.rejected", order["id"])
    assert event["data"]["reason"] == "stock"
    assert saga.events("payment.requested", order["id"]) == []


def test_cod_order_is_delivered_with_the_exact_cash_and_completes(saga):
    shopper, here = new_shopper(saga), district()
    courier = saga.courier(here)
    seller = f"seller-c-{here}"
    order = saga.place(shopper, "cod", [(seller, here)], dropoff=here)
    saga.reserve(order["id"], [(seller, here)])
    confirmed = saga.wait_status(order["id"], shopper, "CONFIRMED")
    (requested,) = saga.wait_event("payment.requested", order["id"])
    assert requested["data"]["method"] == "cod" and requested["data"]["amount"] == 60000
    fid = confirmed["fulfillments"][0]["id"]

    status, f = saga.client(seller, "seller").post(f"/api/v1/fulfillments/{fid}/ready")
    assert status == 200, f
    assert f["status"] == "ASSIGNED" and f["courier_id"] == courier.user_id
    (ready,) = saga.wait_event("fulfillment.ready", order["id"])
    assert ready["data"]["pickup_address"]["district"] == here
    (assigned,) = saga.wait_event("delivery.assigned", order["id"])
    assert assigned["data"]["courier_id"] == courier.user_id and assigned["data"]["cod_amount_due"] == 60000
    assert assigned["data"]["dropoff"]["district"] == here and assigned["data"]["pickup"]["shop_name"] == f"Toko {seller}"

    assert courier.post(f"/api/v1/deliveries/{fid}/accept")[0] == 200
    assert courier.post(f"/api/v1/deliveries/{fid}/pickup")[1]["status"] == "PICKED_UP"
    status, body = courier.post(f"/api/v1/deliveries/{fid}/deliver", json={"cod_amount_collected": 50000})
    assert status == 422
    assert body["error"]["code"] == "cash_mismatch" and "60000" in body["error"]["message"]
    assert "cod_amount_collected" in body["error"]["fields"]
    status, body = courier.post(f"/api/v1/deliveries/{fid}/deliver", json={"cod_amount_collected": 60000})
    assert status == 200 and body["status"] == "DELIVERED", body
    completed = saga.wait_status(order["id"], shopper, "COMPLETED")
    (delivered,) = saga.wait_event("delivery.delivered", order["id"])
    assert delivered["data"]["cod_amount_collected"] == 60000 and delivered["data"]["goods_amount"] == 50000
    saga.wait_event("order.completed", order["id"])
    assert [t["event"] for t in completed["timeline"]] == [
        "order.placed", "payment.requested", "order.confirmed", "fulfillment.ready", "delivery.assigned",
        "delivery.accepted", "delivery.picked_up", "delivery.delivered", "order.completed"]


def test_shopper_cancels_a_paid_order_and_payments_is_asked_to_refund(saga):
    shopper, here = new_shopper(saga), district()
    order = saga.place(shopper, "card", [("seller-x", here)], dropoff=here)
    saga.reserve(order["id"], [("seller-x", here)])
    saga.pay(saga.wait_status(order["id"], shopper, "AWAITING_PAYMENT"))
    saga.wait_status(order["id"], shopper, "CONFIRMED")
    status, body = shopper.post(f"/api/v1/orders/{order['id']}/cancel")
    assert status == 200 and body["status"] == "CANCELLED", body
    (event,) = saga.wait_event("order.cancelled", order["id"])
    assert event["data"]["paid"] is True and event["data"]["reason"] == "shopper_cancelled"
    assert event["data"]["amount"] == 60000 and event["data"]["payment_id"]
    assert shopper.post(f"/api/v1/orders/{order['id']}/cancel")[0] == 409  # once is enough


def test_shopper_cannot_cancel_after_a_pickup(saga):
    shopper, here = new_shopper(saga), district()
    courier = saga.courier(here)
    order = saga.place(shopper, "cod", [("seller-p", here)], dropoff=here)
    saga.reserve(order["id"], [("seller-p", here)])
    fid = saga.wait_status(order["id"], shopper, "CONFIRMED")["fulfillments"][0]["id"]
    saga.client("seller-p", "seller").post(f"/api/v1/fulfillments/{fid}/ready")
    assert courier.post(f"/api/v1/deliveries/{fid}/pickup")[0] == 200
    status, body = shopper.post(f"/api/v1/orders/{order['id']}/cancel")
    assert status == 409 and body["error"]["code"] == "already_picked_up"


def test_three_sellers_three_fulfillments_each_to_a_courier_of_its_district(saga):
    shopper = new_shopper(saga)
    districts = [district() for _ in range(3)]
    sellers = [(f"seller-{i}-{d}", d) for i, d in enumerate(districts)]
    couriers = {d: saga.courier(d) for d in districts}
    order = saga.place(shopper, "cod", sellers, dropoff=districts[0])
    saga.reserve(order["id"], sellers)
    confirmed = saga.wait_status(order["id"], shopper, "CONFIRMED")
    assert len(confirmed["fulfillments"]) == 3
    # one delivery fee per seller: the same district as the shopper is cheaper
    assert confirmed["delivery_total"] == 10000 + 20000 + 20000
    assert confirmed["total"] == 3 * 50000 + 50000
    by_seller = {f["seller_id"]: f for f in confirmed["fulfillments"]}
    for seller, d in sellers:
        f = by_seller[seller]
        status, body = saga.client(seller, "seller").post(f"/api/v1/fulfillments/{f['id']}/ready")
        assert status == 200 and body["courier_id"] == couriers[d].user_id, body
    for n, (seller, d) in enumerate(sellers):
        f, courier = by_seller[seller], couriers[d]
        assert courier.post(f"/api/v1/deliveries/{f['id']}/pickup")[0] == 200
        status, body = courier.post(f"/api/v1/deliveries/{f['id']}/deliver",
                                    json={"cod_amount_collected": f["cod_amount_due"]})
        assert status == 200, body
        now = saga.order(order["id"], shopper)
        assert now["status"] == ("COMPLETED" if n == 2 else "CONFIRMED")
    delivered = saga.wait_event("delivery.delivered", order["id"], count=3)
    assert {e["data"]["courier_id"] for e in delivered} == {c.user_id for c in couriers.values()}
    assert len(saga.wait_event("order.completed", order["id"])) == 1


def test_declined_delivery_goes_to_the_next_courier_then_the_open_board(saga):
    shopper, here = new_shopper(saga), district()
    first, second = saga.courier(here), saga.courier(here)
    elsewhere = saga.courier(district())
    order = saga.place(shopper, "cod", [("seller-d", here)], dropoff=here)
    saga.reserve(order["id"], [("seller-d", here)])
    fid = saga.wait_status(order["id"], shopper, "CONFIRMED")["fulfillments"][0]["id"]
    status, f = saga.client("seller-d", "seller").post(f"/api/v1/fulfillments/{fid}/ready")
    offered, other = (first, second) if f["courier_id"] == first.user_id else (second, first)
    assert f["courier_id"] == offered.user_id
    status, body = offered.post(f"/api/v1/deliveries/{fid}/decline")
    assert (status, body) == (200, {"fulfillment_id": fid, "declined": True})
    assert offered.get(f"/api/v1/deliveries/{fid}")[0] == 404  # after declining it is no longer theirs
    assert other.get(f"/api/v1/deliveries/{fid}")[1]["courier_id"] == other.user_id
    assert other.post(f"/api/v1/deliveries/{fid}/decline")[0] == 200
    # nobody left who has not declined: the parcel waits on the district's board
    board = offered.get("/api/v1/deliveries/board")[1]["deliveries"]
    assert [d["id"] for d in board] == [fid]
    # on the board a courier learns where it goes, not who lives there
    assert board[0]["dropoff"] == {"village": "Sumberejo", "district": here, "regency": "Blitar",
                                   "province": "Jawa Timur"}
    assert offered.get(f"/api/v1/deliveries/{fid}")[1]["dropoff"] == board[0]["dropoff"]
    assert elsewhere.get("/api/v1/deliveries/board")[1]["deliveries"] == []
    assert elsewhere.post(f"/api/v1/deliveries/{fid}/claim")[0] == 404
    status, claimed = other.post(f"/api/v1/deliveries/{fid}/claim")
    assert status == 200 and claimed["courier_id"] == other.user_id and claimed["accepted"] is True
    assert claimed["dropoff"]["phone"] and claimed["dropoff"]["street"]  # now it is theirs to deliver
    unassigned = saga.wait_event("delivery.unassigned", order["id"], count=2)
    assert [e["data"]["courier_id"] for e in unassigned] == [offered.user_id, other.user_id]
    assigned = saga.wait_event("delivery.assigned", order["id"], count=3)
    assert [e["data"]["courier_id"] for e in assigned] == [offered.user_id, other.user_id, other.user_id]


def test_a_courier_coming_on_duty_is_offered_the_parcels_waiting_on_the_board(saga):
    shopper, here = new_shopper(saga), district()
    late = saga.courier(here, available=False)
    order = saga.place(shopper, "cod", [("seller-w", here)], dropoff=here)
    saga.reserve(order["id"], [("seller-w", here)])
    fid = saga.wait_status(order["id"], shopper, "CONFIRMED")["fulfillments"][0]["id"]
    status, waiting = saga.client("seller-w", "seller").post(f"/api/v1/fulfillments/{fid}/ready")
    assert status == 200 and waiting["courier_id"] is None  # nobody on duty: it waits on the board
    assert late.put("/api/v1/couriers/me", json={"available": True})[0] == 200
    status, offered = late.get(f"/api/v1/deliveries/{fid}")
    assert status == 200 and offered["courier_id"] == late.user_id and offered["status"] == "ASSIGNED"
    assert late.get("/api/v1/deliveries/board")[1]["deliveries"] == []
    assigned = saga.wait_event("delivery.assigned", order["id"])
    assert assigned[0]["data"]["courier_id"] == late.user_id
    # going off and on duty again keeps the one offer
    assert late.put("/api/v1/couriers/me", json={"available": False})[0] == 200
    assert late.put("/api/v1/couriers/me", json={"available": True})[0] == 200
    assert [d["id"] for d in late.get("/api/v1/deliveries")[1]["deliveries"]] == [fid]


def test_least_loaded_available_courier_of_the_district_gets_the_parcel(saga):
    here = district()
    busy, idle = saga.courier(here), saga.courier(here)
    saga.courier(here, available=False)
    fids = []
    for n in range(3):
        shopper = new_shopper(saga)
        order = saga.place(shopper, "cod", [(f"seller-l{n}", here)], dropoff=here)
        saga.reserve(order["id"], [(f"seller-l{n}", here)])
        fids.append(saga.wait_status(order["id"], shopper, "CONFIRMED")["fulfillments"][0]["id"])
    owners = []
    for n, fid in enumerate(fids):
        owners.append(saga.client(f"seller-l{n}", "seller").post(f"/api/v1/fulfillments/{fid}/ready")[1]["courier_id"])
    # alternate by load: 1-0 after the first, 1-1 after the second, the third to either
    assert set(owners[:2]) == {busy.user_id, idle.user_id}
    loads = {c.user_id: c.get("/api/v1/couriers/me")[1]["active_deliveries"] for c in (busy, idle)}
    assert sorted(loads.values()) == [1, 2]


def test_courier_cannot_see_or_change_another_couriers_delivery(saga):
    shopper, here = new_shopper(saga), district()
    mine = saga.courier(here)
    order = saga.place(shopper, "cod", [("seller-i", here)], dropoff=here)
    saga.reserve(order["id"], [("seller-i", here)])
    fid = saga.wait_status(order["id"], shopper, "CONFIRMED")["fulfillments"][0]["id"]
    saga.client("seller-i", "seller").post(f"/api/v1/fulfillments/{fid}/ready")
    thief = saga.courier(here)
    for verb in ("accept", "decline", "pickup", "claim"):
        status, body = thief.post(f"/api/v1/deliveries/{fid}/{verb}")
        assert status == 404 and body["error"]["code"] == "not_found", (verb, body)
    assert thief.get(f"/api/v1/deliveries/{fid}")[0] == 404
    assert thief.get("/api/v1/deliveries")[1]["deliveries"] == []
    assert mine.post(f"/api/v1/deliveries/{fid}/pickup")[0] == 200
    assert thief.post(f"/api/v1/deliveries/{fid}/deliver", json={"cod_amount_collected": 60000})[0] == 404
    assert [d["id"] for d in mine.get("/api/v1/deliveries")[1]["deliveries"]] == [fid]


def test_sellers_and_agents_see_only_their_fulfillments(saga):
    shopper, here = new_shopper(saga), district()
    seller = f"seller-s-{here}"
    order = saga.place(shopper, "card", [(seller, here)], dropoff=here)
    saga.reserve(order["id"], [(seller, here)])
    waiting = saga.wait_status(order["id"], shopper, "AWAITING_PAYMENT")
    fid = waiting["fulfillments"][0]["id"]
    owner, agent = saga.client(seller, "seller"), saga.client(f"agent-of-{seller}", "agent")
    assert owner.get("/api/v1/fulfillments")[1]["fulfillments"] == []  # nothing to prepare before payment
    status, body = owner.post(f"/api/v1/fulfillments/{fid}/ready")
    assert status == 404
    saga.pay(waiting)
    saga.wait_status(order["id"], shopper, "CONFIRMED")
    listed = owner.get("/api/v1/fulfillments")[1]["fulfillments"]
    assert [f["id"] for f in listed] == [fid] and listed[0]["dropoff"]["district"] == here
    assert [f["id"] for f in agent.get("/api/v1/fulfillments")[1]["fulfillments"]] == [fid]
    assert saga.client("seller-else", "seller").get(f"/api/v1/fulfillments/{fid}")[0] == 404
    assert saga.client("seller-else", "seller").post(f"/api/v1/fulfillments/{fid}/ready")[0] == 404
    assert new_shopper(saga).get(f"/api/v1/orders/{order['id']}")[0] == 404
    status, body = agent.post(f"/api/v1/fulfillments/{fid}/ready")
    assert status == 200 and body["status"] == "READY_FOR_PICKUP"  # no courier on duty: the open board
    assert owner.post(f"/api/v1/fulfillments/{fid}/ready")[0] == 409


# == idempotency ========================================================================================
def test_same_idempotency_key_and_body_gives_the_same_order_and_a_different_body_conflicts(saga):
    shopper, here = new_shopper(saga), district()
    key = f"checkout-{uuid.uuid4()}"
    body = {"items": [{"listing_id": "listing-k", "qty": 1}], "payment_method": "cod",
            "delivery_address": address(here)}
    first = shopper.post("/api/v1/orders", json=body, headers={"Idempotency-Key": key})
    again = shopper.post("/api/v1/orders", json=body, headers={"Idempotency-Key": key})
    assert first[0] == 201 and again[0] == 200
    assert first[1]["id"] == again[1]["id"]
    status, error = shopper.post("/api/v1/orders", json={**body, "payment_method": "card"},
                                 headers={"Idempotency-Key": key})
    assert status == 409 and error["error"]["code"] == "idempotency_key_reused"
    # keys belong to a shopper: another shopper's identical key is a new order
    other = new_shopper(saga).post("/api/v1/orders", json=body, headers={"Idempotency-Key": key})
    assert other[0] == 201 and other[1]["id"] != first[1]["id"]
    saga.wait_event("order.placed", other[1]["id"])
    assert len(saga.events("order.placed", first[1]["id"])) == 1
    assert shopper.get("/api/v1/orders")[1]["total"] == 1


def test_redelivered_and_repeated_events_are_applied_once(saga):
    shopper, here = new_shopper(saga), district()
    order = saga.place(shopper, "card", [("seller-once", here)], dropoff=here)
    envelope = saga.reserve(order["id"], [("seller-once", here)])
    saga.publish("stock.reserved", {}, envelope=envelope)  # the same message again (same id)
    saga.reserve(order["id"], [("seller-once", here)], price=1)  # the same fact in a new message
    waiting = saga.wait_status(order["id"], shopper, "AWAITING_PAYMENT")
    paid = saga.pay(waiting)
    saga.publish("payment.succeeded", {}, envelope=paid)
    saga.pay(waiting, "failed")  # a late contradiction changes nothing either
    saga.wait_status(order["id"], shopper, "CONFIRMED")
    marker = saga.publish("stock.rejected", {"order_id": order["id"], "problems": [
        {"listing_id": "x", "requested": 1, "available": 0, "reason": "unknown"}]}, source="catalog")
    wait_until(lambda: _processed(saga, marker["id"]), TIMEOUT, message="last event processed")
    final = saga.order(order["id"], shopper)
    assert final["status"] == "CONFIRMED" and final["total"] == 60000 and len(final["fulfillments"]) == 1
    assert len(saga.events("payment.requested", order["id"])) == 1
    assert len(saga.events("order.confirmed", order["id"])) == 1
    assert saga.events("order.cancelled", order["id"]) == [] and saga.events("order.rejected", order["id"]) == []


def _processed(saga: Saga, event_id: str) -> bool:
    with saga.app.extensions["pasar"].db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT 1 FROM processed_events WHERE event_id = :id"),
                            {"id": event_id}).first() is not None


# == cart ===============================================================================================
def test_cart_is_kept_per_shopper_checked_out_and_emptied_once_reserved(saga):
    shopper_id, here = f"shopper-{uuid.uuid4().hex[:8]}", district()
    phone, laptop = saga.client(shopper_id, "shopper"), saga.client(shopper_id, "shopper")
    assert phone.post("/api/v1/cart/lines", json={"listing_id": "listing-cart1", "qty": 1})[0] == 200
    phone.post("/api/v1/cart/lines", json={"listing_id": "listing-cart1", "qty": 2})
    phone.put("/api/v1/cart/lines/listing-cart2", json={"qty": 4})
    status, cart = laptop.get("/api/v1/cart")  # another device, same shopper: the same cart
    assert status == 200
    assert [(l["listing_id"], l["qty"]) for l in cart["lines"]] == [("listing-cart1", 3), ("listing-cart2", 4)]
    assert saga.client("someone-else", "shopper").get("/api/v1/cart")[1]["lines"] == []
    status, body = laptop.put("/api/v1/cart/lines/listing-cart2", json={"qty": 0})
    assert status == 422 and "qty" in body["error"]["fields"]
    status, order = laptop.post("/api/v1/orders", json={"payment_method": "cod", "delivery_address": address(here)})
    assert status == 201, order
    (placed,) = saga.wait_event("order.placed", order["id"])
    assert placed["data"]["items"] == [{"listing_id": "listing-cart1", "qty": 3}, {"listing_id": "listing-cart2", "qty": 4}]
    assert len(phone.get("/api/v1/cart")[1]["lines"]) == 2  # kept until the catalog says yes
    saga.publish("stock.reserved", {"order_id": order["id"], "lines": [
        {"listing_id": "listing-cart1", "shop_id": "s", "seller_id": "seller-cart", "title": "Kopi", "qty": 3,
         "unit_price": 30000},
        {"listing_id": "listing-cart2", "shop_id": "s", "seller_id": "seller-cart", "title": "Gula", "qty": 4,
         "unit_price": 12000}]}, source="catalog")
    confirmed = saga.wait_status(order["id"], phone, "CONFIRMED")
    assert confirmed["goods_total"] == 90000 + 48000
    assert phone.get("/api/v1/cart")[1] == {"lines": [], "count": 0}
    status, body = phone.post("/api/v1/orders", json={"payment_method": "cod", "delivery_address": address(here)})
    assert status == 422 and body["error"]["code"] == "empty_cart"


def test_a_retried_add_to_cart_with_the_same_key_adds_once(saga):
    shopper = new_shopper(saga)
    http = saga.app.test_client()

    def add(qty: int, key: str | None):
        headers = {**shopper.headers, **({"Idempotency-Key": key} if key else {})}
        return http.post("/api/v1/cart/lines", json={"listing_id": "listing-retry", "qty": qty}, headers=headers)

    first, again = add(2, "add-1"), add(2, "add-1")
    assert first.status_code == again.status_code == 200 and again.data == first.data
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert shopper.get("/api/v1/cart")[1]["count"] == 2  # not 4
    reused = add(3, "add-1")
    assert reused.status_code == 409 and reused.get_json()["error"]["code"] == "idempotency_key_reused"
    assert add(1, "add-2").get_json()["count"] == 3  # a new tap is a new key: it adds
    assert add(1, None).get_json()["count"] == 4  # and without a key, as before, every request adds
    too_many = add(999, "add-3")
    assert too_many.status_code == 422 and too_many.get_json()["error"]["code"] == "too_many"
    assert add(1, "add-3").get_json()["count"] == 5  # the refused attempt did not use up its key


def test_bad_requests_get_field_errors(saga):
    shopper = new_shopper(saga)
    status, body = shopper.post("/api/v1/orders", json={"items": [], "payment_method": "cash",
                                                       "delivery_address": {"name": "x"}})
    assert status == 422
    assert {"items", "payment_method", "delivery_address"} <= set(body["error"]["fields"])
    courier = saga.client(f"courier-{uuid.uuid4().hex[:6]}", "courier")
    status, body = courier.put("/api/v1/couriers/me", json={"available": True})
    assert status == 422 and body["error"]["code"] == "district_required"
    assert shopper.get("/api/v1/deliveries")[0] == 403
    assert shopper.get("/api/v1/orders/does-not-exist")[0] == 404
    assert shopper.post("/api/v1/cart/lines", json={"listing_id": "many", "qty": 999})[0] == 200
    status, body = shopper.post("/api/v1/cart/lines", json={"listing_id": "many", "qty": 1})
    assert status == 422 and body["error"]["code"] == "too_many" and "qty" in body["error"]["fields"]
    status, body = shopper.post("/api/v1/orders", json={"payment_method": "cod", "delivery_address": address("D")},
                                headers={"Idempotency-Key": "k" * 129})
    assert status == 422 and "Idempotency-Key" in body["error"]["fields"]


def test_concurrent_checkouts_with_one_idempotency_key_make_one_order(saga):
    shopper, here = new_shopper(saga), district()
    key = f"double-tap-{uuid.uuid4()}"
    body = {"items": [{"listing_id": "listing-race", "qty": 1}], "payment_method": "cod",
            "delivery_address": address(here)}
    results = []

    def tap():
        results.append(shopper.post("/api/v1/orders", json=body, headers={"Idempotency-Key": key}))

    threads = [threading.Thread(target=tap) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(status for status, _ in results) == [200] * 5 + [201]
    assert len({order["id"] for _, order in results}) == 1
    assert shopper.get("/api/v1/orders")[1]["total"] == 1
