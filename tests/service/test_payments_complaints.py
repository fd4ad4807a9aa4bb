"""Complaints (issue 16), payments' part through the service layer on SQLite: a complaint's refund comes out of
the seller's held share (the platform bears anything beyond it), the rest is released; card refunds go through
the payment's own provider once per complaint, cash on delivery is owed to the shopper by the platform; every
ledger transaction sums to zero."""
from __future__ import annotations

from sqlalchemy import select

from services.payments import domain, service
from services.payments.models import LedgerTransaction, Payment, Payout

from .test_payments_service import db, deliver, emitted, ledger_sums_to_zero, open_order, pay, work  # noqa: F401


def resolved(db, share: dict, refund: int, complaint_id: str = "c-1") -> int:
    with work(db) as uow:
        amount = service.settle_complaint(uow, {"complaint_id": complaint_id, "fulfillment_id": share["fulfillment_id"],
                                                "refund_amount": refund})
        uow.commit()
    return amount


def test_the_split_takes_the_sellers_held_share_first_then_the_platform():
    assert domain.complaint_refund_split(15_000, 38_000) == (15_000, 0)
    assert domain.complaint_refund_split(50_000, 38_000) == (38_000, 12_000)
    assert domain.complaint_refund_split(0, 38_000) == (0, 0)


def test_a_card_complaint_refunds_part_through_the_provider_and_releases_the_rest_once(db, monkeypatch):
    calls = []
    from services.payments import providers
    sandbox = providers.get_provider("sandbox")
    monkeypatch.setattr(type(sandbox), "refund", lambda self, **kw: calls.append(kw) or "sbx_re_1")
    payment, (share,) = open_order(db, shares=(("seller-a", 40_000, 10_000),))
    pay(db, payment)
    deliver(db, payment, share)
    assert service.read_balance(db, "seller-a")["seller_held"] == 38_000
    assert resolved(db, share, 15_000) == 15_000
    assert resolved(db, share, 15_000) == 0  # again: nothing twice
    assert [(c["amount"], c["refund_key"]) for c in calls] == [(15_000, "complaint-c-1")]
    balance = service.read_balance(db, "seller-a")
    assert (balance["seller_held"], balance["seller_available"]) == (0, 23_000)
    (refunded,) = emitted(db, "payment.refunded")
    assert (refunded["amount"], refunded["complaint_id"], refunded["partial"]) == (15_000, "c-1", True)
    (released,) = emitted(db, "payout.released")
    assert (released["amount"], released["received_by"]) == (23_000, "complaint")
    with db.Session() as s:
        assert s.get(Payment, payment.id).status == "succeeded"
        assert service.refunded_amount(s, s.get(Payment, payment.id)) == 15_000
    ledger_sums_to_zero(db)


def test_a_full_refund_beyond_the_sellers_share_is_borne_by_the_platform(db):
    payment, (share,) = open_order(db, shares=(("seller-a", 40_000, 10_000),))
    pay(db, payment)
    deliver(db, payment, share)
    assert resolved(db, share, 50_000) == 50_000
    balance = service.read_balance(db, "seller-a")
    assert (balance["seller_held"], balance["seller_available"]) == (0, 0)
    with db.Session() as s:
        assert s.get(Payment, payment.id).status == "refunded"
        (seller_payout,) = s.scalars(select(Payout).where(Payout.payee_role == "seller")).all()
        assert (int(seller_payout.amount), seller_payout.status) == (0, "refunded")
    accounts = service.platform_balances(db)["accounts"]
    assert accounts[domain.PLATFORM_COMMISSION] == 12_000 - 2_000  # its 2 000 commission given back and 10 000 more
    assert emitted(db, "payout.released") == []
    ledger_sums_to_zero(db)


def test_a_cash_on_delivery_refund_is_owed_to_the_shopper_by_the_platform(db):
    payment, (share,) = open_order(db, method="cod", shares=(("seller-a", 40_000, 10_000),))
    deliver(db, payment, share, collected=50_000)
    assert resolved(db, share, 20_000) == 20_000
    balance = service.read_balance(db, "seller-a")
    assert (balance["seller_held"], balance["seller_available"]) == (0, 18_000)
    accounts = service.platform_balances(db)["accounts"]
    assert accounts[domain.shopper_refund_owed(payment.shopper_id)] == -20_000
    assert emitted(db, "payment.refunded") == []  # nothing was sent back yet: it is owed
    ledger_sums_to_zero(db)


def test_a_release_refunds_nothing_and_makes_it_all_available(db):
    payment, (share,) = open_order(db, method="cod", shares=(("seller-a", 40_000, 10_000),))
    deliver(db, payment, share, collected=50_000)
    assert resolved(db, share, 0) == 0
    balance = service.read_balance(db, "seller-a")
    assert (balance["seller_held"], balance["seller_available"]) == (0, 38_000)
    ledger_sums_to_zero(db)


def test_a_decision_before_the_delivery_was_settled_is_retried(db):
    payment, (share,) = open_order(db, method="cod")
    import pytest
    with pytest.raises(LookupError):
        resolved(db, share, 1_000)


def test_an_owed_refund_paid_by_hand_is_recorded_once(db):
    payment, (share,) = open_order(db, method="cod", shares=(("seller-a", 40_000, 10_000),))
    deliver(db, payment, share, collected=50_000)
    resolved(db, share, 20_000, complaint_id="c-owed")
    paid = service.pay_owed_refund(work(db), "c-owed")
    assert (paid["amount"], paid["shopper_id"], paid["paid"]) == (20_000, payment.shopper_id, True)
    assert service.platform_balances(db)["accounts"][domain.shopper_refund_owed(payment.shopper_id)] == 0
    from .test_payments_service import refused
    assert (refused(service.pay_owed_refund, work(db), "c-owed").code) == "already_paid"
    assert refused(service.pay_owed_refund, work(db), "c-%").status == 404  # no wildcard reaches the LIKE
    assert refused(service.pay_owed_refund, work(db), "no-such").status == 404
    ledger_sums_to_zero(db)


# -- one refund use case, told where the money comes from -----------------------------------------------------
def test_a_refund_says_which_accounts_carry_it():
    assert domain.FROM_CLEARING.entries(30_000) == ((domain.SHOPPER_CLEARING, 30_000),)
    after = domain.from_held_share("seller-a", 38_000)
    assert after.entries(50_000) == ((domain.seller_held("seller-a"), 38_000), (domain.PLATFORM_COMMISSION, 12_000))
    assert after.collected and not domain.FROM_CLEARING.collected
    paid = domain.refund_movement("p", "complaint:c", "o", after, 15_000, paid_back=True, shopper_id="s")
    owed = domain.refund_movement("p", "complaint:c", "o", after, 15_000, paid_back=False, shopper_id="s")
    assert (paid.key, paid.kind, paid.entries[-1]) == ("refund:p:complaint:c", "refund", (domain.PLATFORM_FUNDS, -15_000))
    assert (owed.key, owed.kind, owed.entries[-1]) == ("refund_owed:p:complaint:c", "refund_owed",
                                                      (domain.shopper_refund_owed("s"), -15_000))


def test_a_refused_parcel_and_a_complaint_refund_go_through_the_same_refund_from_different_accounts(db, monkeypatch):
    """One card payment, two parcels: one refused before pickup (from clearing), one complained about after
    delivery (from the seller's held share). Both through service.refund: one provider call each, keyed by what
    they are for; the capture is never given back twice; every transaction sums to zero."""
    calls = []
    from services.payments import providers
    sandbox = providers.get_provider("sandbox")
    monkeypatch.setattr(type(sandbox), "refund", lambda self, **kw: calls.append(kw) or f"sbx_re_{len(calls)}")
    payment, (kept, refused_parcel) = open_order(db, shares=(("seller-a", 40_000, 10_000),
                                                             ("seller-b", 20_000, 10_000)))
    pay(db, payment)
    with work(db) as uow:
        assert service.refund_parcel(uow, {**refused_parcel, "order_id": payment.order_id,
                                           "reason": "out_of_stock"}) == 30_000
        uow.commit()
    deliver(db, payment, kept)
    assert resolved(db, kept, 50_000, complaint_id="c-2") == 50_000
    assert [(c["amount"], c["refund_key"]) for c in calls] == [(30_000, refused_parcel["fulfillment_id"]),
                                                               (50_000, "complaint-c-2")]
    with db.Session() as s:
        p = s.get(Payment, payment.id)
        assert service.refunded_amount(s, p) == 80_000 and p.status == "refunded"
        keys = sorted(k for (k,) in s.execute(select(LedgerTransaction.key).where(LedgerTransaction.kind == "refund")).all())
    assert keys == sorted([f"refund:{payment.id}:{refused_parcel['fulfillment_id']}",
                           f"refund:{payment.id}:complaint:c-2"])
    assert [e["refund_key"] for e in emitted(db, "payment.refunded")] == [refused_parcel["fulfillment_id"],
                                                                          "complaint:c-2"]
    ledger_sums_to_zero(db)


def test_a_card_complaint_on_a_rail_that_cannot_refund_is_owed_and_paid_by_hand(db, monkeypatch):
    from services.payments import providers
    sandbox = providers.get_provider("sandbox")

    def cannot(self, **kw):
        raise domain.RefundNotSupported("bank transfer")
    monkeypatch.setattr(type(sandbox), "refund", cannot)
    payment, (share,) = open_order(db, shares=(("seller-a", 40_000, 10_000),))
    pay(db, payment)
    deliver(db, payment, share)
    assert resolved(db, share, 20_000, complaint_id="c-va") == 20_000
    with db.Session() as s:
        p = s.get(Payment, payment.id)
        assert (p.attention, service.owed_refunds(s, p), service.refunded_amount(s, p)) == ("refund_owed", 20_000, 0)
    assert emitted(db, "payment.refunded") == []
    assert service.pay_owed_refund(work(db), "c-va")["amount"] == 20_000
    assert service.read_balance(db, "seller-a")["seller_available"] == 18_000
    ledger_sums_to_zero(db)



def test_the_courier_of_a_return_trip_earns_its_fee_from_the_platform_once(db):
    payment, (share,) = open_order(db, shares=(("seller-a", 40_000, 10_000),))
    pay(db, payment)
    deliver(db, payment, share)
    trip = {"return_id": "r-1", "complaint_id": "c-r", "order_id": payment.order_id,
            "fulfillment_id": share["fulfillment_id"], "courier_id": "courier-r", "shopper_id": payment.shopper_id,
            "seller_id": "seller-a", "delivery_fee": 10_000}
    for _ in range(2):  # a second copy of the event pays nothing more
        with work(db) as uow:
            service.pay_return_trip(uow, trip)
            uow.commit()
    assert resolved(db, share, 50_000, complaint_id="c-r") == 50_000
    accounts = service.platform_balances(db)["accounts"]
    assert accounts[domain.courier_earnings("courier-r")] == -10_000
    (created,) = [p for p in emitted(db, "payout.created") if p.get("return_id")]
    assert (created["payee_id"], created["amount"], created["status"]) == ("courier-r", 10_000, "owed")
    ledger_sums_to_zero(db)
