"""A service's error reaches a page in the page's words, chosen by the error's code (and the field it is said of),
in the reader's language; an error the pages do not know is kept in English pages and becomes a plain request to
check the field in Indonesian ones."""
from __future__ import annotations

import pytest
from flask import Flask, g

from gateway.web import forms, i18n
from gateway.web.reply import Reply


@pytest.fixture
def lang():
    app = Flask("errors-test")
    with app.test_request_context("/"):
        def use(code: str) -> None:
            g.lang = code
        use("id")
        yield use


def error(status: int, code: str, message: str, fields: dict | None = None) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message, "fields": fields or {}}})


def test_the_general_error_is_chosen_by_code_not_by_its_english(lang):
    assert forms.general_error(error(422, "validation_error", "whatever the service says"), "Gagal") == \
        "Ada isian yang perlu diperbaiki."
    assert forms.general_error(error(409, "payment_final", "this payment is already succeeded"), "Gagal") == \
        "Pembayaran ini sudah selesai."
    lang("en")
    assert forms.general_error(error(409, "payment_final", "reworded by a developer"), "Gagal") == \
        "This payment is already finished."


def test_an_unknown_error_is_kept_in_english_pages_and_the_fallback_in_indonesian(lang):
    reply = error(409, "not_sandbox", "this payment is not in test mode")
    assert forms.general_error(reply, "Pembayaran ditolak") == "Pembayaran ditolak"
    lang("en")
    assert forms.general_error(reply, "Pembayaran ditolak") == "this payment is not in test mode"
    assert forms.general_error(Reply(0), "Pembayaran ditolak") == "Payment declined"


def test_field_errors_are_said_per_field_in_the_readers_language(lang):
    fields = {"name": ["Missing data for required field."], "price": ["Not a valid integer."],
              "address": {"phone": ["not an Indonesian mobile number"]},
              "category": ["unknown category 'kopi'"], "stock": ["Must be greater than or equal to 0 and less "
                                                                 "than or equal to 100000."]}
    assert forms.flatten_fields(fields) == {
        "name": "Wajib diisi.", "price": "Isi dengan angka.", "phone": "Nomor HP Indonesia seperti 0812-3456-7890.",
        "category": "Kategori ini tidak dikenal.", "stock": "Isi angka dari 0 sampai 100.000."}
    lang("en")
    assert forms.flatten_fields({"name": ["Missing data for required field."]}) == {"name": "Required."}


def test_card_words_are_believed_only_of_the_card_field(lang):
    assert i18n.field_text("validation_error", "card_number", "card_declined") == "Kartu ditolak oleh bank."
    assert i18n.field_text("validation_error", "notes", "card_declined") == "Periksa isian ini."
