"""Notifications request and response schemas."""
from marshmallow import Schema, fields, validate


class InboxQuery(Schema):
    unread = fields.Boolean(load_default=False, metadata={"description": "only messages not read yet"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    before = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1),
                            metadata={"description": "page backwards: only messages with seq below this"})


class NotificationOut(Schema):
    id = fields.String()
    seq = fields.Integer()
    kind = fields.String()
    event_type = fields.String()
    title = fields.String()
    body = fields.String()
    locale = fields.String()
    data = fields.Dict()
    order_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read = fields.Boolean()


class InboxOut(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    unread = fields.Integer()
    next_before = fields.Integer(allow_none=True)


class UnreadOut(Schema):
    unread = fields.Integer()


class MarkedOut(Schema):
    marked = fields.Integer()
    unread = fields.Integer()


class StreamQuery(Schema):
    after = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0),
                           metadata={"description": "resume after this seq (or send Last-Event-ID)"})
    max_seconds = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=1, max=300),
                               metadata={"description": "close the stream sooner than the server's limit"})


class FailedQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    channel = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("email", "whatsapp")))


class DeliveryOut(Schema):
    id = fields.String()
    notification_id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    recipient_id = fields.String()
    channel = fields.String()
    address = fields.String(allow_none=True)
    locale = fields.String()
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class FailedOut(Schema):
    items = fields.List(fields.Nested(DeliveryOut))
    total = fields.Integer()
