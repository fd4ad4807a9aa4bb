"""The four-way split of a cooperative's sale: shares in basis points adding up to 100 %, applied in whole rupiah
with the written remainder rule (each part rounded down, the leftover rupiah to the largest fractions, ties to
the crafter first, then the cooperative, the agent, the platform)."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from services.payments import domain


def shares(c, a, k, p) -> domain.Shares:
    return domain.parse_shares(c, a, k, p)


@st.composite
def any_shares(draw):
    """Any valid split: three cuts of 9 999 basis points into four parts, plus the crafter's one (never 0)."""
    cuts = sorted(draw(st.lists(st.integers(0, domain.BASIS - 1), min_size=3, max_size=3)))
    return shares(cuts[0] + 1, cuts[1] - cuts[0], cuts[2] - cuts[1], domain.BASIS - 1 - cuts[2])


@given(goods=st.integers(0, 10**12), split=any_shares())
def test_the_parts_sum_to_the_goods_and_stay_within_a_rupiah_of_exact(goods, split):
    parts = domain.apply_shares(goods, split)
    assert parts.total == goods
    for party in domain.PARTIES:
        exact = Fraction(goods * getattr(split, party), domain.BASIS)
        got = getattr(parts, party)
        assert type(got) is int and got >= 0
        assert exact - 1 < got < exact + 1  # never a whole rupiah away from the exact share
        assert got in (int(exact), int(exact) + 1)  # rounded down, or given one leftover rupiah


@given(goods=st.integers(0, 10**9), split=any_shares())
def test_leftover_rupiah_go_to_the_largest_fractions(goods, split):
    parts = domain.apply_shares(goods, split)
    fraction = {p: (goods * getattr(split, p)) % domain.BASIS for p in domain.PARTIES}
    lifted = [p for p in domain.PARTIES if getattr(parts, p) * domain.BASIS > goods * getattr(split, p)]
    kept = [p for p in domain.PARTIES if p not in lifted]
    for up in lifted:
        for down in kept:
            assert fraction[up] >= fraction[down]
            if fraction[up] == fraction[down]:  # a tie: the leftover went to the one earlier in the tie order
                assert domain.TIE_ORDER.index(up) < domain.TIE_ORDER.index(down)


def test_worked_examples():
    # 70/10/15/5 of Rp 33.333: exact 23333.1 / 3333.3 / 4999.95 / 1666.65; 2 leftover rupiah: coop .95, platform .65
    assert domain.apply_shares(33_333, shares(7000, 1000, 1500, 500)) == domain.FourWay(23_333, 3_333, 5_000, 1_667)
    # a four-way tie (Rp 3 in quarters, every fraction .75): the crafter, the cooperative, the agent get one each
    assert domain.apply_shares(3, shares(2500, 2500, 2500, 2500)) == domain.FourWay(1, 1, 1, 0)
    assert domain.apply_shares(1, shares(2500, 2500, 2500, 2500)) == domain.FourWay(1, 0, 0, 0)
    assert domain.apply_shares(50_000, shares(8000, 500, 500, 1000)) == domain.FourWay(40_000, 2_500, 2_500, 5_000)


@pytest.mark.parametrize("given_, field", [
    ((7000, 1000, 1500, 400), "shares"),         # 99.99 %
    ((7000, 1000, 1500, 600), "shares"),         # 100.01 %
    ((-1, 1000, 1500, 7501), "crafter_bp"),
    ((7000, 1000, 1500.0, 500), "cooperative_bp"),  # not whole basis points
    ((0, 4000, 5000, 1000), "crafter_bp"),       # the crafter gets nothing
    ((9000, 0, 600, 400), "platform_bp"),        # below the 5 % commission
    ((10_001, 0, 0, -1), "crafter_bp"),
])
def test_bad_splits_are_refused_naming_the_field(given_, field):
    with pytest.raises(domain.FieldProblems) as caught:
        domain.parse_shares(*given_, min_platform_bp=domain.commission_bp(Decimal("0.05")))
    assert field in caught.value.fields


def test_the_platform_floor_is_the_commission_rounded_up():
    assert domain.commission_bp(Decimal("0.05")) == 500
    assert domain.commission_bp(Decimal("0.0525")) == 525
    assert domain.commission_bp(Decimal("0.05255")) == 526


def test_the_ledger_movement_of_a_split_sale_balances_and_without_an_agent_the_coop_takes_its_part():
    parts = domain.apply_shares(33_333, shares(7000, 1000, 1500, 500))
    with_agent = domain.delivered_split("f1", "o1", "crafter", "agent", "coop", "courier", parts, 5_000)
    assert sum(a for _, a in with_agent.entries) == 0
    assert dict(with_agent.entries)[domain.agent_held("agent")] == -3_333
    alone = dict(domain.delivered_split("f1", "o1", "crafter", None, "coop", "courier", parts, 5_000).entries)
    assert domain.agent_held("agent") not in alone and alone[domain.coop_held("coop")] == -8_333
    released = domain.released_split("f1", "o1", "agent", 3_333, "coop", 5_000)
    assert sum(a for _, a in released.entries) == 0
    assert sum(a for _, a in domain.member_paid("coop", "p1", "crafter", 10).entries) == 0
    with pytest.raises(ValueError):
        domain.member_paid("coop", "p1", "crafter", 0)
