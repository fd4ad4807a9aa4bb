"""Payments rules without a database: states, commission, balanced movements, Stripe units, test cards."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.payments import domain
from services.payments.providers import from_stripe_amount, to_stripe_amount


# "failed" here is where a *final* decline leads (the card attempts used up); whether a decline is final is
# domain.decline's decision, tested below
@pytest.mark.parametrize("current,outcome,expected", [
    ("pending", "succeeded", "succeeded"), ("pending", "failed", "failed"), ("pending", "cancelled", "cancelled"),
    ("succeeded", "failed", None), ("succeeded", "cancelled", None), ("succeeded", "succeeded", None),
    ("failed", "succeeded", "succeeded"), ("cancelled", "succeeded", "succeeded"),
    ("succeeded", "refunded", "refunded"), ("pending", "refunded", "refunded"), ("refunded", "refunded", None),
    ("refunded", "succeeded", None), ("refunded", "failed", None), ("cod_pending", "succeeded", None),
])
def test_provider_reports_move_payments_forward_only(current, outcome, expected):
    assert domain.next_status(current, outcome) == expected


def test_a_decline_is_an_attempt_until_the_attempts_are_used_up():
    first = domain.decline("pending", 0, 3)
    assert (first.status, first.attempts, first.attempts_left, first.final) == ("pending", 1, 2, False)
    second = domain.decline(first.status, first.attempts, 3)
    assert (second.status, second.attempts, second.attempts_left, second.final) == ("pending", 2, 1, False)
    third = domain.decline(second.status, second.attempts, 3)
    assert (third.status, third.attempts, third.attempts_left, third.final) == ("failed", 3, 0, True)
    assert domain.decline("pending", 0, 1).final  # MAX_CARD_ATTEMPTS=1: the old rule, one decline ends it
    assert domain.decline("pending", None, 3).attempts == 1  # a payment from before attempts were counted


@pytest.mark.parametrize("current", ["succeeded", "failed", "cancelled", "refunded", "cod_pending", "cod_collected"])
def test_a_decline_for_a_payment_no_longer_pending_changes_nothing(current):
    assert domain.decline(current, 1, 3) is None


@given(max_attempts=st.integers(1, 10), declines=st.integers(1, 30))
def test_exactly_the_max_attempts_th_decline_is_final_and_nothing_after_it(max_attempts, declines):
    status, attempts, finals = "pending", 0, 0
    for _ in range(declines):
        step = domain.decline(status, attempts, max_attempts)
        if step is None:
            assert status == "failed"
            continue
        assert step.attempts == attempts + 1 and step.attempts_left == max(0, max_attempts - step.attempts)
        assert domain.attempts_left(step.status, step.attempts, max_attempts) == step.attempts_left
        status, attempts, finals = step.status, step.attempts, finals + step.final
    assert finals == (1 if declines >= max_attempts else 0)  # orders hears payment.failed at most once
    assert attempts == min(declines, max_attempts)
    assert status == ("failed" if declines >= max_attempts else "pending")


def test_only_a_pending_payment_has_attempts_left():
    assert domain.attempts_left("pending", 0, 3) == 3
    assert domain.attempts_left("pending", 2, 3) == 1
    assert domain.attempts_left("pending", 5, 3) == 0  # MAX_CARD_ATTEMPTS lowered since
    for status in ("succeeded", "failed", "cancelled", "refunded", "cod_pending"):
        assert domain.attempts_left(status, 0, 3) == 0


def test_orders_hears_an_unpaid_ending_once_and_never_about_its_own_cancellation():
    assert domain.orders_must_hear_failure("pending", order_cancelled=False)
    assert not domain.orders_must_hear_failure("pending", order_cancelled=True)  # orders asked for the void
    assert not domain.orders_must_hear_failure("failed", order_cancelled=False)  # told when it failed


def test_max_card_attempts_setting_is_checked():
    assert domain.parse_max_attempts(None) == 3 and domain.parse_max_attempts("") == 3
    assert domain.parse_max_attempts("5") == 5 and domain.parse_max_attempts("1") == 1
    for bad in ("0", "-1", "three", "2.5"):
        with pytest.raises(ValueError):
            domain.parse_max_attempts(bad)


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
