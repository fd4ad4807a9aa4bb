"""The catalog through the gateway with every process running: a seller lists a product, shoppers find it
(with conditional GETs that survive the proxy), an order reserves its stock through RabbitMQ, and the
seller sees the movement in the stock ledger."""
from __future__ import annotations

import gzip
import json
import uuid

import requests

from tests.support.infra import wait_until

ADDRESS = {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3", "village": "Bendosari",
           "district": "Sanankulon", "regency": "Blitar", "province": "Jawa Timur"}


def test_seller_lists_shopper_finds_and_an_order_reserves_stock_through_the_gateway(stack):
    tag = uuid.uuid4().hex[:6]
    seller = stack.client(f"seller-{tag}", "seller", name="Bu Sri")
    status, shop = seller.post("/api/v1/shops", json={
        "name": f"Anyaman Bu Sri {tag}", "village": "Bendosari", "district": "Sanankulon", "regency": "Blitar",
        "province": "Jawa Timur", "whatsapp": "+6281334560001"})
    assert status == 201, shop
    word = f"pandan{tag}"
    status, listing = seller.post("/api/v1/products", json={
        "shop_id": shop["id"], "title": f"Tikar {word}", "category": "anyaman", "price": 85000, "stock": 3})
    assert status == 201 and listing["status"] == "draft", listing
    status, listing = seller.post(f"/api/v1/products/{listing['id']}/status", json={"status": "published"})
    assert status == 200 and listing["status"] == "published"

    url = f"{stack.url}/api/v1/products?q={word}&per_page=20"
    first = requests.get(url, timeout=10)
    assert first.status_code == 200 and [i["id"] for i in first.json()["items"]] == [listing["id"]]
    assert first.headers["ETag"] and "max-age" in first.headers["Cache-Control"]
    again = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304
    assert "whatsapp" not in requests.get(f"{stack.url}/api/v1/shops/{shop['id']}", timeout=10).json()

    shopper = stack.client(f"shopper-{tag}", "shopper")
    status, order = shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing["id"], "qty": 2}], "payment_method": "cod", "delivery_address": ADDRESS})
    assert status == 201, order
    public = stack.client()
    wait_until(lambda: public.get(f"/api/v1/products/{listing['id']}")[1]["stock"] == 1, timeout=20,
               message="the catalog reserving the order's stock")
    status, ledger = seller.get(f"/api/v1/products/{listing['id']}/stock-ledger")
    assert status == 200
    assert sorted((m["kind"], m["change"], m["order_id"]) for m in ledger) == [
        ("initial", 3, None), ("reserve", -2, order["id"])]
    # a different seller still cannot see that ledger
    assert stack.client(f"seller-x{tag}", "seller").get(f"/api/v1/products/{listing['id']}/stock-ledger")[0] == 404


def test_a_sellers_retried_post_through_the_gateway_creates_one_shop_and_says_it_was_replayed(stack):
    tag = uuid.uuid4().hex[:6]
    seller = stack.client(f"seller-{tag}", "seller", name="Bu Sri")
    body = {"name": f"Gerabah {tag}", "district": "Sanankulon", "regency": "Blitar"}
    answers = [seller.session.post(f"{stack.url}/api/v1/shops", json=body, timeout=15,
                                   headers={"Idempotency-Key": f"new-shop-{tag}"}) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201] and answers[1].content == answers[0].content
    assert answers[1].headers.get("Idempotent-Replayed") == "true"
    status, mine = seller.get("/api/v1/shops?mine=true")
    assert status == 200 and [s["id"] for s in mine["items"]] == [answers[0].json()["id"]]


def test_api_answers_travel_gzipped_and_revalidate_with_a_304(stack):
    tag = uuid.uuid4().hex[:6]
    seller = stack.client(f"seller-{tag}", "seller", name="Bu Sri")
    status, shop = seller.post("/api/v1/shops", json={"name": f"Anyaman {tag}", "village": "Bendosari",
                                                      "district": "Sanankulon", "regency": "Blitar"})
    assert status == 201, shop
    for n in range(4):
        status, _ = seller.post("/api/v1/products", json={
            "shop_id": shop["id"], "title": f"Tikar {tag} {n}", "category": "anyaman", "price": 85000, "stock": 3,
            "status": "published", "description": "Dianyam tangan dari daun pandan pilihan. " * 8})
        assert status == 201
    url = f"{stack.url}/api/v1/shops/{shop['id']}/products"
    first = requests.get(url, headers={"Accept-Encoding": "gzip"}, timeout=10, stream=True)
    wire = first.raw.read(decode_content=False)
    assert first.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in first.headers["Vary"]
    items = json.loads(gzip.decompress(wire))["items"]
    assert len(items) == 4 and len(wire) < len(json.dumps(items)) / 2  # a slow link carries under half
    assert first.headers["ETag"].startswith("W/")
    again = requests.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert "Content-Encoding" not in plain.headers and len(plain.json()["items"]) == 4


def test_search_through_the_gateway_understands_indonesian_and_the_storefront_says_did_you_mean(stack):
    tag = uuid.uuid4().hex[:6]
    village = f"Sumber{tag}"
    seller = stack.client(f"seller-{tag}", "seller", name="Pak Harno")
    status, shop = seller.post("/api/v1/shops", json={
        "name": f"Mebel dan Anyaman {tag}", "village": village, "district": "Tahunan", "regency": "Jepara",
        "province": "Jawa Tengah"})
    assert status == 201, shop
    made = {}
    for key, title in (("bed", "Ranjang kayu jati ukir"), ("basket", "Keranjang rotan besar"),
                       ("coffee", f"Kopi arabika Muria {tag}")):
        status, listing = seller.post("/api/v1/products", json={
            "shop_id": shop["id"], "title": title, "category": "anyaman", "price": 90000, "stock": 3,
            "status": "published"})
        assert status == 201, listing
        made[key] = listing["id"]

    def found(q: str) -> tuple[list[str], dict]:
        body = requests.get(f"{stack.url}/api/v1/products", params={"q": q, "per_page": 50}, timeout=10).json()
        return [i["id"] for i in body["items"]], body

    assert made["bed"] not in found("keranjang")[0] and made["basket"] in found("keranjang")[0]
    assert found(f"keranjang {tag}")[0] == [made["basket"]]
    assert set(found(village)[0]) == set(made.values())  # the village finds its shop's products
    ids, body = found(f"kopi arabica {tag}")
    assert ids == [made["coffee"]] and body["did_you_mean"] == f"kopi arabika {tag}"

    page = requests.get(f"{stack.url}/cari", params={"q": f"kopi arabica {tag}"}, timeout=10)
    assert page.status_code == 200
    assert f"kopi arabika {tag}</a>" in page.text and f"Kopi arabika Muria {tag}" in page.text
    assert "Tidak ada yang cocok dengan kata Anda" in page.text
    english = requests.get(f"{stack.url}/cari", params={"q": f"kopi arabica {tag}"}, cookies={"lang": "en"},
                           timeout=10)
    assert "Nothing matched your words; these results are for:" in english.text
