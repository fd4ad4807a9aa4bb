"""Trust after the sale (issue 16), orders' part through the service layer on SQLite: the shopper confirms
receipt, the receipt and unshipped timers, a seller refusing one parcel of two. The two-sweeper race on
PostgreSQL is in tests/integration/test_orders_timers.py."""
from __future__ import annotations

import pytest

from pasar.db import UnitOfWork
from services.orders import domain, service
from services.orders.models import Order

from .test_orders_service import (ADDRESS, SHOPPER, catalog_line, courier, db, events, handle,  # noqa: F401
                                  refused)


def two_seller_order(db, method: str = "cod") -> Order:
    order, _ = service.place_order(UnitOfWork(db), SHOPPER, {
        "payment_method": method, "items": [{"listing_id": "l-1", "qty": 2}, {"listing_id": "l-2", "qty": 1}],
        "delivery_address": ADDRESS}, None)
    handle(db, service.stock_reserved, order.id, [catalog_line("l-1", "seller-1", qty=2, price=25000),
                                                  catalog_line("l-2", "seller-2", price=40000)])
    if method == "card":
        handle(db, service.payment_succeeded, order.id, "pay-1")
    with db.Session() as session:
        return session.get(Order, order.id)


def parcel_of(order: Order, seller: str):
    return next(f for f in order.fulfillments if f.seller_id == seller)


def delivered(db, order: Order, seller: str, courier_id: str = "courier-1"):
    f = parcel_of(order, seller)
    service.mark_ready(UnitOfWork(db), f.id, seller, False)
    service.claim_delivery(UnitOfWork(db), f.id, courier_id, False, "Sanankulon")
    service.pick_up(UnitOfWork(db), f.id, courier_id, False, None)
    cash = f.cod_amount_due or None
    return service.deliver(UnitOfWork(db), f.id, courier_id, False, None, cash)


def test_the_shopper_confirms_receipt_once_only_after_delivery_and_only_of_their_own_order(db):
    courier(db, "courier-1", "Sanankulon")
    order = two_seller_order(db)
    first = parcel_of(order, "seller-1")
    with pytest.raises(domain.DomainError) as early:
        service.confirm_receipt(UnitOfWork(db), order.id, first.id, SHOPPER, False)
    assert early.value.code == "not_delivered"
    f = delivered(db, order, "seller-1")
    assert f.receipt_due_at is not None and f.received_at is None
    assert refused(service.confirm_receipt, UnitOfWork(db), order.id, first.id, "shopper-2", False).status == 404
    assert refused(service.confirm_receipt, UnitOfWork(db), order.id, "nope", SHOPPER, False).status == 404
    got = service.confirm_receipt(UnitOfWork(db), order.id, first.id, SHOPPER, False)
    again = service.confirm_receipt(UnitOfWork(db), order.id, first.id, SHOPPER, False)
    assert (got.received_by, domain.as_utc(again.received_at)) == ("shopper", domain.as_utc(got.received_at))
    received = events(db, "fulfillment.received")
    assert [(e["fulfillment_id"], e["received_by"], e["goods_amount"]) for e in received] == [
        (first.id, "shopper", 50000)]


def test_the_receipt_timer_confirms_what_the_shopper_left_unconfirmed_and_only_once(db, monkeypatch):
    courier(db, "courier-1", "Sanankulon")
    monkeypatch.setenv("AUTO_CONFIRM_DAYS", "0.0000001")  # about 9 ms
    order = two_seller_order(db)
    f = delivered(db, order, "seller-1")
    monkeypatch.setenv("AUTO_CONFIRM_DAYS", "3")
    other = delivered(db, order, "seller-2")  # delivered now: its window is still open
    from tests.support.infra import wait_until
    wait_until(lambda: service.auto_confirm_receipts(db), timeout=5, message="the receipt timer fires")
    assert service.auto_confirm_receipts(db) == []
    with db.Session() as session:
        done = session.get(Order, order.id)
        assert [(x.id, x.received_by) for x in done.fulfillments if x.received_at] == [(f.id, "timer")]
        assert parcel_of(done, "seller-2").received_at is None and other.id
    assert [e["received_by"] for e in events(db, "fulfillment.received")] == ["timer"]


def test_a_parcel_nobody_shipped_in_time_is_cancelled_alone_and_refunded_and_the_rest_goes_on(db, monkeypatch):
    courier(db, "courier-1", "Sanankulon")
    monkeypatch.setenv("AUTO_CANCEL_UNSHIPPED_HOURS", "0.000001")  # a few ms
    order = two_seller_order(db, "card")
    monkeypatch.setenv("AUTO_CANCEL_UNSHIPPED_HOURS", "48")
    shipped = parcel_of(order, "seller-2")
    service.mark_ready(UnitOfWork(db), shipped.id, "seller-2", False)
    service.claim_delivery(UnitOfWork(db), shipped.id, "courier-1", False, "Sanankulon")
    service.pick_up(UnitOfWork(db), shipped.id, "courier-1", False, None)
    from tests.support.infra import wait_until
    wait_until(lambda: service.cancel_unshipped(db), timeout=5, message="the unshipped timer fires")
    assert service.cancel_unshipped(db) == []
    with db.Session() as session:
        now = session.get(Order, order.id)
        assert now.status == domain.CONFIRMED
        assert [(f.seller_id, f.status, f.cancel_reason) for f in now.fulfillments] == [
            ("seller-1", domain.CANCELLED, "not_shipped"), ("seller-2", domain.PICKED_UP, None)]
    (cancelled,) = events(db, "fulfillment.cancelled")
    assert (cancelled["refund_amount"], cancelled["items"], cancelled["order_status"]) == (
        50000 + 10000, [{"listing_id": "l-1", "qty": 2}], domain.CONFIRMED)
    f = service.deliver(UnitOfWork(db), shipped.id, "courier-1", False, None, None)
    assert f.order.status == domain.COMPLETED  # the cancelled parcel does not hold the order open


def test_a_seller_refuses_one_parcel_of_two_cash_on_delivery_owes_nothing_for_it(db):
    order = two_seller_order(db, "cod")
    f = parcel_of(order, "seller-1")
    assert refused(service.refuse_fulfillment, UnitOfWork(db), f.id, "seller-2", False, "out_of_stock").status == 404
    got = service.refuse_fulfillment(UnitOfWork(db), f.id, "seller-1", False, "harvest_failed")
    assert (got.status, got.cancel_reason, got.order.status) == (domain.CANCELLED, "harvest_failed", domain.CONFIRMED)
    (cancelled,) = events(db, "fulfillment.cancelled")
    assert (cancelled["refund_amount"], cancelled["payment_method"]) == (0, "cod")
    with pytest.raises(domain.DomainError) as twice:
        service.refuse_fulfillment(UnitOfWork(db), f.id, "seller-1", False, "harvest_failed")
    assert twice.value.code == "already_cancelled"
    # the last open parcel refused: nothing was delivered, so the order ends cancelled, without asking for
    # a whole-order refund on top of the parcels' own
    service.refuse_fulfillment(UnitOfWork(db), parcel_of(order, "seller-2").id, "seller-2", False, "out_of_stock")
    with db.Session() as session:
        done = session.get(Order, order.id)
        assert (done.status, done.cancel_reason) == (domain.CANCELLED, "parcels_cancelled")
    assert events(db, "order.cancelled") == []
    assert [e["order_status"] for e in events(db, "fulfillment.cancelled")] == [domain.CONFIRMED, domain.CANCELLED]


def test_the_shopper_cancelling_after_one_parcel_was_refused_cancels_only_the_rest(db):
    order = two_seller_order(db, "card")
    service.refuse_fulfillment(UnitOfWork(db), parcel_of(order, "seller-1").id, "seller-1", False, "out_of_stock")
    service.cancel_order(UnitOfWork(db), order.id, SHOPPER, False)
    (cancelled,) = events(db, "order.cancelled")
    assert cancelled["paid"] is True
    assert len(events(db, "fulfillment.cancelled")) == 1


def test_a_picked_up_parcel_can_no_longer_be_refused(db):
    courier(db, "courier-1", "Sanankulon")
    order = two_seller_order(db)
    f = parcel_of(order, "seller-1")
    service.mark_ready(UnitOfWork(db), f.id, "seller-1", False)
    service.claim_delivery(UnitOfWork(db), f.id, "courier-1", False, "Sanankulon")
    service.pick_up(UnitOfWork(db), f.id, "courier-1", False, None)
    with pytest.raises(domain.DomainError) as late:
        service.refuse_fulfillment(UnitOfWork(db), f.id, "seller-1", False, "out_of_stock")
    assert late.value.code == "already_picked_up"


# -- contacts at the right moment ------------------------------------------------------------------------
def test_an_offered_courier_learns_the_shoppers_name_phone_and_street_only_after_accepting(db):
    courier(db, "courier-1", "Sanankulon", available=True)
    order = two_seller_order(db)
    f = parcel_of(order, "seller-1")
    service.mark_ready(UnitOfWork(db), f.id, "seller-1", False)  # offered to courier-1
    (offer,) = events(db, "delivery.assigned")
    assert offer["accepted"] is False and offer["dropoff"] == {"district": "Sanankulon"}
    with db.Session() as session:
        offered = service.visible_delivery(session, f.id, "courier-1", False, None)
        assert domain.dropoff_for("courier", "courier-1", offered.courier_id, ADDRESS, offered.accepted) == {
            "district": "Sanankulon"}
    service.accept_delivery(UnitOfWork(db), f.id, "courier-1", False, None)
    service.accept_delivery(UnitOfWork(db), f.id, "courier-1", False, None)  # again: told once
    (accepted,) = events(db, "delivery.accepted")
    assert accepted["dropoff"] == ADDRESS
    with db.Session() as session:
        mine = service.visible_delivery(session, f.id, "courier-1", False, None)
        assert domain.dropoff_for("courier", "courier-1", mine.courier_id, ADDRESS, mine.accepted) == ADDRESS


def test_the_shopper_sees_the_couriers_name_and_phone_once_the_parcel_is_picked_up(db):
    courier(db, "courier-1", "Sanankulon")
    order = two_seller_order(db)
    f = parcel_of(order, "seller-1")
    service.mark_ready(UnitOfWork(db), f.id, "seller-1", False)
    service.claim_delivery(UnitOfWork(db), f.id, "courier-1", False, "Sanankulon")

    def contacts():
        with db.Session() as session:
            seen, _ = service.order_with_timeline(session, order.id, SHOPPER, False)
            return {x.seller_id: x.courier_contact for x in seen.fulfillments}
    assert contacts() == {"seller-1": None, "seller-2": None}
    service.pick_up(UnitOfWork(db), f.id, "courier-1", False, None)
    assert contacts() == {"seller-1": {"name": "Budi", "phone": "+62812"}, "seller-2": None}
