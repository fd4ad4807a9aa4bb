"""Notifications HTTP API: each person's inbox (list, unread count, mark read), the live feed
(Server-Sent Events) and the admin view of deliveries that gave up.

Every inbox query is scoped to the caller's own user id: another person's message is 404."""
from __future__ import annotations

import json
import threading
import time
from datetime import timezone

from flask import Response, jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import func, select, update

from pasar import config
from pasar.auth import current_identity, require_roles
from pasar.stamps import utcnow
from pasar.errors import conflict, error_body, not_found
from pasar.web import ctx, read_session, uow

from . import domain
from .models import Delivery, Notification
from .schemas import (FailedOut, FailedQuery, InboxOut, InboxQuery, MarkedOut, NotificationOut, StreamQuery,
                      UnreadOut, DeliveryOut)

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="In-app inbox, live feed and delivery status")
BEARER = [{"bearerAuth": []}]


def _utc(moment):
    # SQLite hands back naive datetimes; every time we store is UTC
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def _out(note: Notification) -> dict:
    return {"id": note.id, "seq": note.seq, "kind": note.kind, "event_type": note.event_type, "title": note.title,
            "body": note.body, "locale": note.locale, "data": note.data or {}, "order_id": note.order_id,
            "created_at": _utc(note.created_at), "read_at": _utc(note.read_at), "read": note.read_at is not None}


def _unread(session, user_id: str) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_id == user_id, Notification.read_at.is_(None))) or 0


def _mine(session, notification_id: str, user_id: str) -> Notification:
    note = session.scalar(select(Notification).where(Notification.id == notification_id,
                                                     Notification.recipient_id == user_id))
    if note is None:
        raise not_found("notification")
    return note


@blp.route("")
@blp.arguments(InboxQuery, location="query")
@blp.response(200, InboxOut)
@blp.doc(security=BEARER)
def inbox(args):
    """My messages, newest first."""
    me = current_identity().user_id
    with read_session() as session:
        query = select(Notification).where(Notification.recipient_id == me)
        if args["unread"]:
            query = query.where(Notification.read_at.is_(None))
        if args["before"]:
            query = query.where(Notification.seq < args["before"])
        rows = session.scalars(query.order_by(Notification.seq.desc()).limit(args["limit"] + 1)).all()
        page = rows[:args["limit"]]
        return {"items": [_out(n) for n in page], "unread": _unread(session, me),
                "next_before": page[-1].seq if len(rows) > args["limit"] else None}


@blp.route("/unread-count")
@blp.response(200, UnreadOut)
@blp.doc(security=BEARER)
def unread_count():
    me = current_identity().user_id
    with read_session() as session:
        return {"unread": _unread(session, me)}


@blp.route("/read-all", methods=["POST"])
@blp.response(200, MarkedOut)
@blp.doc(security=BEARER)
def mark_all_read():
    me = current_identity().user_id
    with uow() as work:
        result = work.session.execute(update(Notification).where(
            Notification.recipient_id == me, Notification.read_at.is_(None)).values(read_at=utcnow()))
        work.commit()
        return {"marked": result.rowcount or 0, "unread": 0}


@blp.route("/<notification_id>")
@blp.response(200, NotificationOut)
@blp.doc(security=BEARER)
def get_notification(notification_id: str):
    me = current_identity().user_id
    with read_session() as session:
        return _out(_mine(session, notification_id, me))


@blp.route("/<notification_id>/read", methods=["POST"])
@blp.response(200, NotificationOut)
@blp.doc(security=BEARER)
def mark_read(notification_id: str):
    """Mark one of my messages read (idempotent: reading twice keeps the first time)."""
    me = current_identity().user_id
    with uow() as work:
        note = _mine(work.session, notification_id, me)
        if note.read_at is None:
            note.read_at = utcnow()
        out = _out(note)
        work.commit()
        return out


# -- live feed ------------------------------------------------------------------------------------
def _sse(note: Notification) -> str:
    payload = NotificationOut().dumps(_out(note), ensure_ascii=False)
    return f"id: {note.seq}\nevent: notification\ndata: {payload}\n\n"


def _start_after(session, user_id: str, after: int | None) -> int:
    if after is not None:
        return after
    header = request.headers.get("Last-Event-ID", "").strip()
    if header.isdigit():
        return int(header)
    # a fresh connection gets what arrives from now on; the inbox list has the past
    return session.scalar(select(func.max(Notification.seq)).where(Notification.recipient_id == user_id)) or 0


class StreamSlots:
    """Each open feed holds one of this process's gunicorn threads for up to NOTIFY_STREAM_SECONDS.
    Capping feeds per process keeps threads free for the inbox API and health checks; a feed over the
    cap is told to come back later (503 + Retry-After) instead of queueing every other request."""

    def __init__(self):
        self._lock = threading.Lock()
        self.open = 0

    @staticmethod
    def cap() -> int:
        threads = config.web_threads("notifications")
        return int(config.setting("NOTIFY_MAX_STREAMS", str(max(1, threads - 2))))

    def take(self) -> bool:
        with self._lock:
            if self.open >= self.cap():
                return False
            self.open += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.open = max(0, self.open - 1)


STREAM_SLOTS = StreamSlots()


@blp.route("/stream")
@blp.arguments(StreamQuery, location="query")
@blp.doc(security=BEARER, description=(
    "Server-Sent Events: `event: notification` with the message as JSON and `id:` its seq. The stream "
    "closes after NOTIFY_STREAM_SECONDS (55 s) with a `retry:` hint; reconnect with Last-Event-ID to "
    "miss nothing. Comments every 10 s keep proxies from timing out."))
def stream(args):
    me = current_identity().user_id
    db = ctx().db  # the generator outlives the request context
    with read_session() as session:
        last = _start_after(session, me, args["after"])
    limit = float(config.setting("NOTIFY_STREAM_SECONDS", "55"))
    if args["max_seconds"]:
        limit = min(limit, args["max_seconds"])
    poll = float(config.setting("NOTIFY_STREAM_POLL_SECONDS", "0.15"))
    keepalive = float(config.setting("NOTIFY_STREAM_KEEPALIVE_SECONDS", "10"))

    if not STREAM_SLOTS.take():
        body = error_body(503, "too many live feeds are open right now; try again shortly", "feeds_busy")
        return jsonify(body), 503, {"Retry-After": "10"}

    def events():
        nonlocal last
        # why poll: the worker that writes messages is another process; a DB poll is one indexed query
        yield f"retry: 2000\n: feed for {me} from seq {last}\n\n"
        deadline = time.monotonic() + limit
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            with db.Session() as session:
                rows = session.scalars(select(Notification).where(
                    Notification.recipient_id == me, Notification.seq > last)
                    .order_by(Notification.seq).limit(50)).all()
            for note in rows:
                yield _sse(note)
                last = note.seq
            if rows:
                quiet_since = time.monotonic()
                continue
            if time.monotonic() - quiet_since >= keepalive:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            time.sleep(poll)
        yield f"event: reconnect\ndata: {json.dumps({'last_id': last})}\n\n"

    response = Response(events(), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    response.call_on_close(STREAM_SLOTS.give_back)  # the server closes the body when the feed ends or breaks
    return response


# -- admin ----------------------------------------------------------------------------------------
@blp.route("/admin/failed")
@blp.arguments(FailedQuery, location="query")
@blp.response(200, FailedOut)
@blp.doc(security=BEARER)
@require_roles("admin")
def failed_deliveries(args):
    """Deliveries that gave up after their retries (parked), newest first."""
    with read_session() as session:
        query = select(Delivery).where(Delivery.status == domain.PARKED)
        if args["channel"]:
            query = query.where(Delivery.channel == args["channel"])
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(Delivery.updated_at.desc()).limit(args["limit"])).all()
        return {"items": rows, "total": total}


@blp.route("/admin/failed/<delivery_id>/retry", methods=["POST"])
@blp.response(200, DeliveryOut)
@blp.doc(security=BEARER)
@require_roles("admin")
def retry_delivery(delivery_id: str):
    """Send a parked delivery again (e.g. after fixing SMTP settings); it gets a fresh set of retries."""
    with uow() as work:
        row = work.session.get(Delivery, delivery_id)
        if row is None:
            raise not_found("delivery")
        if row.status != domain.PARKED:
            raise conflict(f"delivery is {row.status}, only parked ones can be retried", "not_parked")
        row.status, row.attempts, row.next_attempt_at = domain.PENDING, 0, utcnow()
        work.commit()
        return row
