"""The operator's desk (issue 16), payments' part on SQLite: the cash on delivery each courier still holds, and the
operator recording a hand-over once per Idempotency-Key, never more than held; the ledger sums to zero."""
from __future__ import annotations

import pytest

from pasar.auth import Identity
from pasar.errors import ApiError
from services.payments import service

from .test_payments_service import db, deliver, ledger_sums_to_zero, open_order, work  # noqa: F401

ADMIN = Identity(user_id="admin-1", role="admin")


def hand_over(db, key, courier, amount, note="setor tunai"):
    return service.record_cod_handover(work(db), ADMIN, key, {"courier_id": courier, "amount": amount, "note": note})


def test_outstanding_cash_per_courier_then_handed_over_once_per_key(db):
    payment, (a, b) = open_order(db, method="cod", shares=(("seller-a", 40_000, 10_000), ("seller-b", 15_000, 5_000)))
    deliver(db, payment, a, courier="kurir-1", collected=50_000)
    deliver(db, payment, b, courier="kurir-2", collected=20_000)
    listed = service.cod_outstanding(db)
    assert [(c["courier_id"], c["amount"], c["parcels"]) for c in listed["couriers"]] == [
        ("kurir-1", 50_000, 1), ("kurir-2", 20_000, 1)]
    assert listed["total"] == 70_000 and listed["couriers"][0]["oldest_collected_at"] is not None

    with pytest.raises(ApiError) as too_much:
        hand_over(db, "k-0", "kurir-1", 50_001)
    assert (too_much.value.status, too_much.value.code) == (409, "more_than_outstanding")

    first, replayed = hand_over(db, "k-1", "kurir-1", 30_000)
    assert (replayed, first["amount"], first["recorded_by"], first["note"]) == (False, 30_000, "admin-1", "setor tunai")
    again, replayed = hand_over(db, "k-1", "kurir-1", 30_000)
    assert (replayed, again["id"]) == (True, first["id"])
    with pytest.raises(ApiError) as reused:
        hand_over(db, "k-1", "kurir-1", 20_000)
    assert (reused.value.status, reused.value.code) == (409, "idempotency_key_reused")
    (one,) = service.cod_outstanding(db, "kurir-1")["couriers"]
    assert (one["amount"], one["parcels"]) == (20_000, 1)  # the delivery is only partly covered
    assert service.read_balance(db, "kurir-1")["cod_cash_held"] == 20_000

    hand_over(db, "k-2", "kurir-1", 20_000)
    assert [c["courier_id"] for c in service.cod_outstanding(db)["couriers"]] == ["kurir-2"]
    assert [h["amount"] for h in service.cod_handovers(db, "kurir-1")] == [20_000, 30_000]
    ledger_sums_to_zero(db)


def test_the_older_per_delivery_remittance_counts_too_and_a_key_is_required(db):
    payment, (a,) = open_order(db, method="cod", shares=(("seller-a", 40_000, 10_000),))
    deliver(db, payment, a, courier="kurir-1", collected=50_000)
    service.remit_cod_cash(work(db), a["fulfillment_id"])
    assert service.cod_outstanding(db)["couriers"] == []
    with pytest.raises(ApiError) as nothing_left:
        hand_over(db, "k-1", "kurir-1", 1)
    assert nothing_left.value.code == "more_than_outstanding"
    with pytest.raises(ApiError) as no_key:
        hand_over(db, None, "kurir-1", 1)
    assert no_key.value.status == 422
    ledger_sums_to_zero(db)
