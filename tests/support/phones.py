"""Codes sent to a phone, read the way a villager reads WhatsApp: in development the notifications worker writes
each WhatsApp message as a JSON line in var/whatsapp.log. Sellers and couriers prove their number with the code
sent at sign-up before they may sell or take deliveries (issue 18); `prove_phone` does that through the real
code flow, for tests that sign such accounts up through the API."""
from __future__ import annotations

import json
import re

import requests

from tests.support.infra import wait_until

VERIFY_WORDS = "verifi"  # "Kode verifikasi" (id) and "Your verification code" (en)


def whatsapp_messages(stack, e164: str) -> list[str]:
    log = stack.var / "whatsapp.log"
    if not log.exists():
        return []
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [line["text"]["body"] for line in lines if line["to"] == e164.lstrip("+")]


def whatsapp_code(stack, e164: str, words: str, nth: int = 1) -> str:
    """The `nth` code containing `words` that reached this number by WhatsApp."""
    def arrived():
        found = [m for m in whatsapp_messages(stack, e164) if words in m]
        return found if len(found) >= nth else None
    message = wait_until(arrived, timeout=20, message=f"WhatsApp code #{nth} to {e164}")[nth - 1]
    return re.search(r"\b(\d{6})\b", message).group(1)


def prove_phone(stack, signed: dict, headers: dict | None = None) -> dict:
    """`signed` is the answer of POST /api/v1/auth/register (a phone account): type the sign-up code back, and
    return a fresh token pair whose access token says `phone_verified: true`."""
    e164 = signed["account"]["phone"]
    code = whatsapp_code(stack, e164, VERIFY_WORDS)
    auth = {"Authorization": "Bearer " + signed["access_token"], **(headers or {})}
    proven = requests.post(stack.url + "/api/v1/auth/phone/verify", json={"code": code}, headers=auth, timeout=15)
    assert proven.status_code == 200 and proven.json()["phone_verified"] is True, proven.text
    fresh = requests.post(stack.url + "/api/v1/auth/refresh", json={"refresh_token": signed["refresh_token"]},
                          headers=headers or {}, timeout=15)
    assert fresh.status_code == 200, fresh.text
    return fresh.json()
