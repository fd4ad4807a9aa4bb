"""Payments as a running process behind the gateway: it hears payment.requested and delivery.delivered on
the broker, the shopper pays with a sandbox test card through the gateway, and payment.succeeded /
payout.created leave on the broker; the seller and courier see their balances."""
from __future__ import annotations

import json
import uuid

import pika
import pytest

from pasar.events import make_envelope
from pasar.messaging.broker import publish_envelope
from tests.support.infra import wait_until


class BrokerTap:
    """Publishes events onto the stack's exchange and listens to what payments emits."""

    def __init__(self, stack, keys):
        self.exchange = stack.broker.exchange
        self.conn = pika.BlockingConnection(pika.URLParameters(stack.broker.amqp_url))
        self.ch = self.conn.channel()
        self.ch.exchange_declare(exchange=self.exchange, exchange_type="topic", durable=True)
        self.queue = self.ch.queue_declare(queue="", exclusive=True, auto_delete=True).method.queue
        for key in keys:
            self.ch.queue_bind(queue=self.queue, exchange=self.exchange, routing_key=key)
        self.seen: list[dict] = []

    def publish(self, event_type: str, data: dict) -> None:
        envelope = make_envelope(event_type, data, source="test", correlation_id=data.get("order_id"))
        publish_envelope(self.ch, self.exchange, envelope)

    def received(self, event_type: str, order_id: str) -> list[dict]:
        while True:
            method, _props, body = self.ch.basic_get(self.queue, auto_ack=True)
            if method is None:
                break
            self.seen.append(json.loads(body))
        return [e["data"] for e in self.seen if e["type"] == event_type and e["data"].get("order_id") == order_id]

    def close(self):
        self.conn.close()


@pytest.fixture
def tap(stack):
    t = BrokerTap(stack, ["payment.*", "payout.created", "payout.released"])
    yield t
    t.close()


def test_sandbox_card_payment_and_delivery_payout_through_the_running_stack(stack, tap):
    order, shopper_id = str(uuid.uuid4()), f"shopper-{uuid.uuid4().hex[:6]}"
    seller_id, courier_id = f"seller-{uuid.uuid4().hex[:6]}", f"courier-{uuid.uuid4().hex[:6]}"
    fulfillment = str(uuid.uuid4())
    tap.publish("payment.requested", {
        "order_id": order, "shopper_id": shopper_id, "method": "card", "amount": 65_000, "currency": "IDR",
        "subtotals": [{"fulfillment_id": fulfillment, "seller_id": seller_id, "amount": 60_000, "delivery_fee": 5_000}]})
    shopper = stack.client(shopper_id, "shopper")
    payment = wait_until(lambda: (lambda r: r[1] if r[0] == 200 else None)(
        shopper.get(f"/api/v1/payments/orders/{order}")), timeout=15, message="payment opened by the worker")
    assert payment["status"] == "pending" and payment["amount"] == 65_000 and payment["sandbox"]["test_mode"]
    assert stack.client("someone-else", "shopper").get(f"/api/v1/payments/orders/{order}")[0] == 404

    status, paid = shopper.post(payment["sandbox"]["pay_url"], json={"card_number": "4242424242424242"})
    assert status == 200 and paid["status"] == "succeeded"
    (succeeded,) = wait_until(lambda: tap.received("payment.succeeded", order), timeout=10,
                              message="payment.succeeded on the broker")
    assert succeeded["amount"] == 65_000 and succeeded["shopper_id"] == shopper_id

    tap.publish("delivery.delivered", {"order_id": order, "fulfillment_id": fulfillment, "courier_id": courier_id,
                                       "cod_amount_collected": None, "seller_id": seller_id, "goods_amount": 60_000,
                                       "delivery_fee": 5_000, "cod_amount_due": 0})
    payouts = wait_until(lambda: (lambda p: p if len(p) == 2 else None)(tap.received("payout.created", order)),
                         timeout=10, message="two payout.created on the broker")
    assert sorted((p["payee_role"], p["payee_id"], p["amount"], p["fee"]) for p in payouts) == [
        ("courier", courier_id, 5_000, 0), ("seller", seller_id, 57_000, 3_000)]
    status, balance = stack.client(seller_id, "seller").get("/api/v1/balances/me")
    assert status == 200 and (balance["seller_held"], balance["seller_payable"]) == (57_000, 0)  # until receipt
    tap.publish("fulfillment.received", {"order_id": order, "fulfillment_id": fulfillment, "seller_id": seller_id,
                                         "received_by": "shopper"})
    (released,) = wait_until(lambda: tap.received("payout.released", order), timeout=10,
                             message="payout.released on the broker")
    assert (released["payee_id"], released["amount"]) == (seller_id, 57_000)
    status, balance = stack.client(seller_id, "seller").get("/api/v1/balances/me")
    assert status == 200 and (balance["seller_held"], balance["seller_payable"]) == (0, 57_000)
    status, balance = stack.client(courier_id, "courier").get("/api/v1/balances/me")
    assert status == 200 and balance["courier_earnings"] == 5_000 and balance["net"] == 5_000


# -- Stripe mode: the stack's payments talks to localstripe, Stripe's webhook comes through the gateway ---------
WEBHOOK_SECRET = "whsec_e2e_" + "s" * 24


@pytest.fixture(scope="module")
def stripe_stack(tmp_path_factory):
    from tests.integration.test_payments_localstripe import running_localstripe
    from tests.support.stack import Stack
    with running_localstripe(tmp_path_factory.mktemp("localstripe-e2e")) as api_base:
        with Stack(extra_env={"STRIPE_SECRET_KEY": "sk_test_local", "STRIPE_API_BASE": api_base,
                              "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}) as s:
            s.stripe_api_base = api_base
            yield s


def test_stripe_card_payment_confirmed_by_a_signed_webhook_through_the_gateway(stripe_stack):
    import stripe

    from tests.integration.test_payments_kit import stripe_event, stripe_signature
    from tests.integration.test_payments_localstripe import shopper_pays_with_a_card
    tap = BrokerTap(stripe_stack, ["payment.*"])
    try:
        order, shopper_id = str(uuid.uuid4()), f"shopper-{uuid.uuid4().hex[:6]}"
        tap.publish("payment.requested", {
            "order_id": order, "shopper_id": shopper_id, "method": "card", "amount": 42_000, "currency": "IDR",
            "subtotals": [{"fulfillment_id": str(uuid.uuid4()), "seller_id": "seller-e2e", "amount": 40_000,
                           "delivery_fee": 2_000}]})
        shopper = stripe_stack.client(shopper_id, "shopper")
        payment = wait_until(lambda: (lambda r: r[1] if r[0] == 200 else None)(
            shopper.get(f"/api/v1/payments/orders/{order}")), timeout=15, message="PaymentIntent opened")
        assert payment["provider"] == "stripe" and payment["sandbox"] is None
        intent_id = payment["client_secret"].split("_secret_")[0]
        assert stripe_stack.client("other-shopper", "shopper").get(f"/api/v1/payments/orders/{order}")[0] == 404

        emulator = stripe.StripeClient("sk_test_local", base_addresses={"api": stripe_stack.stripe_api_base})
        shopper_pays_with_a_card(emulator, intent_id)
        intent = emulator.v1.payment_intents.retrieve(intent_id).to_dict()
        assert intent["amount"] == 4_200_000

        payload = stripe_event("payment_intent.succeeded", intent)
        anonymous = stripe_stack.client()
        forged = anonymous.post("/api/v1/webhooks/stripe", data=payload, headers={
            "Content-Type": "application/json", "Stripe-Signature": stripe_signature(payload, secret="whsec_nope")})
        assert forged[0] == 400
        assert shopper.get(f"/api/v1/payments/orders/{order}")[1]["status"] == "pending"
        status, body = anonymous.post("/api/v1/webhooks/stripe", data=payload, headers={
            "Content-Type": "application/json", "Stripe-Signature": stripe_signature(payload, WEBHOOK_SECRET)})
        assert (status, body) == (200, {"received": True, "result": "applied"})
        assert shopper.get(f"/api/v1/payments/orders/{order}")[1]["status"] == "succeeded"
        (succeeded,) = wait_until(lambda: tap.received("payment.succeeded", order), timeout=10,
                                  message="payment.succeeded on the broker")
        assert succeeded["amount"] == 42_000 and succeeded["provider"] == "stripe"
    finally:
        tap.close()


# -- the whole product: catalog prices, orders drives the saga, payments settles --------------------------------
def test_money_follows_a_real_card_order_and_a_real_cod_order_to_the_seller_and_courier(stack):
    from tests.e2e.test_orders_e2e import _ok, address, setup_listing, wait_status
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    seller_id, listing = setup_listing(stack, here, stock=10, price=33_333)
    courier_id = f"courier-{uuid.uuid4().hex[:6]}"
    courier = stack.client(courier_id, "courier", district=here)
    _ok(courier.put("/api/v1/couriers/me", json={"available": True}))
    seller = stack.client(seller_id, "seller")

    def deliver(order_id: str, cash: int | None) -> dict:
        (f,) = wait_status(shopper, order_id, "CONFIRMED")["fulfillments"]
        _ok(seller.post(f"/api/v1/fulfillments/{f['id']}/ready"))
        _ok(courier.post(f"/api/v1/deliveries/{f['id']}/accept"))
        _ok(courier.post(f"/api/v1/deliveries/{f['id']}/pickup"))
        _ok(courier.post(f"/api/v1/deliveries/{f['id']}/deliver",
                         json={"cod_amount_collected": cash} if cash is not None else {}))
        wait_status(shopper, order_id, "COMPLETED")
        _ok(shopper.post(f"/api/v1/orders/{order_id}/fulfillments/{f['id']}/receive"))  # releases the seller's share
        return f

    shopper = stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
    card = _ok(shopper.post("/api/v1/orders", json={"items": [{"listing_id": listing, "qty": 1}],
                                                    "payment_method": "card", "delivery_address": address(here)}), 201)
    payment = wait_until(lambda: (lambda r: r[1] if r[0] == 200 else None)(
        shopper.get(f"/api/v1/payments/orders/{card['id']}")), timeout=15, message="card payment opened")
    _ok(shopper.post(payment["sandbox"]["pay_url"], json={"card_number": "4242424242424242"}))
    f_card = deliver(card["id"], None)
    cod = _ok(shopper.post("/api/v1/orders", json={"items": [{"listing_id": listing, "qty": 2}],
                                                   "payment_method": "cod", "delivery_address": address(here)}), 201)
    f_cod = wait_status(shopper, cod["id"], "CONFIRMED")["fulfillments"][0]
    deliver(cod["id"], f_cod["cod_amount_due"])

    card_goods, card_fee = f_card["goods_amount"], f_card["delivery_fee"]
    cod_goods, cod_fee = f_cod["goods_amount"], f_cod["delivery_fee"]
    assert (card_goods, cod_goods) == (33_333, 66_666)
    expect_seller = (card_goods - card_goods * 5 // 100) + (cod_goods - cod_goods * 5 // 100)
    seller_balance = wait_until(lambda: (lambda b: b if b["seller_payable"] == expect_seller else None)(
        _ok(seller.get("/api/v1/balances/me"))), timeout=15, message="seller credited for both deliveries")
    assert seller_balance["net"] == expect_seller
    courier_balance = wait_until(lambda: (lambda b: b if b["courier_earnings"] == card_fee + cod_fee else None)(
        _ok(courier.get("/api/v1/balances/me"))), timeout=15, message="courier credited for both deliveries")
    assert courier_balance["cod_cash_held"] == cod_goods + cod_fee
    assert courier_balance["net"] == card_fee + cod_fee - (cod_goods + cod_fee)
    assert _ok(shopper.get(f"/api/v1/payments/orders/{cod['id']}"))["status"] == "cod_collected"
    platform = _ok(stack.client("admin-pay", "admin").get("/api/v1/balances"))
    assert platform["total"] == 0
    payouts = _ok(seller.get("/api/v1/payouts"))
    assert sorted(p["amount"] for p in payouts) == sorted([card_goods - card_goods * 5 // 100,
                                                           cod_goods - cod_goods * 5 // 100])


def test_a_declined_card_is_one_attempt_the_order_waits_and_the_right_card_confirms_it(stack):
    """Through the gateway, with every real process: a decline leaves the order awaiting payment (stock held),
    the shopper pays with the right card and the order is confirmed; a second order declined until the card
    attempts are used up is cancelled and its stock released, exactly as a failed payment always was."""
    from tests.e2e.test_orders_e2e import _ok, address, setup_listing, stock_of, wait_status
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    _seller, listing = setup_listing(stack, here, stock=5, price=20_000)
    shopper = stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")

    def card_order(qty: int) -> tuple[dict, dict]:
        order = _ok(shopper.post("/api/v1/orders", json={"items": [{"listing_id": listing, "qty": qty}],
                                                         "payment_method": "card",
                                                         "delivery_address": address(here)}), 201)
        wait_status(shopper, order["id"], "AWAITING_PAYMENT")
        payment = wait_until(lambda: (lambda r: r[1] if r[0] == 200 else None)(
            shopper.get(f"/api/v1/payments/orders/{order['id']}")), timeout=15, message="payment opened")
        return order, payment

    order, payment = card_order(1)
    status, declined = shopper.post(payment["sandbox"]["pay_url"], json={"card_number": "4000000000000002"})
    assert status == 402 and declined["error"]["code"] == "card_declined"
    assert (declined["payment"]["status"], declined["payment"]["attempts_left"],
            declined["payment"]["last_decline"]) == ("pending", 2, "card_declined")
    assert _ok(shopper.get(f"/api/v1/orders/{order['id']}"))["status"] == "AWAITING_PAYMENT"
    paid = _ok(shopper.post(payment["sandbox"]["pay_url"], json={"card_number": "4242424242424242"}))
    assert paid["status"] == "succeeded" and paid["attempts"] == 1
    assert wait_status(shopper, order["id"], "CONFIRMED")["paid"] is True
    assert stock_of(stack, listing) == 4

    order, payment = card_order(2)
    assert stock_of(stack, listing) == 2
    codes = [shopper.post(payment["sandbox"]["pay_url"], json={"card_number": "4000000000000002"})
             for _ in range(3)]
    assert [(s, b["error"]["code"], b["payment"]["attempts_left"]) for s, b in codes] == [
        (402, "card_declined", 2), (402, "card_declined", 1), (402, "too_many_declines", 0)]
    cancelled = wait_status(shopper, order["id"], "CANCELLED")
    assert cancelled["cancel_reason"] == "payment_failed"
    wait_until(lambda: stock_of(stack, listing) == 4, timeout=15, message="catalog released the stock")
    assert _ok(shopper.get(f"/api/v1/payments/orders/{order['id']}"))["failure_reason"] == "too_many_declines"
