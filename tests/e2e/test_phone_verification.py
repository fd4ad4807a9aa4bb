"""Selling and taking deliveries need a proven phone (issue 18), through every process: the gateway signs the
`phone_verified` fact into the access token, and the catalog and orders services refuse on their own (403
`phone_not_verified`, in the caller's language) until the person types back the code sent by WhatsApp."""
from __future__ import annotations

import uuid

import pytest
import requests

from tests.support.phones import VERIFY_WORDS, prove_phone, whatsapp_code
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def stack():
    """Behind one trusted proxy, so each test is its own client (X-Forwarded-For) for the per-IP code budget."""
    with Stack(extra_env={"TRUSTED_PROXY_HOPS": "1"}) as stack:
        yield stack


def client_ip() -> dict:
    return {"X-Forwarded-For": f"203.0.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"}


def unique_phone() -> str:
    return "0813" + f"{uuid.uuid4().int % 10 ** 8:08d}"


def call(stack, method: str, path: str, token: str | None = None, ip: dict | None = None, lang: str = "id",
         **kw) -> requests.Response:
    headers = {"Accept-Language": lang, **(ip or {}), **({"Authorization": "Bearer " + token} if token else {})}
    return requests.request(method, stack.url + path, headers=headers, timeout=15, **kw)


def sign_up(stack, ip: dict, **account) -> dict:
    resp = call(stack, "POST", "/api/v1/auth/register", ip=ip,
                json={"name": "Bu Sari", "password": "rahasia-desa-1", "district": "Sanankulon", **account})
    assert resp.status_code == 201, resp.text
    return resp.json()


def refreshed(stack, signed: dict, ip: dict) -> dict:
    resp = call(stack, "POST", "/api/v1/auth/refresh", ip=ip, json={"refresh_token": signed["refresh_token"]})
    assert resp.status_code == 200, resp.text
    return resp.json()


SHOP = {"name": "Anyaman Bu Sari", "village": "Bendo", "district": "Sanankulon", "regency": "Blitar"}


def test_an_unproven_seller_is_refused_until_the_sign_up_code_is_typed_back(stack):
    ip = client_ip()
    signed = sign_up(stack, ip, phone=unique_phone(), role="seller")
    assert signed["account"]["phone_verified"] is False
    token = signed["access_token"]

    refused = call(stack, "POST", "/api/v1/shops", token, ip, json=SHOP)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "phone_not_verified"
    assert refused.json()["error"]["message"] == "verifikasi nomor HP Anda dulu (kode yang dikirim lewat WhatsApp)"
    in_english = call(stack, "POST", "/api/v1/shops", token, ip, lang="en", json=SHOP)
    assert in_english.json()["error"]["message"] == "verify your phone number first (the code sent by WhatsApp)"
    listing = call(stack, "POST", "/api/v1/products", token, ip, json={
        "shop_id": "any", "title": "Beras", "category": "hasil-bumi", "price": 50000, "stock": 3})
    assert listing.status_code == 403 and listing.json()["error"]["code"] == "phone_not_verified"

    code = whatsapp_code(stack, signed["account"]["phone"], VERIFY_WORDS)
    wrong = call(stack, "POST", "/api/v1/auth/phone/verify", token, ip,
                 json={"code": f"{(int(code) + 1) % 10 ** 6:06d}"})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_code"
    proven = call(stack, "POST", "/api/v1/auth/phone/verify", token, ip, json={"code": code[:3] + " " + code[3:]})
    assert proven.status_code == 200 and proven.json()["phone_verified"] is True

    token = refreshed(stack, signed, ip)["access_token"]  # the fact travels in the token: a fresh one carries it
    shop = call(stack, "POST", "/api/v1/shops", token, ip, json=SHOP)
    assert shop.status_code == 201, shop.text
    listing = call(stack, "POST", "/api/v1/products", token, ip, json={
        "shop_id": shop.json()["id"], "title": "Beras merah", "category": "hasil-bumi", "price": 50000, "stock": 3,
        "status": "published"})
    assert listing.status_code == 201, listing.text


def test_a_new_number_is_proven_again_and_a_spent_code_never_proves_it(stack):
    ip = client_ip()
    signed = sign_up(stack, ip, phone=unique_phone(), role="seller")
    first = whatsapp_code(stack, signed["account"]["phone"], VERIFY_WORDS)
    token = prove_phone(stack, signed, ip)["access_token"]
    assert call(stack, "POST", "/api/v1/shops", token, ip, json=SHOP).status_code == 201

    changed = call(stack, "PATCH", "/api/v1/auth/me", token, ip, json={"phone": unique_phone()})
    assert changed.status_code == 200 and changed.json()["phone_verified"] is False, changed.text
    pair = call(stack, "POST", "/api/v1/auth/login", ip=ip,
                json={"identifier": changed.json()["phone"], "password": "rahasia-desa-1"}).json()
    token = pair["access_token"]
    assert call(stack, "POST", "/api/v1/shops", token, ip, json=SHOP).status_code == 403

    reused = call(stack, "POST", "/api/v1/auth/phone/verify", token, ip, json={"code": first})
    assert reused.status_code == 400 and reused.json()["error"]["code"] == "invalid_code"
    assert call(stack, "POST", "/api/v1/auth/phone/code", token, ip).status_code == 202
    code = whatsapp_code(stack, changed.json()["phone"], VERIFY_WORDS)
    assert call(stack, "POST", "/api/v1/auth/phone/verify", token, ip, json={"code": code}).status_code == 200
    again = call(stack, "POST", "/api/v1/auth/phone/verify", token, ip, json={"code": code})
    assert again.status_code == 200 and again.json()["phone_verified"] is True  # already proven: nothing to spend
    token = refreshed(stack, pair, ip)["access_token"]
    assert call(stack, "POST", "/api/v1/shops", token, ip, json=SHOP).status_code == 201


def test_an_unproven_courier_neither_goes_on_duty_nor_takes_a_delivery(stack):
    ip = client_ip()
    signed = sign_up(stack, ip, phone=unique_phone(), role="courier")
    token = signed["access_token"]
    on_duty = call(stack, "PUT", "/api/v1/couriers/me", token, ip, lang="en", json={"available": True})
    assert on_duty.status_code == 403
    assert on_duty.json()["error"] == {"code": "phone_not_verified", "fields": {},
                                       "message": "verify your phone number first (the code sent by WhatsApp)"}
    assert call(stack, "PUT", "/api/v1/couriers/me", token, ip, json={"available": False}).status_code == 200
    for step in ("accept", "claim"):
        taken = call(stack, "POST", f"/api/v1/deliveries/{uuid.uuid4()}/{step}", token, ip)
        assert taken.status_code == 403 and taken.json()["error"]["code"] == "phone_not_verified", step

    token = prove_phone(stack, signed, ip)["access_token"]
    on_duty = call(stack, "PUT", "/api/v1/couriers/me", token, ip, json={"available": True})
    assert on_duty.status_code == 200 and on_duty.json()["available"] is True, on_duty.text
    assert call(stack, "POST", f"/api/v1/deliveries/{uuid.uuid4()}/accept", token, ip).status_code == 404


def test_an_email_only_agent_may_sell_but_an_email_only_seller_adds_and_proves_a_phone(stack):
    ip = client_ip()
    agent = sign_up(stack, ip, email=f"agus{uuid.uuid4().hex[:6]}@desa.id", role="agent")
    shop = call(stack, "POST", "/api/v1/shops", agent["access_token"], ip, json={**SHOP, "owner_name": "Mbah Tin"})
    assert shop.status_code == 201, shop.text

    seller = sign_up(stack, ip, email=f"sari{uuid.uuid4().hex[:6]}@desa.id", role="seller")
    assert call(stack, "POST", "/api/v1/shops", seller["access_token"], ip, json=SHOP).status_code == 403
    no_phone = call(stack, "POST", "/api/v1/auth/phone/code", seller["access_token"], ip)
    assert no_phone.status_code == 422 and "phone" in no_phone.json()["error"]["fields"]
