"""Complaints (issue 16) in the browser: the shopper files "Ajukan komplain" on the order page, the seller sees it
with the answer form, and the operator resolves it on the complaints desk (`/operator/komplain`) with a partial
refund and a reason that both parties then read, then records the refund owed (cash on delivery) as paid."""
from __future__ import annotations

import uuid

from tests.browser.test_pages_after_sale import cod_order, token_of
from tests.browser.test_pages_seller import camera_photo
from tests.browser.test_pages_shopper import seller_with_product
from tests.support.infra import wait_until


def test_the_operator_resolves_a_complaint_with_a_partial_refund(stack, browse, tmp_path):
    tag = uuid.uuid4().hex[:6]
    district = f"Srengat-{tag}"
    seller, shop, listing = seller_with_product(stack, f"Anyaman Bu Rini {tag}", "Sumberejo", district,
                                                f"Tikar mendong {tag}", 50000)
    courier_id = f"courier-{tag}"
    courier = stack.client(courier_id, "courier", district=district, name="Pak Joko")
    assert courier.put("/api/v1/couriers/me", json={"available": True})[0] == 200
    shopper = stack.client(f"shopper-{tag}", "shopper", name="Bu Siti", district=district)
    order = cod_order(stack, (seller, listing, district), shopper)
    (parcel,) = order["fulfillments"]
    assert seller.post(f"/api/v1/fulfillments/{parcel['id']}/ready")[0] == 200
    for step in ("accept", "pickup"):
        assert courier.post(f"/api/v1/deliveries/{parcel['id']}/{step}")[0] == 200
    assert courier.post(f"/api/v1/deliveries/{parcel['id']}/deliver",
                        json={"cod_amount_collected": parcel["cod_amount_due"]})[0] == 200

    # the shopper complains on the order page
    person = browse("shopper", token=token_of(shopper))
    person.goto(f"/pesanan/{order['id']}")
    form = person.page.locator("details", has_text="Ajukan komplain")
    form.locator("summary").click()
    form.get_by_label("Alasan").select_option("damaged")
    form.get_by_label("Ceritakan masalahnya").fill("Dua tikar sobek di tepi")
    form.get_by_label("Foto bukti (opsional, ambil dengan kamera) 1").set_input_files(camera_photo(tmp_path))
    person.check("shopper-complaint-form")
    form.get_by_role("button", name="Kirim komplain").click()
    person.page.wait_for_url(f"**/pesanan/{order['id']}?note=complained")
    assert "Komplain dikirim. Penjual akan menjawab." in person.notices()
    assert "Menunggu jawaban penjual" in person.text() and "Dua tikar sobek di tepi" in person.text()
    assert person.page.get_by_alt_text("Foto bukti 1").evaluate("img => img.complete && img.naturalWidth > 0")

    # the seller sees it, with the answer form
    shop_page = browse("seller", token=token_of(seller))
    shop_page.goto("/penjual/pesanan")
    assert "Komplain pembeli (1)" in shop_page.text() and "Barang rusak: Dua tikar sobek di tepi" in shop_page.text()
    shop_page.check("seller-complaints")
    thumb = shop_page.page.get_by_alt_text("Foto bukti 1")  # the photo, relayed with the seller's own rights
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0")

    # the operator decides on the desk
    operator = browse("admin", token=token_of(stack.client(f"admin-{tag}", "admin", name="Operator")))
    operator.goto("/operator/komplain?status=open")
    operator.check("operator-queue")
    operator.page.get_by_role("link", name=f"#{order['id'][:8]}").click()
    operator.page.wait_for_url("**/operator/komplain/*")
    assert "Dua tikar sobek di tepi" in operator.text()  # the evidence
    assert operator.page.get_by_alt_text("Foto bukti 1").evaluate("img => img.complete && img.naturalWidth > 0")
    # another shopper opening the photo's address gets the not-found page, not the picture
    other = browse("shopper", token=token_of(stack.client(f"shopper-x-{tag}", "shopper", name="Bu Lain")))
    photo_path = thumb.evaluate("img => new URL(img.closest('a').href).pathname")
    assert other.page.goto(stack.url + photo_path).status == 404
    operator.page.get_by_label("Kembalikan dana sebesar").check()
    operator.page.get_by_label("Jumlah (kosongkan untuk semua)").fill("20.000")
    operator.page.get_by_label("Catatan (wajib)").fill("Foto kurir menunjukkan dua tikar sobek")
    operator.check("operator-complaint")
    operator.page.get_by_role("button", name="Simpan keputusan").click()
    operator.page.wait_for_url("**?note=decided")
    assert "Keputusan disimpan." in operator.notices()
    assert operator.page.locator("#complaint-status").inner_text() == "Selesai"
    assert "Foto kurir menunjukkan dua tikar sobek" in operator.text() and "Rp 20.000" in operator.text()
    assert operator.page.get_by_role("button", name="Simpan keputusan").count() == 0  # decided once
    operator.check("operator-complaint-decided")
    # cash on delivery: the platform owes the shopper the 20 000 until the operator pays it by hand
    assert "Pasar Desa berutang dana ini kepada pembeli" in operator.text()
    operator.page.get_by_role("button", name="Dana sudah dibayarkan ke pembeli").click()
    operator.page.wait_for_url("**?note=refund_paid")
    assert "Pembayaran dana ke pembeli dicatat." in operator.notices()

    # the money: 20 000 out of the seller's held 47 500 (owed to the shopper: cash on delivery), the rest available
    balance = wait_until(lambda: (lambda b: b if b["seller_available"] else None)(
        seller.get("/api/v1/balances/me")[1]), timeout=30, message="the rest released to the seller")
    assert (balance["seller_held"], balance["seller_available"]) == (0, 27500)
    person.goto(f"/pesanan/{order['id']}")
    assert "Dana dikembalikan kepada Anda: Rp 20.000" in person.text()
    assert "Foto kurir menunjukkan dua tikar sobek" in person.text()  # the operator's reason, shown to the shopper
