"""Issue 17's domain rules for produce: exact quantities, the rounding of a line's total, minimum and step,
shelf life and nearby delivery. No Flask, no database."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from marshmallow import Schema, ValidationError

from pasar import quantity
from pasar.events import validate_data, ContractError
from services.catalog import domain as catalog
from services.orders import domain as orders


def test_quantities_are_exact_decimals_from_ints_strings_and_decimals_never_floats():
    assert quantity.parse(2) == D(2) and quantity.parse("1.5") == D("1.5") and quantity.parse(D("0.25")) == D("0.25")
    assert quantity.parse("1,5") == D("1.5")  # a form field typed the Indonesian way
    for bad in (1.5, True, "abc", "NaN", "Infinity", "1.2345", None):
        with pytest.raises(quantity.NotAQuantity):
            quantity.parse(bad)


def test_the_wire_form_is_an_int_when_whole_and_a_short_decimal_string_otherwise():
    assert [quantity.wire(q) for q in (D("2.000"), D("1.500"), D("0.250"), 3)] == [2, "1.5", "0.25", 3]
    assert quantity.text(D("1.500")) == "1,5" and quantity.text(D("1.5"), ".") == "1.5"


def test_a_line_total_is_price_times_quantity_rounded_half_up_to_whole_rupiah():
    assert quantity.line_total(D("1.5"), 42000) == 63000          # the chilies of the issue
    assert quantity.line_total(D("0.333"), 1000) == 333            # 333.0
    assert quantity.line_total(D("0.125"), 4) == 1                 # 0.5 rupiah goes up
    assert quantity.line_total(D("0.123"), 4) == 0                 # 0.492 goes down
    assert quantity.line_total(3, 25000) == 75000                  # pieces as before
    assert orders.goods_total([{"qty": "1.5", "unit_price": 42000}, {"qty": 2, "unit_price": 7500}]) == 78000


def test_from_the_minimum_in_steps():
    half = D("0.5")
    assert quantity.step_problem(D("1.5"), half, half) is None
    assert quantity.step_problem(D("0.5"), half, half) is None
    assert quantity.step_problem(D("0.25"), half, half) == quantity.BELOW_MINIMUM
    assert quantity.step_problem(D("1.2"), half, half) == quantity.OFF_STEP
    assert quantity.step_problem(D("3"), D(1), D(1)) is None  # pieces: any whole number from 1


def test_orders_says_why_a_quantity_cannot_be_bought_naming_the_unit():
    chilies = orders.BuyingTerms("kg", D("0.5"), D("0.5"))
    assert orders.quantity_problem(chilies, D("1.5")) is None
    assert orders.quantity_problem(chilies, D("1.2")) == "buy in steps of 0.5 kg from 0.5"
    assert orders.quantity_problem(chilies, D("0.25")) == "buy at least 0.5 kg"


def test_a_listing_counted_whole_cannot_have_a_fractional_minimum_or_step():
    assert catalog.quantity_rule_problems("kg", D("0.5"), D("0.5")) == {}
    assert catalog.quantity_rule_problems("ikat", D("1"), D("0.5")) == {
        "qty_step": ["a listing sold per ikat is bought in whole numbers"]}
    assert catalog.quantity_rule_problems("kg", D("0"), D("0.5")) == {"min_qty": ["must be more than 0"]}


def test_a_perishable_sells_until_harvest_day_plus_shelf_life_and_then_stops():
    harvested = date(2026, 12, 1)
    assert catalog.sellable_until(harvested, 3) == date(2026, 12, 4)
    assert not catalog.expired(harvested, 3, date(2026, 12, 4))
    assert catalog.expired(harvested, 3, date(2026, 12, 5))
    assert not catalog.expired(None, None, date(2030, 1, 1))  # not perishable: keeps
    terms = orders.BuyingTerms("kg", sellable_until="2026-12-04")
    assert orders.sale_problem(terms, "2026-12-04") is None
    assert orders.sale_problem(terms, "2026-12-05") == "no longer sold: past its shelf life"


def test_nearby_delivery_is_the_shops_district_or_regency():
    assert catalog.delivers_to("district", "Sanankulon", "Blitar", {"district": " sanankulon "})
    assert not catalog.delivers_to("district", "Sanankulon", "Blitar", {"district": "Kanigoro", "regency": "Blitar"})
    assert catalog.delivers_to("regency", "Sanankulon", "Blitar", {"district": "Kanigoro", "regency": "Blitar"})
    assert not catalog.delivers_to("regency", "Sanankulon", "Blitar", {"district": "Kota", "regency": "Malang"})
    assert catalog.delivers_to("", "Sanankulon", "Blitar", {"district": "Jakarta"})
    near = orders.BuyingTerms("kg", deliver_within="district", shop_district="Sanankulon", shop_regency="Blitar")
    assert orders.delivery_problem(near, {"district": "Kanigoro"}) == "delivered only within the shop's district"


def test_the_catalog_refuses_an_expired_or_off_step_line_with_its_reason():
    views = {"chili": catalog.StockView("chili", "published", D("10"), D("0.5"), D("0.5")),
             "old": catalog.StockView("old", "published", D("10"), expired=True)}
    assert catalog.reservation_problems([{"listing_id": "chili", "qty": "1.5"}], views) == []
    assert catalog.reservation_problems([{"listing_id": "chili", "qty": "1.2"}, {"listing_id": "old", "qty": 1}],
                                        views) == [
        {"listing_id": "chili", "requested": "1.2", "available": 10, "reason": "off_step", "min_qty": "0.5",
         "qty_step": "0.5"},
        {"listing_id": "old", "requested": 1, "available": 0, "reason": "expired"}]
    assert catalog.reservation_problems([{"listing_id": "chili", "qty": "10.5"}], views)[0]["reason"] == "insufficient"


def test_event_contracts_carry_quantities_as_ints_or_decimal_strings_never_floats():
    line = {"listing_id": "l", "shop_id": "s", "seller_id": "x", "title": "Cabai", "qty": "1.5", "unit_price": 42000}
    assert validate_data("stock.reserved", {"order_id": "o", "lines": [line]})["lines"][0]["qty"] == "1.5"
    for bad in (1.5, "0", -1, "abc"):
        with pytest.raises(ContractError):
            validate_data("stock.reserved", {"order_id": "o", "lines": [{**line, "qty": bad}]})


def test_the_api_field_reads_strings_and_decimals_and_answers_the_wire_form():
    class Body(Schema):
        qty = quantity.Quantity(positive=True, maximum=999)
        stock = quantity.Quantity(minimum=0)
    assert Body().load({"qty": "1.5"}) == {"qty": D("1.5")}
    assert Body().load({"qty": D("1.5")}) == {"qty": D("1.5")}
    assert Body().dump({"qty": D("1.500")}) == {"qty": "1.5"}
    assert Body().load({"stock": 0}) == {"stock": D(0)}   # a stock may be empty, a quantity bought may not
    with pytest.raises(ValidationError):
        Body().load({"stock": "-0.5"})
    for bad in (0, "-1", 1000, 1.5):
        with pytest.raises(ValidationError):
            Body().load({"qty": bad})
