from marshmallow import Schema, fields


class ListingOut(Schema):
    id = fields.String()
    shop_id = fields.String()
    seller_id = fields.String()
    title = fields.String()
    description = fields.String()
    price = fields.Integer()
    stock = fields.Integer()
    status = fields.String()
