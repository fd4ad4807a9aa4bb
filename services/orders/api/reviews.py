"""Reviews after the sale: two-way, double-blind, reported and moderated (issue 16)."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles
from pasar.web import read_session, uow

from .. import reviews
from ..review_schemas import (HideIn, ModeratedReviewOut, ModerationQueueOut, ParcelReviewsOut, PublicReviewArgs,
                              QueueArgs, ReportedOut, ReportIn, ReviewIn, ReviewListOut, ReviewOut)
from .answers import AUTH

reviews_blp = Blueprint("reviews", __name__, url_prefix="/api/v1/reviews",
                        description="Reviews after the sale: two-way and double-blind")


@reviews_blp.route("", methods=["POST"])
@reviews_blp.arguments(ReviewIn)
@reviews_blp.response(201, ReviewOut)
@reviews_blp.doc(security=AUTH)
@require_roles("shopper", "seller", "agent")
def write_review(body):
    """Review a received parcel: its shopper rates the shop, its seller (or agent) rates the shopper. One per
    parcel per side (again: 409 `already_reviewed`); a draft, seen only by its author, until the other side's
    review is in or REVIEW_WINDOW_DAYS have passed since receipt."""
    who = current_identity()
    return reviews.write_review(uow(), body["fulfillment_id"], who.user_id, who.role, who.name, body["rating"],
                                body["text"])


@reviews_blp.route("", methods=["GET"])
@reviews_blp.arguments(PublicReviewArgs, location="query")
@reviews_blp.response(200, ReviewListOut)
def public_reviews(args):
    """Published shoppers' reviews of a listing (`listing_id`) or a shop (`seller_id`), newest first."""
    with read_session() as session:
        return reviews.public_reviews(session, args.get("listing_id"), args.get("seller_id"), args["limit"],
                                      args["offset"])


@reviews_blp.route("/fulfillments/<fulfillment_id>", methods=["GET"])
@reviews_blp.response(200, ParcelReviewsOut)
@reviews_blp.doc(security=AUTH)
@require_roles("shopper", "seller", "agent")
def parcel_reviews(fulfillment_id: str):
    """A parcel's two reviews for one of its two sides: mine (even a draft), the other side's only once
    published. Anyone else: 404."""
    who = current_identity()
    with read_session() as session:
        return reviews.parcel_reviews(session, fulfillment_id, who.user_id, who.role)


@reviews_blp.route("/reported", methods=["GET"])
@reviews_blp.arguments(QueueArgs, location="query")
@reviews_blp.response(200, ModerationQueueOut)
@reviews_blp.doc(security=AUTH)
@require_roles("admin")
def reported(args):
    """The operator's queue: reported reviews with their reports, the ones still shown first."""
    with read_session() as session:
        return reviews.moderation_queue(session, args["limit"], args["offset"])


@reviews_blp.route("/<review_id>/report", methods=["POST"])
@reviews_blp.arguments(ReportIn)
@reviews_blp.response(200, ReportedOut)
@reviews_blp.doc(security=AUTH)
@require_roles()
def report(body, review_id: str):
    """Ask the operator to look at a published review (anyone signed in, once each)."""
    return reviews.report_review(uow(), review_id, current_identity().user_id, body["reason"])


@reviews_blp.route("/<review_id>/hide", methods=["POST"])
@reviews_blp.arguments(HideIn)
@reviews_blp.response(200, ModeratedReviewOut)
@reviews_blp.doc(security=AUTH)
@require_roles("admin")
def hide(body, review_id: str):
    """The operator hides a published review with a reason: it leaves the pages and the averages; its author
    is told why. Again: the same answer."""
    return reviews.hide_review(uow(), review_id, current_identity().user_id, body["reason"])
