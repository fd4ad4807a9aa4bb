"""Notifications use cases, every one written once: the event handlers (contacts, messages) and the
HTTP API (inbox, live feed, parked deliveries) both call these.

- Handler use cases (remember_contact, notify, record) take the worker's entered UnitOfWork and never
  commit: the messages, their delivery rows and the worker's inbox row commit together.
- Request use cases take a fresh UnitOfWork (or the Database, to read), commit it themselves and refuse
  with pasar.errors.ApiError (the kernel's error type, free of Flask): a route parses, authorises, calls
  one of them and answers. The live feed's streaming loop stays in the route (it is transport); the
  queries it runs are here."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import event as sa_event, func, select, update

from pasar.db import Database, UnitOfWork
from pasar.errors import conflict, not_found
from pasar.stamps import utcnow

from . import dispatch, domain, messages
from .models import Contact, Delivery, Notification

FEED_BATCH = 50  # messages per live-feed poll


# -- contacts (account.registered / account.updated) ------------------------------------------------
def remember_contact(uow: UnitOfWork, data: dict) -> Contact:
    contact = uow.session.get(Contact, data["user_id"])
    if contact is None:
        contact = Contact(user_id=data["user_id"])
        uow.session.add(contact)
    contact.role = data.get("role") or contact.role or ""
    contact.name = data.get("name") or contact.name or ""
    contact.email = data.get("email")
    contact.phone = data.get("phone")
    contact.locale = domain.account_locale(data.get("locale"))
    contact.district = data.get("district")
    contact.channels = domain.chosen_channels(data.get("channels"))
    return contact


def _as_domain(contact: Contact | None) -> domain.Contact | None:
    if contact is None:
        return None
    return domain.Contact(user_id=contact.user_id, role=contact.role, name=contact.name, email=contact.email,
                          phone=contact.phone, locale=contact.locale, district=contact.district,
                          channels=tuple(contact.channels or ()))


# -- messages ---------------------------------------------------------------------------------------
def preparers_of(session, order_id: str | None) -> list[str]:
    """Who was asked to prepare this order (from our own inbox records)."""
    if not order_id:
        return []
    rows = session.scalars(select(Notification.recipient_id).where(
        Notification.order_id == order_id, Notification.kind == "new_order")).all()
    return sorted(set(rows))


def notify(uow: UnitOfWork, *, event_id: str, event_type: str, data: dict) -> int:
    """Tell everyone an event concerns (domain.intents_for); a cancelled order also tells whoever was asked
    to prepare it. Returns how many messages were recorded (0 for a repeated event)."""
    intents = domain.intents_for(event_type, data)
    if event_type == "order.cancelled":
        intents += domain.cancelled_for_preparers(data.get("order_id"),
                                                  preparers_of(uow.session, data.get("order_id")), data)
    return record(uow, event_id=event_id, event_type=event_type, intents=intents) if intents else 0


def record(uow: UnitOfWork, *, event_id: str, event_type: str, intents: list[domain.Intent]) -> int:
    """One inbox message per person (deduplicated by event id) and one delivery row per channel: the inbox
    row sent at once, email / WhatsApp `pending` for the sender threads (dispatch.py) after commit."""
    session = uow.session
    people = sorted({intent.recipient_id for intent in intents})
    contacts = {c.user_id: c for c in session.scalars(select(Contact).where(Contact.user_id.in_(people)))}
    already = set(session.scalars(select(Notification.recipient_id).where(
        Notification.event_id == event_id, Notification.recipient_id.in_(people))))
    now = utcnow()
    recorded, external = 0, False
    for intent in intents:
        if intent.recipient_id in already:  # the same event again: one message per person and channel
            continue
        already.add(intent.recipient_id)
        contact = _as_domain(contacts.get(intent.recipient_id))
        external |= _record_one(session, event_id, event_type, intent, contact, now)
        recorded += 1
    if external:
        _send_after_commit(uow)
    return recorded


def _record_one(session, event_id: str, event_type: str, intent: domain.Intent, contact: domain.Contact | None,
                now: datetime) -> bool:
    """The message and its delivery rows; returns whether any goes out by email / WhatsApp."""
    locale = domain.locale_of(contact)
    words = messages.render(intent.kind, locale, intent.context, name=contact.name if contact else "")
    note = Notification(recipient_id=intent.recipient_id, event_id=event_id, event_type=event_type,
                        kind=intent.kind, locale=locale, title=words.title, body=words.short,
                        data=intent.context, order_id=intent.order_id, created_at=now)
    session.add(note)
    session.flush()
    external = False
    for channel in domain.channels_for(contact):
        row = Delivery(notification_id=note.id, event_id=event_id, event_type=event_type,
                       recipient_id=intent.recipient_id, channel=channel, locale=locale, subject=words.title)
        if channel == domain.INAPP:
            row.status, row.attempts, row.sent_at, row.text = domain.SENT, 1, now, words.short
        else:
            row.status, row.next_attempt_at = domain.PENDING, now
            row.address, row.text, row.html = domain.channel_message(channel, contact, words.short, words.text,
                                                                     words.html)
            external = True
        session.add(row)
    return external


def _send_after_commit(uow: UnitOfWork) -> None:
    db = uow.db
    dispatch.ensure_running(db)  # normally already running (PERIODIC); also covers a worker built without it
    # send as soon as the rows are visible, instead of waiting for the loop's next poll
    sa_event.listen(uow.session, "after_commit", lambda _s: dispatch.wake(db), once=True)


def keep_senders_running(db: Database) -> None:
    """Worker PERIODIC job: the email / WhatsApp sender threads run beside the consumer, so a slow
    SMTP server never holds up consuming events (and with it the in-app live feed)."""
    dispatch.ensure_running(db)


# -- the inbox --------------------------------------------------------------------------------------
def _utc(moment):
    # SQLite hands back naive datetimes; every time we store is UTC
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def notification_view(note: Notification) -> dict:
    return {"id": note.id, "seq": note.seq, "kind": note.kind, "event_type": note.event_type, "title": note.title,
            "body": note.body, "locale": note.locale, "data": note.data or {}, "order_id": note.order_id,
            "created_at": _utc(note.created_at), "read_at": _utc(note.read_at), "read": note.read_at is not None}


def _unread(session, user_id: str) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_id == user_id, Notification.read_at.is_(None))) or 0


def _mine(session, notification_id: str, user_id: str) -> Notification:
    """Every inbox query is scoped to its reader: another person's message is "not found"."""
    note = session.scalar(select(Notification).where(Notification.id == notification_id,
                                                     Notification.recipient_id == user_id))
    if note is None:
        raise not_found("notification")
    return note


def inbox(db: Database, user_id: str, *, unread: bool, before: int | None, limit: int) -> dict:
    """A page of my messages, newest first; `next_before` pages further back."""
    with db.Session() as session:
        query = select(Notification).where(Notification.recipient_id == user_id)
        if unread:
            query = query.where(Notification.read_at.is_(None))
        if before:
            query = query.where(Notification.seq < before)
        rows = session.scalars(query.order_by(Notification.seq.desc()).limit(limit + 1)).all()
        page = rows[:limit]
        return {"items": [notification_view(n) for n in page], "unread": _unread(session, user_id),
                "next_before": page[-1].seq if len(rows) > limit else None}


def unread_count(db: Database, user_id: str) -> dict:
    with db.Session() as session:
        return {"unread": _unread(session, user_id)}


def notification(db: Database, notification_id: str, user_id: str) -> dict:
    with db.Session() as session:
        return notification_view(_mine(session, notification_id, user_id))


def mark_all_read(work: UnitOfWork, user_id: str) -> dict:
    with work:
        result = work.session.execute(update(Notification).where(
            Notification.recipient_id == user_id, Notification.read_at.is_(None)).values(read_at=utcnow()))
        work.commit()
        return {"marked": result.rowcount or 0, "unread": 0}


def mark_read(work: UnitOfWork, notification_id: str, user_id: str) -> dict:
    """Idempotent: reading twice keeps the first time."""
    with work:
        note = _mine(work.session, notification_id, user_id)
        if note.read_at is None:
            note.read_at = utcnow()
        out = notification_view(note)
        work.commit()
        return out


# -- the live feed ----------------------------------------------------------------------------------
def feed_start(db: Database, user_id: str, *, after: int | None, last_event_id: str | None) -> int:
    """The seq a feed starts after: asked for, resumed (Last-Event-ID), or else the newest now."""
    resumed = domain.resume_point(after, last_event_id)
    if resumed is not None:
        return resumed
    # a fresh connection gets what arrives from now on; the inbox list has the past
    with db.Session() as session:
        return session.scalar(select(func.max(Notification.seq)).where(Notification.recipient_id == user_id)) or 0


def feed_after(db: Database, user_id: str, last: int) -> list[Notification]:
    """My messages after seq `last`, oldest first (one indexed query; the feed polls it)."""
    with db.Session() as session:
        return list(session.scalars(select(Notification).where(
            Notification.recipient_id == user_id, Notification.seq > last)
            .order_by(Notification.seq).limit(FEED_BATCH)).all())


# -- deliveries that gave up (admin) -----------------------------------------------------------------
def parked_deliveries(db: Database, *, channel: str | None, limit: int) -> dict:
    """Deliveries that gave up after their retries, newest first."""
    with db.Session() as session:
        query = select(Delivery).where(Delivery.status == domain.PARKED)
        if channel:
            query = query.where(Delivery.channel == channel)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(Delivery.updated_at.desc()).limit(limit)).all()
        return {"items": rows, "total": total}


def retry_delivery(work: UnitOfWork, delivery_id: str) -> Delivery:
    """Send a parked delivery again (e.g. after fixing SMTP settings) with a fresh set of retries."""
    with work:
        row = work.session.get(Delivery, delivery_id)
        if row is None:
            raise not_found("delivery")
        if row.status != domain.PARKED:
            raise conflict(f"delivery is {row.status}, only parked ones can be retried", "not_parked")
        row.status, row.attempts, row.next_attempt_at = domain.PENDING, 0, utcnow()
        work.commit()
        return row
