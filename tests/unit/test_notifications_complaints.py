"""Complaints (issue 16): every step tells the shopper and the seller (and agent), in Indonesian first, each in
their own words; the templates render every step in both languages."""
from __future__ import annotations

import pytest

from services.notifications import messages
from services.notifications.domain import COMPLAINT_EVENTS, intents_for

COMPLAINT = {"complaint_id": "c", "order_id": "order-1234", "fulfillment_id": "f", "shopper_id": "shopper",
             "seller_id": "seller", "agent_id": "agent", "shop_name": "Tikar Bu Sri", "payment_method": "card",
             "parcel_total": 50_000, "reason": "damaged", "status": "open", "step": "opened", "by_role": "shopper",
             "refund_amount": None, "respond_by": "2026-12-06T10:00:00+00:00",
             "delivery_address": {"province": "Jawa Timur"}}


def test_every_step_tells_the_shopper_and_the_seller_and_agent():
    for event_type in COMPLAINT_EVENTS:
        intents = intents_for(event_type, COMPLAINT)
        assert [(i.recipient_id, i.kind) for i in intents] == [
            ("shopper", "complaint_shopper"), ("seller", "complaint_seller"), ("agent", "complaint_seller")]


@pytest.mark.parametrize("step", ["opened", "rejected", "return_requested", "return_sent", "escalated", "refund",
                                  "release"])
@pytest.mark.parametrize("locale", ["id", "en"])
def test_every_step_renders_in_both_languages(step, locale):
    for kind in ("complaint_shopper", "complaint_seller"):
        words = messages.render(kind, locale, {**COMPLAINT, "step": step, "refund_amount": 15_000,
                                               "answer_reason": "Sudah sesuai", "order_ref": "ORDER-12"})
        assert "ORDER-12" in words.title and words.short


def test_the_words_say_what_happens_to_the_money():
    refund = {**COMPLAINT, "step": "refund", "refund_amount": 15_000, "order_ref": "ORDER-12"}
    assert "Rp 15.000" in messages.render("complaint_shopper", "id", refund).short
    cod = messages.render("complaint_shopper", "id", {**refund, "payment_method": "cod"}).short
    assert "akan dibayarkan kembali" in cod
    opened = messages.render("complaint_seller", "id", {**COMPLAINT, "order_ref": "ORDER-12"}).short
    assert "Jawab sebelum" in opened and "ditahan" in opened
    rejected = messages.render("complaint_shopper", "id", {**COMPLAINT, "step": "rejected", "order_ref": "X",
                                                           "answer_reason": "Foto menunjukkan tikar utuh"}).short
    assert "Foto menunjukkan tikar utuh" in rejected
    released = messages.render("payout_released", "id", {"amount": 23_000, "received_by": "complaint"}).short
    assert "komplain pembeli sudah selesai" in released


# -- a return's courier trip ----------------------------------------------------------------------------
TRIP = {"return_id": "r", "complaint_id": "c", "order_id": "order-1234", "fulfillment_id": "f",
        "courier_id": "courier", "shopper_id": "shopper", "seller_id": "seller", "shop_name": "Tikar Bu Sri",
        "delivery_fee": 10_000, "accepted": False,
        "pickup": {"village": "Bendo", "district": "Sanankulon", "province": "Jawa Timur"},
        "dropoff": {"shop_name": "Tikar Bu Sri", "street": "Jl. Pandan 1", "district": "Kanigoro",
                    "phone": "+62811"}}


def test_a_return_offer_tells_only_the_courier_and_only_the_area_of_the_shoppers_door():
    intents = intents_for("return.assigned", TRIP)
    assert [(i.recipient_id, i.kind) for i in intents] == [("courier", "return_pickup_courier")]
    words = messages.render("return_pickup_courier", "id", intents[0].context)
    assert "Desa Bendo" in words.short and "Tikar Bu Sri" in words.short and "Rp 10.000" in words.short
    assert "setelah Anda menerima" in words.short


@pytest.mark.parametrize("locale", ["id", "en"])
def test_an_accepted_return_gives_the_courier_the_door_and_tells_the_shopper(locale):
    accepted = {**TRIP, "accepted": True, "pickup": {**TRIP["pickup"], "name": "Siti", "street": "Jl. Mawar 3",
                                                     "phone": "+6281234"}}
    intents = intents_for("return.accepted", accepted)
    assert [(i.recipient_id, i.kind) for i in intents] == [("courier", "return_pickup_courier"),
                                                           ("shopper", "return_pickup_shopper")]
    courier_words = messages.render("return_pickup_courier", locale, intents[0].context)
    assert "Jl. Mawar 3" in courier_words.short and "+6281234" in courier_words.short
    shopper_words = messages.render("return_pickup_shopper", locale, intents[1].context)
    assert "#" in shopper_words.title and "Tikar Bu Sri" in shopper_words.short


def test_the_courier_steps_of_a_return_read_as_the_courier_did_them():
    sent = {**COMPLAINT, "step": "return_sent", "by_role": "courier", "refund_amount": 50_000, "order_ref": "X"}
    assert "Kurir sudah menjemput" in messages.render("complaint_seller", "id", sent).short
    assert "Kurir sudah mengambil" in messages.render("complaint_shopper", "id", sent).short
    refunded = {**sent, "step": "refund"}
    assert "kurir sudah menyerahkan barang retur" in messages.render("complaint_seller", "id", refunded).short
