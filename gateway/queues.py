"""Parked events on the operator's desk (issue 16): per app queue, how many messages are parked and the latest
few (type, event id, why, when), and replaying one (by event id) or all of them back into the main queue.

Operator tooling, so the gateway talks to the broker itself (pasar.messaging.parking); no service is called.
A replay is safe: the consumer's inbox dedupes by event id, so an event that was in fact applied already is a
no-op. Every replay is recorded (who, when, why, which events) in `queue_replays` and shown on the page."""
from __future__ import annotations

from sqlalchemy import select

from pasar import config
from pasar.errors import ApiError, not_found
from pasar.messaging import QueueNames, parking
from pasar.stamps import utcnow
from pasar.web import read_session, uow

from .models import QueueReplay


def _names(app: str) -> QueueNames:
    if app not in config.ALL_APPS:
        raise not_found("queue")
    return QueueNames.for_service(app, config.messaging())


def _history(session, queue: str | None = None, limit: int = 20) -> list[dict]:
    query = select(QueueReplay).order_by(QueueReplay.id.desc()).limit(limit)
    if queue:
        query = query.where(QueueReplay.queue == queue)
    return [{"queue": r.queue, "event_id": r.asked_event_id, "event_ids": r.event_ids.split(),
             "moved": r.moved, "reason": r.reason, "actor_id": r.actor_id, "at": r.at}
            for r in session.scalars(query)]


def overview(latest: int = 5) -> dict:
    """Every app's queue: parked count and the latest parked messages; and the latest replays."""
    settings = config.messaging()
    try:
        queues = parking.parked_overview(settings.amqp_url, [_names(app) for app in config.ALL_APPS], latest)
    except Exception as exc:  # the broker is away: the page says so, the API answers 503
        raise ApiError(503, "the message broker cannot be reached", "broker_unavailable") from exc
    for app, queue in zip(config.ALL_APPS, queues):
        queue["app"] = app
    with read_session() as session:
        replays = _history(session)
    return {"queues": queues, "total": sum(q["count"] for q in queues), "replays": replays}


def replay(actor_id: str, app: str, event_id: str | None, reason: str) -> dict:
    """Move one parked message (by event id) or all of `app`'s parked messages back to its queue; recorded."""
    names = _names(app)
    try:
        moved = parking.replay(config.messaging().amqp_url, names, event_id)
    except Exception as exc:
        raise ApiError(503, "the message broker cannot be reached", "broker_unavailable") from exc
    if event_id is not None and not moved:
        raise not_found("parked event")
    with uow(correlation_id=event_id or names.main) as work:
        record = QueueReplay(queue=names.main, asked_event_id=event_id,
                             event_ids=" ".join(m.event_id for m in moved), moved=len(moved), reason=reason,
                             actor_id=actor_id, at=utcnow())
        work.session.add(record)
        work.commit()
    return {"app": app, "queue": names.main, "moved": len(moved), "events": [m.as_dict() for m in moved]}
