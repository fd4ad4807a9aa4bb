"""Questions and conversations (issue 19), end to end through the gateway: a shopper asks about a listing; the
customer-service staff assigned to that shop (not the seller) sees it in the queue and answers; the shopper is
notified and reads it; another shopper, another seller and unassigned cs staff cannot read it (404); the seller
sees the thread on their shop; hand-over and resolve work; the operator sees the response times. And the same
without JavaScript, through the pages."""
from __future__ import annotations

import re
import uuid

import requests

from tests.support.infra import wait_until

PASSWORD = "rahasia-cs-123"


def _key() -> dict:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _shop_with_listing(stack, tag: str):
    seller = stack.client(f"q-seller-{tag}", "seller", name="Bu Darmi")
    status, shop = seller.post("/api/v1/shops", json={"name": f"Anyaman Darmi {tag}", "village": "Bendo",
                                                      "district": "Sanankulon", "regency": "Blitar"})
    assert status == 201, shop
    status, listing = seller.post("/api/v1/products", json={
        "shop_id": shop["id"], "title": "Tikar pandan besar", "category": "hasil-bumi", "price": 85000, "stock": 4,
        "status": "published"})
    assert status == 201, listing
    return seller, shop, listing


def _cs_staff(stack, admin, name: str) -> tuple[str, str]:
    """An admin creates a real cs account (the gateway announces it to the catalog); returns (id, phone)."""
    phone = "+62813" + str(uuid.uuid4().int)[:8]
    status, account = admin.post("/api/v1/auth/staff", json={"name": name, "phone": phone, "password": PASSWORD})
    assert status == 201, account
    assert account["role"] == "cs"
    return account["id"], phone


def _login(stack, phone: str):
    status, pair = stack.client().post("/api/v1/auth/login", json={"identifier": phone, "password": PASSWORD})
    assert status == 200, pair
    client = stack.client()
    client.session.headers["Authorization"] = f"Bearer {pair['access_token']}"
    return client


def _inbox_item(client, thread_id: str, kind: str):
    items = (client.get("/api/v1/notifications")[1] or {}).get("items") or []
    return next((n for n in items if n["kind"] == kind and (n.get("data") or {}).get("thread_id") == thread_id),
                None)


def test_assigned_customer_service_answers_a_shoppers_question_and_only_the_parties_see_it(stack):
    tag = uuid.uuid4().hex[:8]
    admin = stack.client(f"q-admin-{tag}", "admin", name="Operator")
    seller, shop, listing = _shop_with_listing(stack, tag)
    cs_id, cs_phone = _cs_staff(stack, admin, "Rina Layanan")
    # the assignment waits for the catalog to learn of the new cs account (account.registered)
    assigned = wait_until(lambda: (lambda r: r[1] if r[0] == 200 else None)(
        admin.put(f"/api/v1/cs-staff/{cs_id}/shops/{shop['id']}")), timeout=20, message="cs staff assigned")
    assert [s["id"] for s in assigned["shops"]] == [shop["id"]]
    cs = _login(stack, cs_phone)
    assert cs.get(f"/api/v1/cs-staff/{cs_id}")[1]["shops"][0]["name"] == shop["name"]

    # a shopper asks about the listing; the same request sent twice (same key) is one question
    shopper = stack.client(f"q-shopper-{tag}", "shopper", name="Siti")
    key = _key()
    question = {"listing_id": listing["id"], "body": "Apakah tikar ini bisa dipesan ukuran 2x3 meter?"}
    status, thread = shopper.post("/api/v1/questions", json=question, headers=key)
    assert status == 201, thread
    again = shopper.post("/api/v1/questions", json=question, headers=key)
    assert again == (201, thread)
    assert (thread["status"], thread["subject"], thread["shop_name"]) == ("open", "Tikar pandan besar", shop["name"])
    thread_id = thread["id"]

    # the assigned cs staff (not the seller) sees it in the queue, is told, and answers
    queue = cs.get("/api/v1/questions", params={"status": "queue"})[1]["items"]
    assert [(t["id"], t["waiting"], t["last_message"]) for t in queue] == [
        (thread_id, True, "Apakah tikar ini bisa dipesan ukuran 2x3 meter?")]
    wait_until(lambda: _inbox_item(cs, thread_id, "question_message"), timeout=20, message="cs told")
    status, answer = cs.post(f"/api/v1/questions/{thread_id}/messages",
                             json={"body": "Bisa, Bu. Ukuran 2x3 m selesai dalam 5 hari."}, headers=_key())
    assert status == 201, answer
    assert answer["author_role"] == "cs"

    # the shopper is notified and reads the answer
    note = wait_until(lambda: _inbox_item(shopper, thread_id, "question_message"), timeout=20, message="shopper told")
    assert "Bisa, Bu." in note["body"]
    status, read = shopper.get(f"/api/v1/questions/{thread_id}")
    assert status == 200
    assert read["status"] == "answered" and read["my_part"] == "shopper"
    assert [(m["author_role"], m["body"]) for m in read["messages"]] == [
        ("shopper", "Apakah tikar ini bisa dipesan ukuran 2x3 meter?"),
        ("cs", "Bisa, Bu. Ukuran 2x3 m selesai dalam 5 hari.")]
    assert shopper.post(f"/api/v1/notifications/{note['id']}/read")[0] == 200

    # nobody else can read it, write in it, hand it over or resolve it: to them it does not exist
    outsiders = [stack.client(f"q-other-shopper-{tag}", "shopper", name="Lain"),
                 stack.client(f"q-other-seller-{tag}", "seller", name="Lain"),
                 stack.client(f"q-other-cs-{tag}", "cs", name="Lain"),
                 stack.client(f"q-courier-{tag}", "courier", name="Lain")]
    for outsider in outsiders:
        status, body = outsider.get(f"/api/v1/questions/{thread_id}")
        assert status == 404 and body["error"]["code"] == "not_found", body
        assert outsider.post(f"/api/v1/questions/{thread_id}/messages", json={"body": "halo"},
                             headers=_key())[0] == 404
        assert outsider.post(f"/api/v1/questions/{thread_id}/resolve")[0] == 404
        assert outsider.post(f"/api/v1/questions/{thread_id}/handover")[0] == 404
        assert thread_id not in str(outsider.get("/api/v1/questions")[1])

    # the seller sees the thread on their shop
    mine = seller.get("/api/v1/questions")[1]["items"]
    assert [(t["id"], t["shop_id"], t["my_part"]) for t in mine] == [(thread_id, shop["id"], "shop")]

    # hand-over: only customer service; the seller is told and answers; the shopper resolves
    assert shopper.post(f"/api/v1/questions/{thread_id}/handover")[0] == 403
    status, handed = cs.post(f"/api/v1/questions/{thread_id}/handover")
    assert (status, handed["status"]) == (200, "handed_over")
    wait_until(lambda: _inbox_item(seller, thread_id, "question_handed_over"), timeout=20, message="seller told")
    status, _ = seller.post(f"/api/v1/questions/{thread_id}/messages", json={"body": "Saya kirim foto motifnya."},
                            headers=_key())
    assert status == 201
    assert seller.get(f"/api/v1/questions/{thread_id}")[1]["status"] == "answered"
    status, resolved = shopper.post(f"/api/v1/questions/{thread_id}/resolve")
    assert (status, resolved["status"]) == (200, "resolved")
    assert cs.get("/api/v1/questions", params={"status": "queue"})[1]["items"] == []
    assert cs.post(f"/api/v1/questions/{thread_id}/handover")[1]["error"]["code"] == "question_resolved"

    # the operator's response times: the cs staff answered first
    status, times = admin.get("/api/v1/questions/response-times")
    assert status == 200
    staff = next(s for s in times["staff"] if s["user_id"] == cs_id)
    assert (staff["answered"], staff["shops"]) == (1, 1) and staff["median_seconds"] is not None
    shop_row = next(s for s in times["shops"] if s["shop_id"] == shop["id"])
    assert (shop_row["threads"], shop_row["answered"], shop_row["waiting"]) == (1, 1, 0)
    assert cs.get("/api/v1/questions/response-times")[0] == 403


def test_bad_questions_are_refused_in_the_error_shape_and_the_hourly_limit_holds(stack):
    tag = uuid.uuid4().hex[:8]
    _, _, listing = _shop_with_listing(stack, tag)
    shopper = stack.client(f"q-limit-{tag}", "shopper", name="Budi")
    status, body = shopper.post("/api/v1/questions", json={"listing_id": listing["id"], "body": "x" * 1001},
                                headers=_key())
    assert status == 422 and "body" in body["error"]["fields"]
    status, body = shopper.post("/api/v1/questions", json={"listing_id": listing["id"], "body": "Ada\u202e?"},
                                headers=_key())
    assert status == 422 and "body" in body["error"]["fields"]  # the text policy of names and notes
    status, body = shopper.post("/api/v1/questions", json={"listing_id": listing["id"], "body": "Masih ada?"})
    assert status == 422 and body["error"]["code"] == "idempotency_key_required"
    status, body = shopper.post("/api/v1/questions", json={"listing_id": str(uuid.uuid4()), "body": "Masih ada?"},
                                headers=_key())
    assert status == 404
    status, body = stack.client(f"q-seller-asks-{tag}", "seller").post(
        "/api/v1/questions", json={"listing_id": listing["id"], "body": "Masih ada?"}, headers=_key())
    assert status == 403
    status, thread = shopper.post("/api/v1/questions", json={"listing_id": listing["id"], "body": "Masih ada?"},
                                  headers=_key())
    assert status == 201
    answers = [shopper.post(f"/api/v1/questions/{thread['id']}/messages", json={"body": f"Halo {n}"},
                            headers=_key())[0] for n in range(20)]
    assert answers == [201] * 19 + [429]  # 20 messages an hour, the question included


def test_a_question_about_an_order_goes_to_its_shop_known_from_events(stack):
    tag = uuid.uuid4().hex[:8]
    seller, shop, listing = _shop_with_listing(stack, tag)
    shopper = stack.client(f"q-buyer-{tag}", "shopper", name="Ani")
    status, order = shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing["id"], "qty": 1}], "payment_method": "cod",
        "delivery_address": {"name": "Ani", "phone": "+6281234567001", "street": "Jl. Melati 2", "village": "Bendo",
                             "district": "Sanankulon", "regency": "Blitar", "province": "Jawa Timur"}})
    assert status == 201, order
    ask = lambda who: who.post("/api/v1/questions", json={"order_id": order["id"], "body": "Kapan dikirim?"},  # noqa
                               headers=_key())
    status, thread = wait_until(lambda: (lambda r: r if r[0] == 201 else None)(ask(shopper)), timeout=20,
                                message="the catalog knows the order's shopper and shop")
    assert (thread["shop_id"], thread["order_id"]) == (shop["id"], order["id"])
    # someone else's order is not found
    assert ask(stack.client(f"q-not-buyer-{tag}", "shopper"))[0] == 404
    assert [t["id"] for t in seller.get("/api/v1/questions")[1]["items"]] == [thread["id"]]
    # the order page's "Tanya tentang pesanan ini", without JavaScript: pick the item, i.e. its shop
    web = _browser(stack, f"q-buyer-{tag}", "shopper", "Ani")
    assert "Tanya tentang pesanan ini" in web.get(stack.url + f"/pesanan/{order['id']}", timeout=15).text
    form = web.get(stack.url + f"/pesanan/{order['id']}/tanya", timeout=15)
    assert f'<option value="{listing["id"]}">Tikar pandan besar' in form.text
    sent = web.post(stack.url + f"/pesanan/{order['id']}/tanya", timeout=15, allow_redirects=False,
                    data={**_hidden(form.text), "listing_id": listing["id"], "body": "Bisa dikirim sore?"})
    assert sent.status_code == 303, sent.text[:300]
    threads = seller.get("/api/v1/questions")[1]["items"]
    assert [(t["order_id"], t["last_message"]) for t in threads][0] == (order["id"], "Bisa dikirim sore?")


# -- the pages, without JavaScript --------------------------------------------------------------------------
def _browser(stack, user_id: str, role: str, name: str) -> requests.Session:
    web = requests.Session()
    web.cookies.set("pd_at", stack.token(user_id, role, name=name, district="Sanankulon"))
    return web


def _hidden(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="(csrf|form_key)" value="([^"]+)"', html))


def test_the_pages_ask_answer_hand_over_and_resolve_with_form_posts(stack):
    tag = uuid.uuid4().hex[:8]
    admin = stack.client(f"qp-admin-{tag}", "admin", name="Operator")
    seller, shop, listing = _shop_with_listing(stack, tag)
    cs_id, _ = _cs_staff(stack, admin, "Wulan Layanan")
    wait_until(lambda: admin.put(f"/api/v1/cs-staff/{cs_id}/shops/{shop['id']}")[0] == 200, timeout=20,
               message="cs staff assigned")

    shopper = _browser(stack, f"qp-shopper-{tag}", "shopper", "Siti")
    page = shopper.get(stack.url + f"/produk/{listing['id']}", timeout=15)
    assert "Tanya penjual" in page.text
    fields = _hidden(page.text)
    sent = shopper.post(stack.url + f"/produk/{listing['id']}/tanya", timeout=15, allow_redirects=False,
                        data={**fields, "body": "Warnanya apa saja?"})
    assert sent.status_code == 303, sent.text[:300]
    thread_url = sent.headers["Location"].split("?")[0]
    thread_id = thread_url.rstrip("/").split("/")[-1]
    mine = shopper.get(stack.url + "/pertanyaan", timeout=15)
    assert "Pertanyaan saya" in mine.text and "Tikar pandan besar" in mine.text and "Menunggu jawaban" in mine.text

    cs = _browser(stack, cs_id, "cs", "Wulan Layanan")
    queue = cs.get(stack.url + "/cs", timeout=15)
    assert queue.status_code == 200 and "Antrian pertanyaan" in queue.text and thread_id in queue.text
    page = cs.get(stack.url + f"/pertanyaan/{thread_id}", timeout=15)
    assert "Warnanya apa saja?" in page.text and "Serahkan ke penjual" in page.text
    fields = _hidden(page.text)
    answered = cs.post(stack.url + f"/pertanyaan/{thread_id}/balas", data={**fields, "body": "Hijau dan cokelat."},
                       timeout=15, allow_redirects=False)
    assert answered.status_code == 303
    # a form sent twice (the same form key) is one message
    cs.post(stack.url + f"/pertanyaan/{thread_id}/balas", data={**fields, "body": "Hijau dan cokelat."}, timeout=15,
            allow_redirects=False)
    page = shopper.get(stack.url + f"/pertanyaan/{thread_id}", timeout=15)
    assert page.text.count("Hijau dan cokelat.") == 1 and "Layanan pelanggan" in page.text
    # the live part of the page, fetched by live.js when the feed says something happened
    fragment = shopper.get(stack.url + f"/pertanyaan/{thread_id}?fragment=1", timeout=15)
    assert "Hijau dan cokelat." in fragment.text and "<html" not in fragment.text

    other = _browser(stack, f"qp-other-{tag}", "shopper", "Lain")
    assert other.get(stack.url + f"/pertanyaan/{thread_id}", timeout=15).status_code == 404

    fields = _hidden(cs.get(stack.url + f"/pertanyaan/{thread_id}", timeout=15).text)
    assert cs.post(stack.url + f"/pertanyaan/{thread_id}/serahkan", data=fields, timeout=15,
                   allow_redirects=False).status_code == 303
    seller_web = _browser(stack, f"q-seller-{tag}", "seller", "Bu Darmi")
    listing_page = seller_web.get(stack.url + "/penjual/pertanyaan", timeout=15)
    assert "Pertanyaan pembeli" in listing_page.text and "Diteruskan ke penjual" in listing_page.text
    fields = _hidden(shopper.get(stack.url + f"/pertanyaan/{thread_id}", timeout=15).text)
    done = shopper.post(stack.url + f"/pertanyaan/{thread_id}/selesai", data=fields, timeout=15)
    assert "Pertanyaan ditandai selesai." in done.text and "Sudah selesai" in done.text

    operator = _browser(stack, f"qp-admin-{tag}", "admin", "Operator")
    report = operator.get(stack.url + "/admin/pertanyaan", timeout=15)
    assert report.status_code == 200 and "Waktu tanggapan pertama" in report.text and "Wulan Layanan" in report.text
