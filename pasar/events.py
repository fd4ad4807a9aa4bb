"""Event contracts: the envelope and every event's payload, validated on publish and on consume.

Required fields are the minimum each consumer relies on; extra fields pass through (INCLUDE) so a
producer can add data without breaking older consumers. Amounts are integers in whole rupiah."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from .quantity import WireQuantity
from .stamps import new_id

ROLES = ("shopper", "seller", "agent", "courier", "admin", "cs")  # cs: customer-service staff (issue 19)
Money = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=0), **kw)  # noqa: E731
# a quantity (issue 17): an int when whole (every piece listing, as before), else a decimal string ("1.5")
Qty = lambda **kw: WireQuantity(more_than=0, **kw)  # noqa: E731
Id = lambda **kw: fields.String(validate=validate.Length(min=1, max=64), **kw)  # noqa: E731


class Contract(Schema):
    class Meta:
        unknown = INCLUDE


class Envelope(Schema):
    id = fields.UUID(required=True)
    type = fields.String(required=True)
    version = fields.Integer(required=True, strict=True)
    occurred_at = fields.DateTime(required=True)
    source = fields.String(required=True)
    correlation_id = fields.String(allow_none=True, load_default=None)
    data = fields.Dict(required=True)


class Address(Contract):
    name = fields.String(required=True)
    phone = fields.String(required=True)
    street = fields.String(required=True)
    village = fields.String(load_default="")
    district = fields.String(required=True)
    regency = fields.String(load_default="")
    province = fields.String(load_default="")
    notes = fields.String(load_default="", allow_none=True)


class AccountEvent(Contract):
    user_id = Id(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    name = fields.String(required=True)
    email = fields.String(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)
    locale = fields.String(load_default="id", validate=validate.OneOf(("id", "en")))
    district = fields.String(allow_none=True, load_default=None)
    channels = fields.List(fields.String(), load_default=list)


class CodeRequested(Contract):
    """A one-time code to send (password reset, phone verification). It goes to `address` on `channel` as
    given: the gateway chose them, not the person's notification settings."""
    user_id = Id(required=True)
    purpose = fields.String(required=True, validate=validate.OneOf(("reset", "verify_phone")))
    channel = fields.String(required=True, validate=validate.OneOf(("whatsapp", "email")))
    address = fields.String(required=True, validate=validate.Length(min=3, max=254))
    code = fields.String(required=True, validate=validate.Length(min=4, max=12))
    expires_minutes = fields.Integer(strict=True, load_default=10)
    locale = fields.String(load_default="id", validate=validate.OneOf(("id", "en")))
    name = fields.String(load_default="")


class ListingEvent(Contract):
    listing_id = Id(required=True)
    shop_id = Id(required=True)
    title = fields.String(required=True)
    price = Money(required=True)
    stock = WireQuantity(required=True)
    seller_id = Id(allow_none=True, load_default=None)
    agent_id = Id(allow_none=True, load_default=None)
    # catalog adds (optional for older producers):
    shop_name = fields.String(allow_none=True, load_default=None)
    status = fields.String(allow_none=True, load_default=None)
    unit = fields.String(allow_none=True, load_default=None)
    low_stock_threshold = fields.Integer(strict=True, allow_none=True, load_default=None)
    # buying terms (issue 17; optional for older producers): orders refuses a bad quantity at once with them
    min_qty = WireQuantity(allow_none=True, load_default=None)
    qty_step = WireQuantity(allow_none=True, load_default=None)
    sellable_until = fields.String(allow_none=True, load_default=None)  # ISO date
    deliver_within = fields.String(allow_none=True, load_default=None)
    delivery_window = fields.Boolean(allow_none=True, load_default=None)  # the shopper picks a delivery window
    # when these terms were true (ISO time, the catalog's clock under the listing's lock): an older event
    # delivered late never overwrites newer terms (orders' listing_terms)
    as_of = fields.String(allow_none=True, load_default=None)


class OrderItem(Contract):
    listing_id = Id(required=True)
    qty = Qty(required=True)
    batch_id = Id(allow_none=True)  # a pre-order against this harvest batch (issue 17); absent otherwise


class OrderPlaced(Contract):
    order_id = Id(required=True)
    shopper_id = Id(required=True)
    items = fields.List(fields.Nested(OrderItem), required=True, validate=validate.Length(min=1))
    payment_method = fields.String(required=True, validate=validate.OneOf(("card", "cod")))
    delivery_address = fields.Nested(Address, required=True)


class ReservedLine(Contract):
    listing_id = Id(required=True)
    shop_id = Id(required=True)
    seller_id = Id(required=True)
    agent_id = Id(allow_none=True, load_default=None)
    title = fields.String(required=True)
    qty = Qty(required=True)
    unit_price = Money(required=True)
    # catalog adds (optional for older producers): the shop's name and pickup address + phone
    shop_name = fields.String(allow_none=True, load_default=None)
    unit = fields.String(allow_none=True, load_default=None)
    pickup = fields.Dict(allow_none=True, load_default=None)  # street village district regency province phone
    # a pre-order line (issue 17): promised against a harvest batch, expected that day, paid at order|harvest
    batch_id = Id(allow_none=True, load_default=None)
    expected_on = fields.String(allow_none=True, load_default=None)
    pay_at = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(("order", "harvest")))


class StockReserved(Contract):
    order_id = Id(required=True)
    lines = fields.List(fields.Nested(ReservedLine), required=True, validate=validate.Length(min=1))


class StockProblem(Contract):
    listing_id = Id(required=True)
    requested = WireQuantity(required=True)
    available = WireQuantity(required=True)
    reason = fields.String(required=True, validate=validate.OneOf((
        "unknown", "unpublished", "insufficient", "expired", "too_far", "below_minimum", "off_step",
        "harvest_closed", "preorder_alone")))


class StockRejected(Contract):
    order_id = Id(required=True)
    problems = fields.List(fields.Nested(StockProblem), required=True, validate=validate.Length(min=1))


class HarvestOrder(Contract):
    order_id = Id(required=True)
    qty = Qty(required=True)


class HarvestRecorded(Contract):
    """The seller recorded a batch's harvest (issue 17): `filled` orders (in the order they were placed) got
    their stock; `unfilled` ones did not (the harvest was short) and are cancelled by orders."""
    batch_id = Id(required=True)
    listing_id = Id(required=True)
    shop_id = Id(required=True)
    seller_id = Id(required=True)
    title = fields.String(required=True)
    unit = fields.String(required=True)
    expected_on = fields.String(required=True)
    harvested_qty = WireQuantity(required=True)
    filled_qty = WireQuantity(required=True)
    filled = fields.List(fields.Nested(HarvestOrder), required=True)
    unfilled = fields.List(fields.Nested(HarvestOrder), required=True)


class LateOrder(Contract):
    order_id = Id(required=True)
    shopper_id = Id(required=True)


class HarvestLate(Contract):
    """An open batch's expected day passed without a harvest (issue 17): each pre-order's shopper is told, once."""
    batch_id = Id(required=True)
    listing_id = Id(required=True)
    shop_id = Id(required=True)
    seller_id = Id(required=True)
    title = fields.String(required=True)
    expected_on = fields.String(required=True)
    orders = fields.List(fields.Nested(LateOrder), required=True)


class SellerSubtotal(Contract):
    seller_id = Id(required=True)
    fulfillment_id = Id(required=True)
    amount = Money(required=True)        # goods, before commission
    delivery_fee = Money(required=True)


class PaymentRequested(Contract):
    order_id = Id(required=True)
    shopper_id = Id(required=True)
    method = fields.String(required=True, validate=validate.OneOf(("card", "cod")))
    amount = Money(required=True)
    currency = fields.String(required=True, validate=validate.Equal("IDR"))
    subtotals = fields.List(fields.Nested(SellerSubtotal), required=True)


class PaymentResult(Contract):
    order_id = Id(required=True)
    payment_id = Id(required=True)
    method = fields.String(required=True)
    amount = Money(required=True)
    reason = fields.String(allow_none=True, load_default=None)
    shopper_id = Id(allow_none=True, load_default=None)
    provider = fields.String(allow_none=True, load_default=None)  # stripe | sandbox | cod (payments adds it)


class OrderOutcome(Contract):
    order_id = Id(required=True)
    reason = fields.String(allow_none=True, load_default=None)
    shopper_id = Id(allow_none=True, load_default=None)
    # orders adds (optional for older producers): order.confirmed carries payment_method, total and
    # fulfillments [{fulfillment_id, seller_id, agent_id, shop_name, items[title, qty, unit_price],
    # goods_amount, delivery_fee, pickup_deadline}]; order.cancelled carries payment_method, paid, amount
    payment_method = fields.String(allow_none=True)
    total = Money(allow_none=True)
    paid = fields.Boolean(allow_none=True)
    fulfillments = fields.List(fields.Dict(), allow_none=True)


class FulfillmentReady(Contract):
    order_id = Id(required=True)
    fulfillment_id = Id(required=True)
    seller_id = Id(required=True)
    pickup_address = fields.Dict(required=True)


class DeliveryEvent(Contract):
    order_id = Id(required=True)
    fulfillment_id = Id(required=True)
    courier_id = Id(required=True)
    cod_amount_collected = Money(allow_none=True, load_default=None)
    # orders adds (optional for older producers; absent stays absent)
    seller_id = Id(allow_none=True)
    agent_id = Id(allow_none=True)
    shopper_id = Id(allow_none=True)
    goods_amount = Money(allow_none=True)
    delivery_fee = Money(allow_none=True)
    cod_amount_due = Money(allow_none=True)   # 0 for card
    pickup = fields.Dict(allow_none=True)      # shop address + phone + shop_name
    dropoff = fields.Dict(allow_none=True)     # the order's delivery address


class PayoutCreated(Contract):
    payee_id = Id(required=True)
    order_id = Id(required=True)
    amount = Money(required=True)
    fee = Money(required=True)
    # payments adds (optional for older producers):
    payee_role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("seller", "courier")))
    fulfillment_id = Id(allow_none=True, load_default=None)
    payout_id = Id(allow_none=True, load_default=None)


class FulfillmentReceived(Contract):
    """The shopper confirmed receipt of one parcel, or its receipt window closed (received_by "timer"): the
    seller's share stops being held."""
    order_id = Id(required=True)
    fulfillment_id = Id(required=True)
    seller_id = Id(required=True)
    received_by = fields.String(required=True, validate=validate.OneOf(("shopper", "timer")))
    shopper_id = Id(allow_none=True, load_default=None)
    goods_amount = Money(allow_none=True, load_default=None)
    delivery_fee = Money(allow_none=True, load_default=None)


class FulfillmentItem(Contract):
    listing_id = Id(required=True)
    qty = Qty(required=True)


class FulfillmentCancelled(Contract):
    """One parcel cancelled on its own before pickup (the seller refused it, or nobody shipped it in time); the
    rest of the order goes on. `refund_amount` is what the shopper gets back (0 for cash on delivery)."""
    order_id = Id(required=True)
    fulfillment_id = Id(required=True)
    seller_id = Id(required=True)
    reason = fields.String(required=True)
    payment_method = fields.String(required=True, validate=validate.OneOf(("card", "cod")))
    goods_amount = Money(required=True)
    delivery_fee = Money(required=True)
    refund_amount = Money(required=True)
    items = fields.List(fields.Nested(FulfillmentItem), required=True)
    shopper_id = Id(allow_none=True, load_default=None)
    order_status = fields.String(allow_none=True, load_default=None)


class QuestionEvent(Contract):
    """A new message in a question thread (question.message_posted) or a thread handed over to the shop
    (question.handed_over): catalog names who is to be told (`recipients`), notifications tells them."""
    thread_id = Id(required=True)
    shop_id = Id(required=True)
    recipients = fields.List(Id(), required=True)
    subject = fields.String(required=True)
    author_id = Id(required=True)
    author_role = fields.String(required=True)
    shop_name = fields.String(allow_none=True, load_default=None)
    author_name = fields.String(allow_none=True, load_default=None)
    excerpt = fields.String(allow_none=True, load_default=None)
    message_id = Id(allow_none=True, load_default=None)
    listing_id = Id(allow_none=True, load_default=None)
    order_id = Id(allow_none=True, load_default=None)
class ReviewPublished(Contract):
    """A review is out of its double-blind draft (both sides in, or REVIEW_WINDOW_DAYS passed since receipt).
    `side` "shopper": the shopper rated the shop (`seller_id`) and the parcel's `listing_ids`, which the catalog
    counts into their averages; "seller": the seller rated the shopper (`subject_id`)."""
    review_id = Id(required=True)
    fulfillment_id = Id(required=True)
    side = fields.String(required=True, validate=validate.OneOf(("shopper", "seller")))
    rating = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5))
    author_id = Id(required=True)
    subject_id = Id(required=True)
    seller_id = Id(required=True)
    listing_ids = fields.List(Id(), required=True)


class ReviewHidden(ReviewPublished):
    """The operator hid a published review, with a reason: it leaves the averages (once) and its author is told."""
    reason = fields.String(required=True)
    hidden_by = Id(required=True)


class ModerationApplied(Contract):
    """The operator hid a listing or shop from the market, or showed it again, with a reason; its owner is told."""
    target = fields.String(required=True, validate=validate.OneOf(("listing", "shop")))
    target_id = Id(required=True)
    action = fields.String(required=True, validate=validate.OneOf(("hide", "unhide")))
    reason = fields.String(required=True)
    actor_id = Id(required=True)
    seller_id = Id(required=True)
    agent_id = Id(allow_none=True, load_default=None)
    name = fields.String(load_default="")


class AccountModerated(Contract):
    """The operator suspended an account (it cannot log in, its tokens are revoked) or reinstated it."""
    user_id = Id(required=True)
    action = fields.String(required=True, validate=validate.OneOf(("suspend", "reinstate")))
    reason = fields.String(required=True)
    actor_id = Id(required=True)


class ComplaintEvent(Contract):
    """A step of a complaint about one delivered parcel (issue 16): opened, answered (rejected or a return asked),
    return_sent, escalated (to the operator), resolved. Only `complaint.resolved` moves money: `refund_amount`
    back to the shopper, the rest of the seller's held share released."""
    complaint_id = Id(required=True)
    order_id = Id(required=True)
    fulfillment_id = Id(required=True)
    shopper_id = Id(required=True)
    seller_id = Id(required=True)
    status = fields.String(required=True)
    step = fields.String(required=True)
    by_role = fields.String(required=True)
    payment_method = fields.String(required=True, validate=validate.OneOf(("card", "cod")))
    parcel_total = Money(required=True)
    refund_amount = Money(allow_none=True, load_default=None)
    agent_id = Id(allow_none=True, load_default=None)


class ReturnEvent(Contract):
    """A return's courier trip (issue 16), from the shopper's door back to the shop: ready (on the dispatch),
    assigned (offered, or claimed from the board), accepted, unassigned (declined), picked_up, delivered (the
    complaint is resolved with it), cancelled (the complaint was settled another way first). An offer carries only
    the area of the shopper's address in `pickup`; the courier gets the door once they accept."""
    return_id = Id(required=True)
    complaint_id = Id(required=True)
    order_id = Id(required=True)
    fulfillment_id = Id(required=True)
    courier_id = Id(allow_none=True, load_default=None)
    shopper_id = Id(required=True)
    seller_id = Id(required=True)
    agent_id = Id(allow_none=True, load_default=None)
    delivery_fee = Money(allow_none=True, load_default=None)
    accepted = fields.Boolean(allow_none=True, load_default=None)
    pickup = fields.Dict(allow_none=True)
    dropoff = fields.Dict(allow_none=True)


RETURN_EVENTS = ("return.ready", "return.assigned", "return.accepted", "return.unassigned", "return.picked_up",
                 "return.delivered", "return.cancelled")

CONTRACTS: dict[str, type[Schema]] = {
    "account.registered": AccountEvent,
    "account.updated": AccountEvent,
    "account.code_requested": CodeRequested,
    "listing.published": ListingEvent,
    "listing.updated": ListingEvent,
    "stock.low": ListingEvent,
    "order.placed": OrderPlaced,
    "stock.reserved": StockReserved,
    "stock.rejected": StockRejected,
    "harvest.recorded": HarvestRecorded,
    "harvest.late": HarvestLate,
    "payment.requested": PaymentRequested,
    "payment.succeeded": PaymentResult,
    "payment.failed": PaymentResult,
    "payment.refunded": PaymentResult,
    "order.confirmed": OrderOutcome,
    "order.cancelled": OrderOutcome,
    "order.rejected": OrderOutcome,
    "order.completed": OrderOutcome,
    "fulfillment.ready": FulfillmentReady,
    "fulfillment.received": FulfillmentReceived,
    "fulfillment.cancelled": FulfillmentCancelled,
    "delivery.assigned": DeliveryEvent,
    "delivery.accepted": DeliveryEvent,
    "delivery.unassigned": DeliveryEvent,
    "delivery.picked_up": DeliveryEvent,
    "delivery.delivered": DeliveryEvent,
    "payout.created": PayoutCreated,
    "payout.released": PayoutCreated,
    "question.message_posted": QuestionEvent,
    "question.handed_over": QuestionEvent,
    "review.published": ReviewPublished,
    "review.hidden": ReviewHidden,
    "moderation.applied": ModerationApplied,
    "account.suspended": AccountModerated,
    "account.reinstated": AccountModerated,
    "complaint.opened": ComplaintEvent,
    "complaint.answered": ComplaintEvent,
    "complaint.return_sent": ComplaintEvent,
    "complaint.escalated": ComplaintEvent,
    "complaint.resolved": ComplaintEvent,
    **{event_type: ReturnEvent for event_type in RETURN_EVENTS},
}
VERSION = 1


class ContractError(ValueError):
    """A message that breaks its contract. It is parked, never retried: retrying cannot fix it."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.errors = errors or {}


def validate_data(event_type: str, data: dict) -> dict:
    schema = CONTRACTS.get(event_type)
    if schema is None:
        raise ContractError(f"unknown event type {event_type!r}")
    try:
        return schema().load(data)
    except ValidationError as err:
        raise ContractError(f"{event_type} breaks its contract: {err.messages}", err.messages) from err


def make_envelope(event_type: str, data: dict, *, source: str, correlation_id: str | None) -> dict:
    validate_data(event_type, data)
    return {
        "id": new_id(),
        "type": event_type,
        "version": VERSION,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "source": source,
        "correlation_id": correlation_id,
        "data": data,
    }


class Event:
    """A received, validated event as handlers see it."""

    __slots__ = ("id", "type", "version", "occurred_at", "source", "correlation_id", "data")

    def __init__(self, envelope: dict, data: dict):
        self.id = str(envelope["id"])
        self.type = envelope["type"]
        self.version = envelope["version"]
        self.occurred_at = envelope["occurred_at"]
        self.source = envelope["source"]
        self.correlation_id = envelope.get("correlation_id")
        self.data = data

    def __repr__(self) -> str:
        return f"Event({self.type} {self.id})"


def parse_envelope(raw: dict) -> Event:
    try:
        envelope = Envelope().load(raw)
    except ValidationError as err:
        raise ContractError(f"bad envelope: {err.messages}", err.messages) from err
    return Event(raw, validate_data(envelope["type"], envelope["data"]))
