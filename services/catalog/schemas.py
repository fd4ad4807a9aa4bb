"""Request and response schemas of the catalog API (they also make its OpenAPI document)."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from pasar.quantity import Quantity
from pasar.text import FreeText

from .domain import (DELIVER_WITHIN, MAX_PRICE, MAX_SHELF_LIFE_DAYS, MAX_STOCK, MIN_PRICE, QUESTION_BODY_MAX,
                     QUESTION_STATUSES, SHOP_STATUSES, SORTS,
                     STATUSES, UNITS)

# an official Kemendagri village code (issue 18): province.regency.district.village, e.g. "35.05.07.2004"
VILLAGE_CODE = validate.Regexp(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$", error="a village code like 35.05.07.2004")
PHONE = validate.Regexp(r"^\+?[0-9]{8,15}$", error="a phone number like +6281234567890")
SLUG = validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", error="lower-case words joined by '-'")
Text = lambda lo, hi, **kw: FreeText(lo, hi, **kw)  # noqa: E731  (the kernel's text policy, pasar/text.py)
Price = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=MIN_PRICE, max=MAX_PRICE), **kw)  # noqa: E731
# quantities are exact decimals in the listing's unit (an int, a decimal string, or a JSON number read as Decimal)
Stock = lambda **kw: Quantity(minimum=0, maximum=MAX_STOCK, **kw)  # noqa: E731
Step = lambda **kw: Quantity(positive=True, maximum=MAX_STOCK, **kw)  # noqa: E731
ShelfLife = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_SHELF_LIFE_DAYS), **kw)  # noqa: E731
Nearby = lambda **kw: fields.String(validate=validate.OneOf(DELIVER_WITHIN), metadata={  # noqa: E731
    "description": "perishables: \"\" anywhere, \"district\" or \"regency\": delivered only that near the shop"}, **kw)
Threshold = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000), **kw)  # noqa: E731


# -- categories ------------------------------------------------------------------------------------
class CategoryOut(Schema):
    slug = fields.String()
    name_id = fields.String(metadata={"description": "name in Bahasa Indonesia"})
    name_en = fields.String()
    position = fields.Integer()


class CategoryIn(Schema):
    slug = fields.String(required=True, validate=[validate.Length(min=2, max=60), SLUG])
    name_id = Text(2, 120, required=True)
    name_en = Text(2, 120, required=True)
    position = fields.Integer(strict=True, load_default=100, validate=validate.Range(min=0, max=10_000))


# -- shops -----------------------------------------------------------------------------------------
class ShopIn(Schema):
    name = Text(2, 120, required=True)
    owner_name = Text(0, 120, load_default=None)
    street = Text(0, 200, load_default="")
    village = Text(0, 120, load_default="")
    district = Text(2, 120, required=True)
    regency = Text(2, 120, required=True)
    province = Text(0, 120, load_default="")
    village_code = fields.String(validate=VILLAGE_CODE, load_default=None, allow_none=True,
                                 metadata={"description": "official village code (GET /api/v1/regions); send the "
                                                          "official names with it (village, district, regency, province)"})
    story = Text(0, 2000, load_default="")
    whatsapp = fields.String(validate=PHONE, load_default=None, allow_none=True)
    whatsapp_chat = fields.Boolean(load_default=False, metadata={"description": "shoppers may chat on WhatsApp"})
    seller_id = fields.String(validate=validate.Length(min=1, max=64), load_default=None,
                              metadata={"description": "admin only: the owning seller account"})
    agent_id = fields.String(validate=validate.Length(min=1, max=64), load_default=None,
                             metadata={"description": "admin only: the managing agent account"})


class ShopPatch(Schema):
    name = Text(2, 120)
    owner_name = Text(0, 120)
    street = Text(0, 200)
    village = Text(0, 120)
    district = Text(2, 120)
    regency = Text(2, 120)
    province = Text(0, 120)
    village_code = fields.String(validate=VILLAGE_CODE, allow_none=True)
    story = Text(0, 2000)
    whatsapp = fields.String(validate=PHONE, allow_none=True)
    whatsapp_chat = fields.Boolean(metadata={"description": "shoppers may chat on WhatsApp"})
    status = fields.String(validate=validate.OneOf(SHOP_STATUSES))


class ShopOut(Schema):
    id = fields.String()
    seller_id = fields.String()
    agent_id = fields.String(allow_none=True)
    agent_managed = fields.Boolean()
    name = fields.String()
    owner_name = fields.String()
    village = fields.String()
    district = fields.String()
    regency = fields.String()
    province = fields.String()
    village_code = fields.String(allow_none=True)
    district_code = fields.String(allow_none=True)
    village_suggestion = fields.String(allow_none=True, metadata={"description": "its managers: a guessed village "
                                                                                 "code to confirm"})
    village_flag = fields.String(allow_none=True, metadata={"description": "its managers: why the guess is unsure"})
    story = fields.String()
    photo_url = fields.String(allow_none=True)
    photo_thumb_url = fields.String(allow_none=True)
    status = fields.String()
    listing_count = fields.Integer()
    rating_average = fields.Float(allow_none=True, metadata={"description": "stars from published shoppers' "
                                                                     "reviews, one decimal; null without any"})
    rating_count = fields.Integer()
    hidden = fields.Dict(allow_none=True, metadata={"description": "hidden by the operator: {at, reason} (its "
                                                                   "managers and the operator see it)"})
    moderation = fields.List(fields.Dict(), metadata={"description": "the operator's actions on it (who, when, "
                                                                     "why): its managers and the operator"})
    created_at = fields.DateTime()
    # private: only the shop's seller, its agent and admins see these (buyers get the number with
    # their order, not from the public profile)
    street = fields.String(metadata={"description": "only for the shop's managers"})
    whatsapp = fields.String(allow_none=True, metadata={"description": "only for the shop's managers"})
    can_manage = fields.Boolean()
    whatsapp_chat = fields.Boolean()
    chat_whatsapp = fields.String(allow_none=True, metadata={
        "description": "the number shoppers may chat with on WhatsApp, only when the seller allows it"})


class ShopBrief(Schema):
    id = fields.String()
    name = fields.String()
    village = fields.String()
    district = fields.String()
    regency = fields.String()
    province = fields.String()
    district_code = fields.String(allow_none=True, metadata={"description": "official district code, when the "
                                                                            "shop has a village code"})
    agent_managed = fields.Boolean()


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ShopQuery(PageArgs):
    q = fields.String(validate=validate.Length(max=200))
    district = fields.String(validate=validate.Length(max=120))
    regency = fields.String(validate=validate.Length(max=120))
    mine = fields.Boolean(load_default=False, metadata={"description": "only the shops I manage (any status)"})


class ShopPage(Schema):
    items = fields.List(fields.Nested(ShopOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()


# -- listings --------------------------------------------------------------------------------------
class PhotoOut(Schema):
    id = fields.String()
    url = fields.String()
    thumb_url = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    position = fields.Integer()


class PhotoUpload(Schema):
    photo = Upload(required=True, metadata={"description": "JPEG, PNG or WebP, at most CATALOG_MAX_PHOTO_BYTES"})


class ListingIn(Schema):
    shop_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    title = Text(3, 120, required=True)
    description = Text(0, 5000, load_default="")
    category = fields.String(required=True, validate=validate.Length(min=1, max=60))
    unit = fields.String(load_default="pcs", validate=validate.OneOf(UNITS))
    price = Price(required=True, metadata={"description": "whole rupiah"})
    stock = Stock(load_default=0, metadata={"description": "in the listing's unit: 12, or \"7.5\" (kg)"})
    low_stock_threshold = Threshold(load_default=3)
    status = fields.String(load_default="draft", validate=validate.OneOf(("draft", "published")))
    min_qty = Step(metadata={"description": "the least a shopper may buy, in the unit (default 1)"})
    qty_step = Step(metadata={"description": "bought in steps of this from min_qty (default 1)"})
    harvested_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "perishables"})
    shelf_life_days = ShelfLife(load_default=None, allow_none=True,
                                metadata={"description": "perishables: sold until harvested_on + this"})
    deliver_within = Nearby(load_default="")
    delivery_window = fields.Boolean(load_default=False, metadata={
        "description": "perishables: the shopper picks a delivery day and part of it at checkout"})


class ListingPatch(Schema):
    title = Text(3, 120)
    description = Text(0, 5000)
    category = fields.String(validate=validate.Length(min=1, max=60))
    unit = fields.String(validate=validate.OneOf(UNITS))
    price = Price(metadata={"description": "whole rupiah"})
    stock = Stock(metadata={"description": "set the available stock; recorded in the ledger as an adjustment"})
    low_stock_threshold = Threshold()
    stock_note = Text(0, 200, metadata={"description": "why the stock was adjusted"})
    min_qty = Step()
    qty_step = Step()
    harvested_on = fields.Date(allow_none=True)
    shelf_life_days = ShelfLife(allow_none=True)
    deliver_within = Nearby()
    delivery_window = fields.Boolean()


class ModerationIn(Schema):
    """The operator hides (or shows again) a listing or a shop, always with a reason."""
    action = fields.String(required=True, validate=validate.OneOf(("hide", "unhide")))
    reason = Text(1, 500, required=True)


class StatusIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))


class ListingOut(Schema):
    id = fields.String()
    shop_id = fields.String()
    seller_id = fields.String()
    shop = fields.Nested(ShopBrief, allow_none=True)
    title = fields.String()
    description = fields.String()
    category = fields.String(allow_none=True)
    category_name = fields.String(allow_none=True)
    unit = fields.String()
    price = fields.Integer(metadata={"description": "whole rupiah, per unit"})
    stock = Quantity(metadata={"description": "in the unit: an integer when whole, else a decimal string"})
    in_stock = fields.Boolean()
    low_stock_threshold = fields.Integer()
    sold_count = Quantity()
    min_qty = Quantity()
    qty_step = Quantity()
    harvested_on = fields.Date(allow_none=True)
    shelf_life_days = fields.Integer(allow_none=True)
    sellable_until = fields.Date(allow_none=True, metadata={"description": "perishables: the last day it sells"})
    expired = fields.Boolean(metadata={"description": "past its shelf life: no longer sold"})
    deliver_within = fields.String()
    delivery_window = fields.Boolean(metadata={"description": "the shopper picks a delivery window at checkout"})
    rating_average = fields.Float(allow_none=True, metadata={"description": "stars from published shoppers' "
                                                                     "reviews, one decimal; null without any"})
    rating_count = fields.Integer()
    hidden = fields.Dict(allow_none=True, metadata={"description": "hidden by the operator: {at, reason} (its "
                                                                   "managers and the operator see it)"})
    moderation = fields.List(fields.Dict(), metadata={"description": "the operator's actions on it (who, when, "
                                                                     "why): its managers and the operator"})
    status = fields.String()
    thumb_url = fields.String(allow_none=True)
    photos = fields.List(fields.Nested(PhotoOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    harvest = fields.Dict(allow_none=True, metadata={
        "description": "an open harvest batch to pre-order from: {id, expected_on, price, remaining, pay_at}"})


class BatchIn(Schema):
    """A seller opens a harvest batch (issue 17): pre-orders until the harvest is recorded."""
    expected_on = fields.Date(required=True, metadata={"description": "the day the harvest is expected"})
    cap = Step(required=True, metadata={"description": "at most this much is pre-ordered, in the listing's unit "
                                                       "(exact: \"25.5\" kg)"})
    price = Price(load_default=None, allow_none=True, metadata={"description": "per unit; default the listing's"})
    pay_at = fields.String(load_default="order", validate=validate.OneOf(("order", "harvest")), metadata={
        "description": "card payments: when the order is placed, or when the harvest is in (cash on delivery is "
                       "always allowed)"})


class HarvestIn(Schema):
    harvested_qty = Stock(required=True, metadata={"description": "what was really harvested, in the unit"})


class BatchOut(Schema):
    id = fields.String()
    listing_id = fields.String()
    shop_id = fields.String()
    unit = fields.String()
    expected_on = fields.Date()
    cap = Quantity()
    price = fields.Integer()
    pay_at = fields.String()
    status = fields.String(metadata={"description": "open | harvested"})
    promised = Quantity(metadata={"description": "pre-ordered so far (open batches)"})
    remaining = Quantity(metadata={"description": "still to pre-order (open batches)"})
    harvested_qty = Quantity(allow_none=True)
    filled_qty = Quantity(allow_none=True, metadata={"description": "what went to pre-orders, filled in order"})
    created_at = fields.DateTime()
    harvested_at = fields.DateTime(allow_none=True)


class BrowseArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=200), metadata={
        "description": "words in the title, description, category, shop name, village, district or regency; "
                       "each word matches the start of a word (\"anyam\" finds \"anyaman\", \"keranjang\" never "
                       "\"ranjang\"), a misspelt word is corrected when nothing matches (see `did_you_mean`)"})
    category = fields.String(validate=validate.Length(max=60))
    district = fields.String(validate=validate.Length(max=120))
    regency = fields.String(validate=validate.Length(max=120))
    shop_id = fields.String(validate=validate.Length(max=36))
    min_price = fields.Integer(validate=validate.Range(min=0, max=10 * MAX_PRICE))
    max_price = fields.Integer(validate=validate.Range(min=0, max=10 * MAX_PRICE))
    in_stock = fields.Boolean(load_default=False)
    sort = fields.String(validate=validate.OneOf(SORTS), metadata={
        "description": "relevance (the default; newest when there are no words), newest, price_asc, price_desc, "
                       "popular, rating (best rated first)"})

    @validates_schema
    def _price_range(self, data, **_):
        if data.get("min_price") is not None and data.get("max_price") is not None \
                and data["min_price"] > data["max_price"]:
            raise ValidationError("must not be below min_price", "max_price")


class ShopListingArgs(BrowseArgs):
    status = fields.String(validate=validate.OneOf(STATUSES + ("all",)),
                           metadata={"description": "managers only: draft, archived or all"})


class ListingPage(Schema):
    items = fields.List(fields.Nested(ListingOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
    did_you_mean = fields.String(allow_none=True, metadata={
        "description": "when the words as typed found nothing: the corrected words these results are for"})


class MovementOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "initial | adjust | reserve | release | commit"})
    change = Quantity(metadata={"description": "effect on available stock"})
    qty = Quantity()
    stock_after = Quantity()
    order_id = fields.String(allow_none=True)
    actor_id = fields.String(allow_none=True)
    note = fields.String()
    created_at = fields.DateTime()



# -- questions and conversations (issue 19) ----------------------------------------------------------------
class QuestionIn(Schema):
    """A new question: about a listing, or about one of my orders (`shop_id` picks the shop of a mixed order)."""
    listing_id = fields.String(validate=validate.Length(min=1, max=64), load_default=None)
    order_id = fields.String(validate=validate.Length(min=1, max=64), load_default=None)
    shop_id = fields.String(validate=validate.Length(min=1, max=64), load_default=None)
    body = Text(2, QUESTION_BODY_MAX, required=True)


class MessageIn(Schema):
    body = Text(1, QUESTION_BODY_MAX, required=True)


class QuestionQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf((*QUESTION_STATUSES, "queue")),
                           metadata={"description": "one status, or `queue`: what staff still work on"})
    shop_id = fields.String(load_default=None, validate=validate.Length(max=64))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class QuestionMessageOut(Schema):
    id = fields.String()
    author_role = fields.String(metadata={"description": "shopper | shop | cs | admin"})
    author_name = fields.String()
    body = fields.String()
    created_at = fields.DateTime()


class QuestionOut(Schema):
    id = fields.String()
    shop_id = fields.String()
    shop_name = fields.String()
    listing_id = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    subject = fields.String()
    status = fields.String()
    waiting = fields.Boolean()
    shopper_name = fields.String()
    created_at = fields.DateTime()
    last_message_at = fields.DateTime()
    first_answer_at = fields.DateTime(allow_none=True)
    handed_over_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    my_part = fields.String(allow_none=True)
    last_message = fields.String()
    last_author_role = fields.String()
    messages = fields.List(fields.Nested(QuestionMessageOut))


class QuestionPage(Schema):
    items = fields.List(fields.Nested(QuestionOut))
    total = fields.Integer()


class StaffShopOut(Schema):
    id = fields.String()
    name = fields.String()


class StaffOut(Schema):
    user_id = fields.String()
    name = fields.String()
    shops = fields.List(fields.Nested(StaffShopOut))


class StaffPage(Schema):
    items = fields.List(fields.Nested(StaffOut))


class ResponseFigures(Schema):
    answered = fields.Integer()
    median_seconds = fields.Integer(allow_none=True)
    p90_seconds = fields.Integer(allow_none=True)
    mean_seconds = fields.Integer(allow_none=True)
    waiting = fields.Integer()
    oldest_waiting_seconds = fields.Integer(allow_none=True)


class OverallTimes(ResponseFigures):
    threads = fields.Integer()


class StaffTimes(ResponseFigures):
    user_id = fields.String()
    name = fields.String()
    shops = fields.Integer()


class ShopTimes(ResponseFigures):
    shop_id = fields.String()
    shop_name = fields.String()
    threads = fields.Integer()


class ResponseTimesOut(Schema):
    overall = fields.Nested(OverallTimes)
    staff = fields.List(fields.Nested(StaffTimes))
    shops = fields.List(fields.Nested(ShopTimes))
