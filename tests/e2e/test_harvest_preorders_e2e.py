"""Issue 17, must-show 3, with every real process behind the gateway: a farmer opens a harvest batch of chilies
(6 kg at Rp 40.000/kg, paid at order); four shoppers pre-order it to its cap (two pay by card in the sandbox,
one pays cash on delivery) and a fifth is refused (the batch is oversubscribed); the harvest comes in short
(3.5 kg): the first orders, in the order they were placed, are filled and confirmed, the rest are cancelled and
their card payments refunded through the ordinary cancel and refund paths, each shopper told in Bahasa
Indonesia; the ledger sums to zero and the stock ledger adds up."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.e2e.test_cooperatives_e2e import accounts
from tests.e2e.test_produce_e2e import _ok, address, farmer_with_chilies, product, wait_status
from tests.support.infra import wait_until

CARD = "4242424242424242"


def pre_order(stack, here: str, listing_id: str, batch_id: str, qty: str, method: str) -> tuple:
    shopper = stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper", name="Siti")
    order = _ok(shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing_id, "qty": qty, "batch_id": batch_id}], "payment_method": method,
        "delivery_address": address(here)}, headers={"Idempotency-Key": str(uuid.uuid4())}), 201)
    return shopper, order


def pay(shopper, order_id: str) -> None:
    payment = wait_until(lambda: (lambda r: r[1] if r[0] == 200 else None)(
        shopper.get(f"/api/v1/payments/orders/{order_id}")), timeout=20, message="payment opened")
    assert _ok(shopper.post(payment["sandbox"]["pay_url"], json={"card_number": CARD}))["status"] == "succeeded"


def inbox_says(shopper, kind: str) -> dict:
    return wait_until(lambda: next((m for m in shopper.get("/api/v1/notifications")[1].get("items", [])
                                    if m["kind"] == kind), None), timeout=20, message=f"{kind} in the inbox")


def test_a_batch_oversubscribed_then_harvested_short_fills_the_first_orders_and_refunds_the_rest(stack):
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    farmer, listing = farmer_with_chilies(stack, here)     # 10 kg on the shelf as well
    expected = date.today() + timedelta(days=5)
    batch = _ok(farmer.post(f"/api/v1/products/{listing['id']}/harvests", json={
        "expected_on": expected.isoformat(), "cap": "6", "price": 40000, "pay_at": "order"},
        headers={"Idempotency-Key": str(uuid.uuid4())}), 201)
    assert (batch["status"], batch["cap"], batch["remaining"], batch["unit"]) == ("open", 6, 6, "kg")
    shown = product(stack, listing["id"])["harvest"]
    assert (shown["expected_on"], shown["price"], shown["remaining"]) == (expected.isoformat(), 40000, 6)
    # a second open batch on the same listing is refused, in the caller's language
    code, body = farmer.post(f"/api/v1/products/{listing['id']}/harvests", json={
        "expected_on": expected.isoformat(), "cap": "1"})
    assert code == 409 and body["error"]["fields"] == {"listing_id": ["produk ini sudah punya pra-pesan panen yang dibuka"]}

    ani, ani_order = pre_order(stack, here, listing["id"], batch["id"], "2", "card")
    pay(ani, ani_order["id"])
    wait_status(ani, ani_order["id"], "AWAITING_HARVEST")
    budi, budi_order = pre_order(stack, here, listing["id"], batch["id"], "1.5", "cod")
    wait_status(budi, budi_order["id"], "AWAITING_HARVEST")
    citra, citra_order = pre_order(stack, here, listing["id"], batch["id"], "1.5", "card")
    pay(citra, citra_order["id"])
    wait_status(citra, citra_order["id"], "AWAITING_HARVEST")
    dewi, dewi_order = pre_order(stack, here, listing["id"], batch["id"], "1", "card")
    pay(dewi, dewi_order["id"])
    waiting = wait_status(dewi, dewi_order["id"], "AWAITING_HARVEST")
    assert waiting["paid"] is True and waiting["goods_total"] == 40000
    # the cap is reached: one more is refused with the batch's remaining quantity
    eko, eko_order = pre_order(stack, here, listing["id"], batch["id"], "0.5", "cod")
    refused = wait_status(eko, eko_order["id"], "REJECTED")
    assert [(p["reason"], p["available"]) for p in refused["problems"]] == [("insufficient", 0)]
    assert product(stack, listing["id"])["harvest"]["remaining"] == 0
    assert product(stack, listing["id"])["stock"] == 10          # pre-orders take nothing off the shelf

    # the harvest is short: 3.5 kg
    done = _ok(farmer.post(f"/api/v1/products/harvests/{batch['id']}/harvest", json={"harvested_qty": "3.5"}))
    assert (done["status"], done["harvested_qty"], done["filled_qty"]) == ("harvested", "3.5", "3.5")
    assert wait_status(ani, ani_order["id"], "CONFIRMED")["paid"] is True
    assert wait_status(budi, budi_order["id"], "CONFIRMED")["fulfillments"][0]["cod_amount_due"] == 60000 + 10000
    for shopper, order in ((citra, citra_order), (dewi, dewi_order)):
        cancelled = wait_status(shopper, order["id"], "CANCELLED")
        assert cancelled["cancel_reason"] == "harvest_short"
        payment = wait_until(lambda: (lambda p: p if p.get("refunded") == p.get("amount") else None)(
            shopper.get(f"/api/v1/payments/orders/{order['id']}")[1]), timeout=20, message="refunded in full")
        assert payment["amount"] == cancelled["total"]
        told = inbox_says(shopper, "order_cancelled")
        assert "hasil panen tidak cukup untuk pra-pesanan Anda" in told["body"], told
        assert "Dana Anda akan dikembalikan." in told["body"]
    assert "Rp 90.000" in inbox_says(ani, "order_confirmed")["body"]   # 2 kg x Rp 40.000 + delivery

    # the ledger sums to zero (accounts() checks the platform total); the stock ledger adds up in kg
    accounts(stack)
    ledger = _ok(farmer.get(f"/api/v1/products/{listing['id']}/stock-ledger"))
    assert [(m["kind"], m["change"]) for m in reversed(ledger)][1:] == [("harvest", "3.5"), ("reserve", -2),
                                                                          ("reserve", "-1.5")]
    assert product(stack, listing["id"])["stock"] == 10 and product(stack, listing["id"])["harvest"] is None
    # the same weight again answers the same; another one is refused
    assert _ok(farmer.post(f"/api/v1/products/harvests/{batch['id']}/harvest",
                           json={"harvested_qty": "3.5"}))["filled_qty"] == "3.5"
    assert farmer.post(f"/api/v1/products/harvests/{batch['id']}/harvest", json={"harvested_qty": "4"})[0] == 409


def test_chilies_limited_to_a_delivery_window_ask_for_one_and_the_courier_sees_it(stack):
    """Issue 17, perishables limited to a delivery window: without one the checkout is a 422 naming the field in
    Bahasa Indonesia; with one (tomorrow afternoon) the courier's delivery carries it."""
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    farmer, listing = farmer_with_chilies(stack, here, delivery_window=True)
    assert listing["delivery_window"] is True
    shopper = stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
    body = {"items": [{"listing_id": listing["id"], "qty": "1"}], "payment_method": "cod",
            "delivery_address": address(here)}

    def refused():
        code, answer = shopper.post("/api/v1/orders", json=body)
        if code == 201:   # orders had not heard of the listing yet: cancel that one and try again
            wait_status(shopper, answer["id"], "CONFIRMED")
            _ok(shopper.post(f"/api/v1/orders/{answer['id']}/cancel"))
            return None
        return answer if code == 422 else None
    bad = wait_until(refused, timeout=20, message="orders asks for a delivery window")
    assert bad["error"]["fields"] == {"delivery_window": ["pilih waktu antar untuk hasil bumi segar"]}
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    order = _ok(shopper.post("/api/v1/orders", json={**body, "delivery_window": {"date": tomorrow, "slot": "sore"}}),
                201)
    (parcel,) = wait_status(shopper, order["id"], "CONFIRMED")["fulfillments"]
    courier_id = f"courier-{uuid.uuid4().hex[:6]}"
    courier = stack.client(courier_id, "courier", district=here)
    _ok(courier.put("/api/v1/couriers/me", json={"available": True}))
    assert _ok(farmer.post(f"/api/v1/fulfillments/{parcel['id']}/ready"))["courier_id"] == courier_id
    (job,) = _ok(courier.get("/api/v1/deliveries"))["deliveries"]
    assert job["delivery_window"] == {"date": tomorrow, "slot": "sore"}
