"""Notifications event handlers: keep the contact directory, and turn events into messages. Each maps an
event to one service call.

In the handler's transaction (with the worker's inbox row): the in-app message and one delivery row
per external channel, `pending`. After commit the channel threads (dispatch.py) send them, so a
failing SMTP server or WhatsApp provider never fails, blocks or repeats the event."""
from __future__ import annotations

from pasar.db import UnitOfWork
from pasar.events import Event

from . import service


def on_account(event: Event, uow: UnitOfWork) -> None:
    service.remember_contact(uow, event.data)


def notify(event: Event, uow: UnitOfWork) -> None:
    service.notify(uow, event_id=event.id, event_type=event.type, data=event.data)


def send_code(event: Event, uow: UnitOfWork) -> None:
    service.send_code(uow, event_id=event.id, data=event.data)


PERIODIC = [(2.0, service.keep_senders_running)]

NOTIFYING_EVENTS = ("order.confirmed", "order.rejected", "order.cancelled", "delivery.picked_up",
                    "delivery.delivered", "payment.refunded", "stock.low", "payout.created",
                    "delivery.assigned", "delivery.unassigned",
                    # harvest pre-orders (issue 17): a pre-order paid at harvest is asked for its money
                    "payment.requested", "harvest.late",
                    # after the sale (issue 16)
                    "fulfillment.cancelled", "payout.released", "delivery.accepted",
                    # questions and conversations (issue 19)
                    "question.message_posted", "question.handed_over",
                    "review.published", "review.hidden", "moderation.applied",
                    # complaints and returns (issue 16)
                    "complaint.opened", "complaint.answered", "complaint.return_sent", "complaint.escalated",
                    "complaint.resolved",
                    # a return's courier trip (issue 16)
                    "return.assigned", "return.accepted")

HANDLERS = {
    "account.registered": [on_account],
    "account.updated": [on_account],
    "account.code_requested": [send_code],
    **{event_type: [notify] for event_type in NOTIFYING_EVENTS},
}
