"""Who hears about what, in which language and on which channel; how rupiah and times are written."""
from __future__ import annotations

import pytest

from services.notifications import domain, messages
from services.notifications.domain import Contact, channels_for, format_rupiah, format_when, intents_for

CONFIRMED = {
    "order_id": "0a1b2c3d-0000-4000-8000-000000000000", "shopper_id": "shopper-1", "payment_method": "cod",
    "total": 95000,
    "fulfillments": [
        {"fulfillment_id": "f-1", "seller_id": "seller-1", "agent_id": "agent-1", "shop_name": "Toko Bu Sri",
         "items": [{"title": "Tikar pandan", "qty": 2, "unit_price": 25000}], "goods_amount": 50000,
         "delivery_fee": 10000, "pickup_deadline": "2026-11-26T03:00:00+00:00"},
        {"fulfillment_id": "f-2", "seller_id": "shop:anyaman", "agent_id": "agent-1", "shop_name": "Anyaman Pak Darto",
         "items": [{"title": "Keranjang", "qty": 1, "unit_price": 25000}], "goods_amount": 25000,
         "delivery_fee": 10000, "pickup_deadline": "2026-11-26T03:00:00+00:00"},
    ],
}


@pytest.mark.parametrize("amount,text", [(10000, "Rp 10.000"), (0, "Rp 0"), (950, "Rp 950"),
                                         (1234567, "Rp 1.234.567"), (-5000, "-Rp 5.000")])
def test_rupiah_is_written_with_dots_between_thousands(amount, text):
    assert format_rupiah(amount) == text


def test_times_are_shown_in_western_indonesian_time_in_the_readers_language():
    assert format_when("2026-11-26T03:00:00+00:00", "id") == "26 November 2026 10.00 WIB"
    assert format_when("2026-08-17T23:30:00Z", "en") == "18 August 2026 06:30 WIB"
    assert format_when("not a time", "en") == "not a time"


def test_a_confirmed_order_tells_the_shopper_each_seller_and_the_agent_once_with_their_own_fulfillments():
    intents = intents_for("order.confirmed", CONFIRMED)
    by_person = {i.recipient_id: i for i in intents}
    assert set(by_person) == {"shopper-1", "seller-1", "agent-1"}  # the crafter without account is not messaged
    assert by_person["shopper-1"].kind == "order_confirmed"
    assert [f["fulfillment_id"] for f in by_person["seller-1"].context["fulfillments"]] == ["f-1"]
    assert [f["fulfillment_id"] for f in by_person["agent-1"].context["fulfillments"]] == ["f-1", "f-2"]
    words = messages.render("new_order", "id", by_person["agent-1"].context, name="Pak Agen")
    assert words.short == ("Pesanan baru #0A1B2C3D (bayar di tempat). Toko Bu Sri: 2× Tikar pandan (Rp 50.000). "
                           "Siapkan sebelum 26 November 2026 10.00 WIB. Anyaman Pak Darto: 1× Keranjang (Rp 25.000). "
                           "Siapkan sebelum 26 November 2026 10.00 WIB.")


@pytest.mark.parametrize("event_type,data,expected", [
    ("order.rejected", {"order_id": "o", "shopper_id": "s", "reason": "stock"}, [("s", "order_rejected")]),
    ("order.cancelled", {"order_id": "o", "shopper_id": "s"}, [("s", "order_cancelled")]),
    ("delivery.picked_up", {"order_id": "o", "fulfillment_id": "f", "courier_id": "c", "shopper_id": "s"},
     [("s", "delivery_on_its_way")]),
    ("delivery.delivered", {"order_id": "o", "fulfillment_id": "f", "courier_id": "c", "shopper_id": "s"},
     [("s", "delivery_delivered")]),
    ("payment.refunded", {"order_id": "o", "payment_id": "p", "method": "card", "amount": 5, "shopper_id": "s"},
     [("s", "payment_refunded")]),
    ("stock.low", {"listing_id": "l", "shop_id": "sh", "title": "Kopi", "price": 1, "stock": 2,
                   "seller_id": "seller", "agent_id": "agent"}, [("seller", "stock_low"), ("agent", "stock_low")]),
    ("payout.created", {"payee_id": "seller", "order_id": "o", "amount": 10, "fee": 1, "payee_role": "seller"},
     [("seller", "payout_created")]),
    ("delivery.assigned", {"order_id": "o", "fulfillment_id": "f", "courier_id": "c"}, [("c", "delivery_assigned")]),
    ("delivery.unassigned", {"order_id": "o", "fulfillment_id": "f", "courier_id": "c"}, [("c", "delivery_unassigned")]),
    # optional fields missing: nobody to tell, and no error
    ("delivery.picked_up", {"order_id": "o", "fulfillment_id": "f", "courier_id": "c"}, []),
    ("stock.low", {"listing_id": "l", "shop_id": "sh", "title": "Kopi", "price": 1, "stock": 2}, []),
    ("order.placed", {"order_id": "o", "shopper_id": "s"}, []),
])
def test_each_event_reaches_the_right_people(event_type, data, expected):
    assert [(i.recipient_id, i.kind) for i in intents_for(event_type, data)] == expected


def test_channels_follow_the_persons_choice_and_the_addresses_we_have():
    assert channels_for(None) == ["inapp"]
    both = Contact("u", email="a@b.id", phone="+6281", channels=("inapp", "email", "whatsapp"))
    assert channels_for(both) == ["inapp", "email", "whatsapp"]
    assert channels_for(Contact("u", email="a@b.id", phone="+6281", channels=("whatsapp",))) == ["inapp", "whatsapp"]
    assert channels_for(Contact("u", email=None, phone="+6281", channels=("email",))) == ["inapp"]
    assert channels_for(Contact("u", email="a@b.id", phone=None, channels=())) == ["inapp", "email"]


def test_failed_sends_wait_longer_each_time_then_park():
    delays = (30.0, 120.0)
    assert [domain.retry_delay(n, delays) for n in (1, 2, 3)] == [30.0, 120.0, None]


@pytest.mark.parametrize("kind", messages.kinds())
@pytest.mark.parametrize("locale", ["id", "en"])
def test_every_template_renders_in_both_languages_even_with_only_the_required_fields(kind, locale):
    words = messages.render(kind, locale, {"order_id": "o-1", "order_ref": "O-1"}, name="")
    assert words.title and words.short and words.text
    assert "None" not in words.short + words.text and "Undefined" not in words.text
    assert f'<html lang="{locale}">' in words.html
    greeting = "Halo" if locale == "id" else "Hello"
    assert words.text.startswith(greeting)


def test_courier_message_names_pickup_village_dropoff_and_cash_in_each_language():
    context = intents_for("delivery.assigned", {
        "order_id": "abcdef12-x", "fulfillment_id": "f", "courier_id": "c", "cod_amount_due": 0,
        "pickup": {"shop_name": "Toko A", "street": "Jl. Kenanga 1", "village": "Sumberejo", "district": "Sanankulon"},
        "dropoff": {"name": "Siti", "street": "Jl. Mawar 3", "district": "Kanigoro", "phone": "+6282"}})[0].context
    id_words = messages.render("delivery_assigned", "id", context)
    en_words = messages.render("delivery_assigned", "en", context)
    assert id_words.short == ("Antaran baru #ABCDEF12. Ambil di Toko A, Desa Sumberejo: Jl. Kenanga 1, Sumberejo, "
                              "Sanankulon. Antar ke Siti: Jl. Mawar 3, Kanigoro (+6282). Tidak ada tagihan tunai.")
    assert en_words.short.endswith("Deliver to Siti: Jl. Mawar 3, Kanigoro (+6282). Nothing to collect.")


def test_html_email_escapes_what_people_typed():
    words = messages.render("stock_low", "en", {"title": "<script>x</script> & co", "stock": 1})
    assert "<script>" not in words.html and "&lt;script&gt;" in words.html
    assert "<script>x</script> & co" in words.text  # the plain text stays as typed
