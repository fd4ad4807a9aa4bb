"""A return gets a courier (issue 16), orders' part through the service layer on SQLite: "return then refund"
puts a return trip on the same dispatch as a delivery (offered to the district's courier on duty, else on the
district's open board), through the same courier use cases (accept, decline, claim, picked up, delivered); the
courier's hand-over at the shop resolves the complaint with the agreed refund; a complaint settled another way
first calls the trip off. Nobody else's courier sees the shopper's door before accepting."""
from __future__ import annotations

import pytest

from pasar.db import UnitOfWork
from services.orders import domain, service
from services.orders.models import Order, ReturnPickup
from services.orders.schemas import ComplaintOut

from .test_orders_after_sale import delivered, parcel_of, two_seller_order
from .test_orders_complaints import complain
from .test_orders_service import SHOPPER, courier, db, events, refused  # noqa: F401


@pytest.fixture
def complained(db):
    courier(db, "courier-1", "Sanankulon")
    order = two_seller_order(db, "card")
    delivered(db, order, "seller-1")
    with db.Session() as session:
        order = session.get(Order, order.id)
    c, _ = complain(db, order)
    return order, c


def ask_return(db, c, amount=None):
    return service.answer_complaint(UnitOfWork(db), c.id, "seller-1", "seller", False, "return", amount, None)


def test_a_return_goes_on_the_district_board_and_the_courier_brings_it_back_then_it_is_refunded(db, complained):
    order, c = complained
    assert ComplaintOut().dump(c)["return_pickup"] is None  # shaped after its session closed, as the API does
    asked = ask_return(db, c, 50000)
    trip = asked.return_trips[-1]
    assert ComplaintOut().dump(asked)["return_pickup"]["status"] == "READY_FOR_PICKUP"
    # nobody on duty: the trip waits on the shopper's district's open board, priced like the way there
    assert (trip.status, trip.courier_id, trip.district, trip.delivery_fee) == ("READY_FOR_PICKUP", None,
                                                                                 "Sanankulon", 10000)
    assert trip.pickup["street"] == "Jl. Mawar 3" and trip.dropoff["shop_name"]
    with db.Session() as session:
        board = service.open_board(session, "courier-2", "Sanankulon")["deliveries"]
        assert [(j.id, j.kind) for j in board] == [(trip.id, "return")]
        assert service.open_board(session, "courier-3", "Kalipare")["deliveries"] == []
    assert refused(service.claim_delivery, UnitOfWork(db), trip.id, "courier-3", False, "Kalipare").status == 404
    taken = service.claim_delivery(UnitOfWork(db), trip.id, "courier-2", False, "Sanankulon")
    assert (taken.status, taken.courier_id, taken.accepted) == ("ASSIGNED", "courier-2", True)
    with db.Session() as session:
        mine = service.list_deliveries(session, "courier-2", None, 30, 0)
    assert [j.id for j in mine["deliveries"]] == [trip.id] and mine["total"] == 1
    # another courier can no longer move it
    assert refused(service.pick_up, UnitOfWork(db), trip.id, "courier-3", False, "Sanankulon").status == 404
    picked = service.pick_up(UnitOfWork(db), trip.id, "courier-2", False, None)
    assert picked.status == "PICKED_UP"
    with db.Session() as session:
        assert session.get(domain.Complaint, c.id).status == "return_sent"
    assert [(e["step"], e["by_role"]) for e in events(db, "complaint.return_sent")] == [("return_sent", "courier")]
    with pytest.raises(domain.CashMismatch):
        service.deliver(UnitOfWork(db), trip.id, "courier-2", False, None, 5000)
    done = service.deliver(UnitOfWork(db), trip.id, "courier-2", False, None, None)
    assert done.status == "DELIVERED"
    with db.Session() as session:
        settled = session.get(domain.Complaint, c.id)
        assert (settled.status, settled.refund_amount, settled.resolved_by) == ("resolved", 50000, "courier")
        assert [a["action"] for a in settled.actions] == ["opened", "return_requested", "return_sent",
                                                          "return_received", "refunded"]
    resolved = events(db, "complaint.resolved")
    assert [(e["step"], e["refund_amount"]) for e in resolved] == [("refund", 50000)]
    assert [e["courier_id"] for e in events(db, "return.delivered")] == ["courier-2"]
    # the seller's delivery was never touched: no second delivery.delivered, nothing for catalog or payments
    assert len(events(db, "delivery.delivered")) == 1


def test_a_courier_on_duty_is_offered_the_return_without_the_shoppers_door_until_accepting(db, complained):
    order, c = complained
    courier(db, "courier-2", "Sanankulon", available=True)
    courier(db, "courier-3", "Sanankulon", available=True)
    trip = ask_return(db, c).return_trips[-1]
    offered_to = trip.courier_id
    assert trip.status == "ASSIGNED" and offered_to in ("courier-2", "courier-3") and not trip.accepted
    offer = events(db, "return.assigned")[-1]
    assert "street" not in offer["pickup"] and "phone" not in offer["pickup"]
    assert offer["pickup"]["district"] == "Sanankulon"
    # declined: offered to the other courier, never back
    service.decline_delivery(UnitOfWork(db), trip.id, offered_to, False, None)
    other = {"courier-2": "courier-3", "courier-3": "courier-2"}[offered_to]
    with db.Session() as session:
        again = session.get(ReturnPickup, trip.id)
        assert (again.courier_id, again.declined_by) == (other, [offered_to])
    accepted = service.accept_delivery(UnitOfWork(db), trip.id, other, False, None)
    assert accepted.accepted
    assert events(db, "return.accepted")[-1]["pickup"]["street"] == "Jl. Mawar 3"


def test_a_complaint_settled_before_the_pickup_calls_the_trip_off(db, complained):
    order, c = complained
    trip = ask_return(db, c).return_trips[-1]
    # the shopper brought the goods back by themselves; the seller confirms
    service.return_sent(UnitOfWork(db), c.id, SHOPPER, "shopper")
    done = service.return_received(UnitOfWork(db), c.id, "seller-1", "seller", False)
    assert done.status == "resolved"
    with db.Session() as session:
        assert session.get(ReturnPickup, trip.id).status == "CANCELLED"
        assert service.open_board(session, "courier-2", "Sanankulon")["deliveries"] == []
    assert [e["reason"] for e in events(db, "return.cancelled")] == ["complaint_resolved"]


def test_the_operator_asks_for_a_return_and_the_courier_closes_it_even_after_escalation(db, complained):
    order, c = complained
    service.answer_complaint(UnitOfWork(db), c.id, "seller-1", "seller", False, "reject", None, "Barang baik")
    service.escalate_complaint(UnitOfWork(db), c.id, SHOPPER, "shopper", None)
    asked = service.decide_complaint(UnitOfWork(db), c.id, "admin-1", "return", 30000, "Kembalikan barangnya")
    trip = asked.return_trips[-1]
    service.claim_delivery(UnitOfWork(db), trip.id, "courier-1", False, "Sanankulon")
    service.pick_up(UnitOfWork(db), trip.id, "courier-1", False, None)
    service.deliver(UnitOfWork(db), trip.id, "courier-1", False, None, None)
    with db.Session() as session:
        settled = session.get(domain.Complaint, c.id)
        assert (settled.status, settled.refund_amount) == ("resolved", 30000)


def test_a_courier_coming_on_duty_is_offered_the_waiting_return_and_it_counts_as_their_load(db, complained):
    order, c = complained
    trip = ask_return(db, c).return_trips[-1]
    assert trip.status == "READY_FOR_PICKUP"  # nobody on duty yet
    courier(db, "courier-2", "Sanankulon", available=True)  # comes on duty: the district's board is offered again
    with db.Session() as session:
        offered = session.get(ReturnPickup, trip.id)
        assert (offered.status, offered.courier_id, offered.accepted) == ("ASSIGNED", "courier-2", False)
        loads = {load.courier_id: load.active for load in service.courier_loads(session, "Sanankulon")}
    assert loads["courier-2"] == 1
