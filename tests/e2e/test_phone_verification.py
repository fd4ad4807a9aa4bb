"""Selling and taking deliveries need a proven phone (issue 18), through every process: the gateway signs the
`phone_verified` fact into the access token, and the catalog and orders services refuse on their own (403
`phone_not_verified`, in the caller's language) until the person types back the code sent by WhatsApp."""
from __future__ import annotations

import re
import subprocess
import uuid

import pytest
import requests

from tests.support.infra import wait_until
from tests.support.phones import VERIFY_WORDS, prove_phone, whatsapp_code
from tests.support.stack import BIN, Stack


@pytest.fixture(scope="module")
def stack():
    """Behind one trusted proxy, so each test is its own client (X-Forwarded-For) for the per-IP code budget."""
    with Stack(extra_env={"TRUSTED_PROXY_HOPS": "1"}) as stack:
        yield stack


def client_ip() -> dict:
    return {"X-Forwarded-For": f"203.0.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"}


def unique_phone() -> str:
    return "0813" + f"{uuid.uuid4().int % 10 ** 8:08d}"


def call(stack, method: str, path: str, token: str | None = None, ip: dict | None = None, lang: str = "id",
         **kw) -> requests.Response:
    headers = {"Accept-Language": lang, **(ip or {}), **({"Authorization": "Bearer " + token} if token else {})}
    return requests.request(method, stack.url + path, headers=headers, timeout=15, **kw)


def sign_up(stack, ip: dict, **account) -> dict:
    resp = call(stack, "POST", "/api/v1/auth/register", ip=ip,
                json={"name": "Bu Sari", "password": "rahasia-desa-1", "district": "Sanankulon", **account})
    assert resp.status_code == 201, resp.text
    return resp.json()


def refreshed(stack, signed: dict, ip: dict) -> dict:
    resp = call(stack, "POST", "/api/v1/auth/refresh", ip=ip, json={"refresh_token": signed["refresh_token"]})
    assert resp.status_code == 200, resp.text
    return resp.json()


SHOP = {"name": "Anyaman Bu Sari", "village": "Bendo", "district": "Sanankulon", "regency": "Blitar"}


def test_an_unproven_seller_is_refused_until_the_sign_up_code_is_typed_back(stack):
    ip = client_ip()
    signed = sign_up(stack, ip, phone=unique_phone(), role="seller")
    assert signed["account"]["phone_verified"] is False
    token = signed["access_token"]

    refused = call(stack, "POST", "/api/v1/shops", token, ip, json=SHOP)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "phone_not_verified"
    assert refused.json()["error"]["message"] == "verifikasi nomor HP Anda dulu (kode yang dikirim lewat WhatsApp)"
    in_english = call(stack, "POST", "/api/v1/shops", token, ip, lang="en", json=SHOP)
    assert in_english.json()["error"]["message"] == "verify your phone number first (the code sent by WhatsApp)"
    listing = call(stack, "POST", "/api/v1/products", token, ip, json={
        "shop_id": "any", "title": "Beras", "category": "hasil-bumi", "price": 50000, "stock": 3})
    assert listing.status_code == 403 and listing.json()["error"]["code"] == "phone_not_verified"

    code = whatsapp_code(stack, signed["account"]["phone"], VERIFY_WORDS)
    wrong = call(stack, "POST", "/api/v1/auth/phone/verify", token, ip,
                 json={"code": f"{(int(code) + 1) % 10 ** 6:06d}"})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_code"
    proven = call(stack, "POST", "/api/v1/auth/phone/verify", token, ip, json={"code": code[:3] + " " + code[3:]})
    assert proven.status_code == 200 and proven.json()["phone_verified"] is True

    token = refreshed(stack, signed, ip)["access_token"]  # the fact travels in the token: a fresh one carries it
    shop = call(stack, "POST", "/api/v1/shops", token, ip, json=SHOP)
    assert shop.status_code == 201, shop.text
    listing = call(stack, "POST", "/api/v1/products", token, ip, json={
        "shop_id": shop.json()["id"], "title": "Beras merah", "category": "hasil-bumi", "price": 50000, "stock": 3,
        "status": "published"})
    assert listing.status_code == 201, listing.text


def test_a_new_number_is_proven_again_and_a_spent_code_never_proves_it(stack):
    ip = client_ip()
    signed = sign_up(stack, ip, phone=unique_phone(), role="seller")
    first = whatsapp_code(stack, signed["account"]["phone"], VERIFY_WORDS)
    token = prove_phone(stack, signed, ip)["access_token"]
    assert call(stack, "POST", "/api/v1/shops", token, ip, json=SHOP).status_code == 201

    changed = call(stack, "PATCH", "/api/v1/auth/me", token, ip, json={"phone": unique_phone()})
    assert changed.status_code == 200 and changed.json()["phone_verified"] is False, changed.text
    pair = call(stack, "POST", "/api/v1/auth/login", ip=ip,
                json={"identifier": changed.json()["phone"], "password": "rahasia-desa-1"}).json()
    token = pair["access_token"]
    assert call(stack, "POST", "/api/v1/shops", token, ip, json=SHOP).status_code == 403

    reused = call(stack, "POST", "/api/v1/auth/phone/verify", token, ip, json={"code": first})
    assert reused.status_code == 400 and reused.json()["error"]["code"] == "invalid_code"
    assert call(stack, "POST", "/api/v1/auth/phone/code", token, ip).status_code == 202
    code = whatsapp_code(stack, changed.json()["phone"], VERIFY_WORDS)
    assert call(stack, "POST", "/api/v1/auth/phone/verify", token, ip, json={"code": code}).status_code == 200
    again = call(stack, "POST", "/api/v1/auth/phone/verify", token, ip, json={"code": code})
    assert again.status_code == 200 and again.json()["phone_verified"] is True  # already proven: nothing to spend
    token = refreshed(stack, pair, ip)["access_token"]
    assert call(stack, "POST", "/api/v1/shops", token, ip, json=SHOP).status_code == 201


def test_an_unproven_courier_neither_goes_on_duty_nor_takes_a_delivery(stack):
    ip = client_ip()
    signed = sign_up(stack, ip, phone=unique_phone(), role="courier")
    token = signed["access_token"]
    on_duty = call(stack, "PUT", "/api/v1/couriers/me", token, ip, lang="en", json={"available": True})
    assert on_duty.status_code == 403
    assert on_duty.json()["error"] == {"code": "phone_not_verified", "fields": {},
                                       "message": "verify your phone number first (the code sent by WhatsApp)"}
    assert call(stack, "PUT", "/api/v1/couriers/me", token, ip, json={"available": False}).status_code == 200
    for step in ("accept", "claim"):
        taken = call(stack, "POST", f"/api/v1/deliveries/{uuid.uuid4()}/{step}", token, ip)
        assert taken.status_code == 403 and taken.json()["error"]["code"] == "phone_not_verified", step

    token = prove_phone(stack, signed, ip)["access_token"]
    on_duty = call(stack, "PUT", "/api/v1/couriers/me", token, ip, json={"available": True})
    assert on_duty.status_code == 200 and on_duty.json()["available"] is True, on_duty.text
    assert call(stack, "POST", f"/api/v1/deliveries/{uuid.uuid4()}/accept", token, ip).status_code == 404


def test_an_email_only_agent_may_sell_but_an_email_only_seller_adds_and_proves_a_phone(stack):
    ip = client_ip()
    agent = sign_up(stack, ip, email=f"agus{uuid.uuid4().hex[:6]}@desa.id", role="agent")
    shop = call(stack, "POST", "/api/v1/shops", agent["access_token"], ip, json={**SHOP, "owner_name": "Mbah Tin"})
    assert shop.status_code == 201, shop.text

    seller = sign_up(stack, ip, email=f"sari{uuid.uuid4().hex[:6]}@desa.id", role="seller")
    assert call(stack, "POST", "/api/v1/shops", seller["access_token"], ip, json=SHOP).status_code == 403
    no_phone = call(stack, "POST", "/api/v1/auth/phone/code", seller["access_token"], ip)
    assert no_phone.status_code == 422 and "phone" in no_phone.json()["error"]["fields"]


def hidden_fields(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="(csrf|form_key)" value="([^"]+)"', html))


def test_on_the_pages_sign_up_leads_to_the_code_and_a_refused_shop_leads_back_to_it(stack):
    """No JavaScript needed: plain form posts, as a phone with scripts off sends them."""
    ip, phone = client_ip(), unique_phone()
    web = requests.Session()
    web.headers.update(ip)
    form = web.get(stack.url + "/daftar?peran=seller", timeout=15)
    signed = web.post(stack.url + "/daftar", timeout=15, allow_redirects=False, data={
        **hidden_fields(form.text), "name": "Bu Sari", "contact": phone, "password": "rahasia-desa-1",
        "district": "Sanankulon", "role": "seller"})
    assert signed.status_code == 303 and signed.headers["Location"].startswith("/verifikasi-hp"), signed.headers
    page = web.get(stack.url + signed.headers["Location"], timeout=15)
    assert "Kode 6 angka sudah dikirim lewat WhatsApp" in page.text and "Verifikasi nomor HP" in page.text

    # not yet proven: the seller home says so, and opening a shop leads to the code page with a message
    home = web.get(stack.url + "/penjual", timeout=15)
    assert "Nomor HP Anda belum terverifikasi" in home.text
    shop = {**hidden_fields(home.text), "name": "Anyaman Bu Sari", "village": "Bendo", "district": "Sanankulon",
            "regency": "Blitar"}
    refused = web.post(stack.url + "/penjual/toko", data=shop, timeout=15, allow_redirects=False,
                       headers={"Referer": stack.url + "/penjual"})
    assert refused.status_code == 303
    assert refused.headers["Location"] == "/verifikasi-hp?next=/penjual&note=needed"
    page = web.get(stack.url + refused.headers["Location"], timeout=15)
    assert "Sebelum berjualan atau mengantar paket, buktikan dulu nomor HP Anda" in page.text

    code = whatsapp_code(stack, "+62" + phone[1:], VERIFY_WORDS)
    wrong = web.post(stack.url + "/verifikasi-hp?next=/penjual", timeout=15, allow_redirects=False, data={
        **hidden_fields(page.text), "action": "verify", "code": f"{(int(code) + 1) % 10 ** 6:06d}"})
    assert wrong.status_code == 422 and "Kode salah atau sudah tidak berlaku." in wrong.text
    proven = web.post(stack.url + "/verifikasi-hp?next=/penjual", timeout=15, allow_redirects=False, data={
        **hidden_fields(page.text), "action": "verify", "code": code})
    assert proven.status_code == 303 and proven.headers["Location"] == "/penjual?note=phone_verified"
    home = web.get(stack.url + proven.headers["Location"], timeout=15)
    assert "Nomor HP terverifikasi. Sekarang Anda bisa berjualan" in home.text
    assert "belum terverifikasi" not in home.text
    opened = web.post(stack.url + "/penjual/toko", data={**shop, **hidden_fields(home.text)}, timeout=15,
                      allow_redirects=False)
    assert opened.status_code == 303 and "note=shop_created" in opened.headers["Location"], opened.text


# a few official regions (from data/wilayah/wilayah.csv): enough for the stepwise picker, loaded in a second
SOME_REGIONS = """kode,nama
35,Jawa Timur
35.05,Kabupaten Blitar
35.05.06,Ponggok
35.05.06.2001,Bacem
35.05.07,Sanankulon
35.05.07.2001,Kalipucung
35.05.07.2002,Bendosari
"""


def test_a_shop_picks_its_official_village_step_by_step_and_the_fee_comes_from_the_codes(stack, tmp_path):
    """Issue 18: the shop's village by stepwise selects (no JavaScript), then an order to an address in the same
    district by code, whose district name is spelled otherwise, pays the same-district fee."""
    regions_csv = tmp_path / "regions.csv"
    regions_csv.write_text(SOME_REGIONS, encoding="utf-8")
    done = subprocess.run([str(BIN / "pasar"), "gateway", "load-regions", str(regions_csv)], env=stack.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    tag = uuid.uuid4().hex[:6]
    seller_id = f"seller-{tag}"
    seller = stack.client(seller_id, "seller", name="Bu Sari")
    status, shop = seller.post("/api/v1/shops", json={"name": f"Anyaman {tag}", "village": "Kalipucng (typo)",
                                                      "district": "Sanankulon", "regency": "Blitar"})
    assert status == 201 and shop["village_code"] is None  # opened the old way: typed names, no code
    status, listing = seller.post("/api/v1/products", json={"shop_id": shop["id"], "title": f"Tikar {tag}",
                                                            "category": "hasil-bumi", "price": 50000, "stock": 5,
                                                            "status": "published"})
    assert status == 201, listing

    web = requests.Session()
    web.cookies.set("pd_at", stack.token(seller_id, "seller", name="Bu Sari"))
    home = web.get(stack.url + f"/penjual?toko={shop['id']}", timeout=15)
    assert "Toko ini belum memilih desa dari daftar resmi" in home.text
    path = stack.url + f"/penjual/toko/{shop['id']}/desa"
    page = web.get(path, timeout=15)
    assert page.status_code == 200 and '<option value="35" >Jawa Timur</option>' in page.text
    csrf = hidden_fields(page.text)["csrf"]
    steps = {"csrf": csrf}
    for step, code, shown in (("province", "35", "Kabupaten Blitar"), ("regency", "35.05", "Sanankulon"),
                              ("district", "35.05.07", "Kalipucung")):
        steps[step] = code
        page = web.post(path, data={**steps, "pilih": step}, timeout=15)
        assert page.status_code == 200 and shown in page.text, step
    missing = web.post(path, data=steps, timeout=15, allow_redirects=False)  # no village chosen yet
    assert missing.status_code == 422 and "lalu desa/kelurahan" in missing.text
    saved = web.post(path, data={**steps, "village_code": "35.05.07.2001"}, timeout=15, allow_redirects=False)
    assert saved.status_code == 303 and "note=saved" in saved.headers["Location"], saved.text
    status, shop = seller.get(f"/api/v1/shops/{shop['id']}")
    assert (shop["village_code"], shop["district_code"], shop["village"], shop["district"], shop["regency"],
            shop["province"]) == ("35.05.07.2001", "35.05.07", "Kalipucung", "Sanankulon", "Kabupaten Blitar",
                                  "Jawa Timur")

    shopper = stack.client(f"shopper-{tag}", "shopper", name="Bu Wati")
    status, order = shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing["id"], "qty": 1}], "payment_method": "cod",
        "delivery_address": {"name": "Bu Wati", "phone": "081234567890", "street": "Jl. Mawar 3",
                             "village": "Bendosari", "district": "Kec. Sanankulon", "regency": "Blitar",
                             "village_code": "35.05.07.2002", "district_code": "35.05.07"}})
    assert status == 201, order
    confirmed = wait_until(lambda: (lambda o: o if o.get("status") == "CONFIRMED" else None)(
        shopper.get(f"/api/v1/orders/{order['id']}")[1]), timeout=30, message="the COD order confirmed")
    assert confirmed["delivery_total"] == 10000  # same district by code, though "Kec. Sanankulon" is typed otherwise
    assert confirmed["fulfillments"][0]["pickup"]["district_code"] == "35.05.07"


def test_an_email_only_seller_adds_a_phone_on_the_code_page_and_proves_it(stack):
    ip, phone = client_ip(), unique_phone()
    email = f"sari{uuid.uuid4().hex[:6]}@desa.id"
    sign_up(stack, ip, email=email, role="seller")
    web = requests.Session()  # logged in on the pages, so the cookies are the ones the pages set
    web.headers.update(ip)
    form = web.get(stack.url + "/masuk", timeout=15)
    logged_in = web.post(stack.url + "/masuk", timeout=15, allow_redirects=False, data={
        **hidden_fields(form.text), "identifier": email, "password": "rahasia-desa-1"})
    assert logged_in.status_code == 303, logged_in.text
    page = web.get(stack.url + "/verifikasi-hp", timeout=15)
    assert "Akun Anda belum punya nomor HP" in page.text
    added = web.post(stack.url + "/verifikasi-hp", timeout=15, allow_redirects=False,
                     data={**hidden_fields(page.text), "action": "phone", "phone": phone})
    assert added.status_code == 303 and "note=sent" in added.headers["Location"], added.text
    page = web.get(stack.url + added.headers["Location"], timeout=15)
    assert "Kode 6 angka sudah dikirim lewat WhatsApp ke +62" + phone[1:] in page.text
    code = whatsapp_code(stack, "+62" + phone[1:], VERIFY_WORDS)
    proven = web.post(stack.url + "/verifikasi-hp", timeout=15, allow_redirects=False,
                      data={**hidden_fields(page.text), "action": "verify", "code": code})
    assert proven.status_code == 303 and proven.headers["Location"] == "/penjual?note=phone_verified"
    home = web.get(stack.url + "/penjual", timeout=15)
    shop = {**hidden_fields(home.text), "name": "Anyaman Bu Sari", "district": "Sanankulon", "regency": "Blitar"}
    opened = web.post(stack.url + "/penjual/toko", data=shop, timeout=15, allow_redirects=False)
    assert opened.status_code == 303 and "note=shop_created" in opened.headers["Location"], opened.text


def test_a_courier_picks_the_official_district_step_by_step_and_keeps_it_when_going_on_duty(stack, tmp_path):
    regions_csv = tmp_path / "regions.csv"
    regions_csv.write_text(SOME_REGIONS, encoding="utf-8")
    done = subprocess.run([str(BIN / "pasar"), "gateway", "load-regions", str(regions_csv)], env=stack.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    courier_id = f"courier-{uuid.uuid4().hex[:6]}"
    web = requests.Session()
    web.cookies.set("pd_at", stack.token(courier_id, "courier", name="Mas Joko", district="Sanankulon"))
    page = web.get(stack.url + "/kurir/kecamatan", timeout=15)
    assert page.status_code == 200 and "Jawa Timur" in page.text
    steps = {"csrf": hidden_fields(page.text)["csrf"]}
    for step, code, shown in (("province", "35", "Kabupaten Blitar"), ("regency", "35.05", "Ponggok")):
        steps[step] = code
        page = web.post(stack.url + "/kurir/kecamatan", data={**steps, "pilih": step}, timeout=15)
        assert page.status_code == 200 and shown in page.text, step
    saved = web.post(stack.url + "/kurir/kecamatan", data={**steps, "district": "35.05.07"}, timeout=15,
                     allow_redirects=False)
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/kurir?note=district_saved")
    home = web.get(stack.url + saved.headers["Location"], timeout=15)
    assert "Kecamatan resmi tersimpan." in home.text and "(35.05.07)" in home.text
    on_duty = web.post(stack.url + "/kurir/siaga", data={"csrf": steps["csrf"], "available": "1",
                                                          "district": "Sanankulon"}, timeout=15, allow_redirects=False)
    assert on_duty.status_code == 303 and "note=on_duty" in on_duty.headers["Location"]
    status, me = stack.client(courier_id, "courier").get("/api/v1/couriers/me")
    assert (me["available"], me["district"], me["district_code"]) == (True, "Sanankulon", "35.05.07")
