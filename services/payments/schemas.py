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
    agent_held = fields.Integer(metadata={"description": "only for an agent of a cooperative whose sales were shared: "
                                                         "its own part, held until the buyers receive them"})
    agent_available = fields.Integer(metadata={"description": "the agent's own part, available"})
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


# -- cooperatives ----------------------------------------------------------------------------------------------
_ID = {"validate": validate.Length(min=1, max=64)}


class CoopOfficerIn(Schema):
    person_id = fields.String(required=True, **_ID, metadata={"description": "the officer's account id"})
    name = fields.String(load_default="", validate=validate.Length(max=200))


class CooperativeIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    village = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))
    district = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))
    regency = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))
    officers = fields.List(fields.Nested(CoopOfficerIn), required=True, validate=validate.Length(min=1, max=20))


class CooperativeOut(Schema):
    id = fields.String()
    name = fields.String()
    village = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    regency = fields.String(allow_none=True)
    roles = fields.List(fields.String(), metadata={"description": "your roles in it: member, officer, agent"})


class CoopPersonIn(Schema):
    person_id = fields.String(required=True, **_ID, metadata={
        "description": "member: the seller's account id, or a crafter's shop payee `shop:<shop_id>`; officer or "
                       "agent: their account id"})
    role = fields.String(required=True, validate=validate.OneOf(("member", "officer", "agent")))
    name = fields.String(load_default="", validate=validate.Length(max=200))


class CoopPersonOut(Schema):
    coop_id = fields.String()
    person_id = fields.String()
    role = fields.String()
    name = fields.String()


class SaleSplitIn(Schema):
    scope = fields.String(required=True, validate=validate.OneOf(("shop", "agent")), metadata={
        "description": "shop: one member shop's sales (subject_id = its payee); agent: every sale of the shops the "
                       "agent manages (a shop's own setting wins)"})
    subject_id = fields.String(required=True, **_ID)
    crafter_bp = fields.Integer(required=True, strict=True, metadata={"description": "basis points: 100 = 1%"})
    agent_bp = fields.Integer(required=True, strict=True)
    cooperative_bp = fields.Integer(required=True, strict=True)
    platform_bp = fields.Integer(required=True, strict=True, metadata={
        "description": "at least the platform's commission; the four add up to 10000"})


class SaleSplitOut(Schema):
    scope = fields.String()
    subject_id = fields.String()
    coop_id = fields.String()
    name = fields.String()
    crafter_bp = fields.Integer()
    agent_bp = fields.Integer()
    cooperative_bp = fields.Integer()
    platform_bp = fields.Integer()


class CoopPayoutIn(Schema):
    member_id = fields.String(required=True, **_ID)
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10**12))
    method = fields.String(required=True, validate=validate.OneOf(("cash", "bank", "ewallet")), metadata={
        "description": "cash handed out in the village, or a bank / e-wallet transfer (give its reference)"})
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=128))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class CoopPayoutOut(Schema):
    id = fields.String()
    coop_id = fields.String()
    coop_name = fields.String()
    member_id = fields.String()
    member_name = fields.String()
    amount = fields.Integer()
    method = fields.String()
    reference = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    paid_at = fields.String()


class CoopPayoutQuery(Schema):
    member_id = fields.String(load_default=None, validate=validate.Length(max=64))


class CoopMemberOut(Schema):
    person_id = fields.String()
    name = fields.String()
    held = fields.Integer()
    available = fields.Integer()
    paid_out = fields.Integer()


class CoopBalanceOut(Schema):
    held = fields.Integer(metadata={"description": "the cooperative's part of sales not yet received"})
    available = fields.Integer(metadata={"description": "the cooperative's own part, available"})
    members_available = fields.Integer(metadata={"description": "what the members are owed now, in all"})
    currency = fields.String()


class CooperativeDetailOut(Schema):
    id = fields.String()
    name = fields.String()
    village = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    regency = fields.String(allow_none=True)
    officers = fields.List(fields.Dict())
    members = fields.List(fields.Nested(CoopMemberOut))
    agents = fields.List(fields.Dict())
    splits = fields.List(fields.Nested(SaleSplitOut))
    balance = fields.Nested(CoopBalanceOut)
    payouts = fields.List(fields.Nested(CoopPayoutOut))


class MyCoopPayoutsOut(Schema):
    member_id = fields.String()
    cooperatives = fields.List(fields.Dict())
    payouts = fields.List(fields.Nested(CoopPayoutOut))
    paid_total = fields.Integer()
    held = fields.Integer()
    available = fields.Integer()
    currency = fields.String()


class StatementOut(Schema):
    """A month (WIB) of a member or of the cooperative: sales earned, released, paid, balances."""
    kind = fields.String(metadata={"description": "member | cooperative"})
    month = fields.String()
    cooperative = fields.Dict()
    member = fields.Dict()
    sales = fields.List(fields.Dict())
    earned = fields.Integer()
    released = fields.Integer()
    paid = fields.Integer()
    opening_held = fields.Integer()
    closing_held = fields.Integer()
    opening_available = fields.Integer()
    closing_available = fields.Integer()
    payouts = fields.List(fields.Nested(CoopPayoutOut))
    paid_by_cooperative = fields.Integer()
    members = fields.List(fields.Dict())
    paid_to_members = fields.Integer()
    currency = fields.String()


class OwedRefundOut(Schema):
    """A complaint refund the platform owed a shopper, recorded as paid by hand (issue 16)."""
    complaint_id = fields.String()
    order_id = fields.String()
    shopper_id = fields.String()
    amount = fields.Integer()
    paid = fields.Boolean()


class CodCourierOut(Schema):
    """Cash on delivery a courier still holds for the platform (issue 16, the operator's desk)."""
    courier_id = fields.String()
    amount = fields.Integer(metadata={"description": "cash collected at the door and not yet handed over (rupiah)"})
    parcels = fields.Integer(metadata={"description": "deliveries not yet covered by what was handed over"})
    oldest_collected_at = fields.AwareDateTime(allow_none=True)
    fulfillment_ids = fields.List(fields.String())


class CodOutstandingOut(Schema):
    couriers = fields.List(fields.Nested(CodCourierOut))
    total = fields.Integer()
    currency = fields.String()


class CodOutstandingQuery(Schema):
    courier_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class CodHandoverIn(Schema):
    courier_id = fields.String(required=True, **_ID)
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10**12))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class CodHandoverOut(Schema):
    id = fields.String()
    courier_id = fields.String()
    amount = fields.Integer()
    note = fields.String()
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()
