"""Complaints and returns (issue 16) with every real process behind the gateway, in a stack whose complaints wait
COMPLAINT_RESPONSE_HOURS=0.03 (108 s) on somebody before the timer hands them to the operator:
- card: the seller answers a complaint with a partial refund; the refund comes out of the seller's held share;
- cash on delivery: nobody answers, the timer escalates, the operator decides a partial refund, owed to the shopper;
- card: a return — the seller asks for the goods back, the shopper sends them, the seller confirms, all is refunded;
- card: a return with a courier — the trip waits on the district's open board (pages and API), a courier of the
  district takes it, picks the goods up at the shopper's and hands them over at the shop: that resolves the
  complaint, the refund follows and the courier earns the trip's fee.
After each: the ledger sums to zero and the seller's held/available balances are right. Nobody else sees a
complaint (404) and nobody else may act on it."""
from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.e2e.test_after_sale_e2e import balance, deliver, ledger_sums_to_zero, two_shop_order
from tests.e2e.test_orders_e2e import _ok
from tests.support.infra import wait_until
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def complaint_stack():
    s = Stack(extra_env={"COMPLAINT_RESPONSE_HOURS": "0.03", "TIMER_SWEEP_MS": "500"})
    s.start()
    yield s
    s.stop()


def delivered_parcel(stack, method: str):
    """A two-shop order of `method`; seller B's parcel (40 000 goods + 10 000 delivery) is delivered."""
    return delivered_parcel_where(stack, method)[:4]


def delivered_parcel_where(stack, method: str):
    """As delivered_parcel, also saying where (the district) and which courier delivered it."""
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    courier_id = f"courier-{uuid.uuid4().hex[:6]}"
    shopper, order, parcels, _, (seller_b, _) = two_shop_order(stack, here, method, courier_id)
    deliver(stack, courier_id, here, seller_b, parcels[seller_b])
    wait_until(lambda: balance(stack, seller_b, "seller")["seller_held"] == 38000, timeout=30,
               message="the seller's share held")
    return shopper, order, parcels[seller_b], seller_b, here, courier_id


def open_complaint(shopper, order, parcel, reason="damaged"):
    return _ok(shopper.post("/api/v1/complaints", json={
        "order_id": order["id"], "fulfillment_id": parcel["id"], "reason": reason, "text": "Tikarnya sobek di tepi",
        "photos": ["https://example.id/foto/1.jpg"]}), 201)


def inbox_titles(client) -> list[str]:
    return [n.get("title") or "" for n in (_ok(client.get("/api/v1/notifications")).get("items") or [])]


def test_the_seller_settles_a_complaint_with_a_partial_refund(complaint_stack):
    stack = complaint_stack
    shopper, order, parcel, seller_b = delivered_parcel(stack, "card")
    complaint = open_complaint(shopper, order, parcel)
    assert (complaint["status"], complaint["parcel_total"]) == ("open", 50000)
    # again: the same complaint; another shopper, another seller, a courier: not found, and they cannot act
    assert _ok(shopper.post("/api/v1/complaints", json={"order_id": order["id"], "fulfillment_id": parcel["id"],
                                                        "reason": "damaged"}))["id"] == complaint["id"]
    for intruder in (stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper"),
                     stack.client(f"seller-{uuid.uuid4().hex[:6]}", "seller"),
                     stack.client(f"courier-{uuid.uuid4().hex[:6]}", "courier")):
        assert intruder.get(f"/api/v1/complaints/{complaint['id']}")[0] == 404
        assert _ok(intruder.get("/api/v1/complaints"))["total"] == 0
    assert stack.client(f"seller-{uuid.uuid4().hex[:6]}", "seller").post(
        f"/api/v1/complaints/{complaint['id']}/answer", json={"answer": "refund", "amount": 1})[0] == 404
    # while it is open the shopper cannot confirm receipt: that would pay the seller
    code, body = shopper.post(f"/api/v1/orders/{order['id']}/fulfillments/{parcel['id']}/receive")
    assert (code, body["error"]["code"]) == (409, "complaint_open")
    seller = stack.client(seller_b, "seller")
    code, body = seller.post(f"/api/v1/complaints/{complaint['id']}/answer", json={"answer": "refund",
                                                                                   "amount": 50001})
    assert code == 422 and "amount" in body["error"]["fields"]
    done = _ok(seller.post(f"/api/v1/complaints/{complaint['id']}/answer",
                           json={"answer": "refund", "amount": 15000, "reason": "Maaf, kami ganti sebagian"}))
    assert (done["status"], done["resolution"], done["refund_amount"]) == ("resolved", "refund", 15000)
    payment = wait_until(lambda: (lambda p: p if p.get("refunded") == 15000 else None)(
        _ok(shopper.get(f"/api/v1/payments/orders/{order['id']}"))), timeout=30, message="15 000 refunded")
    assert payment["status"] == "succeeded"
    settled = wait_until(lambda: (lambda b: b if b["seller_available"] else None)(balance(stack, seller_b, "seller")),
                         timeout=30, message="the rest released to the seller")
    assert (settled["seller_held"], settled["seller_available"]) == (0, 38000 - 15000)
    ledger_sums_to_zero(stack)
    # (the seller answered first: waiting on messages before it would eat into the time before escalation)
    wait_until(lambda: any("Komplain baru" in t for t in inbox_titles(seller)), timeout=30,
               message="the seller is told about the complaint")
    wait_until(lambda: any("dana dikembalikan" in t for t in inbox_titles(shopper)), timeout=30,
               message="the shopper is told")
    seen = _ok(shopper.get(f"/api/v1/orders/{order['id']}"))
    assert {f["id"]: f["received_by"] for f in seen["fulfillments"]}[parcel["id"]] == "complaint"


def test_an_unanswered_complaint_is_escalated_by_the_timer_and_decided_by_the_operator(complaint_stack):
    stack = complaint_stack
    shopper, order, parcel, seller_b = delivered_parcel(stack, "cod")
    complaint = open_complaint(shopper, order, parcel, reason="incomplete")
    admin = stack.client(f"admin-{uuid.uuid4().hex[:6]}", "admin")
    assert stack.client(seller_b, "seller").post(f"/api/v1/complaints/{complaint['id']}/decision", json={
        "decision": "release", "note": "saya sendiri"})[0] == 403  # only the operator decides
    escalated = wait_until(lambda: (lambda c: c if c["status"] == "escalated" else None)(
        _ok(shopper.get(f"/api/v1/complaints/{complaint['id']}"))), timeout=240,
        message="the timer hands the complaint to the operator")
    assert escalated["actions"][-1]["role"] == "timer"
    assert complaint["id"] in [c["id"] for c in _ok(admin.get("/api/v1/complaints", params={"status": "escalated"}))[
        "complaints"]]
    code, body = stack.client(seller_b, "seller").post(f"/api/v1/complaints/{complaint['id']}/answer",
                                                       json={"answer": "reject", "reason": "terlambat"})
    assert code == 409
    code, body = admin.post(f"/api/v1/complaints/{complaint['id']}/decision", json={"decision": "refund",
                                                                                   "amount": 20000, "note": ""})
    assert code == 422 and "note" in body["error"]["fields"]
    done = _ok(admin.post(f"/api/v1/complaints/{complaint['id']}/decision", json={
        "decision": "refund", "amount": 20000, "note": "Satu tikar kurang menurut foto kurir"}))
    assert (done["status"], done["refund_amount"], done["resolved_by"]) == ("resolved", 20000, "operator")
    last = done["actions"][-1]
    assert (last["role"], last["why"], last["amount"]) == ("operator", "Satu tikar kurang menurut foto kurir", 20000)
    settled = wait_until(lambda: (lambda b: b if b["seller_available"] else None)(balance(stack, seller_b, "seller")),
                         timeout=30, message="the rest released to the seller")
    assert (settled["seller_held"], settled["seller_available"]) == (0, 38000 - 20000)
    accounts = ledger_sums_to_zero(stack)
    assert accounts.get(f"shopper_refund_owed:{order['shopper_id']}") == -20000  # cash on delivery: owed to the shopper
    # the operator pays it by hand and records it, once; nobody else may
    assert stack.client(seller_b, "seller").post(f"/api/v1/balances/owed-refunds/{complaint['id']}")[0] == 403
    paid = _ok(admin.post(f"/api/v1/balances/owed-refunds/{complaint['id']}"))
    assert (paid["amount"], paid["shopper_id"]) == (20000, order["shopper_id"])
    assert admin.post(f"/api/v1/balances/owed-refunds/{complaint['id']}")[0] == 409
    assert ledger_sums_to_zero(stack).get(f"shopper_refund_owed:{order['shopper_id']}") == 0
    # the shopper sees the decision and why on their complaint
    seen = _ok(shopper.get(f"/api/v1/complaints/{complaint['id']}"))
    assert seen["actions"][-1]["why"] == "Satu tikar kurang menurut foto kurir"


def test_a_return_then_the_whole_refund(complaint_stack):
    stack = complaint_stack
    shopper, order, parcel, seller_b = delivered_parcel(stack, "card")
    complaint = open_complaint(shopper, order, parcel, reason="wrong_item")
    seller = stack.client(seller_b, "seller")
    asked = _ok(seller.post(f"/api/v1/complaints/{complaint['id']}/answer", json={"answer": "return"}))
    assert (asked["status"], asked["refund_amount"]) == ("return_requested", 50000)
    assert seller.post(f"/api/v1/complaints/{complaint['id']}/return-sent")[0] == 403  # the shopper's step
    assert _ok(shopper.post(f"/api/v1/complaints/{complaint['id']}/return-sent"))["status"] == "return_sent"
    done = _ok(seller.post(f"/api/v1/complaints/{complaint['id']}/return-received"))
    assert (done["status"], done["refund_amount"]) == ("resolved", 50000)
    payment = wait_until(lambda: (lambda p: p if p.get("refunded") == 50000 else None)(
        _ok(shopper.get(f"/api/v1/payments/orders/{order['id']}"))), timeout=30, message="the parcel refunded")
    assert payment["status"] == "succeeded"  # the other parcel is still paid for
    wait_until(lambda: balance(stack, seller_b, "seller")["seller_held"] == 0, timeout=30,
               message="nothing held any more")
    assert balance(stack, seller_b, "seller")["seller_available"] == 0  # all of it went back, and more
    ledger_sums_to_zero(stack)


def test_a_return_is_taken_back_by_a_courier_of_the_district_then_refunded(complaint_stack):
    stack = complaint_stack
    shopper, order, parcel, seller_b, here, first_courier = delivered_parcel_where(stack, "card")
    # the courier who delivered goes home: the return trip has nobody on duty to be offered to
    _ok(stack.client(first_courier, "courier", district=here).put("/api/v1/couriers/me", json={"available": False}))
    complaint = open_complaint(shopper, order, parcel, reason="not_as_described")
    seller = stack.client(seller_b, "seller")
    asked = _ok(seller.post(f"/api/v1/complaints/{complaint['id']}/answer", json={"answer": "return"}))
    trip = asked["return_pickup"]
    assert (asked["status"], trip["status"], trip["courier_id"]) == ("return_requested", "READY_FOR_PICKUP", None)

    # a courier of the district sees it on the open board: the shop in full, the shopper's door not yet
    courier_id = f"courier-{uuid.uuid4().hex[:6]}"
    courier = stack.client(courier_id, "courier", district=here, name="Bu Rina")
    board = _ok(courier.get("/api/v1/deliveries/board"))["deliveries"]
    (job,) = [d for d in board if d["id"] == trip["id"]]
    assert (job["kind"], job["complaint_id"], job["delivery_fee"], job["cod_amount_due"]) == (
        "return", complaint["id"], 10000, 0)
    assert job["pickup"]["district"] == here and "street" not in job["pickup"] and "phone" not in job["pickup"]
    assert job["dropoff"]["shop_name"] == parcel["shop_name"]
    elsewhere = stack.client(f"courier-{uuid.uuid4().hex[:6]}", "courier", district="Kec-lain")
    assert trip["id"] not in [d["id"] for d in _ok(elsewhere.get("/api/v1/deliveries/board"))["deliveries"]]
    assert elsewhere.post(f"/api/v1/deliveries/{trip['id']}/claim")[0] == 404

    # on the courier's page too, and taken from there
    web = requests.Session()
    web.cookies.set("pd_at", stack.token(courier_id, "courier", district=here, name="Bu Rina"))
    page = web.get(stack.url + "/kurir", timeout=15)
    assert page.status_code == 200 and "Retur: jemput di pembeli" in page.text
    assert "Jl. Mawar 3" not in page.text  # the shopper's street only after taking the job
    form_at = page.text.index(f"/kurir/antar/{trip['id']}/ambil-tugas")
    csrf = re.findall(r'name="csrf" value="([^"]+)"', page.text[form_at:])[0]
    taken = web.post(stack.url + f"/kurir/antar/{trip['id']}/ambil-tugas", data={"csrf": csrf}, timeout=15)
    assert taken.status_code == 200 and "Jl. Mawar 3" in taken.text  # followed back to the page: now theirs
    mine = [d for d in _ok(courier.get("/api/v1/deliveries"))["deliveries"] if d["id"] == trip["id"]]
    assert mine[0]["status"] == "ASSIGNED" and mine[0]["accepted"] and mine[0]["pickup"]["street"] == "Jl. Mawar 3"

    # picked up at the shopper's: the complaint says the goods are on their way back
    assert _ok(courier.post(f"/api/v1/deliveries/{trip['id']}/pickup"))["status"] == "PICKED_UP"
    sent = _ok(shopper.get(f"/api/v1/complaints/{complaint['id']}"))
    assert (sent["status"], sent["return_pickup"]["status"]) == ("return_sent", "PICKED_UP")
    assert _ok(shopper.get(f"/api/v1/payments/orders/{order['id']}")).get("refunded", 0) == 0  # not yet
    # handed over at the shop: the seller has the goods back, so the refund is released
    assert _ok(courier.post(f"/api/v1/deliveries/{trip['id']}/deliver", json={}))["status"] == "DELIVERED"
    done = _ok(seller.get(f"/api/v1/complaints/{complaint['id']}"))
    assert (done["status"], done["refund_amount"], done["resolved_by"]) == ("resolved", 50000, "courier")
    payment = wait_until(lambda: (lambda p: p if p.get("refunded") == 50000 else None)(
        _ok(shopper.get(f"/api/v1/payments/orders/{order['id']}"))), timeout=30, message="the parcel refunded")
    assert payment["status"] == "succeeded"  # the other parcel is still paid for
    wait_until(lambda: balance(stack, courier_id, "courier")["courier_earnings"] == 10000, timeout=30,
               message="the return courier earns the trip")
    wait_until(lambda: balance(stack, seller_b, "seller")["seller_held"] == 0, timeout=30,
               message="nothing held any more")
    assert balance(stack, seller_b, "seller")["seller_available"] == 0
    # everyone heard: the courier of the job, the shopper that a courier comes, the seller of the refund
    wait_until(lambda: any("retur" in t.lower() for t in inbox_titles(courier)), timeout=30,
               message="the courier told of the return job")
    wait_until(lambda: any("Kurir akan menjemput" in t for t in inbox_titles(shopper)), timeout=30,
               message="the shopper told a courier comes")
    wait_until(lambda: any("pengembalian dana" in t for t in inbox_titles(seller)), timeout=30,
               message="the seller told of the refund")
    ledger_sums_to_zero(stack)
