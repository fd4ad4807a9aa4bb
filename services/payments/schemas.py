"""Payments request and response schemas. Every amount is an integer of whole rupiah."""
from marshmallow import Schema, fields, validate


class SandboxInfo(Schema):
    test_mode = fields.Boolean()
    label = fields.String()
    pay_url = fields.String()
    test_cards = fields.Dict(keys=fields.String(), values=fields.String())


class PaymentOut(Schema):
    payment_id = fields.String()
    order_id = fields.String()
    status = fields.String()
    method = fields.String()
    provider = fields.String()
    amount = fields.Integer()
    currency = fields.String()
    failure_reason = fields.String(allow_none=True)
    client_secret = fields.String(allow_none=True, metadata={"description": "Stripe only; shopper only"})
    publishable_key = fields.String(allow_none=True)
    sandbox = fields.Nested(SandboxInfo, allow_none=True)


class SandboxCardIn(Schema):
    card_number = fields.String(required=True, validate=validate.Length(min=12, max=23))


class BalanceOut(Schema):
    user_id = fields.String()
    seller_payable = fields.Integer(metadata={"description": "owed to you as a seller (goods less commission)"})
    courier_earnings = fields.Integer(metadata={"description": "delivery fees owed to you as a courier"})
    cod_cash_held = fields.Integer(metadata={"description": "cash on delivery you hold for the platform"})
    net = fields.Integer(metadata={"description": "seller_payable + courier_earnings - cod_cash_held"})
    currency = fields.String()


class PlatformBalancesOut(Schema):
    accounts = fields.Dict(keys=fields.String(), values=fields.Integer())
    total = fields.Integer(metadata={"description": "sum of every account: always 0"})


class PayoutOut(Schema):
    id = fields.String()
    order_id = fields.String()
    fulfillment_id = fields.String()
    payee_role = fields.String()
    payee_id = fields.String()
    amount = fields.Integer()
    fee = fields.Integer()
    status = fields.String()
    transfer_ref = fields.String(allow_none=True)
    created_at = fields.DateTime()


class PayoutQuery(Schema):
    payee_id = fields.String(load_default=None)


class ConnectedAccountIn(Schema):
    stripe_account_id = fields.String(required=True, validate=validate.Regexp(r"^acct_[A-Za-z0-9]{1,60}$"))


class ConnectedAccountOut(Schema):
    seller_id = fields.String()
    stripe_account_id = fields.String()
