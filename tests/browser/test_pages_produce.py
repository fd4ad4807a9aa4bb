"""Issue 17 on a phone (390x844): a farmer lists chilies by the kilogram — Rp 42.000 per kg, 12,5 kg in stock,
bought from 0,5 kg in 0,5 kg steps, harvested today and good for 5 days, delivered within the regency — from the
seller's form without JavaScript, and a shopper sees "Rp 42.000 / kg", buys 1,5 kg and the cart says Rp 63.000."""
from __future__ import annotations

import uuid
from datetime import date

from tests.support.infra import wait_until



def test_a_farmer_lists_chilies_by_weight_from_a_phone_and_a_shopper_buys_one_and_a_half_kilos(browse, stack):
    tag = uuid.uuid4().hex[:6]
    farmer_id = f"farmer-{tag}"
    api = stack.client(farmer_id, "seller", name="Bu Tini")
    code, shop = api.post("/api/v1/shops", json={"name": f"Kebun Bu Tini {tag}", "street": "Jl. Sawah 1",
                                                 "village": "Serang", "district": "Karangreja",
                                                 "regency": "Purbalingga"})
    assert code == 201, shop
    token = stack.token(farmer_id, "seller", name="Bu Tini")
    farmer = browse("farmer", javascript=False, token=token)   # the form needs no JavaScript
    farmer.goto("/penjual")
    page = farmer.page
    page.get_by_role("link", name="+ Tambah produk").click()
    page.get_by_label("Nama produk *").fill(f"Cabai rawit merah {tag}")
    page.get_by_label("Kategori *").select_option("hasil-bumi")
    page.get_by_label("Harga (Rp) *").fill("42.000")
    page.get_by_label("Per").select_option("kg")
    page.get_by_label("Stok").fill("12,5")
    page.get_by_label("Beli paling sedikit").fill("0,5")
    page.get_by_label("Kelipatan beli").fill("0,5")
    page.get_by_label("Tanggal panen atau dibuat").fill(date.today().isoformat())
    page.get_by_label("Tahan berapa hari").fill("5")
    page.get_by_label("Dikirim ke").select_option("regency")
    page.screenshot(path=str(farmer.shots / "produce-listing-form-no-js.png"), full_page=True)
    page.get_by_role("button", name="Pasang dan jual").click()
    page.wait_for_load_state()
    assert "Produk sudah dipasang." in farmer.notices(), farmer.notices()
    row = page.locator("ul.list > li", has_text=f"Cabai rawit merah {tag}")
    assert "Rp 42.000 / kg" in row.inner_text() and "12,5 kg" in row.inner_text()
    # the same pages with JavaScript on, for the accessibility checks (axe runs in the page)
    checker = browse("farmer-axe", token=token)
    checker.goto(f"/penjual/produk/baru?toko={shop['id']}")
    checker.check("produce-listing-form")
    checker.goto("/penjual")
    checker.check("produce-dashboard")

    code, found = stack.client().get(f"/api/v1/products?q=cabai%20{tag}")
    (listing,) = found["items"]
    assert (listing["stock"], listing["min_qty"], listing["qty_step"], listing["deliver_within"]) == (
        "12.5", "0.5", "0.5", "regency")

    shopper = browse("shopper")
    shopper.goto(f"/produk/{listing['id']}")
    text = shopper.text()
    assert "Rp 42.000 / kg" in text and "Paling sedikit 0,5 kg, kelipatan 0,5 kg" in text
    assert "Hanya dikirim di kabupaten yang sama dengan toko." in text
    qty = shopper.page.get_by_label("Jumlah")
    assert (qty.get_attribute("step"), qty.get_attribute("min")) == ("0.5", "0.5")
    qty.fill("1.5")
    shopper.check("produce-product")
    shopper.page.get_by_role("button", name="Masukkan keranjang").click()
    shopper.page.wait_for_load_state()
    cart = shopper.text()
    assert "Rp 42.000 / kg × 1,5 kg = Rp 63.000" in cart, cart
    shopper.check("produce-cart")

    # a signed-in shopper whose 1,2 kg gets past the browser's own step check is told why the cart refused it
    buyer_id = f"shopper-{tag}"
    buyer_api = stack.client(buyer_id, "shopper")
    wait_until(lambda: buyer_api.put(f"/api/v1/cart/lines/{listing['id']}", json={"qty": "1.2"})[0] == 422,
               timeout=20, message="orders knows the chilies' step")
    buyer = browse("buyer", token=stack.token(buyer_id, "shopper"))
    buyer.goto(f"/produk/{listing['id']}")
    buyer.page.evaluate("() => document.getElementById('qty').setAttribute('step', 'any')")
    buyer.page.get_by_label("Jumlah").fill("1.2")
    buyer.page.get_by_role("button", name="Masukkan keranjang").click()
    buyer.page.wait_for_load_state()
    assert "Jumlah itu tidak bisa dibeli" in buyer.notices(), buyer.notices()
    assert "Keranjang sudah penuh" not in buyer.notices()
