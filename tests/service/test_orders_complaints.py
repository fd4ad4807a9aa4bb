"""Complaints and returns (issue 16), orders' part through the service layer on SQLite: who may complain and
when, the seller's answers, the shopper's reply, the escalation timer, the operator's decision, and that an open
complaint stops the receipt timer. Payments' part (the money) is in tests/service/test_payments_complaints.py."""
from __future__ import annotations

import pytest

from pasar.db import UnitOfWork
from services.orders import domain, service
from services.orders.models import Complaint, Order

from .test_orders_after_sale import delivered, parcel_of, two_seller_order
from .test_orders_service import SHOPPER, courier, db, events, refused  # noqa: F401


def complain(db, order, seller="seller-1", reason="damaged", text="Tikarnya sobek"):
    f = parcel_of(order, seller)
    return service.open_complaint(UnitOfWork(db), order.id, f.id, SHOPPER, reason, text, [])


@pytest.fixture
def delivered_order(db):
    courier(db, "courier-1", "Sanankulon")
    order = two_seller_order(db, "card")
    delivered(db, order, "seller-1")
    with db.Session() as session:
        return session.get(Order, order.id)


def test_a_complaint_is_opened_once_only_by_the_shopper_only_within_the_window(db, delivered_order):
    order = delivered_order
    undelivered = parcel_of(order, "seller-2")
    with pytest.raises(domain.ComplaintRefused) as early:
        service.open_complaint(UnitOfWork(db), order.id, undelivered.id, SHOPPER, "damaged", "", [])
    assert early.value.code == "not_delivered"
    f = parcel_of(order, "seller-1")
    assert refused(service.open_complaint, UnitOfWork(db), order.id, f.id, "shopper-2", "damaged", "", []).status == 404
    with pytest.raises(domain.ComplaintInvalid) as bad:
        service.open_complaint(UnitOfWork(db), order.id, f.id, SHOPPER, "bored", "", [])
    assert bad.value.field == "reason"
    c, status = complain(db, order)
    again, status_again = complain(db, order)
    assert (status, status_again, again.id) == (201, 200, c.id)
    assert (c.status, c.parcel_total, c.reason, c.actions[0]["action"]) == ("open", 60000, "damaged", "opened")
    assert [e["step"] for e in events(db, "complaint.opened")] == ["opened"]
    # while it is open the shopper cannot confirm receipt (it would release the seller's money)
    assert refused(service.confirm_receipt, UnitOfWork(db), order.id, f.id, SHOPPER, False).code == "complaint_open"


def test_the_window_closed_no_complaint(db, monkeypatch):
    courier(db, "courier-1", "Sanankulon")
    monkeypatch.setenv("AUTO_CONFIRM_DAYS", "0.0000001")  # about 9 ms
    order = two_seller_order(db)
    f = delivered(db, order, "seller-1")
    from pasar.stamps import utcnow
    from tests.support.infra import wait_until
    wait_until(lambda: domain.as_utc(f.receipt_due_at) < utcnow(), timeout=5, message="the window closes")
    with pytest.raises(domain.ComplaintRefused) as late:
        service.open_complaint(UnitOfWork(db), order.id, f.id, SHOPPER, "damaged", "", [])
    assert late.value.code == "complaint_window_closed"


def test_an_open_complaint_stops_the_receipt_timer(db, monkeypatch):
    courier(db, "courier-1", "Sanankulon")
    monkeypatch.setenv("AUTO_CONFIRM_DAYS", "0.00001")  # about 0.9 s
    order = two_seller_order(db)
    f = delivered(db, order, "seller-1")
    with db.Session() as session:
        order = session.get(Order, order.id)
    complain(db, order)
    from tests.support.infra import wait_until
    from pasar.stamps import utcnow
    wait_until(lambda: domain.as_utc(f.receipt_due_at) <= utcnow(), timeout=5, message="the window passes")
    assert service.auto_confirm_receipts(db) == []
    assert events(db, "fulfillment.received") == []


def test_the_seller_refunds_part_and_the_parcel_ends_received_by_the_complaint(db, delivered_order):
    c, _ = complain(db, delivered_order)
    assert refused(service.answer_complaint, UnitOfWork(db), c.id, "seller-2", "seller", False, "refund", 1,
                   None).status == 404
    with pytest.raises(domain.ComplaintInvalid) as above:
        service.answer_complaint(UnitOfWork(db), c.id, "seller-1", "seller", False, "refund", 60001, None)
    assert above.value.field == "amount"
    done = service.answer_complaint(UnitOfWork(db), c.id, "agent-1", "agent", False, "refund", 15000, "maaf")
    assert (done.status, done.resolution, done.refund_amount, done.resolved_by) == ("resolved", "refund", 15000,
                                                                                     "seller")
    with db.Session() as session:
        f = session.get(Order, delivered_order.id).fulfillment(c.fulfillment_id)
        assert f.received_by == "complaint" and f.received_at is not None
    [resolved] = events(db, "complaint.resolved")
    assert (resolved["refund_amount"], resolved["step"], resolved["seller_id"]) == (15000, "refund", "seller-1")
    with pytest.raises(domain.ComplaintRefused) as twice:
        service.answer_complaint(UnitOfWork(db), c.id, "seller-1", "seller", False, "refund", None, None)
    assert twice.value.code == "already_resolved"


def test_a_rejection_is_accepted_or_escalated_by_the_shopper_only(db, delivered_order):
    c, _ = complain(db, delivered_order)
    with pytest.raises(domain.ComplaintInvalid) as why:
        service.answer_complaint(UnitOfWork(db), c.id, "seller-1", "seller", False, "reject", None, "  ")
    assert why.value.field == "reason"
    rejected = service.answer_complaint(UnitOfWork(db), c.id, "seller-1", "seller", False, "reject", None,
                                        "Foto menunjukkan tikar utuh")
    assert (rejected.status, rejected.answer_reason) == ("rejected", "Foto menunjukkan tikar utuh")
    assert refused(service.escalate_complaint, UnitOfWork(db), c.id, "shopper-2", "shopper", None).status == 404
    up = service.escalate_complaint(UnitOfWork(db), c.id, SHOPPER, "shopper", "Tidak benar")
    assert up.status == "escalated" and up.escalated_at is not None
    assert [e["by_role"] for e in events(db, "complaint.escalated")] == ["shopper"]
    # the operator releases to the seller, saying why; who and when are kept on the complaint
    with pytest.raises(domain.ComplaintInvalid):
        service.decide_complaint(UnitOfWork(db), c.id, "admin-1", "release", None, "")
    done = service.decide_complaint(UnitOfWork(db), c.id, "admin-1", "release", None, "Bukti foto penjual jelas")
    assert (done.status, done.resolution, done.refund_amount) == ("resolved", "release", 0)
    assert done.actions[-1] | {"at": None} == {"action": "released", "by": "admin-1", "role": "operator",
                                               "amount": 0, "why": "Bukti foto penjual jelas", "at": None}


def test_the_shopper_accepts_a_rejection_and_the_seller_is_paid(db, delivered_order):
    c, _ = complain(db, delivered_order)
    service.answer_complaint(UnitOfWork(db), c.id, "seller-1", "seller", False, "reject", None, "Sudah sesuai")
    done = service.accept_rejection(UnitOfWork(db), c.id, SHOPPER, "shopper")
    assert (done.status, done.resolution, done.resolved_by) == ("resolved", "release", "shopper")


def test_a_return_then_the_refund_when_the_seller_has_the_goods_back(db, delivered_order):
    c, _ = complain(db, delivered_order, reason="wrong_item")
    asked = service.answer_complaint(UnitOfWork(db), c.id, "seller-1", "seller", False, "return", None, None)
    assert (asked.status, asked.refund_amount) == ("return_requested", 60000)
    assert refused(service.return_sent, UnitOfWork(db), c.id, "shopper-2", "shopper").status == 404
    sent = service.return_sent(UnitOfWork(db), c.id, SHOPPER, "shopper")
    assert sent.status == "return_sent"
    assert refused(service.return_received, UnitOfWork(db), c.id, "seller-2", "seller", False).status == 404
    done = service.return_received(UnitOfWork(db), c.id, "seller-1", "seller", False)
    assert (done.status, done.refund_amount) == ("resolved", 60000)
    assert [a["action"] for a in done.actions] == ["opened", "return_requested", "return_sent", "return_received",
                                                   "refunded"]
    assert [e["step"] for e in events(db, "complaint.answered")] == ["return_requested"]


def test_the_timer_escalates_a_complaint_nobody_answered_once(db, delivered_order, monkeypatch):
    monkeypatch.setenv("COMPLAINT_RESPONSE_HOURS", "0.0000003")  # about 1 ms
    c, _ = complain(db, delivered_order)
    monkeypatch.setenv("COMPLAINT_RESPONSE_HOURS", "48")
    from tests.support.infra import wait_until
    wait_until(lambda: service.escalate_overdue_complaints(db), timeout=5, message="the complaint timer fires")
    assert service.escalate_overdue_complaints(db) == []
    with db.Session() as session:
        now = session.get(Complaint, c.id)
        assert (now.status, now.actions[-1]["role"]) == ("escalated", "timer")
    # the seller can no longer answer; the operator decides a partial refund
    with pytest.raises(domain.ComplaintRefused):
        service.answer_complaint(UnitOfWork(db), c.id, "seller-1", "seller", False, "reject", None, "no")
    done = service.decide_complaint(UnitOfWork(db), c.id, "admin-1", "refund", 20000, "Separuh rusak")
    assert (done.resolution, done.refund_amount, done.resolved_by) == ("refund", 20000, "operator")


def test_each_person_sees_only_their_own_complaints(db, delivered_order):
    c, _ = complain(db, delivered_order)
    with db.Session() as session:
        for viewer, role, seen in ((SHOPPER, "shopper", 1), ("shopper-2", "shopper", 0), ("seller-1", "seller", 1),
                                   ("seller-2", "seller", 0), ("agent-1", "agent", 1), ("courier-1", "courier", 0),
                                   ("admin-1", "admin", 1)):
            listed = service.list_complaints(session, viewer, role, role == "admin", None, None, 20, 0)
            assert listed["total"] == seen, (viewer, role)
            if not seen:
                assert refused(service.complaint_for, session, c.id, viewer, role, False).status == 404
