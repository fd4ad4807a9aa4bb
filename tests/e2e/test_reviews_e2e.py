"""Double-blind reviews through the gateway (issue 16): after receipt the shopper's review is a draft that no one
else reads (the other side, another shopper or seller, a courier, the operator, a visitor, the public lists);
a second review of the same parcel by the same side is refused; the seller's review publishes both, and the
catalog's stars follow."""
from __future__ import annotations

import json
import uuid

from tests.browser.test_pages_after_sale import cod_order
from tests.browser.test_pages_shopper import seller_with_product
from tests.support.infra import wait_until


def test_no_one_but_its_author_reads_a_draft_and_the_second_side_publishes_both(stack):
    tag = uuid.uuid4().hex[:6]
    district = f"Talun-{tag}"
    seller, shop, listing = seller_with_product(stack, f"Gerabah Pak Man {tag}", "Sumberejo", district,
                                                f"Kendi tanah liat {tag}", 35000)
    courier = stack.client(f"courier-{tag}", "courier", district=district, name="Pak Joko")
    assert courier.put("/api/v1/couriers/me", json={"available": True})[0] == 200
    shopper = stack.client(f"shopper-{tag}", "shopper", name="Bu Siti", district=district)
    order = cod_order(stack, (seller, listing, district), shopper)
    (parcel,) = order["fulfillments"]
    fid = parcel["id"]
    assert seller.post(f"/api/v1/fulfillments/{fid}/ready")[0] == 200
    for step in ("accept", "pickup"):
        assert courier.post(f"/api/v1/deliveries/{fid}/{step}")[0] == 200
    assert courier.post(f"/api/v1/deliveries/{fid}/deliver",
                        json={"cod_amount_collected": parcel["cod_amount_due"]})[0] == 200
    early = shopper.post("/api/v1/reviews", json={"fulfillment_id": fid, "rating": 5})
    assert early[0] == 409 and early[1]["error"]["code"] == "not_received"
    assert shopper.post(f"/api/v1/orders/{order['id']}/fulfillments/{fid}/receive")[0] == 200

    secret = f"Rahasia draf {tag}"
    status, draft = shopper.post("/api/v1/reviews", json={"fulfillment_id": fid, "rating": 2, "text": secret})
    assert status == 201 and draft["status"] == "draft"
    again = shopper.post("/api/v1/reviews", json={"fulfillment_id": fid, "rating": 5, "text": "lagi"})
    assert again[0] == 409 and again[1]["error"]["code"] == "already_reviewed"
    assert shopper.get(f"/api/v1/reviews/fulfillments/{fid}")[1]["mine"]["text"] == secret

    others = {"the seller": seller, "another shopper": stack.client(f"other-shopper-{tag}", "shopper"),
              "another seller": stack.client(f"other-seller-{tag}", "seller"), "the courier": courier,
              "the operator": stack.client(f"operator-{tag}", "admin"), "a visitor": stack.client()}
    for who, client in others.items():
        for path in (f"/api/v1/reviews/fulfillments/{fid}", f"/api/v1/reviews?listing_id={listing['id']}",
                     f"/api/v1/reviews?seller_id={seller_id_of(shop)}", "/api/v1/reviews/reported"):
            status, body = client.get(path)
            assert status < 500, (who, path, status)
            assert secret not in json.dumps(body), f"{who} read the draft at {path}"
        assert client.post(f"/api/v1/reviews/{draft['id']}/report", json={"reason": "x"})[0] in (401, 404)
    assert seller.get(f"/api/v1/reviews/fulfillments/{fid}")[1]["theirs"] is None
    assert others["another shopper"].get(f"/api/v1/reviews/fulfillments/{fid}")[0] == 404
    assert others["the courier"].get(f"/api/v1/reviews/fulfillments/{fid}")[0] == 403

    status, theirs = seller.post("/api/v1/reviews", json={"fulfillment_id": fid, "rating": 4, "text": "Ramah"})
    assert status == 201 and theirs["status"] == "published"
    assert seller.get(f"/api/v1/reviews/fulfillments/{fid}")[1]["theirs"]["text"] == secret
    assert shopper.get(f"/api/v1/reviews/fulfillments/{fid}")[1]["theirs"]["text"] == "Ramah"
    public = stack.client().get("/api/v1/reviews", params={"listing_id": listing["id"]})[1]
    assert [r["text"] for r in public["reviews"]] == [secret]
    stars = wait_until(lambda: (lambda p: p if p["rating_count"] == 1 else None)(
        stack.client().get(f"/api/v1/products/{listing['id']}")[1]), timeout=20, message="the catalog counts it")
    assert stars["rating_average"] == 2.0
    shop_now = stack.client().get(f"/api/v1/shops/{shop['id']}")[1]
    assert (shop_now["rating_average"], shop_now["rating_count"]) == (2.0, 1)


def seller_id_of(shop: dict) -> str:
    return shop["seller_id"]
