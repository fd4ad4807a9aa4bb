"""A courier goes on duty, gets a delivery live (no reload), accepts it, picks it up, and delivers it
collecting the cash on delivery."""
from __future__ import annotations

import re
import uuid

from tests.support.infra import wait_until

from .test_pages_shopper import seller_with_product

ADDRESS = {"name": "Bu Wati", "phone": "+6281234567000", "street": "Jl. Melati 9", "village": "Bendo",
           "district": "", "regency": "Blitar", "province": "Jawa Timur", "notes": "Rumah pagar hijau"}


def test_courier_gets_the_delivery_live_picks_it_up_and_delivers_it_with_cod_cash(stack, browse):
    tag = uuid.uuid4().hex[:6]
    district = f"Ponggok-{tag}"
    seller, shop, listing = seller_with_product(stack, f"Keripik Bu Rini {tag}", "Bacem", district,
                                                f"Keripik tempe {tag}", 15000)
    # the shop is in Lombok (WITA); the shopper in East Java (WIB): each time on its own place's clock
    status, _ = seller.patch(f"/api/v1/shops/{shop['id']}", json={"province": "NTB"})
    assert status == 200
    courier = browse("courier")
    courier.register("Mas Joko", f"0857{uuid.uuid4().int % 10**8:08d}", "courier", district)
    assert courier.page.url.endswith("/kurir?note=phone_verified")  # the sign-up code proved the number
    courier.page.get_by_role("button", name="Mulai bertugas").click()
    courier.page.wait_for_load_state()
    assert "Anda siap menerima antaran." in courier.notices()
    assert "Siap mengantar" in courier.text()
    courier.check("courier")

    shopper = stack.client(f"shopper-{tag}", "shopper", name="Bu Wati")
    status, order = shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing["id"], "qty": 2}], "payment_method": "cod",
        "delivery_address": {**ADDRESS, "district": district}})
    assert status == 201, order

    def fulfillment():
        _, body = seller.get("/api/v1/fulfillments")
        found = [f for f in body.get("fulfillments", []) if f["order_id"] == order["id"]]
        return found[0] if found and found[0].get("order_status") == "CONFIRMED" else None
    work = wait_until(fulfillment, timeout=15, interval=0.3, message="the COD order confirmed for the seller")
    status, _ = seller.post(f"/api/v1/fulfillments/{work['id']}/ready")
    assert status == 200

    # the open courier page shows the offer without the courier touching anything
    delivery = courier.page.locator("li.delivery", has_text=f"#{order['id'][:8]}")
    delivery.wait_for(state="visible", timeout=15_000)
    text = delivery.inner_text()
    # pickup, and where the drop-off roughly is: the shopper's street and phone come once accepted (issue 16)
    assert f"Keripik Bu Rini {tag}" in text and "Bendo" in text
    assert "Jl. Melati 9" not in text and "6281234567000" not in text
    assert "Tagih tunai" in text
    assert re.search(r"Siap diambil: \d+ \w+ \d{4}, \d\d\.\d\d\sWITA", text), text  # ready at the Lombok shop
    # ...and the live feed on the same page brings the news of the offer
    wait_until(lambda: courier.page.locator("#feed li").count() > 0, timeout=15, interval=0.3,
               message="the offer's notification in the courier page's live feed")
    cash_due = next(line for line in text.splitlines() if "Tagih tunai" in line).split("Tagih tunai:")[1].strip()
    courier.check("courier-offer")

    delivery.get_by_role("button", name="Terima").click()
    courier.page.wait_for_load_state()
    assert "Antaran diterima." in courier.notices()
    assert "Jl. Melati 9" in courier.page.locator("li.delivery", has_text=f"#{order['id'][:8]}").inner_text()
    courier.page.locator("li.delivery", has_text=f"#{order['id'][:8]}").get_by_role("button", name="Sudah diambil").click()
    courier.page.wait_for_load_state()
    assert "Barang sudah diambil." in courier.notices()
    row = courier.page.locator("li.delivery", has_text=f"#{order['id'][:8]}")
    row.get_by_label("Uang tunai yang diterima (Rp)").fill("1000")  # wrong amount first: refused
    row.get_by_role("button", name="Sudah sampai").click()
    courier.page.wait_for_load_state()
    assert "Jumlah uang tunai tidak sama dengan tagihan." in courier.notices()
    row = courier.page.locator("li.delivery", has_text=f"#{order['id'][:8]}")
    row.get_by_label("Uang tunai yang diterima (Rp)").fill(cash_due)
    courier.check("courier-deliver")
    row.get_by_role("button", name="Sudah sampai").click()
    courier.page.wait_for_load_state()
    assert "Terima kasih! Barang sudah sampai." in courier.notices()
    assert courier.page.locator("li.delivery", has_text=f"#{order['id'][:8]}").count() == 0
    done = courier.page.locator("li", has_text=f"#{order['id'][:8]} — Keripik Bu Rini {tag}").inner_text()
    assert re.search(r"Sudah sampai \d+ \w+ \d{4}, \d\d\.\d\d\sWIB", done), done  # handed over in East Java

    status, final = shopper.get(f"/api/v1/orders/{order['id']}")
    assert final["fulfillments"][0]["status"] == "DELIVERED"
    assert final["fulfillments"][0]["cod_amount_collected"] == int(cash_due.replace("Rp", "").replace(".", ""))

    def inbox_has_news():
        courier.goto("/notifikasi")
        return courier.page.locator("#feed li").count() > 0
    wait_until(inbox_has_news, timeout=15, interval=0.5, message="the courier's notifications in the inbox")
    courier.check("notifications")
