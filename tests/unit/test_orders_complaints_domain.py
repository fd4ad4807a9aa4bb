"""Complaint rules (issue 16) on plain domain objects, without a database: the state machine, amounts, reasons,
the escalation deadline, and that the seller's money is decided by exactly one `complaint.resolved`."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.orders import domain as d

from .test_orders_domain import NOW, deliver, order_in

WINDOW = timedelta(hours=48)


def complaint(reason: str = "damaged"):
    order = order_in(d.CONFIRMED, "card")
    f = order.fulfillments[0]
    deliver(order, f)
    return order, f, d.Complaint("c-1", order, f, reason, "  sobek  ", [], NOW, WINDOW)


def test_a_complaint_starts_open_with_a_deadline_and_its_first_step():
    order, f, c = complaint()
    assert (c.status, c.text, c.parcel_total, c.respond_by) == ("open", "sobek", f.goods_amount + f.delivery_fee,
                                                                NOW + WINDOW)
    assert [a["action"] for a in c.actions] == ["opened"]
    (event,) = c.opened()
    assert (event.type, event.data["step"], event.fulfillment_id) == ("complaint.opened", "opened", f.id)


@pytest.mark.parametrize("bad, field", [({"reason": "bored"}, "reason"), ({"photos": ["a", "b", "c", "d"]}, "photos"),
                                        ({"text": "x" * 2001}, "text")])
def test_a_complaint_with_a_bad_value_names_the_field(bad, field):
    order = order_in(d.CONFIRMED, "card")
    f = order.fulfillments[0]
    deliver(order, f)
    args = {"reason": "damaged", "text": "", "photos": [], **bad}
    with pytest.raises(d.ComplaintInvalid) as err:
        d.Complaint("c", order, f, args["reason"], args["text"], args["photos"], NOW, WINDOW)
    assert err.value.field == field


def test_no_complaint_before_delivery_after_receipt_or_after_the_window():
    order = order_in(d.CONFIRMED, "card")
    f = order.fulfillments[0]
    with pytest.raises(d.ComplaintRefused, match="delivered"):
        d.may_complain(f, NOW)
    deliver(order, f)
    with pytest.raises(d.ComplaintRefused) as late:
        d.may_complain(f, d.as_utc(f.receipt_due_at))
    assert late.value.code == "complaint_window_closed"
    f.confirm_receipt(order, d.RECEIVED_BY_SHOPPER, NOW)
    with pytest.raises(d.ComplaintRefused) as received:
        d.may_complain(f, NOW)
    assert received.value.code == "already_received"


@pytest.mark.parametrize("amount, ok", [(None, True), (1, True), (60000, True), (0, False), (60001, False),
                                        (1.5, False)])
def test_a_refund_is_whole_rupiah_above_zero_and_at_most_the_parcel(amount, ok):
    if ok:
        assert d.complaint_amount(amount, 60000) == (60000 if amount is None else amount)
    else:
        with pytest.raises(d.ComplaintInvalid):
            d.complaint_amount(amount, 60000)


def test_each_state_allows_only_its_own_steps():
    order, f, c = complaint()
    with pytest.raises(d.ComplaintRefused):
        c.return_sent("shopper-1", NOW, WINDOW)  # nothing asked back yet
    with pytest.raises(d.ComplaintRefused):
        c.accept_rejection(f, "shopper-1", NOW)  # nothing rejected yet
    with pytest.raises(d.ComplaintRefused):
        c.escalate("shopper-1", "shopper", NOW)  # the shopper escalates a rejection, not a question still open
    c.answer_by_seller(f, "s1", "reject", None, "utuh", NOW, WINDOW)
    with pytest.raises(d.ComplaintRefused):
        c.answer_by_seller(f, "s1", "refund", None, None, NOW, WINDOW)  # one answer
    c.escalate("shopper-1", "shopper", NOW)
    with pytest.raises(d.ComplaintRefused):
        c.escalate("timer", "timer", NOW)  # already with the operator
    events = c.decide(f, "admin", "refund", 5000, "sebagian", NOW, WINDOW)
    assert [e.type for e in events] == ["complaint.resolved"]
    with pytest.raises(d.ComplaintRefused) as again:
        c.decide(f, "admin", "release", None, "lagi", NOW, WINDOW)
    assert again.value.code == "already_resolved"


def test_the_timer_escalates_only_what_waits_on_somebody_past_its_deadline():
    order, f, c = complaint()
    assert not c.overdue(NOW + WINDOW - timedelta(seconds=1)) and c.overdue(NOW + WINDOW)
    c.answer_by_seller(f, "s1", "return", None, None, NOW + timedelta(hours=1), WINDOW)
    assert c.respond_by == NOW + timedelta(hours=1) + WINDOW  # each step gives the next person the full time
    c.escalate("timer", "timer", NOW + timedelta(hours=100))
    assert not c.overdue(NOW + timedelta(days=100))  # with the operator: no deadline runs any more


def test_resolution_marks_the_parcel_received_by_the_complaint_and_says_the_money_once():
    order, f, c = complaint()
    (event,) = c.answer_by_seller(f, "s1", "refund", 15000, None, NOW, WINDOW)
    assert (event.type, event.data["refund_amount"], event.data["resolution"]) == ("complaint.resolved", 15000,
                                                                                    "refund")
    assert (f.received_by, f.received_at) == ("complaint", NOW)
    assert f.confirm_receipt(order, d.RECEIVED_BY_TIMER, NOW) == []  # the receipt timer has nothing left to do
