"""The reviews API's bodies and answers (issue 16); kept beside schemas.py so the feature reads as one."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from pasar.text import FreeText

from .reviews_domain import MAX_RATING, MIN_RATING, REASON_MAX, TEXT_MAX
from .schemas import UtcDateTime

Id = lambda **kw: fields.String(validate=validate.Length(min=1, max=64), **kw)  # noqa: E731


class ReviewIn(Schema):
    fulfillment_id = Id(required=True, metadata={"description": "the received parcel being reviewed"})
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=MIN_RATING, max=MAX_RATING),
                            metadata={"description": "stars, 1 to 5"})
    text = FreeText(0, TEXT_MAX, load_default="")


class ReportIn(Schema):
    reason = FreeText(0, REASON_MAX, load_default="")


class HideIn(Schema):
    reason = FreeText(1, REASON_MAX, required=True, metadata={"description": "why, shown to the author and on "
                                                                          "the review"})


class PublicReviewArgs(Schema):
    listing_id = Id()
    seller_id = Id(metadata={"description": "a shop's seller account: that shop's reviews"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class QueueArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class HiddenOut(Schema):
    at = UtcDateTime()
    reason = fields.String()


class ReportOut(Schema):
    reason = fields.String()
    at = UtcDateTime()


class ReviewOut(Schema):
    id = fields.String()
    fulfillment_id = fields.String()
    side = fields.String(metadata={"description": "shopper (rates the shop) | seller (rates the shopper)"})
    rating = fields.Integer()
    text = fields.String()
    status = fields.String(metadata={"description": "draft (its author's alone) | published | hidden"})
    author_name = fields.String()
    shop_name = fields.String()
    seller_id = fields.String()
    listing_ids = fields.List(fields.String())
    created_at = UtcDateTime()
    published_at = UtcDateTime(allow_none=True)
    mine = fields.Boolean()
    hidden = fields.Nested(HiddenOut, allow_none=True, metadata={"description": "the operator's reason"})


class ModeratedReviewOut(ReviewOut):
    report_count = fields.Integer()
    author_id = fields.String()
    subject_id = fields.String()
    hidden_by = fields.String(allow_none=True)
    reports = fields.List(fields.Nested(ReportOut))


class ParcelReviewsOut(Schema):
    fulfillment_id = fields.String()
    order_id = fields.String()
    side = fields.String(metadata={"description": "the side I write on"})
    mine = fields.Nested(ReviewOut, allow_none=True)
    theirs = fields.Nested(ReviewOut, allow_none=True, metadata={
        "description": "the other side's review, only once published (both in, or the window closed)"})
    can_write = fields.Boolean()
    window_closes_at = UtcDateTime(allow_none=True)


class ReviewListOut(Schema):
    reviews = fields.List(fields.Nested(ReviewOut))
    total = fields.Integer()


class ModerationQueueOut(Schema):
    reviews = fields.List(fields.Nested(ModeratedReviewOut))
    total = fields.Integer()


class ReportedOut(Schema):
    review_id = fields.String()
    reported = fields.Boolean()
