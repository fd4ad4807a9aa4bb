"""Light on a slow link, in a real browser: the first visit to home, search, product and checkout on an emulated
2G link (Chromium's network throttling through Playwright's CDP session: 250 kbit/s down, 300 ms round trip),
with the bytes the browser received and the time until the page loaded printed (reported, not asserted: no
timed assertions); Save-Data honoured (no photo fetched, a placeholder link that shows it); the share links and
the Hemat kuota switch usable without JavaScript."""
from __future__ import annotations

import time
import uuid

import pytest

from tests.e2e.test_reach_sharing import photo_png

pytestmark = pytest.mark.browser

TWO_G = {"offline": False, "latency": 300, "downloadThroughput": 250_000 / 8, "uploadThroughput": 50_000 / 8}


@pytest.fixture(scope="module")
def catalog(stack):
    tag = uuid.uuid4().hex[:6]
    seller = stack.client(f"seller-{tag}", "seller", name="Bu Lambat")
    status, shop = seller.post("/api/v1/shops", json={"name": f"Warung Lambat {tag}", "village": "Sumberejo",
                                                      "district": "Sanankulon", "regency": "Blitar",
                                                      "whatsapp": "+6281299990000", "whatsapp_chat": True})
    assert status == 201, shop
    products = []
    for i in range(3):
        status, product = seller.post("/api/v1/products", json={
            "shop_id": shop["id"], "title": f"Gula kelapa {i} {tag}", "category": "hasil-bumi", "price": 25000 + i,
            "stock": 9, "status": "published"})
        assert status == 201, product
        status, photo = seller.post(f"/api/v1/media/products/{product['id']}/photos",
                                    files={"photo": ("g.png", photo_png(), "image/png")})
        assert status == 201, photo
        products.append(product)
    return tag, shop, products


def first_visit_on_2g(person, path: str) -> dict:
    """Open `path` with an empty cache on the throttled link: bytes received (encoded, as on the wire) and time."""
    page = person.page
    cdp = person.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", TWO_G)
    received: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda e: received.__setitem__(e["requestId"], int(e.get("encodedDataLength") or 0)))
    started = time.perf_counter()
    response = page.goto(path, wait_until="load")
    seconds = time.perf_counter() - started
    assert response is not None and response.status == 200, (path, response and response.status)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    cdp.detach()
    photos = [u for rid, u in urls.items() if "/api/v1/media/" in u]
    return {"seconds": seconds, "bytes": sum(received.values()), "requests": len(received), "photos": photos}


def test_first_visits_on_2g_and_save_data(stack, browse, catalog):
    tag, shop, products = catalog
    report = []
    shopper = browse("pembeli-2g", token=stack.token(f"shopper-{tag}", "shopper", name="Pak Pelan"))
    for name, path in (("home", "/"), ("search", f"/cari?q={tag}"), ("product", f"/produk/{products[0]['id']}")):
        seen = first_visit_on_2g(shopper, path)
        report.append(f"{name}: {seen['bytes']} B in {seen['requests']} requests, {seen['seconds']:.2f} s")
    shopper.page.get_by_label("Jumlah").fill("2")
    shopper.page.get_by_role("button", name="Masukkan keranjang").click()
    shopper.page.wait_for_load_state()
    seen = first_visit_on_2g(shopper, "/checkout")
    assert "Buat pesanan" in shopper.page.content()
    report.append(f"checkout: {seen['bytes']} B in {seen['requests']} requests, {seen['seconds']:.2f} s")
    print("\nfirst visit on emulated 2G (250 kbit/s, 300 ms RTT), photos included where shown:\n  "
          + "\n  ".join(report))

    # Save-Data: on -> no photo is fetched; the placeholder is a plain link that brings them
    saver = browse("hemat")
    saver.context.set_extra_http_headers({"Save-Data": "on"})
    seen = first_visit_on_2g(saver, f"/produk/{products[0]['id']}")
    print(f"  product with Save-Data: {seen['bytes']} B in {seen['requests']} requests, {seen['seconds']:.2f} s")
    assert seen["photos"] == [], seen["photos"]
    placeholder = saver.page.get_by_role("link", name="Tampilkan foto")
    assert placeholder.count() == 1
    saver.check("reach-product-save-data")
    placeholder.click()
    saver.page.wait_for_load_state()
    assert saver.page.locator("main img").count() >= 1

    # the same person's own switch, no script, on a browser that does not send the header
    switcher = browse("saklar", javascript=False)
    switcher.goto(f"/toko/{shop['id']}")
    assert switcher.page.locator("main img").count() >= 1
    switcher.page.get_by_role("button", name="Hemat kuota: mati").click()
    switcher.page.wait_for_load_state()
    assert switcher.page.locator("main img").count() == 0
    assert switcher.page.get_by_role("link", name="Tampilkan foto").count() >= 1
    share = switcher.page.get_by_role("link", name="Bagikan ke WhatsApp")
    assert share.get_attribute("href").startswith("https://wa.me/?text=")
    assert switcher.page.get_by_role("link", name="Tanya lewat WhatsApp").get_attribute("href").startswith(
        "https://wa.me/6281299990000?text=")


def test_product_page_photo_is_responsive_webp(stack, browse, catalog):
    tag, shop, products = catalog
    person = browse("lebar")
    person.goto(f"/produk/{products[1]['id']}")
    person.page.wait_for_load_state("load")
    chosen = person.page.locator("main picture img").first.evaluate("img => img.currentSrc")
    # a 390 px phone at DPR 1 takes the smallest WebP that fills it (640 w), not the 1200 px JPEG
    assert "f=webp" in chosen and "w=640" in chosen, chosen
    person.check("reach-product")
