"""Complaints and returns (issue 16) with every real process behind the gateway, in a stack whose complaints wait
COMPLAINT_RESPONSE_HOURS=0.03 (108 s) on somebody before the timer hands them to the operator:
- card: the seller answers a complaint with a partial refund; the refund comes out of the seller's held share;
- cash on delivery: nobody answers, the timer escalates, the operator decides a partial refund, owed to the shopper;
- card: a return — the seller asks for the goods back, the shopper sends them, the seller confirms, all is refunded.
After each: the ledger sums to zero and the seller's held/available balances are right. Nobody else sees a
complaint (404) and nobody else may act on it."""
from __future__ import annotations

import uuid

import pytest

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
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    courier_id = f"courier-{uuid.uuid4().hex[:6]}"
    shopper, order, parcels, _, (seller_b, _) = two_shop_order(stack, here, method, courier_id)
    deliver(stack, courier_id, here, seller_b, parcels[seller_b])
    wait_until(lambda: balance(stack, seller_b, "seller")["seller_held"] == 38000, timeout=30,
               message="the seller's share held")
    return shopper, order, parcels[seller_b], seller_b


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
