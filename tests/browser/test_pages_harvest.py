"""Issue 17, must-show 5 (part) on a phone (390x844): a farmer opens a harvest batch for chilies from the seller's
pages without JavaScript — expected day, at most 20 kg, Rp 40.000/kg, paid at harvest — and the shop's product
page then says "Pra-pesan, panen ± <day>"; a signed-in shopper pre-orders 2 kg paying cash on delivery and their
order waits for the harvest; the farmer records a short harvest on the same page."""
from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

from tests.support.infra import wait_until

MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def test_a_farmer_opens_a_harvest_batch_from_a_phone_and_a_shopper_pre_orders(browse, stack):
    tag = uuid.uuid4().hex[:6]
    farmer_id = f"farmer-{tag}"
    api = stack.client(farmer_id, "seller", name="Pak Darto")
    code, shop = api.post("/api/v1/shops", json={"name": f"Kebun Pak Darto {tag}", "street": "Jl. Sawah 2",
                                                 "village": "Serang", "district": "Karangreja",
                                                 "regency": "Purbalingga"})
    assert code == 201, shop
    code, listing = api.post("/api/v1/products", data=json.dumps({
        "shop_id": shop["id"], "title": f"Cabai rawit {tag}", "category": "hasil-bumi", "unit": "kg", "price": 42000,
        "status": "published", "stock": "0", "min_qty": "0.5", "qty_step": "0.5"}),
        headers={"Content-Type": "application/json"})
    assert code == 201, listing
    token = stack.token(farmer_id, "seller", name="Pak Darto")
    farmer = browse("farmer", javascript=False, token=token)
    farmer.goto("/penjual")
    page = farmer.page
    page.locator("ul.list > li", has_text=f"Cabai rawit {tag}").get_by_role("link", name="Pra-pesan panen").click()
    page.wait_for_load_state()
    assert "Belum ada pra-pesan panen." in farmer.text()
    day = date.today() + timedelta(days=10)
    page.get_by_label("Perkiraan tanggal panen *").fill(day.isoformat())
    page.get_by_label("Paling banyak dipesan (kg) *").fill("20")
    page.get_by_label("Harga per satuan (Rp) *").fill("40000")
    page.get_by_label("Saat panen tiba").check()
    page.screenshot(path=str(farmer.shots / "harvest-open-form-no-js.png"), full_page=True)
    page.get_by_role("button", name="Buka pra-pesan").click()
    page.wait_for_load_state()
    assert "Pra-pesan panen dibuka." in farmer.notices(), farmer.notices()
    shown = f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"
    text = farmer.text()
    assert f"Panen ± {shown}" in text and "Sisa: 20 kg" in text and "Saat panen tiba" in text, text
    assert page.get_by_role("button", name="Buka pra-pesan").count() == 0     # one open batch at a time
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= 390, f"the page is {wide}px wide on a 390px phone"
    checker = browse("farmer-axe", token=token)
    checker.goto(f"/penjual/produk/{listing['id']}/panen")
    checker.check("harvest-seller-page")

    # the storefront says it, and a shopper pre-orders 2 kg, cash on delivery
    buyer_id = f"shopper-{tag}"
    buyer = browse("buyer", token=stack.token(buyer_id, "shopper", name="Siti", district="Karangreja"))
    buyer.goto(f"/produk/{listing['id']}")
    assert f"Pra-pesan, panen ± {shown}" in buyer.text(), buyer.text()
    buyer.check("harvest-product-page")
    buyer.page.get_by_label("Jumlah pra-pesan").fill("2")
    buyer.page.get_by_role("button", name="Pra-pesan", exact=True).click()
    buyer.page.wait_for_load_state()
    assert f"Pra-pesan, panen ± {shown}" in buyer.text() and "Rp 80.000" in buyer.text(), buyer.text()
    for field_id, value in (("f-name", "Siti"), ("f-phone", "081234567890"), ("f-street", "Jl. Mawar 3"),
                            ("f-district", "Karangreja"), ("f-regency", "Purbalingga")):
        field = buyer.page.locator(f"#{field_id}")
        if not field.input_value():
            field.fill(value)
    buyer.page.locator("#pm-cod").check()
    buyer.page.get_by_role("button", name="Buat pesanan").click()
    buyer.page.wait_for_load_state()
    order_id = buyer.page.url.rstrip("/").split("/")[-1].split("?")[0]
    shopper_api = stack.client(buyer_id, "shopper")
    wait_until(lambda: shopper_api.get(f"/api/v1/orders/{order_id}")[1].get("status") == "AWAITING_HARVEST",
               timeout=20, message="the pre-order waits for the harvest")
    buyer.goto(f"/pesanan/{order_id}")
    assert "Menunggu panen" in buyer.text() and f"Pra-pesan, panen ± {shown}" in buyer.text(), buyer.text()

    # the farmer records a short harvest: 1.5 kg, so the 2 kg pre-order is not filled
    farmer.goto(f"/penjual/produk/{listing['id']}/panen")
    farmer.page.get_by_label("Hasil panen (kg)").fill("1,5")
    farmer.page.get_by_role("button", name="Catat hasil panen").click()
    farmer.page.wait_for_load_state()
    assert "Hasil panen dicatat." in farmer.notices()
    assert "Terisi untuk pesanan: 0 kg" in farmer.text(), farmer.text()
    wait_until(lambda: shopper_api.get(f"/api/v1/orders/{order_id}")[1].get("status") == "CANCELLED",
               timeout=20, message="the unfilled pre-order is cancelled")
    buyer.goto(f"/pesanan/{order_id}")
    assert "Hasil panen tidak cukup untuk pra-pesanan ini" in buyer.text(), buyer.text()


def test_a_shopper_picks_a_delivery_window_for_fresh_chilies_and_the_courier_sees_it(browse, stack):
    tag = uuid.uuid4().hex[:6]
    district = f"Bobotsari-{tag}"
    farmer_id = f"farmer-{tag}"
    api = stack.client(farmer_id, "seller", name="Bu Tini")
    code, shop = api.post("/api/v1/shops", json={"name": f"Kebun Bu Tini {tag}", "street": "Jl. Sawah 3",
                                                 "village": "Serang", "district": district, "regency": "Purbalingga"})
    assert code == 201, shop
    code, listing = api.post("/api/v1/products", json={
        "shop_id": shop["id"], "title": f"Cabai hijau {tag}", "category": "hasil-bumi", "unit": "kg", "price": 30000,
        "status": "published", "stock": "5", "harvested_on": date.today().isoformat(), "shelf_life_days": 4,
        "delivery_window": True})
    assert code == 201 and listing["delivery_window"] is True, listing
    buyer_id = f"shopper-{tag}"
    buyer_api = stack.client(buyer_id, "shopper")
    wait_until(lambda: buyer_api.post("/api/v1/orders", json={
        "items": [{"listing_id": listing["id"], "qty": 1}], "payment_method": "cod",
        "delivery_address": {"name": "Siti", "phone": "081234567890", "street": "Jl. Mawar 3",
                             "district": district}})[0] == 422, timeout=20, message="orders knows the window rule")

    buyer = browse("buyer-window", token=stack.token(buyer_id, "shopper", name="Siti", district=district))
    buyer.goto(f"/produk/{listing['id']}")
    buyer.page.get_by_role("button", name="Masukkan keranjang").click()
    buyer.page.wait_for_load_state()
    buyer.goto("/checkout")
    tomorrow = date.today() + timedelta(days=1)
    buyer.page.get_by_label("Hari antar *").select_option(tomorrow.isoformat())
    for field_id, value in (("f-name", "Siti"), ("f-phone", "081234567890"), ("f-street", "Jl. Mawar 3"),
                            ("f-district", district)):
        field = buyer.page.locator(f"#{field_id}")
        if not field.input_value():
            field.fill(value)
    buyer.page.locator("#slot-sore").check()
    buyer.check("checkout-delivery-window")
    buyer.page.locator("#pm-cod").check()
    buyer.page.get_by_role("button", name="Buat pesanan").click()
    buyer.page.wait_for_load_state()
    order_id = buyer.page.url.rstrip("/").split("/")[-1].split("?")[0]
    placed = wait_until(lambda: (lambda o: o if o.get("status") == "CONFIRMED" else None)(
        buyer_api.get(f"/api/v1/orders/{order_id}")[1]), timeout=20, message="the order confirmed")
    assert placed["delivery_window"] == {"date": tomorrow.isoformat(), "slot": "sore"}

    courier_id = f"courier-{tag}"
    courier_api = stack.client(courier_id, "courier", name="Mas Joko", district=district)
    assert courier_api.put("/api/v1/couriers/me", json={"available": True})[0] == 200
    (parcel,) = placed["fulfillments"]
    shown = f"{tomorrow.day} {MONTHS_ID[tomorrow.month - 1]} {tomorrow.year}"
    seller = browse("farmer-window", javascript=False, token=stack.token(farmer_id, "seller", name="Bu Tini"))
    seller.goto("/penjual/pesanan")
    assert f"Waktu antar: {shown}, sore (14.00–18.00)" in seller.text(), seller.text()
    assert api.post(f"/api/v1/fulfillments/{parcel['id']}/ready")[0] == 200
    courier = browse("courier-window", token=stack.token(courier_id, "courier", name="Mas Joko", district=district))
    courier.goto("/kurir")
    job = courier.page.locator("li.delivery", has_text=f"#{order_id[:8]}")
    assert f"Waktu antar: {shown}, sore (14.00–18.00)" in job.inner_text(), job.inner_text()
