"""Cooperatives (issue 17) with every real process behind the gateway: a sale of a shop run by the cooperative's
agent for one of its members is shared four ways (crafter / agent / cooperative / platform), held until the buyer
receives it, then available; the ledger sums to zero after each step. An officer records a member payout (once per
Idempotency-Key, through the API and through the page form); the member sees it on "Pembayaran saya"; the monthly
statement renders as a PDF in Bahasa Indonesia (opened as an image, its text read). Members see only their own;
only officers manage."""
from __future__ import annotations

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import requests

from tests.e2e.test_orders_e2e import _ok, address, wait_status
from tests.support.infra import wait_until


def accounts(stack) -> dict:
    platform = _ok(stack.client("admin-coop", "admin").get("/api/v1/balances"))
    assert platform["total"] == 0, platform  # every ledger transaction sums to zero, so the whole ledger does
    return platform["accounts"]


def browser_like(stack, user_id: str, role: str) -> requests.Session:
    web = requests.Session()
    web.cookies.set("pd_at", stack.token(user_id, role, name="Bu Ketua", district="Pujut"))
    return web


def hidden_fields(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="(csrf|form_key)" value="([^"]+)"', html))


def pdf_text_and_image(data: bytes) -> tuple[str, tuple[int, int]]:
    import pypdfium2
    pdf = pypdfium2.PdfDocument(data)
    try:
        page = pdf[0]
        image = page.render(scale=2).to_pil()
        text = page.get_textpage().get_text_range()
        return text, image.size
    finally:
        pdf.close()


def test_an_assisted_sale_split_four_ways_a_member_payout_and_the_monthly_statement(stack):
    tag = uuid.uuid4().hex[:6]
    here = f"Kec-{tag}"
    admin = stack.client(f"admin-{tag}", "admin")
    officer_id, member_id, other_id, agent_id = (f"{who}-{tag}" for who in ("ketua", "perajin", "anggota", "agen"))
    officer, member = stack.client(officer_id, "seller"), stack.client(member_id, "seller")
    other, agent = stack.client(other_id, "seller"), stack.client(agent_id, "agent")
    stranger = stack.client(f"stranger-{tag}", "seller")

    # the cooperative, its member (a weaver with an account), another member, and the agent who runs her shop
    coop = _ok(admin.post("/api/v1/cooperatives", json={"name": f"Koperasi Tenun {tag}", "village": "Sukarara",
                                                         "district": here, "officers": [
                                                             {"person_id": officer_id, "name": "Baiq Nurul"}]}), 201)
    coop_id = coop["id"]
    for person, role, name in ((member_id, "member", "Inaq Rahmah"), (other_id, "member", "Amaq Sahli"),
                               (agent_id, "agent", "Lalu Hamdani")):
        _ok(officer.post(f"/api/v1/cooperatives/{coop_id}/people",
                         json={"person_id": person, "role": role, "name": name}))
    assert member.post(f"/api/v1/cooperatives/{coop_id}/people",
                       json={"person_id": f"x-{tag}", "role": "member"})[0] == 403  # a member does not manage
    bad = officer.put(f"/api/v1/cooperatives/{coop_id}/splits", json={
        "scope": "agent", "subject_id": agent_id, "crafter_bp": 7000, "agent_bp": 1000, "cooperative_bp": 1500,
        "platform_bp": 400})
    assert bad[0] == 422 and "shares" in bad[1]["error"]["fields"]
    _ok(officer.put(f"/api/v1/cooperatives/{coop_id}/splits", json={
        "scope": "agent", "subject_id": agent_id, "crafter_bp": 7000, "agent_bp": 1000, "cooperative_bp": 1500,
        "platform_bp": 500}))

    # the weaver's shop, run by the agent; a mat at Rp 33.333
    slug = f"coop-{tag}"
    _ok(admin.post("/api/v1/categories", json={"slug": slug, "name_id": "Tenun", "name_en": "Weaving"}), 201)
    shop = _ok(admin.post("/api/v1/shops", json={"name": f"Tenun Inaq Rahmah {tag}", "street": "Jl. Raya Sukarara",
                                                  "village": "Sukarara", "district": here, "regency": "Blitar",
                                                  "seller_id": member_id, "agent_id": agent_id}), 201)
    listing = _ok(agent.post("/api/v1/products", json={"shop_id": shop["id"], "title": "Kain tenun songket",
                                                       "category": slug, "price": 33333, "stock": 3,
                                                       "status": "published"}), 201)
    commission_before = accounts(stack).get("platform:commission", 0)

    courier_id = f"courier-{tag}"
    courier = stack.client(courier_id, "courier", district=here, name="Pak Joko")
    _ok(courier.put("/api/v1/couriers/me", json={"available": True}))
    shopper = stack.client(f"shopper-{tag}", "shopper")
    order = _ok(shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing["id"], "qty": 1}], "payment_method": "cod",
        "delivery_address": address(here)}, headers={"Idempotency-Key": str(uuid.uuid4())}), 201)
    parcel = wait_status(shopper, order["id"], "CONFIRMED")["fulfillments"][0]
    assert parcel["agent_id"] == agent_id
    _ok(agent.post(f"/api/v1/fulfillments/{parcel['id']}/ready"))
    _ok(courier.post(f"/api/v1/deliveries/{parcel['id']}/accept"))
    _ok(courier.post(f"/api/v1/deliveries/{parcel['id']}/pickup"))
    _ok(courier.post(f"/api/v1/deliveries/{parcel['id']}/deliver",
                     json={"cod_amount_collected": parcel["cod_amount_due"]}))

    # delivered: 70 / 10 / 15 / 5 % of Rp 33.333 in whole rupiah (exact 23333.1 / 3333.3 / 4999.95 / 1666.65: the
    # two leftover rupiah go to the largest fractions), every part held until the buyer receives
    view = wait_until(lambda: (lambda v: v if v["balance"]["held"] else None)(
        _ok(officer.get(f"/api/v1/cooperatives/{coop_id}"))), timeout=20, message="the sale shared")
    assert view["balance"] == {"held": 5000, "available": 0, "members_available": 0, "currency": "IDR"}
    mine = {m["person_id"]: m for m in view["members"]}
    assert (mine[member_id]["held"], mine[member_id]["available"]) == (23333, 0)
    assert [(a["held"], a["available"]) for a in view["agents"]] == [(3333, 0)]
    ledger = accounts(stack)
    assert ledger[f"seller_held:{member_id}"] == -23333 and ledger[f"agent_held:{agent_id}"] == -3333
    assert ledger[f"coop_held:{coop_id}"] == -5000
    assert ledger["platform:commission"] - commission_before == -1667
    assert ledger[f"courier_earnings:{courier_id}"] == -parcel["delivery_fee"]

    # the buyer receives it: every part available
    _ok(shopper.post(f"/api/v1/orders/{order['id']}/fulfillments/{parcel['id']}/receive"))
    view = wait_until(lambda: (lambda v: v if v["balance"]["available"] else None)(
        _ok(officer.get(f"/api/v1/cooperatives/{coop_id}"))), timeout=20, message="the parts released")
    assert (view["balance"]["held"], view["balance"]["available"], view["balance"]["members_available"]) == (
        0, 5000, 23333)
    assert [(a["held"], a["available"]) for a in view["agents"]] == [(0, 3333)]
    ledger = accounts(stack)
    assert ledger[f"seller_payable:{member_id}"] == -23333 and ledger[f"coop_payable:{coop_id}"] == -5000
    assert ledger.get(f"seller_held:{member_id}", 0) == 0 and ledger[f"agent_payable:{agent_id}"] == -3333
    own = _ok(agent.get("/api/v1/balances/managed"))
    assert (own["agent_held"], own["agent_available"]) == (0, 3333)  # the agent reads its own part
    agent_page = browser_like(stack, agent_id, "agent").get(stack.url + "/penjual/uang", timeout=15)
    assert "Bagian Anda sebagai agen koperasi" in agent_page.text and "Rp 3.333" in agent_page.text

    # the officer records a transfer to the member, once per key
    key = str(uuid.uuid4())
    payout = {"member_id": member_id, "amount": 20000, "method": "bank", "reference": "BRI-7781"}
    first = _ok(officer.post(f"/api/v1/cooperatives/{coop_id}/payouts", json=payout,
                             headers={"Idempotency-Key": key}), 201)
    again = _ok(officer.post(f"/api/v1/cooperatives/{coop_id}/payouts", json=payout,
                             headers={"Idempotency-Key": key}))
    assert again["id"] == first["id"]
    code, body = officer.post(f"/api/v1/cooperatives/{coop_id}/payouts", json={**payout, "amount": 10000},
                              headers={"Idempotency-Key": str(uuid.uuid4())})
    assert (code, body["error"]["code"]) == (409, "insufficient_balance")  # only Rp 3.333 left
    code, body = officer.post(f"/api/v1/cooperatives/{coop_id}/payouts", json={**payout, "reference": None},
                              headers={"Idempotency-Key": str(uuid.uuid4())})
    assert code == 422 and "reference" in body["error"]["fields"]
    assert member.post(f"/api/v1/cooperatives/{coop_id}/payouts", json={**payout, "amount": 1},
                       headers={"Idempotency-Key": str(uuid.uuid4())})[0] == 403
    assert stranger.post(f"/api/v1/cooperatives/{coop_id}/payouts", json={**payout, "amount": 1},
                         headers={"Idempotency-Key": str(uuid.uuid4())})[0] == 404
    ledger = accounts(stack)
    assert ledger[f"seller_payable:{member_id}"] == -3333

    # the member sees what they were paid and when; the other member and strangers see none of it
    paid = _ok(member.get("/api/v1/cooperatives/payouts/mine"))
    assert [(p["amount"], p["method"], p["reference"]) for p in paid["payouts"]] == [(20000, "bank", "BRI-7781")]
    assert paid["payouts"][0]["paid_at"] and paid["available"] == 3333
    assert _ok(other.get("/api/v1/cooperatives/payouts/mine"))["payouts"] == []
    assert _ok(other.get(f"/api/v1/cooperatives/{coop_id}/payouts?member_id={member_id}")) == []
    assert other.get(f"/api/v1/cooperatives/{coop_id}")[0] == 403
    assert stranger.get(f"/api/v1/cooperatives/{coop_id}")[0] == 404
    month = datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m")
    assert other.get(f"/api/v1/cooperatives/{coop_id}/members/{member_id}/statements/{month}")[0] == 404

    # the officer's page: a cash payout through the form (sent twice, recorded once)
    web = browser_like(stack, officer_id, "seller")
    page = web.get(stack.url + f"/koperasi/{coop_id}", timeout=15)
    assert page.status_code == 200 and "Inaq Rahmah" in page.text and "Rp 5.000" in page.text
    form = {**hidden_fields(page.text), "member_id": member_id, "amount": "1.000", "method": "cash",
            "note": "Diserahkan di balai desa"}
    sent = [web.post(stack.url + f"/koperasi/{coop_id}/bayar", data=form, timeout=15, allow_redirects=False)
            for _ in range(2)]
    assert [s.status_code for s in sent] == [303, 303]
    assert "Pembayaran dicatat." in web.get(stack.url + sent[0].headers["Location"], timeout=15).text
    assert [p["amount"] for p in _ok(member.get("/api/v1/cooperatives/payouts/mine"))["payouts"]] == [1000, 20000]
    assert accounts(stack)[f"seller_payable:{member_id}"] == -2333

    # the member's page "Pembayaran saya"
    member_web = browser_like(stack, member_id, "seller")
    page = member_web.get(stack.url + "/pembayaran-saya", timeout=15)
    assert page.status_code == 200
    assert "Rp 20.000" in page.text and "BRI-7781" in page.text and "Rp 1.000" in page.text
    assert member_web.get(stack.url + f"/koperasi/{coop_id}", timeout=15).status_code == 403

    # the monthly statements as printable PDFs in Bahasa Indonesia
    answer = member_web.get(stack.url + f"/koperasi/{coop_id}/anggota/{member_id}/laporan/{month}.pdf", timeout=15)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/pdf"
    text, size = pdf_text_and_image(answer.content)
    assert size[0] > 1000 and size[1] > 1400  # an A4 page drawn at 2x
    for words in ("Laporan Bulanan Anggota", "Inaq Rahmah", "Bagian dari penjualan bulan ini", "Rp 23.333",
                  "Dibayarkan koperasi bulan ini", "Rp 21.000", "Transfer bank", "BRI-7781", "Tunai",
                  "Saldo tersedia akhir bulan", "Rp 2.333"):
        assert words in text, (words, text)
    answer = web.get(stack.url + f"/koperasi/{coop_id}/laporan/{month}.pdf", timeout=15)
    assert answer.status_code == 200
    text, _ = pdf_text_and_image(answer.content)
    for words in ("Laporan Bulanan Koperasi", f"Koperasi Tenun {tag}", "Rp 5.000", "Amaq Sahli",
                  "Dibayarkan ke anggota bulan ini", "Rp 21.000"):
        assert words in text, (words, text)
    assert browser_like(stack, other_id, "seller").get(
        stack.url + f"/koperasi/{coop_id}/anggota/{member_id}/laporan/{month}.pdf", timeout=15).status_code == 404
    assert member_web.get(stack.url + f"/koperasi/{coop_id}/laporan/{month}.pdf", timeout=15).status_code == 404
    accounts(stack)
