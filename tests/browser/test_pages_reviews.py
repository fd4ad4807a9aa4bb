"""Reviews and the operator's desk (issue 16) in the browser: the shopper confirms receipt and writes a review
(a draft only they see), the seller's review of them publishes both, and the product and shop pages show the
stars; the operator hides a reported review from the operator's desk and the stars go back."""
from __future__ import annotations

import uuid

from tests.browser.test_pages_after_sale import cod_order, token_of
from tests.browser.test_pages_shopper import seller_with_product
from tests.support.infra import wait_until


def delivered_parcel(stack, tag: str):
    district = f"Wlingi-{tag}"
    seller, shop, listing = seller_with_product(stack, f"Anyaman Bu Tin {tag}", "Sumberejo", district,
                                                f"Keranjang bambu {tag}", 30000)
    courier = stack.client(f"courier-{tag}", "courier", district=district, name="Pak Joko")
    assert courier.put("/api/v1/couriers/me", json={"available": True})[0] == 200
    shopper = stack.client(f"shopper-{tag}", "shopper", name="Bu Siti", district=district)
    order = cod_order(stack, (seller, listing, district), shopper)
    (parcel,) = order["fulfillments"]
    assert seller.post(f"/api/v1/fulfillments/{parcel['id']}/ready")[0] == 200
    for step in ("accept", "pickup"):
        assert courier.post(f"/api/v1/deliveries/{parcel['id']}/{step}")[0] == 200
    assert courier.post(f"/api/v1/deliveries/{parcel['id']}/deliver",
                        json={"cod_amount_collected": parcel["cod_amount_due"]})[0] == 200
    return seller, shop, listing, shopper, order, parcel


def test_the_shopper_confirms_receipt_writes_a_review_and_the_stars_show_once_both_are_in(stack, browse):
    tag = uuid.uuid4().hex[:6]
    seller, shop, listing, shopper, order, parcel = delivered_parcel(stack, tag)

    person = browse("shopper", token=token_of(shopper))
    person.goto(f"/pesanan/{order['id']}")
    assert person.page.get_by_role("link", name="Tulis ulasan").count() == 0  # not before receipt
    person.page.get_by_role("button", name="Pesanan diterima").click()
    person.page.wait_for_url(f"**/pesanan/{order['id']}?note=received")
    person.page.get_by_role("link", name="Tulis ulasan").click()
    person.page.wait_for_url(f"**/ulasan/{parcel['id']}")
    person.check("review-form")
    person.page.get_by_label("5 bintang").check()
    person.page.get_by_label("Ceritakan pengalaman Anda (boleh kosong)").fill("Keranjangnya kuat dan rapi.")
    person.page.get_by_role("button", name="Kirim ulasan").click()
    person.page.wait_for_url(f"**/ulasan/{parcel['id']}?note=sent")
    assert "Terima kasih! Ulasan Anda tersimpan." in person.notices()
    text = person.text()
    assert "Keranjangnya kuat dan rapi." in text and "Menunggu ulasan pihak lain" in text
    assert person.page.get_by_role("button", name="Kirim ulasan").count() == 0  # one review per parcel
    person.check("review-draft")

    # double-blind: the seller sees nothing of it yet, nor does the product page
    status, seen = seller.get(f"/api/v1/reviews/fulfillments/{parcel['id']}")
    assert status == 200 and seen["theirs"] is None and seen["can_write"]
    visitor = browse("visitor")
    visitor.goto(f"/produk/{listing['id']}")
    assert "Belum ada ulasan" in visitor.text() and "Keranjangnya kuat" not in visitor.text()

    # the seller rates the shopper on the seller's orders page: both reviews are published
    desk = browse("seller", token=token_of(seller))
    desk.goto(f"/ulasan/{parcel['id']}")
    desk.page.get_by_label("4 bintang").check()
    desk.page.get_by_label("Ceritakan pengalaman Anda (boleh kosong)").fill("Pembeli ramah, mudah dihubungi.")
    desk.page.get_by_role("button", name="Kirim ulasan").click()
    desk.page.wait_for_url(f"**/ulasan/{parcel['id']}?note=sent")
    assert "Keranjangnya kuat dan rapi." in desk.text()  # now the shopper's review is visible to the seller

    person.goto(f"/ulasan/{parcel['id']}")
    assert "Pembeli ramah, mudah dihubungi." in person.text() and "Sudah terbit" in person.text()

    def product_stars():
        visitor.goto(f"/produk/{listing['id']}")
        return "5,0 dari 5 · 1 ulasan" in visitor.text()
    wait_until(product_stars, timeout=20, interval=0.5, message="the product page shows the published stars")
    assert "Keranjangnya kuat dan rapi." in visitor.text()
    visitor.check("product-reviews")
    visitor.goto(f"/toko/{shop['id']}")
    assert "5,0 dari 5 · 1 ulasan" in visitor.text()


def test_the_operator_hides_a_reported_review_and_the_stars_go_back(stack, browse):
    tag = uuid.uuid4().hex[:6]
    seller, shop, listing, shopper, order, parcel = delivered_parcel(stack, tag)
    assert shopper.post(f"/api/v1/orders/{order['id']}/fulfillments/{parcel['id']}/receive")[0] == 200
    status, mine = shopper.post("/api/v1/reviews", json={"fulfillment_id": parcel["id"], "rating": 1,
                                                         "text": f"Kata kasar {tag}"})
    assert status == 201 and mine["status"] == "draft"
    assert seller.post("/api/v1/reviews", json={"fulfillment_id": parcel["id"], "rating": 5})[0] == 201
    wait_until(lambda: seller.get(f"/api/v1/products/{listing['id']}")[1]["rating_count"] == 1, timeout=20,
               message="the review counted")

    # the seller reports it from the product page
    page = browse("seller", token=token_of(seller))
    page.goto(f"/produk/{listing['id']}")
    review = page.page.locator("ul.reviews > li", has_text=f"Kata kasar {tag}")
    review.locator("summary", has_text="Laporkan ulasan").click()
    review.get_by_label("Alasan").fill("Tidak benar")
    review.get_by_role("button", name="Laporkan", exact=True).click()
    page.page.wait_for_load_state()
    assert "Terima kasih, laporan Anda sampai ke operator." in page.notices()

    operator = browse("admin", token=stack.token(f"operator-{tag}", "admin", name="Operator"))
    operator.goto("/operator/ulasan")
    item = operator.page.locator("ul.list > li", has_text=f"Kata kasar {tag}")
    assert "Tidak benar" in item.inner_text()
    operator.check("operator-reviews")
    item.get_by_label("Alasan").fill("Kata-kata kasar")
    item.get_by_role("button", name="Sembunyikan ulasan").click()
    operator.page.wait_for_load_state()
    assert "Ulasan disembunyikan; penulisnya diberi tahu." in operator.notices()
    assert "Kata-kata kasar" in operator.page.locator("ul.list > li", has_text=f"Kata kasar {tag}").inner_text()

    wait_until(lambda: seller.get(f"/api/v1/products/{listing['id']}")[1]["rating_count"] == 0, timeout=20,
               message="the hidden review's stars taken back")
    page.goto(f"/produk/{listing['id']}")
    assert f"Kata kasar {tag}" not in page.text() and "Belum ada ulasan" in page.text()
    # its author reads why
    status, seen = shopper.get(f"/api/v1/reviews/fulfillments/{parcel['id']}")
    assert seen["mine"]["hidden"]["reason"] == "Kata-kata kasar"


def test_the_operator_hides_a_listing_from_its_page_and_suspends_an_account_from_the_desk(stack, browse):
    tag = uuid.uuid4().hex[:6]
    seller, shop, listing = seller_with_product(stack, f"Toko Pak Ali {tag}", "Sumberejo", f"Srengat-{tag}",
                                                f"Madu hutan {tag}", 60000)
    operator = browse("admin", token=stack.token(f"operator-{tag}", "admin", name="Operator"))
    operator.goto(f"/produk/{listing['id']}")
    assert "Belum ada tindakan operator." in operator.text()
    box = operator.page.locator("section.moderation")
    box.get_by_label("Alasan").fill("Madu palsu")
    box.get_by_role("button", name="Sembunyikan").click()
    operator.page.wait_for_url(f"**/produk/{listing['id']}?note=moderated")
    assert "Tindakan operator dicatat." in operator.notices()
    assert "Disembunyikan oleh operator: Madu palsu" in operator.text()  # shown on the thing it changed
    assert "Madu palsu" in box.inner_text() and "oleh" in box.inner_text()
    operator.check("operator-listing-hidden")
    visitor = browse("visitor")
    visitor.goto(f"/produk/{listing['id']}")
    assert "Produk tidak ditemukan" in visitor.text()
    operator.goto("/operator/moderasi")
    assert f"Madu hutan {tag}" in operator.text()

    person = browse("shopper")
    phone = "0857" + f"{uuid.uuid4().int % 10 ** 8:08d}"
    person.register(f"Pak Nakal {tag}", phone, "shopper", f"Srengat-{tag}")
    person.goto("/pesanan")
    assert person.page.url.endswith("/pesanan")
    operator.goto(f"/operator/akun?q=Pak+Nakal+{tag}")
    row = operator.page.locator("ul.list > li", has_text=f"Pak Nakal {tag}")
    row.get_by_label("Alasan").fill("Penipuan berulang")
    row.get_by_role("button", name="Bekukan akun").click()
    operator.page.wait_for_load_state()
    assert "Akun dibekukan; semua sesinya berakhir." in operator.notices()
    row = operator.page.locator("ul.list > li", has_text=f"Pak Nakal {tag}")
    assert "Dibekukan" in row.inner_text() and "Penipuan berulang" in row.inner_text()
    operator.check("operator-account-suspended")
    person.goto("/pesanan")  # the session it had ends: back to the login page
    assert "/masuk" in person.page.url
