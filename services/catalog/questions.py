"""Questions and conversations (issue 19): the catalog's use cases for shoppers' questions about a listing or an
order, the customer-service (`cs`) staff assigned to shops, and the operator's response times. This is part of
the catalog's service layer (service.py holds the shops and listings; these are their questions), written once for
the routes (api/questions.py, api/cs_staff.py) and the handlers alike.

Why the catalog owns threads: who may read a thread is decided by data the catalog already has and owns — the
listing's shop, the shop's seller and agent — plus the cs assignments it now keeps beside the shops. An order's
shopper comes from `order.placed` (which the catalog already consumes) and its shops from the catalog's own
reservations: no call to another service. Notifications stays the one that talks to people: every new message
emits `question.message_posted` with the recipients, and the notifications worker puts it in their inbox, the
live feed and WhatsApp as every other notification."""
from __future__ import annotations

from datetime import timedelta, timezone

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from pasar.db import UnitOfWork
from pasar.errors import ApiError, not_found
from pasar.stamps import utcnow

from . import domain
from .domain import Actor
from .models import CsAssignment, CsStaff, Listing, OrderShopper, QuestionMessage, QuestionThread, Reservation, Shop

HOUR = timedelta(hours=1)


def _utc(moment):
    # SQLite hands back naive datetimes; every time we store is UTC
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def _refused(exc: domain.QuestionRefused) -> ApiError:
    return ApiError(exc.status, str(exc), exc.code)


# -- directories kept from events ---------------------------------------------------------------------------
def remember_cs_staff(work: UnitOfWork, data: dict) -> None:
    """account.registered / account.updated: keep the cs staff directory (a role change away from cs ends it)."""
    session = work.session
    staff = session.get(CsStaff, data["user_id"])
    if data.get("role") != "cs":
        if staff is not None:  # no longer customer service: no longer told about, nor answering for, any shop
            session.delete(staff)
            for row in session.scalars(select(CsAssignment).where(CsAssignment.user_id == data["user_id"])):
                session.delete(row)
        return
    if staff is None:
        staff = CsStaff(user_id=data["user_id"])
        session.add(staff)
    staff.name = data.get("name") or ""


def remember_order_shopper(work: UnitOfWork, order_id: str, shopper_id: str) -> None:
    """order.placed: whose order it is, so its shopper may ask its shops about it. A repeat changes nothing."""
    if work.session.get(OrderShopper, order_id) is None:
        work.session.add(OrderShopper(order_id=order_id, shopper_id=shopper_id))


# -- cs staff and their shops (admin) ----------------------------------------------------------------------
def _cs_ids(session: Session, shop_id: str) -> set[str]:
    return set(session.scalars(select(CsAssignment.user_id).where(CsAssignment.shop_id == shop_id)))


def staff_view(session: Session, staff: CsStaff) -> dict:
    shops = session.execute(select(Shop.id, Shop.name).join(CsAssignment, CsAssignment.shop_id == Shop.id)
                            .where(CsAssignment.user_id == staff.user_id).order_by(Shop.name)).all()
    return {"user_id": staff.user_id, "name": staff.name, "shops": [{"id": i, "name": n} for i, n in shops]}


def list_staff(session: Session) -> dict:
    rows = session.scalars(select(CsStaff).order_by(CsStaff.name)).all()
    return {"items": [staff_view(session, s) for s in rows]}


def get_staff(session: Session, user_id: str, who: Actor) -> dict:
    """An admin reads anyone's; a cs staff member reads their own shops."""
    staff = session.get(CsStaff, user_id)
    if staff is None or not (who.role == "admin" or who.user_id == user_id):
        raise not_found("cs staff")
    return staff_view(session, staff)


def assign(work: UnitOfWork, user_id: str, shop_id: str, who: Actor) -> dict:
    session = work.session
    staff = session.get(CsStaff, user_id)
    if staff is None:
        raise not_found("cs staff")
    if session.get(Shop, shop_id) is None:
        raise not_found("shop")
    if session.scalar(select(CsAssignment.id).where(CsAssignment.shop_id == shop_id,
                                                    CsAssignment.user_id == user_id)) is None:
        session.add(CsAssignment(shop_id=shop_id, user_id=user_id, assigned_by=who.user_id))
        session.flush()
    out = staff_view(session, staff)
    work.commit()
    return out


def unassign(work: UnitOfWork, user_id: str, shop_id: str) -> dict:
    session = work.session
    staff = session.get(CsStaff, user_id)
    if staff is None:
        raise not_found("cs staff")
    row = session.scalar(select(CsAssignment).where(CsAssignment.shop_id == shop_id, CsAssignment.user_id == user_id))
    if row is not None:
        session.delete(row)
        session.flush()
    out = staff_view(session, staff)
    work.commit()
    return out


# -- threads ------------------------------------------------------------------------------------------------
def _part(session: Session, thread: QuestionThread, shop: Shop, who: Actor) -> str | None:
    return domain.question_part(who, shopper_id=thread.shopper_id, seller_id=shop.seller_id, agent_id=shop.agent_id,
                                cs_ids=_cs_ids(session, shop.id) if who.role == "cs" else frozenset())


def _party_thread(session: Session, thread_id: str, who: Actor) -> tuple[QuestionThread, Shop, str]:
    """The thread and the caller's part in it; to anyone who is not a party it does not exist (404)."""
    thread = session.get(QuestionThread, thread_id)
    shop = session.get(Shop, thread.shop_id) if thread is not None else None
    part = _part(session, thread, shop, who) if shop is not None else None
    if part is None:
        raise not_found("question")
    return thread, shop, part


def thread_view(thread: QuestionThread, shop_name: str, part: str | None, messages=None, last=None) -> dict:
    out = {"id": thread.id, "shop_id": thread.shop_id, "shop_name": shop_name, "listing_id": thread.listing_id,
           "order_id": thread.order_id, "subject": thread.subject, "status": thread.status,
           "waiting": thread.status in domain.WAITING_STATUSES, "shopper_name": thread.shopper_name,
           "created_at": _utc(thread.created_at), "last_message_at": _utc(thread.last_message_at),
           "first_answer_at": _utc(thread.first_answer_at), "handed_over_at": _utc(thread.handed_over_at),
           "resolved_at": _utc(thread.resolved_at), "my_part": part}
    if last is not None:
        out["last_message"] = domain.excerpt(last.body)
        out["last_author_role"] = last.author_role
    if messages is not None:
        out["messages"] = [message_view(m) for m in messages]
    return out


def message_view(message: QuestionMessage) -> dict:
    return {"id": message.id, "author_role": message.author_role, "author_name": message.author_name,
            "body": message.body, "created_at": _utc(message.created_at)}


def _messages(session: Session, thread_id: str) -> list[QuestionMessage]:
    return list(session.scalars(select(QuestionMessage).where(QuestionMessage.thread_id == thread_id)
                                .order_by(QuestionMessage.created_at, QuestionMessage.id)))


def _sent_last_hour(session: Session, author_id: str) -> int:
    return session.scalar(select(func.count()).select_from(QuestionMessage).where(
        QuestionMessage.author_id == author_id, QuestionMessage.created_at >= utcnow() - HOUR)) or 0


def _subject_and_shop(session: Session, who: Actor, data: dict) -> tuple[Shop, str | None, str | None, str]:
    """The shop a new question goes to and what it is about: a listing anyone can see, or one of the asker's orders
    (the shop among its reservations; `shop_id`, or `listing_id` of one of its lines, picks one when the order
    bought from several shops)."""
    listing_id, order_id = data.get("listing_id"), data.get("order_id")
    if not listing_id and not order_id:
        raise ApiError(422, "some fields are not valid", fields={"listing_id": ["give listing_id or order_id"]})
    if not order_id:
        listing = session.get(Listing, listing_id)
        shop = session.get(Shop, listing.shop_id) if listing is not None else None
        if listing is None or shop is None or not domain.publicly_visible(listing.status, shop.status):
            raise not_found("product")
        return shop, listing.id, None, listing.title[:200]
    owner = session.get(OrderShopper, order_id)
    if owner is None or owner.shopper_id != who.user_id:
        raise not_found("order")
    lines = dict(session.execute(select(Listing.id, Listing.shop_id).join(
        Reservation, Reservation.listing_id == Listing.id).where(Reservation.order_id == order_id)).all())
    shop_ids = sorted(set(lines.values()))
    if not shop_ids:
        raise not_found("order")
    wanted = data.get("shop_id") or (lines.get(listing_id) if listing_id else None)
    if listing_id and listing_id not in lines:
        raise not_found("product")
    if wanted is None and len(shop_ids) > 1:
        raise ApiError(422, "some fields are not valid",
                       fields={"shop_id": ["this order is from several shops: say which one"]})
    shop_id = wanted or shop_ids[0]
    if shop_id not in shop_ids:
        raise not_found("shop")
    return session.get(Shop, shop_id), None, order_id, f"#{order_id[:8].upper()}"


def ask(work: UnitOfWork, who: Actor, name: str, data: dict) -> dict:
    """A shopper's new question: the thread, its first message, and the shop's side told."""
    session = work.session
    shop, listing_id, order_id, subject = _subject_and_shop(session, who, data)
    try:
        domain.check_thread_rate(session.scalar(select(func.count()).select_from(QuestionThread).where(
            QuestionThread.shopper_id == who.user_id, QuestionThread.created_at >= utcnow() - HOUR)) or 0)
        domain.check_message_rate("shopper", _sent_last_hour(session, who.user_id))
    except domain.QuestionRefused as exc:
        raise _refused(exc) from exc
    now = utcnow()
    thread = QuestionThread(shop_id=shop.id, shopper_id=who.user_id, shopper_name=name or "", listing_id=listing_id,
                            order_id=order_id, subject=subject, status="open", created_at=now, last_message_at=now)
    session.add(thread)
    session.flush()
    message = _add_message(work, thread, shop, who, "shopper", name, data["body"], now)
    out = thread_view(thread, shop.name, "shopper", [message])
    work.commit()
    return out


def _add_message(work: UnitOfWork, thread: QuestionThread, shop: Shop, who: Actor, part: str, name: str, body: str,
                 now) -> QuestionMessage:
    session = work.session
    message = QuestionMessage(thread_id=thread.id, author_id=who.user_id, author_role=part, author_name=name or "",
                              body=body, created_at=now)
    session.add(message)
    if domain.is_first_answer(thread.first_answer_at, part):
        thread.first_answer_at, thread.first_answer_by, thread.first_answer_role = now, who.user_id, part
    thread.status = domain.status_after_message(thread.status, part)
    if thread.status != "resolved":
        thread.resolved_at = thread.resolved_by = None
    thread.last_message_at = now
    session.flush()
    _tell(work, "question.message_posted", thread, shop, who, part, name, body, message.id)
    return message


def _tell(work: UnitOfWork, event_type: str, thread: QuestionThread, shop: Shop, who: Actor, part: str, name: str,
          body: str, message_id: str | None, only: tuple[str, ...] | None = None) -> None:
    recipients = domain.question_recipients(who.user_id, shopper_id=thread.shopper_id, seller_id=shop.seller_id,
                                            agent_id=shop.agent_id, cs_ids=_cs_ids(work.session, shop.id))
    if only is not None:
        recipients = [r for r in recipients if r in only]
    if not recipients:
        return
    work.emit(event_type, {
        "thread_id": thread.id, "shop_id": shop.id, "shop_name": shop.name, "recipients": recipients,
        "subject": thread.subject, "author_id": who.user_id, "author_role": part, "author_name": name or "",
        "excerpt": domain.excerpt(body), "message_id": message_id, "listing_id": thread.listing_id,
        "order_id": thread.order_id}, correlation_id=thread.id)


def post_message(work: UnitOfWork, thread_id: str, who: Actor, name: str, body: str) -> dict:
    session = work.session
    thread, shop, part = _party_thread(session, thread_id, who)
    try:
        domain.check_message_rate(part, _sent_last_hour(session, who.user_id))
    except domain.QuestionRefused as exc:
        raise _refused(exc) from exc
    message = _add_message(work, thread, shop, who, part, name, body, utcnow())
    out = message_view(message)
    work.commit()
    return out


def hand_over(work: UnitOfWork, thread_id: str, who: Actor, name: str) -> dict:
    """Customer service passes the thread to the seller (and agent), who are told."""
    session = work.session
    thread, shop, part = _party_thread(session, thread_id, who)
    try:
        domain.check_hand_over(part, thread.status)
    except domain.QuestionRefused as exc:
        raise _refused(exc) from exc
    if thread.status != "handed_over":
        thread.status, thread.handed_over_at = "handed_over", utcnow()
        session.flush()
        _tell(work, "question.handed_over", thread, shop, who, part, name, "", None,
              only=(shop.seller_id, shop.agent_id))
    out = thread_view(thread, shop.name, part, _messages(session, thread.id))
    work.commit()
    return out


def resolve(work: UnitOfWork, thread_id: str, who: Actor) -> dict:
    """Any party may mark the question resolved (resolving twice keeps the first time)."""
    session = work.session
    thread, shop, part = _party_thread(session, thread_id, who)
    if thread.status != "resolved":
        thread.status, thread.resolved_at, thread.resolved_by = "resolved", utcnow(), who.user_id
        session.flush()
    out = thread_view(thread, shop.name, part, _messages(session, thread.id))
    work.commit()
    return out


def get_thread(session: Session, thread_id: str, who: Actor) -> dict:
    thread, shop, part = _party_thread(session, thread_id, who)
    return thread_view(thread, shop.name, part, _messages(session, thread.id))


def _scope(session: Session, who: Actor):
    """The threads `who` may list: their own (shopper), their shops' (seller, agent), their assigned shops' (cs),
    every one (admin)."""
    query = select(QuestionThread, Shop.name).join(Shop, Shop.id == QuestionThread.shop_id)
    if who.role == "admin":
        return query
    if who.role == "shopper":
        return query.where(QuestionThread.shopper_id == who.user_id)
    if who.role == "seller":
        return query.where(Shop.seller_id == who.user_id)
    if who.role == "agent":
        return query.where(Shop.agent_id == who.user_id)
    if who.role == "cs":
        return query.where(QuestionThread.shop_id.in_(
            select(CsAssignment.shop_id).where(CsAssignment.user_id == who.user_id)))
    return None


def list_threads(session: Session, who: Actor, args: dict) -> dict:
    """Newest activity first; `status=queue` is what staff still work on (waiting ones first, oldest first)."""
    query = _scope(session, who)
    if query is None:
        return {"items": [], "total": 0}
    status = args.get("status")
    if status == "queue":
        waiting = case((QuestionThread.status.in_(domain.WAITING_STATUSES), 0), else_=1)
        query = query.where(QuestionThread.status.in_(domain.QUEUE_STATUSES)).order_by(
            waiting, case((QuestionThread.status.in_(domain.WAITING_STATUSES), QuestionThread.last_message_at)),
            QuestionThread.last_message_at.desc())
    else:
        if status:
            query = query.where(QuestionThread.status == status)
        query = query.order_by(QuestionThread.last_message_at.desc())
    if args.get("shop_id"):
        query = query.where(QuestionThread.shop_id == args["shop_id"])
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.execute(query.limit(args.get("limit") or 50)).all()
    lasts = _last_messages(session, [t.id for t, _ in rows])
    cs_shops = set(session.scalars(select(CsAssignment.shop_id).where(CsAssignment.user_id == who.user_id))) \
        if who.role == "cs" else set()
    items = []
    for thread, shop_name in rows:
        part = {"admin": "admin", "shopper": "shopper", "seller": "shop", "agent": "shop"}.get(who.role)
        if who.role == "cs":
            part = "cs" if thread.shop_id in cs_shops else None
        items.append(thread_view(thread, shop_name, part, last=lasts.get(thread.id)))
    return {"items": items, "total": total}


def _last_messages(session: Session, thread_ids: list[str]) -> dict[str, QuestionMessage]:
    if not thread_ids:
        return {}
    newest = select(QuestionMessage.thread_id, func.max(QuestionMessage.created_at).label("at")).where(
        QuestionMessage.thread_id.in_(thread_ids)).group_by(QuestionMessage.thread_id).subquery()
    rows = session.scalars(select(QuestionMessage).join(newest, (newest.c.thread_id == QuestionMessage.thread_id)
                                                        & (newest.c.at == QuestionMessage.created_at)))
    return {m.thread_id: m for m in rows}


# -- the operator's response times ---------------------------------------------------------------------------
def response_times(session: Session) -> dict:
    """How fast questions get their first answer: overall, per cs staff member (by who answered first, with how
    many shops they serve) and per shop. Waiting threads count how long they have waited so far."""
    now = utcnow()
    rows = session.execute(select(QuestionThread, Shop.name).join(Shop, Shop.id == QuestionThread.shop_id)).all()
    names = {s.user_id: s.name for s in session.scalars(select(CsStaff))}
    served: dict[str, int] = {}
    for user_id, count in session.execute(select(CsAssignment.user_id, func.count()).group_by(CsAssignment.user_id)):
        served[user_id] = count
    overall: tuple[list, list] = ([], [])
    by_staff: dict[str, tuple[list, list]] = {user_id: ([], []) for user_id in names}
    by_shop: dict[str, tuple[str, list, list]] = {}
    shop_threads: dict[str, int] = {}
    for thread, shop_name in rows:
        shop_entry = by_shop.setdefault(thread.shop_id, (shop_name, [], []))
        shop_threads[thread.shop_id] = shop_threads.get(thread.shop_id, 0) + 1
        if thread.first_answer_at is not None:
            seconds = (_utc(thread.first_answer_at) - _utc(thread.created_at)).total_seconds()
            overall[0].append(seconds)
            shop_entry[1].append(seconds)
            if thread.first_answer_role == "cs" and thread.first_answer_by:
                by_staff.setdefault(thread.first_answer_by, ([], []))[0].append(seconds)
        elif thread.status != "resolved":
            waited = (_utc(now) - _utc(thread.created_at)).total_seconds()
            overall[1].append(waited)
            shop_entry[2].append(waited)
    return {
        "overall": {"threads": len(rows), **domain.response_summary(*overall)},
        "staff": [{"user_id": user_id, "name": names.get(user_id, ""), "shops": served.get(user_id, 0),
                   **domain.response_summary(answered, waiting)}
                  for user_id, (answered, waiting) in sorted(by_staff.items(), key=lambda kv: names.get(kv[0], ""))],
        "shops": [{"shop_id": shop_id, "shop_name": name, "threads": shop_threads[shop_id],
                   **domain.response_summary(a, w)}
                  for shop_id, (name, a, w) in sorted(by_shop.items(), key=lambda kv: kv[1][0])],
    }
