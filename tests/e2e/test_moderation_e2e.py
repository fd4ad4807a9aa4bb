"""The operator's moderation (issue 16) through every process: a hidden listing leaves search and its page and
cannot be ordered, its owner is told why; a suspended account cannot log in and its tokens stop at once,
reinstated it logs in again. Every action is recorded and shown on the thing it changed."""
from __future__ import annotations

import uuid

import requests

from tests.browser.test_pages_shopper import seller_with_product
from tests.support.infra import wait_until


def test_a_listing_hidden_by_the_operator_leaves_the_market_and_its_owner_is_told(stack):
    tag = uuid.uuid4().hex[:6]
    seller, shop, listing = seller_with_product(stack, f"Toko moderasi {tag}", "Sumberejo", f"Garum-{tag}",
                                                f"Gula aren {tag}", 20000)
    admin = stack.client(f"operator-{tag}", "admin", name="Operator")
    shopper = stack.client(f"shopper-{tag}", "shopper", name="Bu Siti")
    anyone = stack.client()
    assert anyone.get("/api/v1/products", params={"q": f"aren {tag}"})[1]["total"] == 1
    assert seller.post(f"/api/v1/products/{listing['id']}/moderation",
                       json={"action": "hide", "reason": "x"})[0] == 403  # only the operator
    status, hidden = admin.post(f"/api/v1/products/{listing['id']}/moderation",
                                json={"action": "hide", "reason": "Foto bukan barangnya"})
    assert status == 200 and hidden["hidden"]["reason"] == "Foto bukan barangnya"
    assert [(m["action"], m["actor_id"]) for m in hidden["moderation"]] == [("hide", f"operator-{tag}")]
    assert anyone.get("/api/v1/products", params={"q": f"aren {tag}"})[1]["total"] == 0
    assert anyone.get(f"/api/v1/products/{listing['id']}")[0] == 404
    assert seller.get(f"/api/v1/products/{listing['id']}")[1]["hidden"]["reason"] == "Foto bukan barangnya"
    assert listing["id"] in [p["id"] for p in admin.get("/api/v1/products/hidden")[1]]
    status, order = shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing["id"], "qty": 1}], "payment_method": "cod",
        "delivery_address": {"name": "Bu Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3",
                             "district": f"Garum-{tag}"}}, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert status == 201, order
    rejected = wait_until(lambda: (lambda r: r[1] if r[1]["status"] != "PLACED" else None)(
        shopper.get(f"/api/v1/orders/{order['id']}")), timeout=20, message="the order answered")
    assert rejected["status"] == "REJECTED" and rejected["problems"][0]["reason"] == "unpublished"
    told = wait_until(lambda: [n for n in (seller.get("/api/v1/notifications")[1] or {}).get("items", [])
                               if "Foto bukan barangnya" in (n.get("body") or "") + (n.get("title") or "")],
                      timeout=20, message="the owner is told why")
    assert told[0]["title"] == f"Produk Gula aren {tag} disembunyikan"
    status, shown = admin.post(f"/api/v1/products/{listing['id']}/moderation",
                               json={"action": "unhide", "reason": "Foto sudah diganti"})
    assert status == 200 and shown["hidden"] is None
    assert anyone.get("/api/v1/products", params={"q": f"aren {tag}"})[1]["total"] == 1


def register(stack, tag: str) -> tuple[str, dict]:
    phone = "0857" + f"{uuid.uuid4().int % 10 ** 8:08d}"
    resp = requests.post(stack.url + "/api/v1/auth/register", json={
        "name": f"Pak Nakal {tag}", "phone": phone, "password": "rahasia-desa-1", "role": "shopper"}, timeout=15)
    assert resp.status_code == 201, resp.text
    return phone, resp.json()


def login(stack, phone: str) -> requests.Response:
    return requests.post(stack.url + "/api/v1/auth/login", json={"identifier": phone, "password": "rahasia-desa-1"},
                         timeout=15)


def test_a_suspended_account_cannot_log_in_and_its_tokens_stop_until_it_is_reinstated(stack):
    tag = uuid.uuid4().hex[:6]
    phone, pair = register(stack, tag)
    user_id, access = pair["account"]["id"], pair["access_token"]
    me = lambda token: requests.get(stack.url + "/api/v1/auth/me",  # noqa: E731
                                    headers={"Authorization": f"Bearer {token}"}, timeout=15)
    assert me(access).status_code == 200
    admin = stack.client(f"operator-{tag}", "admin", name="Operator")
    shopper = stack.client(f"other-{tag}", "shopper")
    assert shopper.post(f"/api/v1/auth/accounts/{user_id}/moderation",
                        json={"action": "suspend", "reason": "x"})[0] == 403
    status, account = admin.post(f"/api/v1/auth/accounts/{user_id}/moderation",
                                 json={"action": "suspend", "reason": "Penipuan berulang"})
    assert status == 200 and account["suspended"]["reason"] == "Penipuan berulang"
    assert me(access).status_code == 401  # the access token it had is refused at once
    refreshed = requests.post(stack.url + "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]},
                              timeout=15)
    assert refreshed.status_code == 401
    refused = login(stack, phone)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_suspended"
    status, found = admin.get("/api/v1/auth/accounts", params={"q": user_id, "suspended": "true"})
    assert status == 200 and [a["id"] for a in found["accounts"]] == [user_id]
    status, account = admin.post(f"/api/v1/auth/accounts/{user_id}/moderation",
                                 json={"action": "reinstate", "reason": "Sudah diklarifikasi"})
    assert status == 200 and account["suspended"] is None
    assert [(a["action"], a["reason"]) for a in account["actions"]] == [
        ("reinstate", "Sudah diklarifikasi"), ("suspend", "Penipuan berulang")]
    again = login(stack, phone)
    assert again.status_code == 200 and me(again.json()["access_token"]).status_code == 200
