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


LOMBOK = {"street": "Dusun Sade", "village": "Rembitan", "district": "Pujut", "regency": "Lombok Tengah",
          "province": "Nusa Tenggara Barat", "phone": "+6281907560101"}
JAVA = {"name": "Siti", "phone": "+6281234500001", "street": "Jl. Mawar 3", "village": "Bendosari",
        "district": "Sanankulon", "regency": "Blitar", "province": "Jawa Timur"}


def test_times_are_on_the_provinces_clock_wib_wita_or_wit():
    assert format_when("2026-11-26T02:00:00+00:00", "id", "Nusa Tenggara Barat") == "26 November 2026 10.00 WITA"
    assert format_when("2026-11-26T02:00:00+00:00", "en", "NTB") == "26 November 2026 10:00 WITA"
    assert format_when("2026-11-26T02:00:00+00:00", "id", "Papua") == "26 November 2026 11.00 WIT"
    assert format_when("2026-11-26T02:00:00+00:00", "en", "Jawa Timur") == "26 November 2026 09:00 WIB"
    assert format_when("2026-11-26T02:00:00+00:00", "id", None) == "26 November 2026 09.00 WIB"  # unknown: WIB


def lombok_order(pickup: dict | None = LOMBOK) -> dict:
    """order.confirmed as orders would send it with each fulfillment's pickup address (see domain.pickup_province)."""
    fulfillment = {**CONFIRMED["fulfillments"][0], "pickup_deadline": "2026-11-26T02:00:00+00:00"}
    if pickup is not None:
        fulfillment["pickup"] = pickup
    return {**CONFIRMED, "delivery_address": JAVA, "fulfillments": [fulfillment]}


@pytest.mark.parametrize("locale,deadline", [("id", "Siapkan sebelum 26 November 2026 10.00 WITA."),
                                             ("en", "Have it ready by 26 November 2026 10:00 WITA.")])
def test_a_lombok_shops_seller_is_told_the_deadline_in_wita(locale, deadline):
    by_person = {i.recipient_id: i for i in intents_for("order.confirmed", lombok_order())}
    for person in ("seller-1", "agent-1"):  # the seller and the agent who manages the shop
        words = messages.render("new_order", locale, by_person[person].context)
        assert words.short.endswith(deadline), words.short
        assert "WIB" not in words.short + words.text
        assert by_person[person].context["time_province"] == "Nusa Tenggara Barat"  # the inbox page's clock too


def test_an_agent_with_shops_in_two_zones_gets_each_deadline_on_its_shops_clock():
    data = lombok_order()
    data["fulfillments"].append({**CONFIRMED["fulfillments"][1], "pickup_deadline": "2026-11-26T02:00:00+00:00",
                                 "pickup": {"district": "Turi", "province": "DI Yogyakarta"}})
    agent = next(i for i in intents_for("order.confirmed", data) if i.recipient_id == "agent-1")
    short = messages.render("new_order", "id", agent.context).short
    assert "Toko Bu Sri: 2× Tikar pandan (Rp 50.000). Siapkan sebelum 26 November 2026 10.00 WITA." in short
    assert "Anyaman Pak Darto: 1× Keranjang (Rp 25.000). Siapkan sebelum 26 November 2026 09.00 WIB." in short


def test_without_the_shops_province_in_the_event_the_deadline_falls_back_to_wib():
    seller = next(i for i in intents_for("order.confirmed", lombok_order(pickup=None)) if i.recipient_id == "seller-1")
    assert seller.context["time_province"] is None
    assert messages.render("new_order", "id", seller.context).short.endswith(
        "Siapkan sebelum 26 November 2026 09.00 WIB.")


@pytest.mark.parametrize("locale,text", [("id", "26 November 2026 09.00 WIB"), ("en", "26 November 2026 09:00 WIB")])
def test_a_java_shoppers_messages_read_wib_and_a_bali_shoppers_wita(locale, text):
    at = "2026-11-26T02:00:00+00:00"
    clock = messages.ENV.from_string("{{ at|when }}")  # any time a shopper's template writes
    shopper = next(i for i in intents_for("order.confirmed", lombok_order()) if i.recipient_id == "shopper-1")
    assert shopper.context["time_province"] == "Jawa Timur"  # the delivery address, not the Lombok shop
    assert clock.render({**shopper.context, "locale": locale, "at": at}) == text
    on_its_way = intents_for("delivery.picked_up", {"order_id": "o", "fulfillment_id": "f", "courier_id": "c",
                                                    "shopper_id": "s", "pickup": LOMBOK,
                                                    "dropoff": {**JAVA, "province": "Bali"}})[0]
    assert on_its_way.context["time_province"] == "Bali"  # delivery.* events: the drop-off
    assert clock.render({**on_its_way.context, "locale": locale, "at": at}) == text.replace("09", "10").replace(
        "WIB", "WITA")


def test_a_courier_reads_times_on_the_pickups_clock():
    courier = intents_for("delivery.assigned", {"order_id": "o", "fulfillment_id": "f", "courier_id": "c",
                                                "pickup": LOMBOK, "dropoff": JAVA})[0]
    assert courier.context["time_province"] == "Nusa Tenggara Barat"
    clock = messages.ENV.from_string("{{ at|when }}")
    assert clock.render({**courier.context, "locale": "en", "at": "2026-11-26T02:00:00Z"}) == \
        "26 November 2026 10:00 WITA"


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


# -- after the sale (issue 16) -------------------------------------------------------------------------------
PARCEL_CANCELLED = {"order_id": "order-123456789", "fulfillment_id": "f", "seller_id": "seller", "agent_id": "agent",
                    "shopper_id": "shopper", "shop_name": "Tikar Bu Sri", "payment_method": "card",
                    "reason": "out_of_stock", "goods_amount": 50_000, "delivery_fee": 10_000, "refund_amount": 60_000,
                    "items": [], "order_status": "CONFIRMED"}


def test_a_parcel_cancelled_alone_tells_the_shopper_the_refund_and_the_seller_to_stop():
    intents = intents_for("fulfillment.cancelled", PARCEL_CANCELLED)
    assert [(i.recipient_id, i.kind) for i in intents] == [
        ("shopper", "parcel_cancelled"), ("seller", "parcel_cancelled_seller"), ("agent", "parcel_cancelled_seller")]
    shopper = messages.render("parcel_cancelled", "id", intents[0].context).short
    assert "Tikar Bu Sri" in shopper and "stok habis" in shopper and "Rp 60.000 dikembalikan" in shopper
    assert "Bagian lain pesanan tetap dikirim" in shopper
    cod = messages.render("parcel_cancelled", "en", {**intents[0].context, "payment_method": "cod",
                                                     "refund_amount": 0}).short
    assert "You do not pay for this part" in cod and "goes back" not in cod


def test_a_released_payout_tells_the_seller_the_money_is_available():
    (intent,) = intents_for("payout.released", {"payee_id": "seller", "order_id": "o", "amount": 47_500, "fee": 2_500,
                                                "received_by": "timer"})
    words = messages.render("payout_released", "id", intent.context)
    assert "Rp 47.500" in words.title and "tanpa keluhan" in words.short


def test_an_offer_names_no_shopper_and_the_acceptance_brings_the_address():
    offer = {"order_id": "o", "fulfillment_id": "f", "courier_id": "c", "accepted": False,
             "pickup": {"shop_name": "Toko"}, "dropoff": {"district": "Sanankulon"}}
    (assigned,) = intents_for("delivery.assigned", offer)
    text = messages.render("delivery_assigned", "id", assigned.context).short
    assert "+62" not in text and "dikirim setelah Anda menerima" in text
    accepted = {**offer, "accepted": True, "dropoff": {"name": "Siti", "phone": "+6281234", "street": "Jl. Mawar 3",
                                                       "district": "Sanankulon"}}
    (intent,) = intents_for("delivery.accepted", accepted)
    text = messages.render("delivery_accepted", "id", intent.context).short
    assert "Siti" in text and "+6281234" in text and "Jl. Mawar 3" in text
