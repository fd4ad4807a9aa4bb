from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from pasar.auth import current_identity
from pasar import text
from pasar.events import Address
from pasar.quantity import Quantity
from pasar.text import FreeText, Name

from .domain import (COMPLAINT_REASONS, COMPLAINT_STATUSES, COMPLAINT_TEXT_MAX, DELIVERY_KIND, DELIVERY_SLOTS,
                     MAX_CART_LINES, MAX_CART_QTY, MAX_COMPLAINT_PHOTOS, OPERATOR_DECISIONS, RETURN_KIND,
                     SELLER_ANSWERS, SELLER_REFUSALS, _iso, as_utc, dropoff_for)


class UtcDateTime(fields.DateTime):
    """Always with its zone: SQLite hands timestamps back without it, and every timestamp here is UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(as_utc(value), attr, obj, **kwargs)


class OrderItemIn(Schema):
    listing_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    qty = Quantity(required=True, positive=True, maximum=MAX_CART_QTY, metadata={
        "description": "in the listing's unit: 2, or \"1.5\" (kg); a JSON number is read exactly, never as a float"})
    batch_id = fields.String(validate=validate.Length(min=1, max=36), metadata={
        "description": "pre-order against this open harvest batch of the listing (ordered on its own)"})


class DeliveryAddressIn(Address):
    """The event's address under the kernel's text policy (pasar/text.py), with its maximum lengths."""
    name = Name(1, text.PERSON_NAME_MAX, required=True)
    phone = Name(1, 32, required=True)
    street = FreeText(1, text.STREET_MAX, required=True)
    village = FreeText(0, text.PLACE_MAX, load_default="")
    district = FreeText(1, text.PLACE_MAX, required=True)
    regency = FreeText(0, text.PLACE_MAX, load_default="")
    province = FreeText(0, text.PLACE_MAX, load_default="")
    notes = FreeText(0, text.NOTE_MAX, load_default="", allow_none=True)

    @validates_schema
    def other_fields_are_text(self, data, **kwargs):
        # Fields not named here pass through (a saved address's region codes ride along to the event), but only as
        # text (or null): a number or a list there reached the order's fingerprint, its JSON column and the event as a
        # Decimal (the JSON parser reads fractions exactly) and answered 500 (found by the release fuzz run)
        declared = {field.data_key or name for name, field in self.fields.items()}
        wrong = {key: ["Not a valid string."] for key, value in data.items()
                 if key not in declared and not (value is None or isinstance(value, str))}
        if wrong:
            raise ValidationError(wrong)


class DeliveryWindowIn(Schema):
    date = fields.Date(required=True, metadata={"description": "the day to deliver"})
    slot = fields.String(required=True, validate=validate.OneOf(tuple(DELIVERY_SLOTS)), metadata={
        "description": "pagi 06.00-10.00, siang 10.00-14.00, sore 14.00-18.00"})


class OrderIn(Schema):
    # without items, the shopper's cart is checked out
    items = fields.List(fields.Nested(OrderItemIn), validate=validate.Length(min=1, max=MAX_CART_LINES))
    payment_method = fields.String(required=True, validate=validate.OneOf(("card", "cod")))
    delivery_address = fields.Nested(DeliveryAddressIn, required=True)
    delivery_window = fields.Nested(DeliveryWindowIn, allow_none=True, metadata={
        "description": "required when a line is perishable (has a shelf life): when it is delivered"})


class TimelineOut(Schema):
    event = fields.String()
    status = fields.String()
    fulfillment_id = fields.String(allow_none=True)
    detail = fields.Dict()
    at = fields.DateTime()


class FulfillmentOut(Schema):
    id = fields.String()
    order_id = fields.String()
    status = fields.String()
    seller_id = fields.String()
    agent_id = fields.String(allow_none=True)
    shop_id = fields.String(allow_none=True)
    shop_name = fields.String()
    district = fields.String(allow_none=True)
    pickup = fields.Dict()
    items = fields.List(fields.Dict())
    goods_amount = fields.Integer()
    delivery_fee = fields.Integer()
    cod_amount_due = fields.Integer()
    cod_amount_collected = fields.Integer(allow_none=True)
    courier_id = fields.String(allow_none=True)
    accepted = fields.Boolean()
    pickup_deadline = fields.DateTime(allow_none=True)
    ready_at = fields.DateTime(allow_none=True)
    picked_up_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    ship_by = UtcDateTime(allow_none=True, metadata={
        "description": "not handed to a courier by then: this parcel is cancelled and refunded"})
    receipt_due_at = UtcDateTime(allow_none=True, metadata={
        "description": "not confirmed by the shopper by then: receipt is confirmed automatically"})
    received_at = UtcDateTime(allow_none=True)
    received_by = fields.String(allow_none=True, metadata={"description": "shopper | timer"})
    cancel_reason = fields.String(allow_none=True)
    preorder = fields.Dict(allow_none=True, metadata={"description": "a pre-order for a coming harvest: {batch_id, "
                           "expected_on, pay_at, harvest: null | filled | short}"})
    delivery_window = fields.Dict(allow_none=True, metadata={"description": "perishables: {date, slot}"})
    cancelled_at = UtcDateTime(allow_none=True)
    courier = fields.Function(lambda f: getattr(f, "courier_contact", None), allow_none=True, metadata={
        "description": "the courier's name and phone, for the shopper once the parcel is picked up"})


class WorkOut(FulfillmentOut):
    """A fulfillment as its seller or courier sees it: with where it goes and how it is paid. A courier's job may
    also be a return trip (`kind` "return", issue 16): picked up at the shopper's door, taken back to the shop."""
    kind = fields.Function(lambda f: getattr(f, "kind", DELIVERY_KIND), metadata={
        "description": "delivery (shop to shopper) | return (shopper back to the shop, for a complaint)"})
    complaint_id = fields.String(allow_none=True, metadata={"description": "a return trip's complaint"})
    payment_method = fields.Function(lambda f: f.order.payment_method)
    pickup = fields.Method("_pickup")
    dropoff = fields.Method("_dropoff")
    order_status = fields.Function(lambda f: f.order.status)
    delivery_window = fields.Function(lambda f: f.order.delivery_window, metadata={
        "description": "perishables: deliver on this day in this part of it ({date, slot})"})

    @staticmethod
    def _private(f, address):
        viewer = current_identity(optional=True)
        return dropoff_for(viewer and viewer.role, viewer and viewer.user_id, f.courier_id, address, f.accepted)

    def _pickup(self, f):
        # a return starts at the shopper's door: only its area until the courier accepts the trip
        return self._private(f, f.pickup) if getattr(f, "kind", None) == RETURN_KIND else f.pickup

    def _dropoff(self, f):
        if getattr(f, "kind", None) == RETURN_KIND:
            return f.dropoff  # the shop: public
        return self._private(f, f.order.delivery_address)


class OrderOut(Schema):
    id = fields.String()
    shopper_id = fields.String()
    status = fields.String()
    payment_method = fields.String()
    items = fields.List(fields.Dict())
    lines = fields.List(fields.Dict())
    problems = fields.List(fields.Dict())
    goods_total = fields.Integer()
    delivery_total = fields.Integer()
    total = fields.Integer()
    paid = fields.Boolean()
    cancel_reason = fields.String(allow_none=True)
    preorder = fields.Dict(allow_none=True, metadata={"description": "a pre-order for a coming harvest: {batch_id, "
                           "expected_on, pay_at, harvest: null | filled | short}"})
    delivery_window = fields.Dict(allow_none=True, metadata={"description": "perishables: {date, slot}"})
    payment_due_at = fields.DateTime(allow_none=True)
    delivery_address = fields.Dict()
    created_at = fields.DateTime()
    confirmed_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    fulfillments = fields.List(fields.Nested(FulfillmentOut))


class OrderDetailOut(OrderOut):
    timeline = fields.List(fields.Nested(TimelineOut))


class OrderListOut(Schema):
    orders = fields.List(fields.Nested(OrderOut))
    total = fields.Integer()


class PageArgs(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
    status = fields.String(validate=validate.Length(max=24))


class DeliveryFeeArgs(Schema):
    to = fields.String(validate=validate.Length(min=1, max=120),
                       metadata={"description": "the shopper's district (kecamatan); left out: the tariff itself"})
    from_ = fields.List(fields.String(validate=validate.Length(min=1, max=120)), data_key="from",
                        validate=validate.Length(max=50), load_default=list,
                        metadata={"description": "each shop's district, once per seller in the cart"})


class DeliveryFeeOut(Schema):
    from_ = fields.String(data_key="from")
    fee = fields.Integer()


class DeliveryFeesOut(Schema):
    """What checkout will charge for delivery: one fee per seller, the same rule orders applies on reservation."""
    same_district = fields.Integer()
    other_district = fields.Integer()
    to = fields.String(allow_none=True)
    fees = fields.List(fields.Nested(DeliveryFeeOut))
    total = fields.Integer()
    currency = fields.String()


class CartLineIn(Schema):
    listing_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    qty = Quantity(required=True, positive=True, maximum=MAX_CART_QTY, metadata={
        "description": "in the listing's unit: 2, or \"1.5\" (kg); a JSON number is read exactly, never as a float"})


class CartMergeIn(Schema):
    lines = fields.List(fields.Nested(CartLineIn), required=True, validate=validate.Length(max=100))


class CartQtyIn(Schema):
    qty = Quantity(required=True, positive=True, maximum=MAX_CART_QTY, metadata={
        "description": "in the listing's unit: 2, or \"1.5\" (kg); a JSON number is read exactly, never as a float"})


class CartLineOut(Schema):
    listing_id = fields.String()
    qty = Quantity(metadata={"description": "an integer when whole, else a decimal string (\"1.5\")"})
    added_at = fields.DateTime()


class CartOut(Schema):
    lines = fields.List(fields.Nested(CartLineOut))
    count = fields.Integer()


class CartMergeOut(CartOut):
    left_out = fields.List(fields.String(), metadata={"description": "items that did not fit (the cart was full)"})


class WorkListOut(Schema):
    fulfillments = fields.List(fields.Nested(WorkOut))
    total = fields.Integer()


class DeliveryListOut(Schema):
    deliveries = fields.List(fields.Nested(WorkOut))
    total = fields.Integer()


class CourierOut(Schema):
    user_id = fields.String()
    name = fields.String()
    district = fields.String(allow_none=True)
    district_code = fields.String(allow_none=True, metadata={"description": "official district code, when chosen "
                                                                            "from the official list"})
    available = fields.Boolean()
    active_deliveries = fields.Integer()


class CourierIn(Schema):
    available = fields.Boolean(required=True)
    district = fields.String(validate=validate.Length(min=1, max=120))
    district_code = fields.String(validate=validate.Regexp(r"^\d{2}\.\d{2}\.\d{2}$",
                                                           error="a district code like 35.05.07"),
                                  metadata={"description": "official district code (GET /api/v1/regions), sent "
                                                           "with its official name as `district`"})

    @validates_schema
    def _code_with_its_name(self, data, **_kwargs):
        if data.get("district_code") and not data.get("district"):
            raise ValidationError({"district": ["send the district's name with its code"]})


class DeliverIn(Schema):
    cod_amount_collected = fields.Integer(strict=True, allow_none=True, load_default=None,
                                          validate=validate.Range(min=0))


class RefuseIn(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(SELLER_REFUSALS), metadata={
        "description": "out_of_stock | harvest_failed | cannot_fill"})


class DeclinedOut(Schema):
    fulfillment_id = fields.String()
    declined = fields.Boolean()


# -- complaints and returns (issue 16) --------------------------------------------------------------
class ComplaintIn(Schema):
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    fulfillment_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    reason = fields.String(required=True, validate=validate.OneOf(COMPLAINT_REASONS), metadata={
        "description": " | ".join(COMPLAINT_REASONS)})
    text = FreeText(0, COMPLAINT_TEXT_MAX, load_default="", metadata={"description": "what went wrong"})
    photos = fields.List(fields.Url(schemes={"http", "https"}, validate=validate.Length(max=500)),
                         load_default=list, validate=validate.Length(max=MAX_COMPLAINT_PHOTOS),
                         metadata={"description": f"up to {MAX_COMPLAINT_PHOTOS} photo addresses"})


class ComplaintPhotoIn(Schema):
    photo = Upload(required=True, metadata={"description": (
        f"JPEG, PNG or WebP from the phone's camera; at most {MAX_COMPLAINT_PHOTOS} photos per complaint")})


class ComplaintPhotoArgs(Schema):
    size = fields.String(load_default="full", validate=validate.OneOf(("full", "thumb")))


class ComplaintAnswerIn(Schema):
    answer = fields.String(required=True, validate=validate.OneOf(SELLER_ANSWERS), metadata={
        "description": "refund (the whole parcel, or `amount`) | return (then refund) | reject (with `reason`)"})
    amount = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1),
                            metadata={"description": "rupiah, at most the parcel's total; left out: all of it"})
    reason = FreeText(0, 500, load_default=None, allow_none=True)


class ComplaintEscalateIn(Schema):
    reason = FreeText(0, 500, load_default=None, allow_none=True)


class ComplaintDecisionIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(OPERATOR_DECISIONS), metadata={
        "description": "refund (`amount`, left out: all of it) | return (then refund) | release (to the seller)"})
    amount = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1))
    note = FreeText(1, 500, required=True, metadata={"description": "why: shown to the shopper and the seller"})


class ComplaintArgs(PageArgs):
    fulfillment_id = fields.String(validate=validate.Length(max=36))
    order_id = fields.String(validate=validate.Length(max=36))


class ComplaintActionOut(Schema):
    action = fields.String()
    by = fields.String()
    role = fields.String()
    at = fields.String()
    amount = fields.Integer()
    why = fields.String()


class ComplaintOut(Schema):
    id = fields.String()
    order_id = fields.String()
    fulfillment_id = fields.String()
    shopper_id = fields.String()
    seller_id = fields.String()
    agent_id = fields.String(allow_none=True)
    shop_name = fields.String()
    payment_method = fields.String()
    parcel_total = fields.Integer()
    reason = fields.String()
    text = fields.String()
    photos = fields.List(fields.String(), metadata={"description": "photo addresses given on opening"})
    uploaded_photos = fields.Method("_uploaded_photos", metadata={
        "description": "photos the shopper uploaded: [{n, url, thumb_url}], readable by the shopper, the seller "
                       "and the operator only"})
    status = fields.String(metadata={"description": " | ".join(COMPLAINT_STATUSES)})
    respond_by = UtcDateTime(allow_none=True, metadata={
        "description": "who the complaint waits on must act by then, or it goes to the operator"})
    answer = fields.String(allow_none=True)
    answer_reason = fields.String(allow_none=True)
    refund_amount = fields.Integer(allow_none=True)
    resolution = fields.String(allow_none=True, metadata={"description": "refund | release"})
    resolved_by = fields.String(allow_none=True)
    resolved_at = UtcDateTime(allow_none=True)
    escalated_at = UtcDateTime(allow_none=True)
    actions = fields.List(fields.Nested(ComplaintActionOut))
    created_at = UtcDateTime()
    return_pickup = fields.Method("_return_pickup", metadata={
        "description": "the courier trip bringing the goods back to the shop, once a return is asked"})

    def _return_pickup(self, c):
        trips = list(getattr(c, "return_trips", None) or [])
        if not trips:
            return None
        trip = next((t for t in reversed(trips) if t.status != "CANCELLED"), trips[-1])
        return {"id": trip.id, "status": trip.status, "courier_id": trip.courier_id, "accepted": trip.accepted,
                "delivery_fee": trip.delivery_fee, "ready_at": _iso(trip.ready_at),
                "picked_up_at": _iso(trip.picked_up_at), "delivered_at": _iso(trip.delivered_at),
                "cancelled_at": _iso(trip.cancelled_at)}

    def _uploaded_photos(self, c) -> list[dict]:
        base = f"/api/v1/complaints/{c.id}/photos"
        return [{"n": u["n"], "url": f"{base}/{u['n']}", "thumb_url": f"{base}/{u['n']}?size=thumb"}
                for u in getattr(c, "uploads", None) or []]


class ComplaintListOut(Schema):
    complaints = fields.List(fields.Nested(ComplaintOut))
    total = fields.Integer()
