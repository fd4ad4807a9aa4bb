"""On a slow village link a form is often sent twice: a double tap, or the phone resending after the answer was
lost. Each page form carries a one-time key, so the second arrival changes nothing: one listing, one order."""
from __future__ import annotations

import re
import uuid

import requests

from tests.browser.test_pages_shopper import seller_with_product
from tests.support.infra import wait_until

ADDRESS = {"name": "Pak Budi", "phone": "0812-3456-7890", "street": "Jl. Mawar 3", "village": "Sumberejo",
           "district": "Sanankulon", "regency": "Blitar"}


def browser_like(stack, user_id: str, role: str, **cookies) -> requests.Session:
    session = requests.Session()
    session.cookies.set("pd_at", stack.token(user_id, role, name="Bu Sari", district="Sanankulon"))
    for name, value in cookies.items():
        session.cookies.set(name, value)
    return session


def hidden_fields(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="(csrf|form_key)" value="([^"]+)"', html))


def test_a_listing_form_sent_twice_lists_the_product_once(stack):
    seller, shop, _ = seller_with_product(stack, f"Anyaman {uuid.uuid4().hex[:6]}", "Bendo", "Sanankulon",
                                          "Tikar pandan", 25000)
    seller_id = seller.get("/api/v1/shops?mine=true")[1]["items"][0]["seller_id"]
    web = browser_like(stack, seller_id, "seller")
    form = web.get(stack.url + f"/penjual/produk/baru?toko={shop['id']}", timeout=15)
    assert form.status_code == 200
    fields = hidden_fields(form.text)
    assert set(fields) == {"csrf", "form_key"}
    data = {**fields, "title": "Tas anyaman pandan", "category": "anyaman", "unit": "pcs", "price": "65.000",
            "stock": "4", "description": "Dianyam tangan."}
    answers = [web.post(stack.url + f"/penjual/produk/baru?toko={shop['id']}", data=data, timeout=15,
                        allow_redirects=False) for _ in range(2)]
    assert [a.status_code for a in answers] == [303, 303]
    listed = seller.get(f"/api/v1/shops/{shop['id']}/products?status=all")[1]["items"]
    assert [p["title"] for p in listed].count("Tas anyaman pandan") == 1
    # a new visit to the form is a new listing
    again = {**data, **hidden_fields(web.get(stack.url + f"/penjual/produk/baru?toko={shop['id']}", timeout=15).text)}
    assert again["form_key"] != data["form_key"]
    web.post(stack.url + f"/penjual/produk/baru?toko={shop['id']}", data=again, timeout=15, allow_redirects=False)
    listed = seller.get(f"/api/v1/shops/{shop['id']}/products?status=all")[1]["items"]
    assert [p["title"] for p in listed].count("Tas anyaman pandan") == 2


def test_a_checkout_sent_twice_places_one_order(stack):
    _, _, listing = seller_with_product(stack, f"Kopi {uuid.uuid4().hex[:6]}", "Bendo", "Sanankulon",
                                        "Kopi robusta", 45000)
    shopper_id = f"shopper-{uuid.uuid4().hex[:8]}"
    web = browser_like(stack, shopper_id, "shopper", pd_cart=f"{listing['id']}:2")
    form = web.get(stack.url + "/checkout", timeout=15)
    assert form.status_code == 200
    # the whole price is shown before ordering: goods plus one delivery fee (same district as the shop)
    shown = re.sub(r"<[^>]+>", "", form.text).replace("\u00a0", " ").replace("&nbsp;", " ")
    assert "Ongkos kirim dari Kopi" in shown and "Total bayar: Rp 100.000" in shown
    data = {**hidden_fields(form.text), **ADDRESS, "payment_method": "cod"}
    cookies = web.cookies.get_dict()  # the first answer is lost on the way: the phone resends what it had

    def send():
        return requests.post(stack.url + "/checkout", data=data, cookies=cookies, timeout=15, allow_redirects=False)
    answers = [send(), send()]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]  # the same order's page
    orders = stack.client(shopper_id, "shopper").get("/api/v1/orders")[1]["orders"]
    assert len(orders) == 1 and orders[0]["items"] == [{"listing_id": listing["id"], "qty": 2}]
    placed = stack.client(shopper_id, "shopper").get(f"/api/v1/orders/{orders[0]['id']}")[1]
    wait_until(lambda: stack.client(shopper_id, "shopper").get(f"/api/v1/orders/{orders[0]['id']}")[1]["status"]
               == "CONFIRMED", timeout=15, interval=0.2, message="the COD order confirmed")
    confirmed = stack.client(shopper_id, "shopper").get(f"/api/v1/orders/{orders[0]['id']}")[1]
    assert placed["id"] == confirmed["id"] and confirmed["total"] == 100000  # what the checkout page said
