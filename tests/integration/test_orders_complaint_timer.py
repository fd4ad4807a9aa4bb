"""The complaint escalation timer on PostgreSQL (the migrated schema, orders_0005) with two sweepers racing: every
complaint left unanswered past COMPLAINT_RESPONSE_HOURS goes to the operator exactly once; one not yet due stays
with the seller; and an open complaint keeps the receipt timer off its parcel even when the window has closed."""
from __future__ import annotations

from datetime import timedelta

from pasar.stamps import new_id, utcnow
from services.orders import domain, service
from services.orders.models import Complaint

from .test_orders_timers import db, delivered_order, outbox, race  # noqa: F401


def complained(db, respond_in: timedelta, receipt_in: timedelta = timedelta(days=3)) -> str:
    fulfillment_id = delivered_order(db, receipt_in)
    with db.WriteSession() as session:
        f = session.get(domain.Fulfillment, fulfillment_id)
        order = f.order
        f.receipt_due_at = utcnow() + timedelta(days=3)  # inside the window to open it
        c = domain.Complaint(new_id(), order, f, "damaged", "", [], utcnow(), timedelta(hours=48))
        c.respond_by = utcnow() + respond_in
        f.receipt_due_at = utcnow() + receipt_in
        session.add(c)
        session.commit()
        return c.id


def test_two_sweepers_escalate_each_overdue_complaint_exactly_once(db):
    due = [complained(db, timedelta(seconds=-1)) for _ in range(12)]
    not_yet = complained(db, timedelta(hours=48))
    emitted = race(service.escalate_overdue_complaints, db)
    escalated = outbox(db, "complaint.escalated")
    assert sorted(e["complaint_id"] for e in escalated) == sorted(due)
    assert len(emitted) == len(due) and {e["by_role"] for e in escalated} == {"timer"}
    with db.Session() as session:
        assert session.get(Complaint, not_yet).status == domain.C_OPEN
    assert service.escalate_overdue_complaints(db) == []


def test_an_open_complaint_keeps_the_receipt_timer_away_on_postgresql(db):
    complained(db, timedelta(hours=48), receipt_in=timedelta(seconds=-1))
    assert service.auto_confirm_receipts(db) == []
    assert outbox(db, "fulfillment.received") == []
