"""Trust after the sale (issue 16) with every real process behind the gateway: the shopper confirms receipt and
the seller's share goes from held to available; a seller refuses one parcel of two (card: that part refunded;
cash on delivery: that part not owed) while the other is delivered; the two timers (shortened through settings in
a stack of their own) confirm a receipt and cancel an unshipped parcel with its refund. The ledger sums to zero
after each."""
from __future__ import annotations

import uuid

import pytest

from tests.e2e.test_orders_e2e import _ok, address, setup_listing, stock_of, wait_status
from tests.support.infra import wait_until
from tests.support.stack import Stack


def ledger_sums_to_zero(stack) -> dict:
    platform = _ok(stack.client("admin-trust", "admin").get("/api/v1/balances"))
    assert platform["total"] == 0, platform
    return platform["accounts"]


def balance(stack, user_id: str, role: str) -> dict:
    return _ok(stack.client(user_id, role).get("/api/v1/balances/me"))


def two_shop_order(stack, here: str, method: str, courier_id: str):
    """Two sellers of `here`, one order with a product of each: (shopper, order, {seller_id: fulfillment})."""
    seller_a, listing_a = setup_listing(stack, here, stock=5, price=25000)
    seller_b, listing_b = setup_listing(stack, here, stock=5, price=40000)
    courier = stack.client(courier_id, "courier", district=here, name="Pak Joko")
    _ok(courier.put("/api/v1/couriers/me", json={"available": True}))
    shopper = stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
    order = _ok(shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing_a, "qty": 2}, {"listing_id": listing_b, "qty": 1}],
        "payment_method": method, "delivery_address": address(here)},
        headers={"Idempotency-Key": str(uuid.uuid4())}), 201)
    if method == "card":
        wait_status(shopper, order["id"], "AWAITING_PAYMENT")
        payment = wait_until(lambda: (lambda r: r[1] if r[0] == 200 else None)(
            shopper.get(f"/api/v1/payments/orders/{order['id']}")), timeout=20, message="payment opened")
        _ok(shopper.post(payment["sandbox"]["pay_url"], json={"card_number": "4242424242424242"}))
    confirmed = wait_status(shopper, order["id"], "CONFIRMED")
    parcels = {f["seller_id"]: f for f in confirmed["fulfillments"]}
    return shopper, confirmed, parcels, (seller_a, listing_a), (seller_b, listing_b)


def deliver(stack, courier_id: str, here: str, seller_id: str, fulfillment: dict) -> dict:
    seller, courier = stack.client(seller_id, "seller"), stack.client(courier_id, "courier", district=here)
    _ok(seller.post(f"/api/v1/fulfillments/{fulfillment['id']}/ready"))
    _ok(courier.post(f"/api/v1/deliveries/{fulfillment['id']}/accept"))
    _ok(courier.post(f"/api/v1/deliveries/{fulfillment['id']}/pickup"))
    cash = {"cod_amount_collected": fulfillment["cod_amount_due"]} if fulfillment["cod_amount_due"] else {}
    return _ok(courier.post(f"/api/v1/deliveries/{fulfillment['id']}/deliver", json=cash))


@pytest.mark.parametrize("method", ["card", "cod"])
def test_a_seller_refuses_one_parcel_of_two_the_rest_is_delivered_and_the_money_held_until_receipt(stack, method):
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    courier_id = f"courier-{uuid.uuid4().hex[:6]}"
    shopper, order, parcels, (seller_a, listing_a), (seller_b, _) = two_shop_order(stack, here, method, courier_id)
    refused, kept = parcels[seller_a], parcels[seller_b]
    assert stock_of(stack, listing_a) == 3
    # another seller cannot refuse it; a reason outside the list is a 422 naming the field
    assert stack.client(seller_b, "seller").post(f"/api/v1/fulfillments/{refused['id']}/refuse",
                                                 json={"reason": "out_of_stock"})[0] == 404
    code, body = stack.client(seller_a, "seller").post(f"/api/v1/fulfillments/{refused['id']}/refuse",
                                                       json={"reason": "bored"})
    assert code == 422 and "reason" in body["error"]["fields"]
    gone = _ok(stack.client(seller_a, "seller").post(f"/api/v1/fulfillments/{refused['id']}/refuse",
                                                     json={"reason": "harvest_failed"}))
    assert (gone["status"], gone["cancel_reason"]) == ("CANCELLED", "harvest_failed")
    wait_until(lambda: stock_of(stack, listing_a) == 5, timeout=20, message="the refused parcel's stock released")
    if method == "card":
        payment = wait_until(lambda: (lambda p: p if p.get("refunded") == 2 * 25000 + 10000 else None)(
            _ok(shopper.get(f"/api/v1/payments/orders/{order['id']}"))), timeout=20, message="that part refunded")
        assert payment["status"] == "succeeded"  # the other parcel is still paid for
    ledger_sums_to_zero(stack)

    delivered = deliver(stack, courier_id, here, seller_b, kept)
    assert delivered["status"] == "DELIVERED" and delivered["receipt_due_at"]
    done = wait_status(shopper, order["id"], "COMPLETED")  # the refused parcel does not hold the order open
    seen = {f["seller_id"]: f for f in done["fulfillments"]}
    assert seen[seller_b]["courier"]["name"] == "Pak Joko"  # the shopper sees who brought it
    assert seen[seller_a]["courier"] is None
    held = wait_until(lambda: (lambda b: b if b["seller_held"] else None)(balance(stack, seller_b, "seller")),
                      timeout=20, message="the seller's share held")
    assert (held["seller_held"], held["seller_available"]) == (40000 - 2000, 0)
    assert balance(stack, seller_a, "seller")["seller_held"] == 0  # nothing for the refused parcel
    ledger_sums_to_zero(stack)

    # "Pesanan diterima": released; again is the same answer; another shopper's is not found
    stranger = stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
    assert stranger.post(f"/api/v1/orders/{order['id']}/fulfillments/{kept['id']}/receive")[0] == 404
    received = _ok(shopper.post(f"/api/v1/orders/{order['id']}/fulfillments/{kept['id']}/receive"))
    assert received["received_by"] == "shopper"
    assert _ok(shopper.post(f"/api/v1/orders/{order['id']}/fulfillments/{kept['id']}/receive"))["received_at"] == \
        received["received_at"]
    available = wait_until(lambda: (lambda b: b if b["seller_available"] else None)(
        balance(stack, seller_b, "seller")), timeout=20, message="the seller's share available")
    assert (available["seller_held"], available["seller_available"]) == (0, 38000)
    accounts = ledger_sums_to_zero(stack)
    assert accounts.get(f"seller_held:{seller_b}", 0) == 0


@pytest.fixture(scope="module")
def quick_timers():
    """A stack whose receipt window closes in about 3 seconds and whose unshipped timer fires after 36."""
    s = Stack(extra_env={"AUTO_CONFIRM_DAYS": "0.00003", "AUTO_CANCEL_UNSHIPPED_HOURS": "0.01",
                         "TIMER_SWEEP_MS": "500"})
    s.start()
    yield s
    s.stop()


def test_the_timers_confirm_an_unconfirmed_receipt_and_cancel_an_unshipped_parcel_with_its_refund(quick_timers):
    stack = quick_timers
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    courier_id = f"courier-{uuid.uuid4().hex[:6]}"
    shopper, order, parcels, (seller_a, listing_a), (seller_b, _) = two_shop_order(stack, here, "card", courier_id)
    deliver(stack, courier_id, here, seller_b, parcels[seller_b])  # the other seller never hands theirs over
    received = wait_until(lambda: (lambda o: o if any(f["received_at"] for f in o["fulfillments"]) else None)(
        _ok(shopper.get(f"/api/v1/orders/{order['id']}"))), timeout=60, message="the receipt timer confirmed it")
    assert {f["seller_id"]: f["received_by"] for f in received["fulfillments"]}[seller_b] == "timer"
    wait_until(lambda: balance(stack, seller_b, "seller")["seller_available"] == 38000, timeout=30,
               message="released by the timer")
    ledger_sums_to_zero(stack)

    ended = wait_until(
        lambda: (lambda o: o if o["status"] == "COMPLETED" else None)(_ok(shopper.get(f"/api/v1/orders/{order['id']}"))),
        timeout=120, message="the unshipped parcel cancelled, the order completed")
    cancelled = {f["seller_id"]: f for f in ended["fulfillments"]}[seller_a]
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("CANCELLED", "not_shipped")
    payment = wait_until(lambda: (lambda p: p if p.get("refunded") else None)(
        _ok(shopper.get(f"/api/v1/payments/orders/{order['id']}"))), timeout=30, message="refunded")
    assert payment["refunded"] == 2 * 25000 + 10000
    wait_until(lambda: stock_of(stack, listing_a) == 5, timeout=30, message="its stock released")
    ledger_sums_to_zero(stack)
