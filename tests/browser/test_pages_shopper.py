"""A shopper buys from two village sellers in one order and pays with the sandbox card; the order page
follows the order live; the pages also work in English and without JavaScript."""
from __future__ import annotations

import uuid

from tests.support.infra import wait_until


def seller_with_product(stack, shop: str, village: str, district: str, title: str, price: int, stock: int = 10):
    """Sellers set up through the catalog API (the seller pages have their own test)."""
    seller = stack.client(f"seller-{uuid.uuid4().hex[:8]}", "seller", name=f"Pemilik {shop}")
    status, body = seller.post("/api/v1/shops", json={"name": shop, "village": village, "district": district,
                                                      "regency": "Blitar", "street": "Jl. Desa 1",
                                                      "whatsapp": "+6281200000001", "story": f"Cerita {shop}."})
    assert status == 201, body
    status, listing = seller.post("/api/v1/products", json={
        "shop_id": body["id"], "title": title, "category": "hasil-bumi", "price": price, "stock": stock,
        "status": "published"})
    assert status == 201, listing
    return seller, body, listing


def add_to_cart(person, title: str, qty: int):
    page = person.page
    page.get_by_label("Cari produk desa").fill(title)
    page.get_by_label("Cari produk desa").press("Enter")
    page.get_by_role("link", name=title).click()
    page.get_by_label("Jumlah").fill(str(qty))
    page.get_by_role("button", name="Masukkan keranjang").click()
    page.wait_for_load_state()
    assert "Produk masuk keranjang." in person.notices()


def fill_address(page, district: str):
    page.get_by_label("Nama penerima *").fill("Pak Budi")
    page.get_by_label("Nomor HP *").fill("0812-3456-7890")
    page.get_by_label("Jalan, RT/RW, nomor rumah *").fill("Jl. Mawar 3, RT 02/RW 01")
    page.get_by_label("Desa/Kelurahan").fill("Sumberejo")
    page.get_by_label("Kecamatan *").fill(district)
    page.get_by_label("Kabupaten/Kota").fill("Blitar")


def test_shopper_buys_from_two_sellers_and_pays_by_sandbox_card(stack, browse):
    tag = uuid.uuid4().hex[:6]
    district = f"Sanankulon-{tag}"
    seller_a, shop_a, _ = seller_with_product(stack, f"Kebun Pak Darto {tag}", "Sumberejo", district,
                                              f"Kopi robusta {tag}", 45000)
    seller_b, shop_b, _ = seller_with_product(stack, f"Madu Bu Yati {tag}", "Kalipucung", district,
                                              f"Madu randu {tag}", 60000)
    shopper = browse("shopper")
    shopper.register("Pak Budi", f"budi{tag}@contoh.id", "shopper", district)
    add_to_cart(shopper, f"Kopi robusta {tag}", 2)
    shopper.goto("/")
    add_to_cart(shopper, f"Madu randu {tag}", 1)
    shopper.check("cart")
    cart = shopper.text()
    assert f"Kebun Pak Darto {tag}" in cart and f"Madu Bu Yati {tag}" in cart  # grouped by seller
    assert "Total belanja: Rp 150.000" in cart

    shopper.page.get_by_role("link", name="Lanjut ke pembayaran").click()
    fill_address(shopper.page, district)
    shopper.page.get_by_label("Kartu debit/kredit").check()
    shopper.check("checkout")
    shopper.page.get_by_role("button", name="Buat pesanan").click()
    shopper.page.wait_for_url("**/bayar/**")
    order_id = shopper.page.url.rsplit("/", 1)[1]

    def card_form_ready():
        shopper.page.reload()
        return shopper.page.locator("#sandbox-card").count() == 1
    wait_until(card_form_ready, timeout=15, interval=0.5, message="the sandbox card form (stock reserved)")
    shopper.check("pay")
    assert "MODE UJI COBA" in shopper.text()
    # goods Rp 150.000 and one delivery fee per seller (both in the shopper's district: Rp 10.000 each)
    assert "Yang harus dibayar: Rp 170.000" in shopper.text()
    shopper.page.get_by_label("Nama di kartu").fill("Budi Santoso")
    shopper.page.get_by_label("Nomor kartu").fill("4242 4242 4242 4242")
    shopper.page.get_by_label("Berlaku sampai (BB/TT)").fill("12/30")
    shopper.page.get_by_label("CVC").fill("123")
    shopper.page.get_by_role("button", name="Bayar").click()
    shopper.page.wait_for_url(f"**/pesanan/{order_id}?note=paid")
    assert "Terima kasih! Pembayaran diterima." in shopper.notices()
    live = shopper.page.locator("#order-live")
    wait_until(lambda: live.get_attribute("data-status") == "CONFIRMED", timeout=15, interval=0.3,
               message="order confirmed after the card payment")
    assert live.locator("section").count() == 2  # one delivery track per seller
    text = shopper.text()
    assert "Ongkos kirim: Rp 20.000" in text and "Total: Rp 170.000" in text
    assert "Jl. Mawar 3, RT 02/RW 01" in text and "WIB" in text  # where it goes, and when each step happened
    shopper.check("order")

    # a seller prepares the parcel ("siap diambil"): the shopper's open order page follows without a reload
    seller = browse("seller A", token=seller_a.session.headers["Authorization"].split()[1])
    seller.goto("/penjual/pesanan")
    seller.check("seller-orders")
    parcel = seller.page.locator("ul.list > li", has_text=f"#{order_id[:8]}")
    assert f"Kopi robusta {tag} × 2" in parcel.inner_text()
    parcel.get_by_role("button", name="Siap diambil").click()
    seller.page.wait_for_load_state()
    assert "Kurir sudah diberi tahu. Siapkan barangnya." in seller.notices()
    seller.goto("/penjual/uang")
    seller.check("seller-money")
    section = live.locator("section", has_text=f"Kebun Pak Darto {tag}")
    wait_until(lambda: section.locator("li.current .step").inner_text() in ("Siap diambil", "Kurir ditugaskan"),
               timeout=15, interval=0.3, message="the order page shows the parcel ready, live")

    shopper.goto("/pesanan")
    shopper.check("orders")
    assert f"#{order_id[:8]}" in shopper.text()
    assert f"Kopi robusta {tag}, Madu randu {tag}" in shopper.text() or f"Madu randu {tag}, Kopi robusta {tag}" in shopper.text()

    # English on request, and it sticks
    shopper.page.get_by_role("button", name="English").click()
    shopper.page.wait_for_load_state()
    assert "My orders" in shopper.text()
    shopper.goto(f"/pesanan/{order_id}")
    assert "Order confirmed" in shopper.text()


def test_shopping_works_without_javascript(stack, browse):
    tag = uuid.uuid4().hex[:6]
    district = f"Kanigoro-{tag}"
    seller_with_product(stack, f"Tahu Pak Min {tag}", "Gogodeso", district, f"Tahu takwa {tag}", 12000)
    shopper = browse("no-js shopper", javascript=False)
    shopper.register("Bu Ani", f"0813{uuid.uuid4().int % 10**8:08d}", "shopper", district)
    add_to_cart(shopper, f"Tahu takwa {tag}", 3)
    shopper.page.get_by_role("link", name="Lanjut ke pembayaran").click()
    fill_address(shopper.page, district)
    shopper.page.get_by_label("Bayar tunai saat barang sampai (COD)").check()
    shopper.page.get_by_role("button", name="Buat pesanan").click()
    shopper.page.wait_for_url("**/pesanan/**")

    def confirmed():
        shopper.page.get_by_role("link", name="Muat ulang status").click()
        return shopper.page.locator("#order-live").get_attribute("data-status") == "CONFIRMED"
    wait_until(confirmed, timeout=15, interval=0.5, message="COD order confirmed")
    assert "Rp 36.000" in shopper.text()
    assert "Keranjang (0)" in shopper.page.locator("header").inner_text()


def card_order_for(stack, browse, tag: str, district: str, title: str, price: int, javascript: bool = True):
    """A shopper's card order placed through the API, and that shopper in the browser on its payment page with
    the sandbox card form open."""
    _, _, listing = seller_with_product(stack, f"Gula Bu Tum {tag}", "Dandong", district, title, price)
    client = stack.client(f"shopper-{tag}", "shopper", name="Bu Tum")
    status, order = client.post("/api/v1/orders", json={
        "items": [{"listing_id": listing["id"], "qty": 2}], "payment_method": "card",
        "delivery_address": {"name": "Bu Tum", "phone": "081234567001", "street": "Jl. Kenanga 1", "district": district}})
    assert status == 201, order
    shopper = browse("shopper with a tired card", javascript=javascript,
                     token=client.session.headers["Authorization"].split()[1])
    shopper.goto(f"/bayar/{order['id']}")
    shopper.page.locator("#sandbox-card").wait_for()  # the waiting page reloads itself until the payment is open
    return shopper, order


def pay_with(page, number: str, number_label: str = "Nomor kartu", expiry_label: str = "Berlaku sampai (BB/TT)",
             button: str = "Bayar"):
    page.get_by_label(number_label).fill(number)
    page.get_by_label(expiry_label).fill("12/30")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def said(person) -> str:
    return " ".join(person.notices().split())


def test_a_declined_card_is_one_try_the_same_page_says_how_many_are_left_and_the_right_card_pays(stack, browse):
    tag = uuid.uuid4().hex[:6]
    shopper, order = card_order_for(stack, browse, tag, f"Srengat-{tag}", f"Gula kelapa {tag}", 24000)
    # a number that is not a test card: said in Bahasa Indonesia, and the order is still payable
    pay_with(shopper.page, "5555 5555 5555 4444")
    assert "hanya kartu uji yang diterima" in shopper.notices()
    pay_with(shopper.page, "4000 0000 0000 0002")
    assert "Kartu ditolak. Periksa nomor kartu atau pakai kartu lain. Sisa percobaan: 2" in said(shopper)
    assert shopper.page.locator("#card-declined h2").inner_text() == "Kartu ditolak."  # large, first thing read
    assert shopper.page.locator("#sandbox-card").count() == 1  # the card form again, on the same page
    assert shopper.page.get_by_role("button", name="Masukkan lagi ke keranjang").count() == 0
    assert "Yang harus dibayar: Rp 58.000" in shopper.text()
    shopper.check("pay-declined")
    # the page says it again after a reload, and in English
    shopper.page.get_by_role("button", name="English").click()
    shopper.page.wait_for_url(f"**/bayar/{order['id']}")
    assert "Card declined. Check the card number or use another card. Attempts left: 2" in said(shopper)
    pay_with(shopper.page, "4242 4242 4242 4242", "Card number", "Expiry (MM/YY)", "Pay")
    shopper.page.wait_for_url(f"**/pesanan/{order['id']}?note=paid")
    assert "Thank you! Payment received." in shopper.notices()
    live = shopper.page.locator("#order-live")
    wait_until(lambda: live.get_attribute("data-status") == "CONFIRMED", timeout=15, interval=0.3,
               message="order confirmed after the right card")
    assert "Order confirmed" in shopper.text()


def test_three_declined_cards_end_the_order_and_one_tap_puts_the_things_back_in_the_cart(stack, browse):
    """Without JavaScript: plain forms all the way."""
    tag = uuid.uuid4().hex[:6]
    shopper, order = card_order_for(stack, browse, tag, f"Wlingi-{tag}", f"Gula aren {tag}", 24000, javascript=False)
    for left in (2, 1):
        pay_with(shopper.page, "4000 0000 0000 0002")
        assert f"Sisa percobaan: {left}" in said(shopper)
    pay_with(shopper.page, "4000 0000 0000 0002")
    assert "Kartu ditolak 3 kali, jadi pesanan ini dibatalkan." in shopper.notices()
    assert shopper.page.locator("#sandbox-card").count() == 0 and "Sisa percobaan" not in said(shopper)
    shopper.page.get_by_role("button", name="Masukkan lagi ke keranjang").click()
    shopper.page.wait_for_url("**/keranjang?note=again")
    assert "Barang pesanan tadi sudah masuk keranjang lagi." in shopper.notices()
    assert f"Gula aren {tag}" in shopper.text() and "Total belanja: Rp 48.000" in shopper.text()
    # the next checkout starts from the address of the last order: nothing to type again
    shopper.page.get_by_role("link", name="Lanjut ke pembayaran").click()
    assert shopper.page.get_by_label("Jalan, RT/RW, nomor rumah *").input_value() == "Jl. Kenanga 1"
    assert shopper.page.get_by_label("Nomor HP *").input_value() == "081234567001"

    shopper.goto(f"/pesanan/{order['id']}")
    def cancelled():
        shopper.page.reload()
        return shopper.page.locator("#order-live").get_attribute("data-status") == "CANCELLED"
    wait_until(cancelled, timeout=15, interval=0.3, message="the order cancelled after the third declined card")
    assert "Pembayaran kartu gagal, jadi pesanan dibatalkan dan stok dikembalikan." in shopper.text()
