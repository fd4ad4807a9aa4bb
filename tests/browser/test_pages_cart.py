"""One cart (issue 18): what a visitor puts in the cart before logging in joins the account's cart at login, next
to what the account already had; the pages and the API show the same cart."""
from __future__ import annotations

import uuid

import requests

from tests.browser.test_pages_shopper import add_to_cart, seller_with_product


def test_a_visitors_cart_joins_the_accounts_cart_at_login_and_the_api_sees_the_same(stack, browse):
    tag = uuid.uuid4().hex[:6]
    district = f"Kanigoro-{tag}"
    _, _, old = seller_with_product(stack, f"Kebun Pak Darto {tag}", "Sumberejo", district, f"Kopi robusta {tag}",
                                    45000)
    _, _, new = seller_with_product(stack, f"Madu Bu Yati {tag}", "Kalipucung", district, f"Madu randu {tag}", 60000)
    email, password = f"ani{tag}@contoh.id", "rahasia-desa-1"
    signed = requests.post(stack.url + "/api/v1/auth/register", timeout=15, json={
        "name": "Bu Ani", "email": email, "password": password}).json()
    api = {"Authorization": "Bearer " + signed["access_token"]}
    # the old line: put in the cart earlier, from the app (the API)
    added = requests.post(stack.url + "/api/v1/cart/lines", json={"listing_id": old["id"], "qty": 2}, headers=api,
                          timeout=15)
    assert added.status_code == 200, added.text

    visitor = browse("visitor")
    visitor.goto("/")
    add_to_cart(visitor, f"Madu randu {tag}", 3)   # the new line: logged out, in the cookie cart
    visitor.goto("/")
    add_to_cart(visitor, f"Kopi robusta {tag}", 1)  # and one more of the old item
    visitor.goto("/masuk?next=/keranjang")
    visitor.page.get_by_label("Nomor HP atau email").fill(email)
    visitor.page.get_by_label("Kata sandi").fill(password)
    visitor.page.get_by_role("button", name="Masuk").click()
    visitor.page.wait_for_url("**/keranjang")
    visitor.check("cart-after-login")
    cart = visitor.text()
    assert f"Kopi robusta {tag}" in cart and f"Madu randu {tag}" in cart
    assert "Total belanja: Rp 315.000" in cart  # 3 × Rp 45.000 (2 before + 1 as a visitor) + 3 × Rp 60.000

    through_api = requests.get(stack.url + "/api/v1/cart", headers=api, timeout=15).json()
    assert {line["listing_id"]: line["qty"] for line in through_api["lines"]} == {old["id"]: 3, new["id"]: 3}

    # one source of truth: removing a line on the page removes it from the API's cart
    visitor.page.get_by_role("button", name=f"Hapus Madu randu {tag}").click()
    visitor.page.wait_for_load_state()
    after = requests.get(stack.url + "/api/v1/cart", headers=api, timeout=15).json()
    assert {line["listing_id"]: line["qty"] for line in after["lines"]} == {old["id"]: 3}
    assert f"Madu randu {tag}" not in visitor.text()
