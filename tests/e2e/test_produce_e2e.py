"""Issue 17 with every real process behind the gateway (SQLite stack): a farmer sells chilies by the kilogram,
a shopper buys 1.5 kg at Rp 42.000/kg and pays Rp 63.000 for them; a quantity off the 0.5 kg step is a 422
naming the field; the stock is reserved and released in kilograms exactly; a perishable past its shelf life
cannot be ordered; and a seller's two shops in two districts make two parcels with two pickups and two fees."""
from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

from tests.support.infra import wait_until

JSON = {"Content-Type": "application/json"}


def _ok(result, status=200):
    code, body = result
    assert code == status, body
    return body


def category(stack) -> str:
    slug = f"panen-{uuid.uuid4().hex[:6]}"
    _ok(stack.client("admin-produce", "admin").post(
        "/api/v1/categories", json={"slug": slug, "name_id": "Hasil bumi", "name_en": "Produce"}), 201)
    return slug


def farmer_with_chilies(stack, district: str, **terms) -> tuple:
    """A farmer's shop in `district` and published chilies at Rp 42.000/kg, 10 kg, from 0.5 kg in 0.5 kg steps.
    The body is sent as raw JSON with real JSON numbers (10.0, 0.5): the catalog reads them as exact decimals."""
    farmer_id = f"farmer-{uuid.uuid4().hex[:6]}"
    farmer = stack.client(farmer_id, "seller", name="Bu Tini")
    shop = _ok(farmer.post("/api/v1/shops", json={"name": "Kebun Bu Tini", "street": "Jl. Sawah 1", "village": "Serang",
                                                  "district": district, "regency": "Purbalingga",
                                                  "whatsapp": "+6281100000001"}), 201)
    body = {"shop_id": shop["id"], "title": "Cabai rawit merah", "category": category(stack), "unit": "kg",
            "price": 42000, "status": "published", "harvested_on": date.today().isoformat(), "shelf_life_days": 5,
            **terms}
    raw = json.dumps(body)[:-1] + ', "stock": 10.0, "min_qty": 0.5, "qty_step": 0.5}'
    listing = _ok(farmer.post("/api/v1/products", data=raw, headers=JSON), 201)
    return farmer, listing


def address(district: str, regency: str = "Purbalingga") -> dict:
    return {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3", "district": district,
            "regency": regency, "province": "Jawa Tengah"}


def product(stack, listing_id: str) -> dict:
    return _ok(stack.client().get(f"/api/v1/products/{listing_id}"))


def wait_status(shopper, order_id: str, status: str) -> dict:
    return wait_until(lambda: (lambda r: r[1] if r[1].get("status") == status else None)(
        shopper.get(f"/api/v1/orders/{order_id}")), timeout=20, message=f"order {status}")


def test_one_and_a_half_kilos_of_chilies_cost_63000_and_the_stock_moves_in_kilograms_exactly(stack):
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    farmer, listing = farmer_with_chilies(stack, here)
    assert (listing["stock"], listing["min_qty"], listing["qty_step"], listing["unit"], listing["price"]) == (
        10, "0.5", "0.5", "kg", 42000)
    shopper = stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
    line = f"/api/v1/cart/lines/{listing['id']}"

    # 1.2 kg is off the step: a 422 naming the field, in Bahasa Indonesia (once orders heard of the listing)
    def refused():
        code, body = shopper.put(line, data='{"qty": 1.2}', headers=JSON)
        return body if code == 422 else None
    bad = wait_until(refused, timeout=20, message="orders knows the chilies' step")
    assert bad["error"]["fields"] == {"qty": ["beli dengan kelipatan 0.5 kg mulai 0.5"]}
    english = shopper.put(line, data='{"qty": "0.25"}', headers={**JSON, "Accept-Language": "en"})
    assert english[0] == 422 and english[1]["error"]["fields"] == {"qty": ["buy at least 0.5 kg"]}

    # 1.5 kg as a JSON number: exact, answered as the string "1.5"
    cart = _ok(shopper.put(line, data='{"qty": 1.5}', headers=JSON))
    assert [(l["listing_id"], l["qty"]) for l in cart["lines"]] == [(listing["id"], "1.5")]
    order = _ok(shopper.post("/api/v1/orders", json={"payment_method": "cod", "delivery_address": address(here)},
                             headers={"Idempotency-Key": str(uuid.uuid4())}), 201)
    confirmed = wait_status(shopper, order["id"], "CONFIRMED")
    (f,) = confirmed["fulfillments"]
    assert [(i["qty"], i["unit"], i["unit_price"], i["line_total"]) for i in f["items"]] == [("1.5", "kg", 42000, 63000)]
    assert (confirmed["goods_total"], confirmed["delivery_total"], confirmed["total"]) == (63000, 10000, 73000)
    assert f["cod_amount_due"] == 73000
    assert product(stack, listing["id"])["stock"] == "8.5"

    # cancelled: the 1.5 kg go back, exactly
    _ok(shopper.post(f"/api/v1/orders/{order['id']}/cancel"))
    wait_until(lambda: product(stack, listing["id"])["stock"] == 10, timeout=15, message="1.5 kg released")
    ledger = _ok(farmer.get(f"/api/v1/products/{listing['id']}/stock-ledger"))
    assert [(m["kind"], m["change"], m["stock_after"]) for m in reversed(ledger)] == [
        ("initial", 10, 10), ("reserve", "-1.5", "8.5"), ("release", "1.5", 10)]


def test_chilies_past_their_shelf_life_cannot_be_ordered_and_say_so(stack):
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    _farmer, listing = farmer_with_chilies(
        stack, here, harvested_on=(date.today() - timedelta(days=8)).isoformat(), shelf_life_days=3)
    assert (listing["expired"], listing["in_stock"]) == (True, False)
    assert listing["sellable_until"] == (date.today() - timedelta(days=5)).isoformat()
    shopper = stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
    items = {"items": [{"listing_id": listing["id"], "qty": "1"}], "payment_method": "cod",
             "delivery_address": address(here)}

    def refused():
        code, body = shopper.post("/api/v1/orders", json=items)
        if code == 201:  # orders had not heard of the listing yet: the catalog refuses the reservation
            rejected = wait_status(shopper, body["id"], "REJECTED")
            assert [p["reason"] for p in rejected["problems"]] == ["expired"]
            return None
        return body if code == 422 else None
    bad = wait_until(refused, timeout=20, message="orders refuses the expired chilies")
    assert bad["error"]["fields"] == {"items": {"0": {"listing_id": ["tidak dijual lagi: sudah lewat masa simpannya"]}}}


def test_a_nearby_only_perishable_is_refused_for_another_regency(stack):
    here = f"Kec-{uuid.uuid4().hex[:6]}"
    _farmer, listing = farmer_with_chilies(stack, here, deliver_within="regency")
    shopper = stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
    far = {"items": [{"listing_id": listing["id"], "qty": 1}], "payment_method": "cod",
           "delivery_address": address("Lowokwaru", "Kota Malang")}

    def refused():
        code, body = shopper.post("/api/v1/orders", json=far)
        if code == 201:
            rejected = wait_status(shopper, body["id"], "REJECTED")
            assert [p["reason"] for p in rejected["problems"]] == ["too_far"]
            return None
        return body if code == 422 else None
    bad = wait_until(refused, timeout=20, message="orders refuses delivery to another regency")
    assert bad["error"]["fields"] == {"items": {"0": {"listing_id": ["hanya dikirim di dalam kabupaten toko"]}}}


def test_one_seller_two_shops_in_two_districts_make_two_parcels_with_two_pickups_and_two_fees(stack):
    """The bug report: both items went in the first shop's parcel, its pickup district only, one fee."""
    home, other = f"Kec-{uuid.uuid4().hex[:6]}", f"Kec-{uuid.uuid4().hex[:6]}"
    seller_id = f"seller-{uuid.uuid4().hex[:6]}"
    seller = stack.client(seller_id, "seller", name="Bu Ani")
    slug = category(stack)
    listings = {}
    for district, name, title, price in ((home, "Anyaman Ani", "Tikar pandan", 50000),
                                         (other, "Batik Ani", "Batik tulis", 80000)):
        shop = _ok(seller.post("/api/v1/shops", json={"name": name, "street": "Jl. Desa 1", "village": "Desa",
                                                      "district": district, "regency": "Blitar"}), 201)
        listings[name] = _ok(seller.post("/api/v1/products", json={
            "shop_id": shop["id"], "title": title, "category": slug, "price": price, "stock": 4,
            "status": "published"}), 201)["id"]
    shopper = stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
    order = _ok(shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listings["Anyaman Ani"], "qty": 1}, {"listing_id": listings["Batik Ani"], "qty": 1}],
        "payment_method": "cod", "delivery_address": {**address(home), "regency": "Blitar"}}), 201)
    confirmed = wait_status(shopper, order["id"], "CONFIRMED")
    parcels = sorted(confirmed["fulfillments"], key=lambda f: f["shop_name"])
    assert [(f["shop_name"], f["district"], f["pickup"]["district"], f["delivery_fee"], f["cod_amount_due"])
            for f in parcels] == [("Anyaman Ani", home, home, 10000, 60000), ("Batik Ani", other, other, 20000, 100000)]
    assert [[i["title"] for i in f["items"]] for f in parcels] == [["Tikar pandan"], ["Batik tulis"]]
    assert (confirmed["delivery_total"], confirmed["total"]) == (30000, 160000)
    # each parcel goes to a courier of its own shop's district
    for f, district in zip(parcels, (home, other)):
        courier_id = f"courier-{uuid.uuid4().hex[:6]}"
        _ok(stack.client(courier_id, "courier", district=district).put("/api/v1/couriers/me", json={"available": True}))
        assert _ok(seller.post(f"/api/v1/fulfillments/{f['id']}/ready"))["courier_id"] == courier_id
    # no batik after all: that parcel alone is cancelled and only the batik goes back on its shop's shelf
    batik = parcels[1]
    _ok(seller.post(f"/api/v1/fulfillments/{batik['id']}/refuse", json={"reason": "out_of_stock"}))
    wait_until(lambda: product(stack, listings["Batik Ani"])["stock"] == 4, timeout=15, message="batik released")
    assert product(stack, listings["Anyaman Ani"])["stock"] == 3
