"""Notifications HTTP API: each person's inbox (list, unread count, mark read), the live feed
(Server-Sent Events) and the admin view of deliveries that gave up.

Routes parse, authorise, call one function of service.py and answer. Every inbox query is scoped to
the caller's own user id there: another person's message is 404. The feed's streaming loop and its
per-process slots are transport and stay here."""
from __future__ import annotations

import json
import threading
import time

from flask import Response, jsonify, request
from flask_smorest import Blueprint

from pasar import config
from pasar.auth import current_identity, require_roles
from pasar.errors import error_body
from pasar.web import ctx, uow

from . import live, service
from .schemas import (FailedOut, FailedQuery, InboxOut, InboxQuery, MarkedOut, NotificationOut, StreamQuery,
                      UnreadOut, DeliveryOut)

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="In-app inbox, live feed and delivery status")
BEARER = [{"bearerAuth": []}]


@blp.route("")
@blp.arguments(InboxQuery, location="query")
@blp.response(200, InboxOut)
@blp.doc(security=BEARER)
def inbox(args):
    """My messages, newest first."""
    return service.inbox(ctx().db, current_identity().user_id, unread=args["unread"], before=args["before"],
                         limit=args["limit"])


@blp.route("/unread-count")
@blp.response(200, UnreadOut)
@blp.doc(security=BEARER)
def unread_count():
    return service.unread_count(ctx().db, current_identity().user_id)


@blp.route("/read-all", methods=["POST"])
@blp.response(200, MarkedOut)
@blp.doc(security=BEARER)
def mark_all_read():
    return service.mark_all_read(uow(), current_identity().user_id)


@blp.route("/<notification_id>")
@blp.response(200, NotificationOut)
@blp.doc(security=BEARER)
def get_notification(notification_id: str):
    return service.notification(ctx().db, notification_id, current_identity().user_id)


@blp.route("/<notification_id>/read", methods=["POST"])
@blp.response(200, NotificationOut)
@blp.doc(security=BEARER)
def mark_read(notification_id: str):
    """Mark one of my messages read (idempotent: reading twice keeps the first time)."""
    return service.mark_read(uow(), notification_id, current_identity().user_id)


# -- live feed ------------------------------------------------------------------------------------
def _sse(note) -> str:
    payload = NotificationOut().dumps(service.notification_view(note), ensure_ascii=False)
    return f"id: {note.seq}\nevent: notification\ndata: {payload}\n\n"


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
# One event of the feed, as OpenAPI 3.0 describes a text/event-stream (the schema is each event's fields; 3.2 would
# call it itemSchema). `data` is the message as JSON text (NotificationOut) or, on `reconnect`, {"last_id": seq}.
FEED_EVENT = {"type": "object", "required": ["event", "data"], "properties": {
    "event": {"type": "string", "enum": ["notification", "reconnect"]},
    "data": {"type": "string", "description": "JSON: the notification, or {\"last_id\": seq} on reconnect"},
    "id": {"type": "string", "description": "the notification's seq (send it back as Last-Event-ID)"},
    "retry": {"type": "integer", "description": "milliseconds to wait before reconnecting"}}}


@blp.route("/stream")
@blp.arguments(StreamQuery, location="query")
@blp.doc(security=BEARER, description=(
    "Server-Sent Events: `event: notification` with the message as JSON and `id:` its seq. The stream "
    "closes after NOTIFY_STREAM_SECONDS (55 s) with a `retry:` hint; reconnect with Last-Event-ID to "
    "miss nothing. Comments every 10 s keep proxies from timing out."),
    responses={"200": {"description": "the feed, as Server-Sent Events (not JSON)",
                       "content": {"text/event-stream": {"schema": FEED_EVENT}}}})
def stream(args):
    me = current_identity().user_id
    db = ctx().db  # the generator outlives the request context
    last = service.feed_start(db, me, after=args["after"], last_event_id=request.headers.get("Last-Event-ID"))
    limit = float(config.setting("NOTIFY_STREAM_SECONDS", "55"))
    if args["max_seconds"]:
        limit = min(limit, args["max_seconds"])
    keepalive = float(config.setting("NOTIFY_STREAM_KEEPALIVE_SECONDS", "10"))

    if not STREAM_SLOTS.take():
        body = error_body(503, "too many live feeds are open right now; try again shortly", "feeds_busy")
        return jsonify(body), 503, {"Retry-After": "10"}
    waiter = live.FeedWaiter(me)  # woken through Redis when REDIS_URL is set, else a short poll (live.py)

    def events():
        nonlocal last
        yield f"retry: 2000\n: feed for {me} from seq {last}\n\n"
        deadline = time.monotonic() + limit
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            rows = service.feed_after(db, me, last)
            for note in rows:
                yield _sse(note)
                last = note.seq
            if rows:
                quiet_since = time.monotonic()
                continue
            if time.monotonic() - quiet_since >= keepalive:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            now = time.monotonic()
            waiter.wait(min(deadline - now, quiet_since + keepalive - now))
        yield f"event: reconnect\ndata: {json.dumps({'last_id': last})}\n\n"

    response = Response(events(), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    # the server closes the body when the feed ends or breaks
    response.call_on_close(lambda: (waiter.close(), STREAM_SLOTS.give_back()))
    return response


# -- admin ----------------------------------------------------------------------------------------
@blp.route("/admin/failed")
@blp.arguments(FailedQuery, location="query")
@blp.response(200, FailedOut)
@blp.doc(security=BEARER)
@require_roles("admin")
def failed_deliveries(args):
    """Deliveries that gave up after their retries (parked), newest first."""
    return service.parked_deliveries(ctx().db, channel=args["channel"], limit=args["limit"])


@blp.route("/admin/failed/<delivery_id>/retry", methods=["POST"])
@blp.response(200, DeliveryOut)
@blp.doc(security=BEARER)
@require_roles("admin")
def retry_delivery(delivery_id: str):
    """Send a parked delivery again (e.g. after fixing SMTP settings); it gets a fresh set of retries."""
    return service.retry_delivery(uow(), delivery_id)
