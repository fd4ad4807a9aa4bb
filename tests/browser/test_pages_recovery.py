"""Lupa kata sandi on the pages: a villager asks for a code, reads it on WhatsApp (the development channel's log),
types it with a new password, and is signed in; the old password no longer works."""
from __future__ import annotations

import uuid

import requests

from tests.e2e.test_account_recovery import whatsapp_code


def test_forgot_password_on_the_pages_by_whatsapp_code(stack, browse):
    phone = "0857" + f"{uuid.uuid4().int % 10 ** 8:08d}"
    signed = requests.post(stack.url + "/api/v1/auth/register", timeout=15,
                           json={"name": "Bu Tini", "phone": phone, "password": "sandi-lama-1"})
    assert signed.status_code == 201, signed.text
    e164 = signed.json()["account"]["phone"]

    villager = browse("villager")
    villager.goto("/masuk")
    villager.page.get_by_role("link", name="Lupa kata sandi?").click()
    villager.check("forgot-password")
    villager.page.get_by_label("Nomor HP atau email").fill(phone)
    villager.page.get_by_role("button", name="Kirim kode").click()
    villager.page.wait_for_load_state()
    assert "kode sudah dikirim lewat WhatsApp" in villager.text()
    code = whatsapp_code(stack, e164, "atur ulang kata sandi")

    villager.page.get_by_label("Kode 6 angka").fill(f"{(int(code) + 1) % 10 ** 6:06d}")
    villager.page.get_by_label("Kata sandi baru (minimal 8 huruf)").fill("sandi-baru-22")
    villager.page.get_by_role("button", name="Simpan kata sandi baru").click()
    villager.page.wait_for_load_state()
    assert "Kode salah atau sudah tidak berlaku." in villager.text()
    villager.check("reset-password-wrong-code")

    villager.page.get_by_label("Kode 6 angka").fill(code)
    villager.page.get_by_label("Kata sandi baru (minimal 8 huruf)").fill("sandi-baru-22")
    villager.page.get_by_role("button", name="Simpan kata sandi baru").click()
    villager.page.wait_for_load_state()
    assert "/lupa-sandi" not in villager.page.url and "Keluar" in villager.page.content()
    # the login made at sign-up has ended; the new password works, the old one does not
    assert requests.post(stack.url + "/api/v1/auth/refresh", json={"refresh_token": signed.json()["refresh_token"]},
                         timeout=15).status_code == 401
    for password, status in (("sandi-lama-1", 401), ("sandi-baru-22", 200)):
        assert requests.post(stack.url + "/api/v1/auth/login", json={"identifier": phone, "password": password},
                             timeout=15).status_code == status
