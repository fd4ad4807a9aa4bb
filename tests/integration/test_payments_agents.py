"""An agent reads the money of exactly the crafters' shops it manages (payees "shop:<id>"), learnt by payments
from orders' own events. The payments worker runs here on PostgreSQL and the real broker; the events are made by
orders' real domain objects (so what orders sends is what is tested) and published as orders publishes them."""
from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pika
import pytest

from pasar.auth import Identity, issue_access_token
from pasar.db import Database
from pasar.events import make_envelope, parse_envelope
from pasar.messaging import Worker
from pasar.messaging.broker import publish_envelope
from pasar.migrate import upgrade
from services.orders import domain as orders
from services.payments.app import create_app
from services.payments.handlers import HANDLERS
from services.payments.models import Base
from tests.integration.test_payments_kit import (received, delivered, harness, new, payment_requested,  # noqa: F401
                                                 payments_db)
from tests.support.infra import BrokerNamespace, postgres_database, wait_until

TIMEOUT = 15
SECRET = "payments-agents-secret-0123456789abcdef0123"
ADDRESS = {"name": "Bu Wati", "phone": "+6281234567000", "street": "Jl. Melati 9", "village": "Bendo",
           "district": "Wlingi", "regency": "Blitar", "province": "Jawa Timur"}


def auth(user_id: str, role: str) -> dict:
    return {"Authorization": "Bearer " + issue_access_token(Identity(user_id=user_id, role=role))}


class Payments:
    """The payments service under test (worker + HTTP app) and orders' voice on the broker."""

    def __init__(self, url: str, ns: BrokerNamespace):
        self.ns = ns
        self.db = Database("payments", Base.metadata, url)
        self.worker = Worker("payments", self.db, HANDLERS, settings=ns.settings())
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.app = create_app(db=Database("payments", Base.metadata, url), publish=False)
        self.http = self.app.test_client()

    def start(self) -> None:
        self.thread.start()
        assert self.worker.ready.wait(10), "payments worker did not start"

    def stop(self) -> None:
        self.worker.stop()
        self.thread.join(10)
        self.db.dispose()
        self.app.extensions["pasar"].db.dispose()

    def publish(self, events: list, source: str = "orders") -> None:
        conn = pika.BlockingConnection(pika.URLParameters(self.ns.amqp_url))
        channel = conn.channel()
        channel.confirm_delivery()
        for event in events:
            data = json.loads(json.dumps(event.data))
            publish_envelope(channel, self.ns.exchange,
                             make_envelope(event.type, data, source=source, correlation_id=data.get("order_id")))
        conn.close()

    def get(self, path: str, who: dict):
        resp = self.http.get(path, headers=who)
        return resp.status_code, resp.get_json()


@pytest.fixture(scope="module")
def payments():
    ns = BrokerNamespace.new()
    with postgres_database("pasar_payments_agents") as url, pytest.MonkeyPatch.context() as mp:
        for name, value in ns.env().items():
            mp.setenv(name, value)
        mp.setenv("JWT_SECRET", SECRET)
        mp.delenv("STRIPE_SECRET_KEY", raising=False)
        mp.delenv("COMMISSION_RATE", raising=False)
        upgrade("payments", url)
        p = Payments(url, ns)
        p.start()
        try:
            yield p
        finally:
            p.stop()
            ns.cleanup(services=("payments",))


def line(shop_id: str, seller_id: str, agent_id: str | None, shop_name: str, qty: int, unit_price: int) -> dict:
    """A line as the catalog prices and reserves it (stock.reserved)."""
    return {"listing_id": f"listing-{shop_id}", "shop_id": shop_id, "seller_id": seller_id, "agent_id": agent_id,
            "shop_name": shop_name, "title": f"Barang {shop_name}", "qty": qty, "unit_price": unit_price,
            "pickup": {"street": "Jl. Desa 1", "village": "Desa", "district": "Wlingi", "regency": "Blitar",
                       "province": "Jawa Timur", "phone": "+62811000000"}}


def test_an_agent_sees_exactly_its_crafters_balances_and_payouts_after_delivery(payments):
    tag = uuid.uuid4().hex[:8]
    agent_a, agent_b, seller, courier = f"agent-a-{tag}", f"agent-b-{tag}", f"seller-{tag}", f"courier-{tag}"
    tini, ning, sri = f"shop:tini-{tag}", f"shop:ning-{tag}", f"shop:sri-{tag}"
    lines = [line(f"tini-{tag}", tini, agent_a, "Gerabah Mbah Tini", 2, 25_000),       # 50.000 → 47.500
             line(f"ning-{tag}", ning, agent_a, "Batik Bu Ning", 1, 33_333),           # 33.333 → 31.667
             line(f"sri-{tag}", sri, agent_b, "Anyaman Mbok Sri", 3, 10_000),          # 30.000 → 28.500
             line(f"own-{tag}", seller, None, "Kopi Pak Min", 4, 10_000)]              # 40.000 → 38.000, own account
    shopper = f"shopper-{tag}"
    order = orders.Order(new("order"), shopper, "card", [{"listing_id": l["listing_id"], "qty": l["qty"]} for l in lines],
                         ADDRESS)
    now = datetime.now(timezone.utc)
    requested = order.reserve(lines, orders.DeliveryTariff(10_000, 20_000), now, timedelta(minutes=30),
                              timedelta(hours=24), lambda: new("f"))
    assert [e.type for e in requested] == ["payment.requested"]
    assert "agent_id" not in requested[0].data["subtotals"][0]  # hence payments learns agents from order.confirmed
    payments.publish(requested)

    # the shopper pays with the sandbox card; orders confirms the order, the couriers deliver every parcel
    status, payment = wait_until(lambda: (lambda r: r if r[0] == 200 else None)(
        payments.get(f"/api/v1/payments/orders/{order.id}", auth(shopper, "shopper"))), TIMEOUT,
        message="the payment opened from payment.requested")
    paid = payments.http.post(payment["sandbox"]["pay_url"], json={"card_number": "4242424242424242"},
                              headers=auth(shopper, "shopper"))
    assert paid.status_code == 200 and paid.get_json()["status"] == "succeeded"
    events = order.payment_succeeded(payment["payment_id"], now, timedelta(hours=24))
    assert {f["agent_id"] for f in events[0].data["fulfillments"]} == {agent_a, agent_b, None}
    for f in order.fulfillments:
        events += f.mark_ready(order, now) + f.assign(order, courier, accepted=True) + f.pick_up(order, courier, now)
        events += f.deliver(order, courier, None, now)
        events += f.confirm_receipt(order, "shopper", now)  # the receipt releases the held share
    events += order.complete_if_all_delivered(now)
    payments.publish(events)

    admin = auth(f"admin-{tag}", "admin")
    wait_until(lambda: all([p["status"] for p in payments.get(f"/api/v1/payouts?payee_id={who}", admin)[1]] == ["owed"]
                           for who in (sri, ning, tini)), TIMEOUT,
               message="every crafter's payout, released on receipt")

    # agent A: exactly Mbah Tini and Bu Ning, after commission
    status, mine = payments.get("/api/v1/balances/managed", auth(agent_a, "agent"))
    assert status == 200
    assert mine == {"user_id": agent_a, "currency": "IDR", "total_payable": 47_500 + 31_667, "managed": [
        {"payee_id": ning, "shop_id": f"ning-{tag}", "shop_name": "Batik Bu Ning", "seller_payable": 31_667,
         "earned": 31_667, "commission": 1_666, "paid_out": 0, "payouts": 1, "owed_payouts": 1},
        {"payee_id": tini, "shop_id": f"tini-{tag}", "shop_name": "Gerabah Mbah Tini", "seller_payable": 47_500,
         "earned": 47_500, "commission": 2_500, "paid_out": 0, "payouts": 1, "owed_payouts": 1}]}
    assert all(type(v) is int for m in mine["managed"] for k, v in m.items() if k not in ("payee_id", "shop_id",
                                                                                          "shop_name"))
    status, listed = payments.get("/api/v1/payouts", auth(agent_a, "agent"))
    assert status == 200
    assert sorted((p["payee_id"], p["payee_role"], p["amount"], p["fee"], p["status"], p["order_id"]) for p in listed) == [
        (ning, "seller", 31_667, 1_666, "owed", order.id), (tini, "seller", 47_500, 2_500, "owed", order.id)]
    assert [p["payee_id"] for p in payments.get(f"/api/v1/payouts?payee_id={tini}", auth(agent_a, "agent"))[1]] == [tini]
    for someone_elses in (sri, seller, courier):  # narrowing to a payee it does not manage shows nothing
        assert payments.get(f"/api/v1/payouts?payee_id={someone_elses}", auth(agent_a, "agent")) == (200, [])

    # agent B: only Mbok Sri
    status, theirs = payments.get("/api/v1/balances/managed", auth(agent_b, "agent"))
    assert [(m["payee_id"], m["seller_payable"], m["commission"]) for m in theirs["managed"]] == [(sri, 28_500, 1_500)]
    assert [(p["payee_id"], p["amount"]) for p in payments.get("/api/v1/payouts", auth(agent_b, "agent"))[1]] == [
        (sri, 28_500)]
    # an agent of nobody's crafters, and the seller with an account, see none of them
    assert payments.get("/api/v1/balances/managed", auth(f"agent-c-{tag}", "agent")) == (200, {
        "user_id": f"agent-c-{tag}", "managed": [], "total_payable": 0, "currency": "IDR"})
    assert payments.get("/api/v1/payouts", auth(f"agent-c-{tag}", "agent")) == (200, [])
    status, own = payments.get("/api/v1/balances/me", auth(seller, "seller"))
    assert status == 200 and own["seller_payable"] == 38_000
    assert [(p["payee_id"], p["amount"]) for p in payments.get("/api/v1/payouts", auth(seller, "seller"))[1]] == [
        (seller, 38_000)]
    assert [p["payee_id"] for p in payments.get(f"/api/v1/payouts?payee_id={tini}", auth(seller, "seller"))[1]] == [
        seller]  # the filter is not the seller's to use
    for who in (auth(seller, "seller"), auth(courier, "courier"), auth(shopper, "shopper")):
        status, body = payments.get("/api/v1/balances/managed", who)
        assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = payments.get(f"/api/v1/balances/{tini}", auth(agent_a, "agent"))  # the admin's read, not theirs
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert payments.get("/api/v1/balances/me", auth(agent_a, "agent"))[0] == 403
    assert payments.get("/api/v1/balances/managed", {})[0] == 401

    # an admin reads any agent's view, naming the agent
    assert payments.get(f"/api/v1/balances/managed?agent_id={agent_a}", admin) == (200, mine)
    status, body = payments.get("/api/v1/balances/managed", admin)
    assert status == 422 and "agent_id" in body["error"]["fields"]

    # the cooperative pays Mbah Tini by hand: the agent sees it paid, nothing more owed to her
    (tini_payout,) = payments.get(f"/api/v1/payouts?payee_id={tini}", admin)[1]
    assert payments.http.post(f"/api/v1/payouts/{tini_payout['id']}/paid", headers=admin).status_code == 200
    after = {m["payee_id"]: m for m in payments.get("/api/v1/balances/managed", auth(agent_a, "agent"))[1]["managed"]}
    assert (after[tini]["seller_payable"], after[tini]["paid_out"], after[tini]["owed_payouts"]) == (0, 47_500, 0)
    assert after[ning]["seller_payable"] == 31_667
    assert {p["payee_id"]: p["status"] for p in payments.get("/api/v1/payouts", auth(agent_a, "agent"))[1]} == {
        tini: "paid", ning: "owed"}


def envelope(event_type: str, data: dict, occurred_at: datetime) -> dict:
    env = json.loads(json.dumps(make_envelope(event_type, data, source="orders", correlation_id=data["order_id"])))
    env["occurred_at"] = occurred_at.isoformat()
    return env


def confirmed(order_id: str, fulfillment_id: str, seller_id: str, agent_id: str | None, shop_name: str,
              goods: int, fee: int) -> dict:
    return {"order_id": order_id, "shopper_id": "s1", "payment_method": "card", "total": goods + fee,
            "fulfillments": [{"fulfillment_id": fulfillment_id, "seller_id": seller_id, "agent_id": agent_id,
                              "shop_name": shop_name, "goods_amount": goods, "delivery_fee": fee}]}


def test_a_crafter_handed_to_another_agent_moves_with_its_money_and_old_news_changes_nothing(harness, payments_db,
                                                                                            monkeypatch):
    monkeypatch.setenv("JWT_SECRET", SECRET)
    http = create_app(db=payments_db, publish=False).test_client()
    crafter, old, new_agent = f"shop:{new('tini')}", new("agent"), new("agent")
    earlier, later = datetime(2026, 1, 5, 8, tzinfo=timezone.utc), datetime(2026, 1, 6, 8, tzinfo=timezone.utc)

    order = new("order")
    harness.deliver("payment.requested", payment_requested(order, "s1", "card", [("f1", crafter, 20_000, 5_000)]))
    harness.pay_in_sandbox(order, "4242424242424242")
    harness.worker.apply(parse_envelope(envelope("order.confirmed", confirmed(order, "f1", crafter, old, "Gerabah",
                                                                              20_000, 5_000), earlier)))
    # the shop changed hands before the parcel arrived: the delivery (newer) names the new agent
    harness.worker.apply(parse_envelope(envelope("delivery.delivered", {
        **delivered(order, "f1", "courier-1"), "seller_id": crafter, "agent_id": new_agent,
        "pickup": {"shop_name": "Gerabah Mbah Tini"}}, later)))
    harness.deliver("fulfillment.received", received(order, "f1"))  # the receipt releases the held share
    # the old confirmation redelivered late (a retry) does not hand the crafter back
    harness.worker.apply(parse_envelope(envelope("order.confirmed", confirmed(order, "f1", crafter, old, "Gerabah",
                                                                              20_000, 5_000), earlier)))

    def view(agent):
        return http.get("/api/v1/balances/managed", headers=auth(agent, "agent")).get_json()["managed"]
    assert [(m["payee_id"], m["shop_name"], m["seller_payable"]) for m in view(new_agent)] == [
        (crafter, "Gerabah Mbah Tini", 19_000)]
    assert view(old) == []
    assert http.get("/api/v1/payouts", headers=auth(old, "agent")).get_json() == []
    assert len(http.get("/api/v1/payouts", headers=auth(new_agent, "agent")).get_json()) == 1


def test_only_crafters_shops_are_managed_never_a_seller_with_an_account(harness, payments_db, monkeypatch):
    """An admin may put a seller's own shop under an agent's care; the seller's ledger stays the seller's."""
    monkeypatch.setenv("JWT_SECRET", SECRET)
    http = create_app(db=payments_db, publish=False).test_client()
    agent, seller = new("agent"), new("seller")
    order = new("order")
    harness.deliver("payment.requested", payment_requested(order, "s1", "cod", [("f1", seller, 10_000, 2_000)]))
    harness.deliver("order.confirmed", confirmed(order, "f1", seller, agent, "Toko Pak Min", 10_000, 2_000))
    harness.deliver("delivery.delivered", {**delivered(order, "f1", "courier-2", cod_collected=12_000),
                                           "seller_id": seller, "agent_id": agent})
    harness.deliver("fulfillment.received", received(order, "f1"))  # the receipt releases the held share
    assert http.get("/api/v1/balances/managed", headers=auth(agent, "agent")).get_json()["managed"] == []
    assert http.get("/api/v1/payouts", headers=auth(agent, "agent")).get_json() == []
    assert http.get("/api/v1/balances/me", headers=auth(seller, "seller")).get_json()["seller_payable"] == 9_500


def test_the_managed_balances_are_documented(payments_db, monkeypatch):
    monkeypatch.setenv("JWT_SECRET", SECRET)
    spec = create_app(db=payments_db, publish=False).test_client().get("/openapi.json").get_json()
    managed = spec["paths"]["/api/v1/balances/managed"]["get"]
    assert managed["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ManagedBalancesOut")
    assert {"401", "403", "422"} <= set(managed["responses"])
    assert managed["responses"]["403"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    assert "agent" in spec["paths"]["/api/v1/payouts"]["get"]["description"].lower()
    fields = spec["components"]["schemas"]["ManagedPayeeOut"]["properties"]
    assert {"payee_id", "shop_name", "seller_payable", "earned", "commission", "paid_out"} <= set(fields)
    assert fields["seller_payable"]["type"] == "integer"
