"""Payments request and response schemas. Every amount is an integer of whole rupiah."""
from marshmallow import Schema, fields, validate

from pasar.web import ErrorDetail


class SandboxInfo(Schema):
    test_mode = fields.Boolean()
    label = fields.String()
    pay_url = fields.String()
    test_cards = fields.Dict(keys=fields.String(), values=fields.String())


class NextActionOut(Schema):
    kind = fields.String(metadata={"description": "qr | va | deeplink | redirect | card_form"})
    redirect_url = fields.String(allow_none=True)
    qr_string = fields.String(allow_none=True, metadata={"description": "the QRIS payload to render as a QR code"})
    va_number = fields.String(allow_none=True)
    va_bank = fields.String(allow_none=True)
    deeplink = fields.String(allow_none=True)
    expires_at = fields.String(allow_none=True, metadata={"description": "ISO-8601 UTC; pay before it"})


class PaymentOut(Schema):
    payment_id = fields.String()
    order_id = fields.String()
    status = fields.String()
    method = fields.String()
    provider = fields.String()
    amount = fields.Integer()
    currency = fields.String()
    refund_owed = fields.Integer(metadata={"description": "owed back to the shopper by hand: a refund their "
                                                          "channel (a bank transfer to a VA) cannot make"})
    refunded = fields.Integer(metadata={"description": "given back to the shopper so far: the whole payment, or "
                                                       "parcel by parcel when one was cancelled on its own"})
    failure_reason = fields.String(allow_none=True, metadata={
        "description": "why the payment ended unpaid: too_many_declines (the card attempts are used up), "
                       "the provider's cancellation reason, or the order's cancellation"})
    attempts = fields.Integer(metadata={"description": "declined card attempts so far"})
    attempts_left = fields.Integer(metadata={
        "description": "how many more card attempts the payment takes (MAX_CARD_ATTEMPTS less the declines); "
                       "0 once it is no longer pending"})
    last_decline = fields.String(allow_none=True, metadata={
        "description": "the latest decline's reason (e.g. card_declined); the payment stays pending while "
                       "attempts_left > 0"})
    client_secret = fields.String(allow_none=True, metadata={"description": "Stripe only; shopper only"})
    publishable_key = fields.String(allow_none=True)
    sandbox = fields.Nested(SandboxInfo, allow_none=True)
    channel = fields.String(allow_none=True, metadata={"description": "card, qris, va_bca, ewallet_ovo, gopay, ..."})
    next_action = fields.Nested(NextActionOut, allow_none=True, metadata={
        "description": "what the shopper does next, whatever the provider"})
    attention = fields.String(allow_none=True, metadata={
        "description": "set when the operator must act (manual_refund_required)"})


class CardDeclinedOut(Schema):
    """402 from the sandbox card form: the one error shape, plus the payment as it is now."""
    error = fields.Nested(ErrorDetail, metadata={
        "description": "code card_declined (the payment is still pending: try again) or too_many_declines "
                       "(the attempts are used up: the payment failed and the order will be cancelled)"})
    payment = fields.Nested(PaymentOut)


class SandboxCardIn(Schema):
    card_number = fields.String(required=True, validate=validate.Length(min=12, max=23))


class BalanceOut(Schema):
    user_id = fields.String()
    seller_payable = fields.Integer(metadata={"description": "owed to you as a seller (goods less commission), "
                                                             "available: the shopper received the parcel"})
    seller_available = fields.Integer(metadata={"description": "the same as seller_payable"})
    seller_held = fields.Integer(metadata={"description": "your share of delivered parcels whose receipt window "
                                                          "is still open: available once received"})
    courier_earnings = fields.Integer(metadata={"description": "delivery fees owed to you as a courier"})
    cod_cash_held = fields.Integer(metadata={"description": "cash on delivery you hold for the platform"})
    net = fields.Integer(metadata={"description": "seller_payable + courier_earnings - cod_cash_held"})
    currency = fields.String()


class ManagedPayeeOut(Schema):
    payee_id = fields.String(metadata={"description": 'the crafter\'s payee id, "shop:<shop_id>"'})
    shop_id = fields.String()
    shop_name = fields.String(allow_none=True, metadata={"description": "as orders last named it, if known"})
    seller_payable = fields.Integer(metadata={"description": "owed to the crafter now: goods less commission, "
                                                             "less what was already paid out"})
    earned = fields.Integer(metadata={"description": "every delivered parcel's goods less commission"})
    commission = fields.Integer(metadata={"description": "commission taken on those parcels"})
    paid_out = fields.Integer(metadata={"description": "payouts already paid or transferred"})
    payouts = fields.Integer(metadata={"description": "number of payouts"})
    owed_payouts = fields.Integer(metadata={"description": "number of payouts not yet paid"})


class ManagedBalancesOut(Schema):
    user_id = fields.String(metadata={"description": "the agent"})
    managed = fields.List(fields.Nested(ManagedPayeeOut),
                          metadata={"description": "every crafter's shop the agent manages that has had an order"})
    total_payable = fields.Integer(metadata={"description": "sum of seller_payable"})
    currency = fields.String()


class ManagedQuery(Schema):
    agent_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                             metadata={"description": "admin only (required for an admin); an agent reads its own"})


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
    payee_id = fields.String(load_default=None, metadata={
        "description": "admin: anyone's; agent: one of the crafters it manages (others give an empty list); "
                       "ignored for sellers and couriers"})


class ConnectedAccountIn(Schema):
    stripe_account_id = fields.String(required=True, validate=validate.Regexp(r"^acct_[A-Za-z0-9]{1,60}$"))


class ConnectedAccountOut(Schema):
    seller_id = fields.String()
    stripe_account_id = fields.String()


CHANNEL_NAMES = ("card", "qris", "va_bca", "va_bni", "va_bri", "va_mandiri", "va_permata", "ewallet_ovo",
                 "ewallet_dana", "ewallet_shopeepay", "ewallet_linkaja", "gopay", "snap")


class ChannelOut(Schema):
    channel = fields.String()
    kind = fields.String()
    network = fields.String()
    provider = fields.String()


class ChannelsOut(Schema):
    channels = fields.List(fields.Nested(ChannelOut))


class ChannelChoiceIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNEL_NAMES))


class ChannelChoiceOut(Schema):
    order_id = fields.String()
    channel = fields.String()
    payment = fields.Nested(PaymentOut, allow_none=True)


class SubAccountIn(Schema):
    account_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{6,64}$"))


class SubAccountOut(Schema):
    seller_id = fields.String()
    provider = fields.String()
    account_id = fields.String()


class OwedRefundOut(Schema):
    """A complaint refund the platform owed a shopper, recorded as paid by hand (issue 16)."""
    complaint_id = fields.String()
    order_id = fields.String()
    shopper_id = fields.String()
    amount = fields.Integer()
    paid = fields.Boolean()
