from marshmallow import Schema, fields, validate

from pasar.events import Address


class OrderItemIn(Schema):
    listing_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=999))


class OrderIn(Schema):
    items = fields.List(fields.Nested(OrderItemIn), required=True, validate=validate.Length(min=1, max=50))
    payment_method = fields.String(required=True, validate=validate.OneOf(("card", "cod")))
    delivery_address = fields.Nested(Address, required=True)


class OrderOut(Schema):
    id = fields.String()
    shopper_id = fields.String()
    status = fields.String()
    payment_method = fields.String()
    items = fields.List(fields.Dict())
    lines = fields.List(fields.Dict())
    problems = fields.List(fields.Dict())
    goods_total = fields.Integer()
    delivery_address = fields.Dict()
    created_at = fields.DateTime()
