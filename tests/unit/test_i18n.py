"""Answers in the caller's language: every message a user can get has its Indonesian, the catalog's
translations keep the placeholders, and the language is chosen as the brief says (Accept-Language, then the
account's locale, then Bahasa Indonesia)."""
from __future__ import annotations

import re

import pytest
from flask import Flask, g

from pasar import i18n, i18n_messages
from pasar.auth import Identity
from pasar.errors import error_body

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def test_every_message_a_user_can_get_has_its_indonesian():
    missing = i18n_messages.untranslated("id")
    assert not missing, "add these to pasar/translations/id/LC_MESSAGES/messages.po " \
                        "(python -m pasar.i18n_messages extract):\n" + "\n".join(
                            f"{text!r} at {where[0][0]}:{where[0][1]}" for text, where in missing.items())


def test_the_finder_sees_the_messages_of_every_service_and_marshmallows_own():
    found = i18n_messages.all_messages()
    files = {where[0] for places in found.values() for where in places}
    for service in ("catalog", "orders", "payments", "notifications"):
        assert any(f.startswith(f"services/{service}/") for f in files), service
    assert any(f.startswith("gateway/") for f in files)
    assert "Missing data for required field." in found and "Not a valid integer." in found
    assert "the cart is full" in found and "{what} not found" in found and "product" in found
    assert "a listing has at most {MAX_LISTING_PHOTOS} photos" in found  # an f-string, as its template


def test_translations_keep_their_placeholders():
    for msgid, translated in i18n.catalog("id").items():
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(translated)), msgid


def test_messages_with_values_are_translated_by_their_template():
    assert i18n.translate("Missing data for required field.", "id") == "Isian wajib ini belum diisi."
    assert i18n.translate("product not found", "id") == "produk tidak ditemukan"
    assert i18n.translate("Must be greater than or equal to 1 and less than or equal to 999.", "id") \
        == "Harus paling sedikit 1 dan paling banyak 999."
    assert i18n.translate("Length must be between 3 and 120.", "id") == "Panjangnya harus antara 3 dan 120."
    assert i18n.translate("Idempotency-Key must be 1 to 128 characters, without control characters", "id") \
        == "Idempotency-Key harus 1 sampai 128 karakter, tanpa karakter kendali"
    assert i18n.translate("a listing has at most 8 photos", "id") == "satu produk paling banyak punya 8 foto"
    assert i18n.translate("product not found", "en") == "product not found"
    assert i18n.translate("a message nobody wrote down", "id") == "a message nobody wrote down"


@pytest.mark.parametrize("header,account,expected", [
    ("id", None, "id"), ("en", "id", "en"), ("en-US,en;q=0.9", None, "en"), ("id-ID,id;q=0.9,en;q=0.8", "en", "id"),
    ("fr-FR", "en", "en"), ("fr-FR", None, "id"), (None, "en", "en"), (None, None, "id"), ("", "xx", "id"),
    ("de;q=1,en;q=0.5,id;q=0.7", None, "id"),
])
def test_the_language_is_accept_language_then_the_account_then_indonesian(header, account, expected):
    assert i18n.best_locale(header, account) == expected


def test_an_error_body_follows_the_request_and_the_account():
    app = Flask("t")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert error_body(422, "some fields are not valid", fields={"qty": ["Not a valid integer."]}) == {
            "error": {"code": "validation_error", "message": "some fields are not valid",
                      "fields": {"qty": ["Not a valid integer."]}}}
    with app.test_request_context():
        body = error_body(422, "some fields are not valid", fields={"items": {"0": {"qty": ["Not a valid integer."]}}})
        assert body["error"]["message"] == "beberapa isian tidak sah"
        assert body["error"]["fields"] == {"items": {"0": {"qty": ["Bukan bilangan bulat yang sah."]}}}
    with app.test_request_context():
        g.identity = Identity("u-1", "shopper", locale="en")
        assert error_body(404, "order not found")["error"]["message"] == "order not found"
    with app.test_request_context(headers={"Accept-Language": "id"}):
        g.identity = Identity("u-1", "shopper", locale="en")  # the request's own choice wins
        assert error_body(404, "order not found")["error"]["message"] == "pesanan tidak ditemukan"
        assert error_body(404, "order not found", locale="en")["error"]["message"] == "order not found"


def test_a_checkout_without_compiled_catalogs_still_answers_in_indonesian(tmp_path, monkeypatch):
    po = tmp_path / "id" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes(i18n.po_path("id").read_bytes())
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    i18n.clear_cache()
    try:
        assert i18n.translate("the cart is full", "id") == "keranjang sudah penuh"
        i18n_messages.compile_all()
        assert (tmp_path / "id" / "LC_MESSAGES" / "messages.mo").exists()
        assert i18n.translate("the cart is full", "id") == "keranjang sudah penuh"
    finally:
        monkeypatch.undo()
        i18n.clear_cache()
