"""The weight budget for a slow, costly link: a first visit to any main page (the page, its stylesheet and scripts,
gzip counted, photos not) stays under 30 KB; a listing page with `Save-Data: on` (no photo fetched at all, tiny
placeholders instead) under 15 KB. Bytes are counted as sent on the wire (the compressed body)."""
from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.e2e.test_reach_sharing import photo_png

pytestmark = pytest.mark.e2e

PAGE_BUDGET = 30 * 1024
SAVE_DATA_BUDGET = 15 * 1024
ASSETS = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')
PHOTOS = re.compile(r'<img[^>]+src="([^"]+)"')


def sent_bytes(url: str, **kw) -> tuple[int, str]:
    """(bytes on the wire for the body, decoded text) of one GET that accepts gzip."""
    headers = {"Accept-Encoding": "gzip", **kw.pop("headers", {})}
    resp = requests.get(url, headers=headers, stream=True, timeout=30, **kw)
    raw = resp.raw.read(decode_content=False)
    assert resp.status_code == 200, (url, resp.status_code)
    text = requests.get(url, headers=headers, timeout=30, **kw).text
    return len(raw), text


def first_visit(base: str, path: str, **kw) -> tuple[int, dict, str]:
    """A first visit with an empty cache: the page plus every stylesheet and script it names (photos not)."""
    size, html = sent_bytes(base + path, **kw)
    parts = {path: size}
    for asset in dict.fromkeys(ASSETS.findall(html)):
        parts[asset], _ = sent_bytes(base + asset)
    return sum(parts.values()), parts, html


@pytest.fixture(scope="module")
def shop_with_many(stack):
    tag = uuid.uuid4().hex[:6]
    seller = stack.client(f"seller-{tag}", "seller", name="Bu Budget")
    status, shop = seller.post("/api/v1/shops", json={"name": f"Toko Timbang {tag}", "village": "Sumberejo",
                                                      "district": "Sanankulon", "regency": "Blitar"})
    assert status == 201, shop
    products = []
    for i in range(24):  # more than one page of results
        status, product = seller.post("/api/v1/products", json={
            "shop_id": shop["id"], "title": f"Anyaman pandan nomor {i} {tag}", "category": "anyaman",
            "price": 15000 + i * 1000, "stock": 3, "status": "published",
            "description": "Tikar anyaman pandan buatan tangan ibu-ibu desa, kuat dan wangi. " * 3})
        assert status == 201, product
        products.append(product)
    for product in products[:6]:
        status, photo = seller.post(f"/api/v1/media/products/{product['id']}/photos",
                                    files={"photo": ("p.png", photo_png(), "image/png")})
        assert status == 201, photo
    return tag, shop, products


def test_main_pages_stay_under_30_kb_on_a_first_visit(stack, shop_with_many):
    tag, shop, products = shop_with_many
    shopper = f"shopper-{tag}"
    signed_in = {"pd_at": stack.token(shopper, "shopper", name="Pak Timbang"),
                 "pd_cart": f"{products[0]['id']}:2.{products[1]['id']}:1"}
    pages = {"home": ("/", {}), "search": (f"/cari?q={tag}", {}), "product": (f"/produk/{products[0]['id']}", {}),
             "shop": (f"/toko/{shop['id']}", {}), "cart": ("/keranjang", {"cookies": signed_in}),
             "checkout": ("/checkout", {"cookies": signed_in})}
    report = []
    for name, (path, kw) in pages.items():
        total, parts, html = first_visit(stack.url, path, **kw)
        report.append(f"{name}: {total} B ({', '.join(f'{k} {v}' for k, v in parts.items())})")
        assert total <= PAGE_BUDGET, f"{name} weighs {total} bytes on a first visit: {parts}"
        if name == "checkout":
            assert "Buat pesanan" in html or "Bayar" in html, html[:500]
    print("\npage weights (first visit, gzip, without photos):\n  " + "\n  ".join(report))


def test_save_data_pages_show_placeholders_and_stay_under_15_kb(stack, shop_with_many):
    tag, shop, products = shop_with_many
    for path in (f"/produk/{products[0]['id']}", f"/toko/{shop['id']}", f"/cari?q={tag}"):
        total, parts, html = first_visit(stack.url, path, headers={"Save-Data": "on"})
        print(f"\nSave-Data {path}: {total} B {parts}")
        assert total <= SAVE_DATA_BUDGET, f"{path} with Save-Data weighs {total} bytes: {parts}"
        assert not [src for src in PHOTOS.findall(html) if "/api/v1/media/" in src], "a photo is still fetched"
        assert "Tampilkan foto" in html
    # "show the photo": one plain link, no script; the photos come back
    _, html = sent_bytes(f"{stack.url}/produk/{products[0]['id']}?foto=1", headers={"Save-Data": "on"})
    assert PHOTOS.findall(html) and "Tampilkan foto" not in html
    # the search results are paged: 24 products, 20 to a page
    _, html = sent_bytes(f"{stack.url}/cari?q={tag}")
    assert html.count('class="card"') == 20 and 'rel="next"' in html
    _, html = sent_bytes(f"{stack.url}/toko/{shop['id']}")
    assert html.count('class="card"') == 20 and 'rel="next"' in html


def test_hemat_kuota_switch_is_remembered_without_the_header(stack, shop_with_many):
    tag, shop, products = shop_with_many
    visitor = requests.Session()
    page = visitor.get(f"{stack.url}/produk/{products[0]['id']}", timeout=15).text
    assert "/api/v1/media/" in page and "Hemat kuota: mati" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    switched = visitor.post(f"{stack.url}/hemat-kuota", data={"csrf": csrf, "on": "1",
                                                              "next": f"/produk/{products[0]['id']}"}, timeout=15)
    assert switched.status_code == 200 and "Hemat kuota: nyala" in switched.text
    assert "Tampilkan foto" in switched.text and not PHOTOS.findall(switched.text)
    # a browser that sends Save-Data: on, but the person turned the switch off: photos shown
    csrf = re.search(r'name="csrf" value="([^"]+)"', switched.text).group(1)
    visitor.post(f"{stack.url}/hemat-kuota", data={"csrf": csrf, "on": "0", "next": "/"}, timeout=15)
    page = visitor.get(f"{stack.url}/produk/{products[0]['id']}", headers={"Save-Data": "on"}, timeout=15).text
    assert PHOTOS.findall(page) and "Hemat kuota: mati" in page


def test_hemat_kuota_is_an_account_setting_when_signed_in(stack, shop_with_many):
    tag, shop, products = shop_with_many
    body = {"name": "Bu Irit", "phone": "0857" + str(uuid.uuid4().int)[:8], "password": "rahasia-123"}
    registered = requests.post(stack.url + "/api/v1/auth/register", json=body, timeout=15)
    assert registered.status_code == 201, registered.text
    token = registered.json()["access_token"]
    phone = requests.Session()
    phone.cookies.set("pd_at", token)
    page = phone.get(f"{stack.url}/produk/{products[0]['id']}", timeout=15).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    phone.post(f"{stack.url}/hemat-kuota", data={"csrf": csrf, "on": "1", "next": "/"}, timeout=15)
    # another phone, the same account, no cookie and no Save-Data header: data is still saved
    other = requests.get(f"{stack.url}/produk/{products[0]['id']}", cookies={"pd_at": token}, timeout=15).text
    assert "Hemat kuota: nyala" in other and not PHOTOS.findall(other)
    # a visitor on the same page still sees the photos
    assert PHOTOS.findall(requests.get(f"{stack.url}/produk/{products[0]['id']}", timeout=15).text)
