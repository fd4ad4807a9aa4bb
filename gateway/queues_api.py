"""The operator's parked events API (issue 16): /api/v1/auth/queues (admin only). Routes only; the work is in
queues.py."""
from __future__ import annotations

from datetime import timezone

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from pasar.auth import current_identity, require_roles
from pasar.text import FreeText

from . import queues
from .protection import api_limit

queues_blp = Blueprint("operator_queues", __name__, url_prefix="/api/v1/auth/queues",
                       description="The operator's desk: parked events per queue, and replaying them")
AUTH = [{"bearerAuth": []}]
When = lambda **kw: fields.AwareDateTime(default_timezone=timezone.utc, **kw)  # noqa: E731


class ParkedOut(Schema):
    event_id = fields.String()
    type = fields.String()
    reason = fields.String(metadata={"description": "the x-pasar-park-reason header (or the broker's x-death)"})
    parked_at = fields.String()
    attempts = fields.Integer(allow_none=True)
    routing_key = fields.String()


class QueueOut(Schema):
    app = fields.String()
    queue = fields.String()
    parked_queue = fields.String()
    declared = fields.Boolean()
    count = fields.Integer()
    latest = fields.List(fields.Nested(ParkedOut))


class ReplayRecordOut(Schema):
    queue = fields.String()
    event_id = fields.String(allow_none=True)
    event_ids = fields.List(fields.String())
    moved = fields.Integer()
    reason = fields.String()
    actor_id = fields.String()
    at = When()


class QueuesOut(Schema):
    queues = fields.List(fields.Nested(QueueOut))
    total = fields.Integer()
    replays = fields.List(fields.Nested(ReplayRecordOut))


class QueuesQuery(Schema):
    latest = fields.Integer(load_default=5, validate=validate.Range(min=0, max=50))


class ReplayIn(Schema):
    event_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "one parked event; leave out to replay every parked message"})
    reason = FreeText(1, 500, required=True)


class ReplayOut(Schema):
    app = fields.String()
    queue = fields.String()
    moved = fields.Integer()
    events = fields.List(fields.Nested(ParkedOut))


@queues_blp.route("", methods=["GET"])
@api_limit
@queues_blp.arguments(QueuesQuery, location="query")
@queues_blp.response(200, QueuesOut)
@queues_blp.doc(security=AUTH)
@require_roles("admin")
def parked_events(args):
    """Per app queue: how many messages are parked and the latest few (type, event id, why, when); and the
    operator's latest replays (who, when, why). 503 when the broker cannot be reached."""
    return queues.overview(args["latest"])


@queues_blp.route("/<app>/replay", methods=["POST"])
@api_limit
@queues_blp.arguments(ReplayIn)
@queues_blp.response(200, ReplayOut)
@queues_blp.doc(security=AUTH)
@require_roles("admin")
def replay_parked(data, app: str):
    """Move one parked event (`event_id`) or every parked message of `app`'s queue back to it, with a reason.
    Safe to repeat: the consumer's inbox applies an event at most once. An event id not parked there is a 404."""
    return queues.replay(current_identity().user_id, app, data["event_id"], data["reason"])
