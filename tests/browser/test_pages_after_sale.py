"""After the sale (issue 16) in the browser: the shopper sees who brings the parcel, taps "Pesanan diterima" once
it arrived, and the seller sees the money go from held to available; a seller refuses a parcel it cannot fill."""
from __future__ import annotations

import uuid

from tests.browser.test_pages_shopper import seller_with_product
from tests.support.infra import wait_until


def token_of(client) -> str:
    return client.session.headers["Authorization"].split()[1]


def cod_order(stack, seller_listing_district: tuple, shopper, qty: int = 1) -> dict:
    _, listing, district = seller_listing_district
    status, order = shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing["id"], "qty": qty}], "payment_method": "cod",
        "delivery_address": {"name": "Bu Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3",
                             "village": "Sumberejo", "district": district, "regency": "Blitar",
                             "province": "Jawa Timur"}}, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert status == 201, order
    return wait_until(lambda: (lambda r: r[1] if r[1].get("status") == "CONFIRMED" else None)(
        shopper.get(f"/api/v1/orders/{order['id']}")), timeout=20, message="order confirmed")


def test_the_shopper_confirms_receipt_and_the_sellers_money_becomes_available(stack, browse):
    tag = uuid.uuid4().hex[:6]
    district = f"Sanankulon-{tag}"
    seller, shop, listing = seller_with_product(stack, f"Tikar Bu Sri {tag}", "Sumberejo", district,
                                                f"Tikar pandan {tag}", 50000)
    courier_id = f"courier-{tag}"
    courier = stack.client(courier_id, "courier", district=district, name="Pak Joko")
    assert courier.put("/api/v1/couriers/me", json={"available": True})[0] == 200
    shopper = stack.client(f"shopper-{tag}", "shopper", name="Bu Siti", district=district)
    order = cod_order(stack, (seller, listing, district), shopper)
    (parcel,) = order["fulfillments"]
    assert seller.post(f"/api/v1/fulfillments/{parcel['id']}/ready")[0] == 200
    for step in ("accept", "pickup"):
        assert courier.post(f"/api/v1/deliveries/{parcel['id']}/{step}")[0] == 200

    person = browse("shopper", token=token_of(shopper))
    person.goto(f"/pesanan/{order['id']}")
    assert "Kurir: Pak Joko" in person.text()  # on its way: who brings it
    assert person.page.get_by_role("button", name="Pesanan diterima").count() == 0  # not before it arrived
    assert courier.post(f"/api/v1/deliveries/{parcel['id']}/deliver",
                        json={"cod_amount_collected": parcel["cod_amount_due"]})[0] == 200
    person.goto(f"/pesanan/{order['id']}")
    assert "penerimaan dicatat otomatis" in person.text()  # the window, said plainly
    person.check("order-delivered")

    money = browse("seller", token=token_of(seller))
    money.goto("/penjual/uang")
    assert "Ditahan: Rp 47.500" in money.text()  # goods less 5% commission, held until receipt

    person.page.get_by_role("button", name="Pesanan diterima").click()
    person.page.wait_for_url(f"**/pesanan/{order['id']}?note=received")
    assert "Terima kasih! Penerimaan paket dicatat." in person.notices()
    assert person.page.get_by_role("button", name="Pesanan diterima").count() == 0  # once is enough
    assert "Pesanan diterima" in person.text()
    person.check("order-received")

    def available():
        money.goto("/penjual/uang")
        return "Saldo Anda (Tersedia): Rp 47.500" in money.text()
    wait_until(available, timeout=20, interval=0.5, message="the seller's money available after the receipt")
    assert "Ditahan:" not in money.text()
    money.check("seller-money-available")


def test_a_seller_refuses_a_parcel_it_cannot_fill_and_the_shopper_is_told_why(stack, browse):
    tag = uuid.uuid4().hex[:6]
    district = f"Kanigoro-{tag}"
    seller, shop, listing = seller_with_product(stack, f"Kebun Pak Darto {tag}", "Sumberejo", district,
                                                f"Kopi robusta {tag}", 45000)
    shopper = stack.client(f"shopper-{tag}", "shopper", name="Bu Siti", district=district)
    order = cod_order(stack, (seller, listing, district), shopper)

    page = browse("seller", token=token_of(seller))
    page.goto("/penjual/pesanan")
    parcel = page.page.locator("ul.list > li", has_text=f"#{order['id'][:8]}")
    parcel.locator("summary", has_text="Tolak paket").click()
    parcel.get_by_label("Alasan").select_option("harvest_failed")
    page.check("seller-refuse")
    parcel.get_by_role("button", name="Tolak paket").click()
    page.page.wait_for_load_state()
    assert "Paket ditolak; pembeli mendapat uangnya kembali untuk bagian ini." in page.notices()

    person = browse("shopper", token=token_of(shopper))
    person.goto(f"/pesanan/{order['id']}")
    assert "Paket ini dibatalkan: panen penjual gagal." in person.text()
