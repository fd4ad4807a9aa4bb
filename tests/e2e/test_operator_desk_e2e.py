"""The operator's desk (issue 16), the money and the machinery, with every real process behind the gateway:
- a cash-on-delivery parcel is delivered: the courier's cash shows as outstanding (amount, parcels, oldest); the
  operator records the hand-over on /operator/setoran-cod (the form sent twice: recorded once) and by the API (the
  same Idempotency-Key again: applied once; more than held: 409); outstanding goes to 0 and the ledger sums to 0;
- parked events per queue: every app's queue is listed with its parked count; an event id that is not parked
  cannot be replayed (404).
Only the operator (admin) may read or do any of it."""
from __future__ import annotations

import json
import re
import uuid

import pika
import requests

from pasar import config
from pasar.events import make_envelope
from pasar.messaging import QueueNames
from tests.e2e.test_after_sale_e2e import deliver, ledger_sums_to_zero, two_shop_order
from tests.e2e.test_orders_e2e import _ok
from tests.support.infra import wait_until


def courier_cash(admin, courier_id: str) -> dict:
    (one,) = _ok(admin.get("/api/v1/balances/cod-outstanding", params={"courier_id": courier_id}))["couriers"]
    return one


def the_couriers_form(html: str, courier_id: str) -> dict:
    """The hidden fields of the hand-over form of this courier (the page lists every courier who holds cash)."""
    start = html.index(f'<input type="hidden" name="courier_id" value="{courier_id}">')
    form = re.search(r'<form[^>]*>((?:(?!<form).)*)$', html[:start], re.S)
    return dict(re.findall(r'<input type="hidden" name="(csrf|form_key)" value="([^"]+)"', form.group(0)))


def test_cod_cash_outstanding_per_courier_then_handed_over_once(stack):
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    courier_id = f"courier-{uuid.uuid4().hex[:6]}"
    shopper, order, parcels, _, (seller_b, _) = two_shop_order(stack, here, "cod", courier_id)
    deliver(stack, courier_id, here, seller_b, parcels[seller_b])
    admin = stack.client(f"admin-{uuid.uuid4().hex[:6]}", "admin")
    cash = wait_until(lambda: (lambda c: c if c["amount"] else None)(courier_cash(admin, courier_id)), timeout=30,
                      message="the courier's cash is outstanding")
    assert (cash["amount"], cash["parcels"], cash["fulfillment_ids"]) == (50000, 1, [parcels[seller_b]["id"]])
    assert cash["oldest_collected_at"]
    listed = _ok(admin.get("/api/v1/balances/cod-outstanding"))["couriers"]
    assert courier_id in [c["courier_id"] for c in listed]
    # nobody but the operator reads it or records a hand-over, not even the courier
    for who, role in ((courier_id, "courier"), (seller_b, "seller"), (order["shopper_id"], "shopper")):
        client = stack.client(who, role)
        assert client.get("/api/v1/balances/cod-outstanding")[0] == 403
        assert client.post("/api/v1/balances/cod-handovers", json={"courier_id": courier_id, "amount": 1},
                           headers={"Idempotency-Key": uuid.uuid4().hex})[0] == 403

    # the API: more than held is refused; a part, then the same key again, applies once
    key = uuid.uuid4().hex
    code, body = admin.post("/api/v1/balances/cod-handovers", json={"courier_id": courier_id, "amount": 50001},
                            headers={"Idempotency-Key": key})
    assert (code, body["error"]["code"]) == (409, "more_than_outstanding")
    first = _ok(admin.post("/api/v1/balances/cod-handovers", json={"courier_id": courier_id, "amount": 20000,
                                                                   "note": "setor di balai desa"},
                           headers={"Idempotency-Key": key}), 201)
    again = _ok(admin.post("/api/v1/balances/cod-handovers", json={"courier_id": courier_id, "amount": 20000,
                                                                   "note": "setor di balai desa"},
                           headers={"Idempotency-Key": key}), 200)
    assert again["id"] == first["id"] and first["note"] == "setor di balai desa"
    assert courier_cash(admin, courier_id)["amount"] == 30000

    # the page: the rest, the form sent twice (a double tap): recorded once
    web = requests.Session()
    web.cookies.set("pd_at", stack.token("admin-desk", "admin", name="Operator"))
    page = web.get(stack.url + "/operator/setoran-cod", timeout=15)
    assert page.status_code == 200 and "Rp 30.000" in page.text and courier_id[:8] in page.text
    assert "setor di balai desa" in page.text  # the first hand-over, with its note, on the courier's entry
    form = {**the_couriers_form(page.text, courier_id), "courier_id": courier_id, "amount": "30.000",
            "note": "sisa setoran"}
    sent = [web.post(stack.url + "/operator/setoran-cod", data=form, timeout=15, allow_redirects=False)
            for _ in range(2)]
    assert [s.status_code for s in sent] == [303, 303]
    assert "Setoran kurir dicatat." in web.get(stack.url + sent[0].headers["Location"], timeout=15).text
    assert courier_cash(admin, courier_id)["amount"] == 0
    assert courier_id not in [c["courier_id"] for c in _ok(admin.get("/api/v1/balances/cod-outstanding"))["couriers"]]
    history = _ok(admin.get("/api/v1/balances/cod-handovers", params={"courier_id": courier_id}))
    assert sorted(h["amount"] for h in history) == [20000, 30000]
    assert _ok(stack.client(courier_id, "courier").get("/api/v1/balances/me"))["cod_cash_held"] == 0
    accounts = ledger_sums_to_zero(stack)
    assert accounts.get(f"cod_cash_held:{courier_id}") == 0
    # nothing left to hand over
    code, body = admin.post("/api/v1/balances/cod-handovers", json={"courier_id": courier_id, "amount": 1},
                            headers={"Idempotency-Key": uuid.uuid4().hex})
    assert (code, body["error"]["code"]) == (409, "more_than_outstanding")


def test_parked_events_per_queue_only_for_the_operator(stack):
    admin = stack.client(f"admin-{uuid.uuid4().hex[:6]}", "admin")
    found = _ok(admin.get("/api/v1/auth/queues"))
    assert sorted(q["app"] for q in found["queues"]) == sorted(config.ALL_APPS)
    assert all(q["declared"] and q["count"] >= 0 for q in found["queues"])
    code, body = admin.post("/api/v1/auth/queues/orders/replay", json={"event_id": str(uuid.uuid4()),
                                                                       "reason": "coba"})
    assert code == 404
    assert admin.post("/api/v1/auth/queues/nothing/replay", json={"reason": "coba"})[0] == 404
    for role in ("courier", "seller", "shopper", "agent"):
        client = stack.client(f"{role}-{uuid.uuid4().hex[:6]}", role)
        assert client.get("/api/v1/auth/queues")[0] == 403
        assert client.post("/api/v1/auth/queues/orders/replay", json={"reason": "coba"})[0] == 403
    # a message parked in notifications' queue (as its worker parks one) is shown, then replayed from the page
    event = make_envelope("listing.updated", {"listing_id": "l-1", "shop_id": "s-1", "title": "Tikar pandan",
                                              "price": 15000, "stock": 3}, source="catalog", correlation_id=None)
    names = QueueNames.for_service("notifications", stack.broker.settings())
    conn = pika.BlockingConnection(pika.URLParameters(stack.broker.amqp_url))
    channel = conn.channel()
    channel.confirm_delivery()
    channel.basic_publish("", names.parked, json.dumps(event).encode(), pika.BasicProperties(
        delivery_mode=2, message_id=event["id"], type=event["type"],
        headers={"x-pasar-park-reason": "failed 4 times; last error: jalan banjir", "x-pasar-attempts": 4,
                 "x-pasar-parked-at": "2026-12-04T10:00:00+00:00"}))
    conn.close()
    web = requests.Session()
    web.cookies.set("pd_at", stack.token("admin-desk", "admin", name="Operator"))
    page = web.get(stack.url + "/operator/antrian", timeout=15)
    assert page.status_code == 200 and "Antrian pesan" in page.text
    assert event["id"] in page.text and "jalan banjir" in page.text
    start = page.text.index(f'name="event_id" value="{event["id"]}"')
    csrf = re.findall(r'name="csrf" value="([^"]+)"', page.text[:start])[-1]
    sent = web.post(stack.url + "/operator/antrian/notifications/kirim-ulang", timeout=15, allow_redirects=False,
                    data={"csrf": csrf, "event_id": event["id"], "reason": "jalan sudah dibuka"})
    assert sent.status_code == 303
    assert "Pesan dikirim ulang ke antriannya. (1)" in web.get(stack.url + sent.headers["Location"], timeout=15).text
    queue = {q["app"]: q for q in _ok(admin.get("/api/v1/auth/queues"))["queues"]}["notifications"]
    assert event["id"] not in [m["event_id"] for m in queue["latest"]]
    (replay,) = [r for r in _ok(admin.get("/api/v1/auth/queues"))["replays"] if event["id"] in r["event_ids"]]
    assert (replay["moved"], replay["reason"], replay["actor_id"]) == (1, "jalan sudah dibuka", "admin-desk")
    # the page sent it once; the same form again finds nothing parked under that id
    again = web.post(stack.url + "/operator/antrian/notifications/kirim-ulang", timeout=15, allow_redirects=False,
                     data={"csrf": csrf, "event_id": event["id"], "reason": "lagi"})
    assert "note=gone" in again.headers["Location"]
