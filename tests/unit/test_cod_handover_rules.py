"""The operator's desk (issue 16): what a courier still holds of the cash collected on delivery, and when a
hand-over is refused. Pure rules of services/payments/domain.py."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.payments import domain

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def collections(*amounts: int) -> list[domain.Collection]:
    return [domain.Collection(f"f{i}", amount, T0 + timedelta(hours=i)) for i, amount in enumerate(amounts)]


def test_handed_over_cash_pays_the_oldest_deliveries_first():
    cash = domain.outstanding_cash(collections(50_000, 20_000, 30_000), 0)
    assert (cash.amount, [c.fulfillment_id for c in cash.parcels], cash.oldest_at) == (100_000, ["f0", "f1", "f2"], T0)
    cash = domain.outstanding_cash(collections(50_000, 20_000, 30_000), 50_000)
    assert (cash.amount, [c.fulfillment_id for c in cash.parcels]) == (50_000, ["f1", "f2"])
    assert cash.oldest_at == T0 + timedelta(hours=1)
    # a delivery only partly covered still counts, and so does everything after it
    cash = domain.outstanding_cash(collections(50_000, 20_000, 30_000), 60_000)
    assert (cash.amount, [c.fulfillment_id for c in cash.parcels]) == (40_000, ["f1", "f2"])
    cash = domain.outstanding_cash(collections(50_000, 20_000, 30_000), 100_000)
    assert (cash.amount, cash.parcels, cash.oldest_at) == (0, (), None)
    # the order of the rows read does not matter
    assert domain.outstanding_cash(list(reversed(collections(50_000, 20_000))), 50_000).parcels[0].fulfillment_id == "f1"


def test_a_hand_over_is_never_more_than_what_the_courier_holds():
    assert domain.handover_problem(40_000, 40_000) is None
    assert domain.handover_problem(1, 40_000) is None
    assert domain.handover_problem(40_001, 40_000).code == "more_than_outstanding"
    assert domain.handover_problem(1, 0).code == "more_than_outstanding"
    assert domain.handover_problem(0, 40_000).code == "invalid_amount"
    assert domain.handover_problem(-5, 40_000).code == "invalid_amount"


def test_a_hand_over_is_one_balanced_transaction_keyed_by_courier_and_idempotency_key():
    move = domain.cod_handed_over("courier-1", "key-1", 70_000)
    assert sum(amount for _, amount in move.entries) == 0
    assert dict(move.entries) == {domain.PLATFORM_FUNDS: 70_000, domain.cod_cash_held("courier-1"): -70_000}
    assert move.key == domain.cod_handed_over("courier-1", "key-1", 5).key  # the key alone names it
    assert move.key != domain.cod_handed_over("courier-2", "key-1", 70_000).key
    assert len(domain.cod_handover_key("c" * 64, "k" * 128)) <= 160  # fits the ledger's key column
    with pytest.raises(ValueError):
        domain.cod_handed_over("courier-1", "key-2", -1)
