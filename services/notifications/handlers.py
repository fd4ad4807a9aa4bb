"""Notifications event handlers: keep the contact directory, and turn events into messages.

In the handler's transaction (with the worker's inbox row): the in-app message and one delivery row
per external channel, `pending`. After commit the channel threads (dispatch.py) send them, so a
failing SMTP server or WhatsApp provider never fails, blocks or repeats the event."""
from __future__ import annotations

from sqlalchemy import event as sa_event, select

from pasar.db import UnitOfWork
from pasar.stamps import utcnow
from pasar.events import Event

from . import dispatch, domain, messages
from .models import Contact, Delivery, Notification


def on_account(event: Event, uow: UnitOfWork) -> None:
    data = event.data
    contact = uow.session.get(Contact, data["user_id"])
    if contact is None:
        contact = Contact(user_id=data["user_id"])
        uow.session.add(contact)
    contact.role = data.get("role") or contact.role or ""
    contact.name = data.get("name") or contact.name or ""
    contact.email = data.get("email")
    contact.phone = data.get("phone")
    contact.locale = data.get("locale") if data.get("locale") in domain.LOCALES else domain.DEFAULT_LOCALE
    contact.district = data.get("district")
    contact.channels = [c for c in (data.get("channels") or []) if c in (domain.INAPP, *domain.EXTERNAL_CHANNELS)]


def _as_domain(contact: Contact | None) -> domain.Contact | None:
    if contact is None:
        return None
    return domain.Contact(user_id=contact.user_id, role=contact.role, name=contact.name, email=contact.email,
                          phone=contact.phone, locale=contact.locale, district=contact.district,
                          channels=tuple(contact.channels or ()))


def _preparers_of(uow: UnitOfWork, order_id: str | None) -> list[str]:
    """Who was asked to prepare this order (from our own inbox records)."""
    if not order_id:
        return []
    rows = uow.session.scalars(select(Notification.recipient_id).where(
        Notification.order_id == order_id, Notification.kind == "new_order")).all()
    return sorted(set(rows))


def notify(event: Event, uow: UnitOfWork) -> None:
    intents = domain.intents_for(event.type, event.data)
    if event.type == "order.cancelled":
        intents += domain.cancelled_for_preparers(event.data.get("order_id"),
                                                  _preparers_of(uow, event.data.get("order_id")), event.data)
    if intents:
        record(event, intents, uow)


def record(event: Event, intents: list[domain.Intent], uow: UnitOfWork) -> None:
    session = uow.session
    people = sorted({intent.recipient_id for intent in intents})
    contacts = {c.user_id: c for c in session.scalars(select(Contact).where(Contact.user_id.in_(people)))}
    already = set(session.scalars(select(Notification.recipient_id).where(
        Notification.event_id == event.id, Notification.recipient_id.in_(people))))
    now = utcnow()
    external = False
    for intent in intents:
        if intent.recipient_id in already:  # the same event again: one message per person and channel
            continue
        already.add(intent.recipient_id)
        contact = _as_domain(contacts.get(intent.recipient_id))
        locale = domain.locale_of(contact)
        words = messages.render(intent.kind, locale, intent.context, name=contact.name if contact else "")
        note = Notification(recipient_id=intent.recipient_id, event_id=event.id, event_type=event.type,
                            kind=intent.kind, locale=locale, title=words.title, body=words.short,
                            data=intent.context, order_id=intent.order_id, created_at=now)
        session.add(note)
        session.flush()
        for channel in domain.channels_for(contact):
            row = Delivery(notification_id=note.id, event_id=event.id, event_type=event.type,
                           recipient_id=intent.recipient_id, channel=channel, locale=locale, subject=words.title)
            if channel == domain.INAPP:
                row.status, row.attempts, row.sent_at, row.text = domain.SENT, 1, now, words.short
            else:
                row.status, row.next_attempt_at = domain.PENDING, now
                if channel == domain.EMAIL:
                    row.address, row.text, row.html = contact.email, words.text, words.html
                else:
                    row.address, row.text = contact.phone, f"Pasar Desa: {words.short}"
                external = True
            session.add(row)
    if external:
        db = uow.db
        dispatch.ensure_running(db)  # normally already running (PERIODIC); also covers a worker built without it
        # send as soon as the rows are visible, instead of waiting for the loop's next poll
        sa_event.listen(session, "after_commit", lambda _s: dispatch.wake(db), once=True)


def keep_senders_running(db) -> None:
    """Worker PERIODIC job: the email / WhatsApp sender threads run beside the consumer, so a slow
    SMTP server never holds up consuming events (and with it the in-app live feed)."""
    dispatch.ensure_running(db)


PERIODIC = [(2.0, keep_senders_running)]

NOTIFYING_EVENTS = ("order.confirmed", "order.rejected", "order.cancelled", "delivery.picked_up",
                    "delivery.delivered", "payment.refunded", "stock.low", "payout.created",
                    "delivery.assigned", "delivery.unassigned")

HANDLERS = {
    "account.registered": [on_account],
    "account.updated": [on_account],
    **{event_type: [notify] for event_type in NOTIFYING_EVENTS},
}
