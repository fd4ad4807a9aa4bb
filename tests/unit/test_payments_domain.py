"""Payments rules without a database: states, commission, balanced movements, Stripe units, test cards."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.payments import domain
from services.payments.providers import from_stripe_amount, to_stripe_amount


@pytest.mark.parametrize("current,outcome,expected", [
    ("pending", "succeeded", "succeeded"), ("pending", "failed", "failed"), ("pending", "cancelled", "cancelled"),
    ("succeeded", "failed", None), ("succeeded", "cancelled", None), ("succeeded", "succeeded", None),
    ("failed", "succeeded", "succeeded"), ("cancelled", "succeeded", "succeeded"),
    ("succeeded", "refunded", "refunded"), ("pending", "refunded", "refunded"), ("refunded", "refunded", None),
    ("refunded", "succeeded", None), ("refunded", "failed", None), ("cod_pending", "succeeded", None),
])
def test_provider_reports_move_payments_forward_only(current, outcome, expected):
    assert domain.next_status(current, outcome) == expected


def test_commission_is_rounded_down_so_the_fraction_stays_with_the_seller():
    rate = Decimal("0.05")
    assert domain.commission(33_333, rate) == 1_666  # 1666.65
    assert domain.commission(19, rate) == 0
    assert domain.commission(20, rate) == 1
    assert domain.split(33_333, 8_000, rate) == domain.Split(seller=31_667, commission=1_666, courier=8_000)


@given(goods=st.integers(0, 10**10), fee=st.integers(0, 10**7),
       rate=st.decimals(min_value=0, max_value=Decimal("0.99"), places=4))
def test_split_never_creates_or_loses_a_rupiah(goods, fee, rate):
    parts = domain.split(goods, fee, rate)
    assert parts.total == goods + fee
    assert 0 <= parts.commission <= goods * rate < parts.commission + 1
    assert all(type(x) is int for x in (parts.seller, parts.commission, parts.courier))


def test_a_movement_must_balance_and_count_whole_rupiah():
    with pytest.raises(domain.UnbalancedMovement):
        domain.Movement("k", "capture", "o", (("a", 10), ("b", -9)))
    with pytest.raises(domain.UnbalancedMovement):
        domain.Movement("k", "capture", "o", (("a", 10.0), ("b", -10.0)))
    moved = domain.delivered("f", "o", "seller", "courier", domain.split(100_000, 10_000, Decimal("0.05")))
    assert sum(a for _, a in moved.entries) == 0


def test_commission_rate_setting_is_checked():
    assert domain.parse_rate(None) == Decimal("0.05")
    assert domain.parse_rate("0.1") == Decimal("0.1")
    for bad in ("abc", "1", "-0.1", "1.5"):
        with pytest.raises(ValueError):
            domain.parse_rate(bad)


def test_stripe_counts_idr_in_hundredths():
    assert to_stripe_amount(10_000) == 1_000_000
    assert from_stripe_amount(1_000_000) == 10_000
    with pytest.raises(ValueError):
        to_stripe_amount(10.5)


def test_only_the_two_test_cards_work_in_the_sandbox():
    assert domain.sandbox_outcome("4242 4242 4242 4242") == ("succeeded", None)
    assert domain.sandbox_outcome("4000-0000-0000-0002") == ("failed", "card_declined")
    with pytest.raises(domain.UnknownTestCard):
        domain.sandbox_outcome("5555555555554444")
