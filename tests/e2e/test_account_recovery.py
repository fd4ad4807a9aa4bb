"""Lupa kata sandi and phone verification through every process: the gateway stores the code's HMAC and publishes
`account.code_requested`, the notifications worker sends it (in development: a line in var/whatsapp.log, an .eml
under var/mail), and the person types it back. Read here like a villager reads their phone."""
from __future__ import annotations

import base64
import email
import email.policy
import json
import re
import uuid

import pytest
import requests

from tests.support.infra import wait_until
from tests.support.phones import whatsapp_code, whatsapp_messages  # noqa: F401 (the pages' test reads them here)
from tests.support.stack import Stack

CODES_PER_IP = 12


@pytest.fixture(scope="module")
def door():
    """Its own stack: behind one trusted proxy (each test is its own client by X-Forwarded-For), with a small
    per-IP budget for codes so the limit can be seen."""
    stack = Stack(extra_env={"TRUSTED_PROXY_HOPS": "1", "RATELIMIT_CODES_PER_IP": f"{CODES_PER_IP}/hour"})
    stack.start()
    yield stack
    stack.stop()


def client_ip() -> dict:
    return {"X-Forwarded-For": f"198.51.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"}


def unique_phone() -> str:
    return "0857" + f"{uuid.uuid4().int % 10 ** 8:08d}"


def post(door, path: str, body: dict, ip: dict, token: str | None = None) -> requests.Response:
    headers = {**ip, **({"Authorization": "Bearer " + token} if token else {})}
    return requests.post(door.url + "/api/v1/auth" + path, json=body, headers=headers, timeout=15)


def email_code(door, address: str) -> str:
    def arrived():
        for path in sorted((door.var / "mail").glob("*.eml")) if (door.var / "mail").exists() else []:
            mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address in mail["To"]:
                return mail
        return None
    mail = wait_until(arrived, timeout=20, message=f"an email to {address}")
    assert mail["Subject"] == "Kode untuk atur ulang kata sandi"
    body = mail.get_body(("plain",)).get_content()
    return re.search(r"\b(\d{6})\b", body).group(1)


def sign_up(door, ip, **account) -> dict:
    resp = post(door, "/register", {"name": "Siti", "password": "sandi-lama-1", **account}, ip)
    assert resp.status_code == 201, resp.text
    return resp.json()


def login(door, identifier: str, password: str, ip) -> requests.Response:
    return post(door, "/login", {"identifier": identifier, "password": password}, ip)


def test_forgot_password_by_whatsapp_code_ends_every_other_login(door):
    ip, phone = client_ip(), unique_phone()
    first = sign_up(door, ip, phone=phone)
    e164 = first["account"]["phone"]
    other_device = login(door, phone, "sandi-lama-1", ip).json()

    asked = post(door, "/password/forgot", {"identifier": "+62 " + phone[1:]}, ip)  # another spelling, same person
    assert asked.status_code == 202 and asked.json()["channel"] == "whatsapp", asked.text
    code = whatsapp_code(door, e164, "atur ulang kata sandi")
    assert "Berlaku 10 menit" in whatsapp_messages(door, e164)[-1]

    wrong = post(door, "/password/reset", {"identifier": phone, "code": f"{(int(code) + 1) % 10 ** 6:06d}",
                                            "new_password": "sandi-baru-22"}, ip)
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_code"
    reset = post(door, "/password/reset", {"identifier": phone, "code": code[:3] + " " + code[3:],
                                            "new_password": "sandi-baru-22"}, ip)
    assert reset.status_code == 200, reset.text
    assert reset.json()["account"]["phone_verified"] is True  # the WhatsApp code proved the number too

    again = post(door, "/password/reset", {"identifier": phone, "code": code, "new_password": "sandi-ketiga-3"}, ip)
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_code"  # a code works once
    for old in (first["refresh_token"], other_device["refresh_token"]):  # every other login has ended
        assert post(door, "/refresh", {"refresh_token": old}, ip).status_code == 401
    assert post(door, "/refresh", {"refresh_token": reset.json()["refresh_token"]}, ip).status_code == 200
    assert login(door, phone, "sandi-lama-1", ip).status_code == 401
    assert login(door, phone, "sandi-baru-22", ip).status_code == 200


def test_forgot_password_by_email_code(door):
    ip, address = client_ip(), f"sari.{uuid.uuid4().hex[:8]}@desa.example"
    first = sign_up(door, ip, email=address)
    asked = post(door, "/password/forgot", {"identifier": address.upper()}, ip)
    assert asked.status_code == 202 and asked.json()["channel"] == "email"
    code = email_code(door, address)
    reset = post(door, "/password/reset", {"identifier": address, "code": code, "new_password": "sandi-baru-22"}, ip)
    assert reset.status_code == 200, reset.text
    assert post(door, "/refresh", {"refresh_token": first["refresh_token"]}, ip).status_code == 401
    assert login(door, address, "sandi-baru-22", ip).status_code == 200


def test_an_unknown_number_gets_the_same_answer_as_a_known_one(door):
    ip, known, unknown = client_ip(), unique_phone(), unique_phone()
    sign_up(door, ip, phone=known)
    for_known = post(door, "/password/forgot", {"identifier": known}, ip)
    for_unknown = post(door, "/password/forgot", {"identifier": unknown}, ip)
    assert (for_known.status_code, for_known.json()) == (for_unknown.status_code, for_unknown.json()) == (
        202, {"message": "if the account exists, a code is on its way", "channel": "whatsapp", "expires_minutes": 10})
    whatsapp_code(door, "+62" + known[1:], "atur ulang kata sandi")  # the known one got its code...
    assert whatsapp_messages(door, "+62" + unknown[1:]) == []         # ...nobody else got anything
    guess = post(door, "/password/reset", {"identifier": unknown, "code": "123456", "new_password": "sandi-baru-22"},
                 ip)
    assert guess.status_code == 400 and guess.json()["error"]["code"] == "invalid_code"


def test_wrong_guesses_lock_the_code_and_each_address_has_a_budget(door):
    ip, phone = client_ip(), unique_phone()
    e164 = sign_up(door, ip, phone=phone)["account"]["phone"]
    post(door, "/password/forgot", {"identifier": phone}, ip)
    code = whatsapp_code(door, e164, "atur ulang kata sandi")
    wrong = f"{(int(code) + 7) % 10 ** 6:06d}"
    answers = [post(door, "/password/reset", {"identifier": phone, "code": wrong, "new_password": "sandi-baru-22"},
                    ip).status_code for _ in range(5)]
    assert answers == [400] * 5
    locked = post(door, "/password/reset", {"identifier": phone, "code": code, "new_password": "sandi-baru-22"}, ip)
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "too_many_code_attempts"
    assert login(door, phone, "sandi-lama-1", ip).status_code == 200  # the password did not change

    # one address: the codes budget (asking and trying together) runs out, whichever account it aims at
    statuses = [post(door, "/password/forgot", {"identifier": unique_phone()}, ip).status_code
                for _ in range(CODES_PER_IP)]
    assert 429 in statuses, statuses
    first = statuses.index(429)
    assert set(statuses[:first]) == {202} and set(statuses[first:]) == {429}, statuses
    assert post(door, "/password/forgot", {"identifier": phone}, client_ip()).status_code == 202  # a neighbour


def test_a_phone_is_proven_by_the_code_sent_at_sign_up(door):
    ip, phone = client_ip(), unique_phone()
    signed = sign_up(door, ip, phone=phone, role="courier", district="Sanankulon")
    assert signed["account"]["phone_verified"] is False
    e164 = signed["account"]["phone"]
    code = whatsapp_code(door, e164, "verifikasi")
    token = signed["access_token"]
    wrong = post(door, "/phone/verify", {"code": f"{(int(code) + 1) % 10 ** 6:06d}"}, ip, token)
    assert wrong.status_code == 400
    proven = post(door, "/phone/verify", {"code": code}, ip, token)
    assert proven.status_code == 200 and proven.json()["phone_verified"] is True
    fresh = post(door, "/refresh", {"refresh_token": signed["refresh_token"]}, ip).json()
    claims = json.loads(_b64(fresh["access_token"].split(".")[1]))
    assert claims["phone_verified"] is True


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
