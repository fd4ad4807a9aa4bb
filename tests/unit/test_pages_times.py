"""Times on the web pages are written on the reader's clock and say which one: the shopper's delivery address, the
seller's shop, the courier's pickup or drop-off (WIB/WITA/WIT), in both languages. Rendered without any service."""
from __future__ import annotations

import re

import pytest
from flask import Flask, g, render_template

from gateway.web import pages
from gateway.web.pages import waktu_text

AT = "2026-11-26T02:00:00+00:00"  # 09.00 WIB, 10.00 WITA, 11.00 WIT


@pytest.mark.parametrize("where,text", [
    ("Jawa Timur", "26 Nov 2026, 09.00 WIB"),
    ("Bali", "26 Nov 2026, 10.00 WITA"),
    ("ntb", "26 Nov 2026, 10.00 WITA"),
    ("Papua Barat Daya", "26 Nov 2026, 11.00 WIT"),
    ({"street": "Jl. Raya", "province": "Sulawesi Selatan"}, "26 Nov 2026, 10.00 WITA"),  # an address dict
    ({"street": "Jl. Raya"}, "26 Nov 2026, 09.00 WIB"),  # no province: WIB
    (None, "26 Nov 2026, 09.00 WIB"),
    ("Lombok Tengah", "26 Nov 2026, 09.00 WIB"),  # a regency is not a province: WIB
])
def test_a_time_is_written_on_the_places_clock_and_named(where, text):
    assert waktu_text(AT, where) == text.replace(" W", "\u00a0W")  # the zone never wraps away from its clock


def test_english_pages_use_the_same_zone_names_and_dates_follow_the_zone():
    def waktu_text(*args, **kwargs):
        return pages.waktu_text(*args, **kwargs).replace("\u00a0", " ")
    assert waktu_text(AT, "Bali", lang="en") == "26 Nov 2026, 10.00 WITA"
    assert waktu_text("2026-08-17T16:30:00Z", "Papua", lang="en") == "18 Aug 2026, 01.30 WIT"
    assert waktu_text("2026-08-17T16:30:00Z", "Papua", with_time=False) == "18 Agu 2026"
    assert waktu_text("2026-08-17T16:30:00Z", "Jawa Tengah", with_time=False) == "17 Agu 2026"
    assert waktu_text("2026-08-17T16:30:00", "Bali") == "18 Agu 2026, 00.30 WITA"  # naive: UTC
    assert waktu_text(None, "Bali") == "" and waktu_text("", "Bali") == ""
    assert waktu_text("kemarin sore", "Bali") == "kemarin sore"


@pytest.fixture
def page():
    """render(template, lang, **context) -> the page's text, through the real blueprint's templates and filters."""
    app = Flask("pages-test")
    app.register_blueprint(pages.bp)

    def render(template: str, lang: str = "id", **context) -> str:
        with app.test_request_context("/"):
            g.lang, g.user = lang, None
            html = render_template(template, **context)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return render


PARCEL = {"id": "f-1", "order_id": "0a1b2c3d-e", "status": "PENDING", "shop_name": "Tenun Ibu Inaq", "items": [],
          "goods_amount": 50000, "payment_method": "cod", "pickup_deadline": AT,
          "pickup": {"village": "Sukarara", "district": "Jonggat", "province": "Nusa Tenggara Barat"},
          "dropoff": {"name": "Siti", "district": "Sanankulon", "province": "Jawa Timur"}}


@pytest.mark.parametrize("lang,label", [("id", "Siapkan sebelum"), ("en", "Prepare by")])
def test_the_seller_prepares_by_the_shops_clock_not_the_buyers(page, lang, label):
    text = page("seller/orders.html", lang, waiting=[PARCEL], others=[], down=False, note=None)
    assert f"{label}: 26 Nov 2026, 10.00 WITA" in text
    assert "WIB" not in text  # the buyer in Java does not set the weaver's clock
    no_province = {**PARCEL, "pickup": {"village": "Sukarara"}}
    assert f"{label}: 26 Nov 2026, 09.00 WIB" in page("seller/orders.html", lang, waiting=[no_province], others=[],
                                                     down=False, note=None)


def test_the_shoppers_order_page_and_history_use_the_delivery_address(page):
    order = {"id": "0a1b2c3d-e", "status": "CONFIRMED", "created_at": AT, "fulfillments": [PARCEL],
             "delivery_address": {"name": "Made", "street": "Jl. Kintamani", "province": "Bali"}}
    steps = [{"status": "PLACED", "state": "done"}, {"status": "CONFIRMED", "state": "done"}]
    text = page("order_live.html", order=order, reason=None, titles={}, steps=steps,
                times={(None, "PLACED"): AT, (None, "CONFIRMED"): AT, ("f-1", "PENDING"): AT},
                track=lambda f: [{"status": "PENDING", "state": "done"}])
    assert text.count("26 Nov 2026, 10.00 WITA") == 3 and "WIB" not in text
    history = page("orders.html", "en", orders=[order, {**order, "id": "9f8e7d6c-b", "delivery_address": {}}],
                   down=False)
    assert "26 Nov 2026, 10.00 WITA" in history and "26 Nov 2026, 09.00 WIB" in history


def test_the_courier_sees_pickup_times_on_the_shops_clock_and_the_handover_on_the_dropoffs(page):
    taken = {**PARCEL, "status": "PICKED_UP", "accepted": True, "delivery_fee": 10000, "cod_amount_due": 0,
             "ready_at": AT, "picked_up_at": "2026-11-26T03:00:00Z",
             "dropoff": {"name": "Yosef", "district": "Abepura", "province": "Papua"}}
    done = {**taken, "order_id": "9f8e7d6c-b", "status": "DELIVERED", "delivered_at": "2026-11-26T05:00:00Z"}
    text = page("courier/deliveries.html", "en", active=[taken], board=[], finished=[done])
    assert "Ready for pickup: 26 Nov 2026, 10.00 WITA" in text and "Picked up: 26 Nov 2026, 11.00 WITA" in text
    assert "Delivered 26 Nov 2026, 14.00 WIT" in text
    text = page("courier/deliveries.html", "id", active=[], board=[{**taken, "status": "READY_FOR_PICKUP",
                                                                     "picked_up_at": None}], finished=[])
    assert "Siap diambil: 26 Nov 2026, 10.00 WITA" in text


def test_the_inbox_shows_each_message_on_the_clock_the_message_was_written_for(page):
    items = [{"title": "Pesanan baru", "body": "…", "created_at": AT, "data": {"time_province": "NTB"}},
             {"title": "Lama", "body": "…", "created_at": AT, "data": {}}]
    text = page("notifications.html", items=items, down=False, me=type("Me", (), {"role": "seller"})())
    assert "26 Nov 2026, 10.00 WITA" in text and "26 Nov 2026, 09.00 WIB" in text
