"""The English switch works on every page: each main page of every kind of user, in English, shows no
Indonesian words of the pages' own (the villagers' product names and stories stay as they wrote them)."""
from __future__ import annotations

import re
import uuid

from gateway.web.i18n import EN
from tests.support.infra import wait_until

from .test_pages_shopper import seller_with_product

# Indonesian texts of the pages that read differently in English, as whole words ("Status" and "Total" are the same
# in both languages and are not listed; "Draf" is inside "Draft", so very short words are left out)
INDONESIAN = [(k, re.compile(r"(?<!\w)" + re.escape(k) + r"(?!\w)"))
              for k in sorted({k for k, v in EN.items() if v != k and len(k) >= 5}, key=len, reverse=True)]
UI = "h1, h2, h3, label, legend, button, summary, th, nav a, a.button, .notice, .warn, .error, .badge, .sandbox, option"


def leftovers(page) -> list[str]:
    texts = page.locator(UI).all_inner_texts()
    return sorted({words for text in texts for words, pattern in INDONESIAN if pattern.search(text)})


def test_every_main_page_reads_in_english(stack, browse):
    tag = uuid.uuid4().hex[:6]
    district = f"Wlingi-{tag}"
    seller, shop, listing = seller_with_product(stack, f"Kopi Pak Min {tag}", "Beru", district, f"Kopi bubuk {tag}", 30000)
    shopper = stack.client(f"shopper-{tag}", "shopper", name="Emma", district=district)
    status, order = shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing["id"], "qty": 1}], "payment_method": "card",
        "delivery_address": {"name": "Emma", "phone": "081234567002", "street": "Jl. Anggrek 2", "district": district}})
    assert status == 201, order
    agent = stack.client(f"agent-{tag}", "agent", name="Mas Agus")
    status, _ = agent.post("/api/v1/shops", json={"name": f"Gerabah Mbah Tin {tag}", "owner_name": "Mbah Tin",
                                                  "village": "Beru", "district": district, "regency": "Blitar"})
    assert status == 201
    courier = stack.token(f"courier-{tag}", "courier", name="Joko", district=district)
    wait_until(lambda: shopper.get(f"/api/v1/orders/{order['id']}")[1]["status"] == "AWAITING_PAYMENT", timeout=15,
               interval=0.3, message="the card order waiting for its payment")

    def token(client):
        return client.session.headers["Authorization"].split()[1]

    visits = {
        None: ["/", "/cari?q=kopi", f"/produk/{listing['id']}", f"/toko/{shop['id']}", "/keranjang", "/masuk",
               "/daftar", "/cari?harga_min=9000&harga_maks=10"],
        token(shopper): ["/pesanan", f"/pesanan/{order['id']}", f"/bayar/{order['id']}", "/notifikasi", "/checkout"],
        token(seller): ["/penjual", "/penjual/produk/baru", f"/penjual/produk/{listing['id']}", "/penjual/pesanan",
                        f"/penjual/toko/{shop['id']}/ubah", "/penjual/uang"],
        token(agent): ["/penjual", "/penjual/toko/baru", "/penjual/uang"],
        courier: ["/kurir"],
        stack.token(f"admin-{tag}", "admin", name="Operator"): ["/operator/komplain?status=all"],
    }
    problems = {}
    for who, paths in visits.items():
        person = browse(f"english {who and who[:8]}", javascript=False, token=who)
        person.context.add_cookies([{"name": "lang", "value": "en", "url": stack.url},
                                    {"name": "pd_cart", "value": f"{listing['id']}:1", "url": stack.url}])
        for path in paths:
            person.goto(path)
            assert person.page.locator("html").get_attribute("lang") == "en", path
            found = leftovers(person.page)
            if found:
                problems[path] = found
    assert not problems, f"Indonesian left on English pages: {problems}"
