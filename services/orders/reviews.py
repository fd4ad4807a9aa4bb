"""Reviews' use cases (issue 16): write, read (double-blind), report, hide, and the sweep that publishes a lone
review when its window closes. The rules are in reviews_domain.py; the habits (fresh unit of work for a route,
events through the outbox in the same transaction) are service.py's.

Events: `review.published` (catalog counts a shopper's review into the listing and shop averages;
notifications tells the reviewed party) and `review.hidden` (catalog takes it back out once; notifications
tells the author why)."""
from __future__ import annotations

from contextlib import closing
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pasar.db import Database, UnitOfWork
from pasar.errors import ApiError, not_found
from pasar.stamps import new_id, utcnow

from . import domain
from . import reviews_domain as rules
from .models import Fulfillment, Order, Review, ReviewReport
from .service import _duration, lock_order_of_fulfillment


def review_window() -> timedelta:
    """How long after receipt both sides may review; when it closes, a lone review is published."""
    return _duration("REVIEW_WINDOW_DAYS", 14, "days")


def _refused(err: rules.ReviewError) -> ApiError:
    return ApiError(409, err.message, err.code)


# -- who is who on a parcel --------------------------------------------------------------------------
def _parcel(session: Session, fulfillment_id: str) -> tuple[Order, Fulfillment] | None:
    f = session.get(Fulfillment, fulfillment_id)
    if f is None:
        return None
    return session.get(Order, f.order_id), f


def side_of(order: Order, f: Fulfillment, viewer_id: str, role: str) -> str | None:
    """The side the viewer writes on for this parcel, or None when it is not theirs."""
    if role == "shopper" and order.shopper_id == viewer_id:
        return rules.SHOPPER
    if role in ("seller", "agent") and viewer_id in (f.seller_id, f.agent_id):
        return rules.SELLER
    return None


def _participant(session: Session, fulfillment_id: str, viewer_id: str, role: str):
    found = _parcel(session, fulfillment_id)
    side = side_of(*found, viewer_id, role) if found else None
    if side is None:  # another's parcel does not exist for you
        raise not_found("fulfillment")
    return found[0], found[1], side


def _other(side: str) -> str:
    return rules.SELLER if side == rules.SHOPPER else rules.SHOPPER


def _reviews_of(session: Session, fulfillment_id: str) -> dict[str, Review]:
    return {r.side: r for r in session.scalars(select(Review).where(Review.fulfillment_id == fulfillment_id))}


# -- reading -------------------------------------------------------------------------------------------
def view(review: Review, viewer_id: str | None, is_admin: bool = False) -> dict:
    data = {"id": review.id, "fulfillment_id": review.fulfillment_id, "side": review.side, "rating": review.rating,
            "text": review.text, "status": review.status, "author_name": review.author_name,
            "shop_name": review.shop_name, "seller_id": review.seller_id, "listing_ids": list(review.listing_ids or []),
            "created_at": review.created_at, "published_at": review.published_at,
            "mine": viewer_id == review.author_id,
            "hidden": None}
    if review.status == rules.HIDDEN:
        data["hidden"] = {"at": review.hidden_at, "reason": review.hidden_reason}
    if is_admin:
        data.update(report_count=review.report_count, author_id=review.author_id, subject_id=review.subject_id,
                    hidden_by=review.hidden_by)
    return data


def parcel_reviews(session: Session, fulfillment_id: str, viewer_id: str, role: str) -> dict:
    """The parcel's two reviews as one participant sees them: mine (draft or not), theirs only once published."""
    order, f, side = _participant(session, fulfillment_id, viewer_id, role)
    found = _reviews_of(session, fulfillment_id)
    mine, theirs = found.get(side), found.get(_other(side))
    now = utcnow()
    try:
        rules.check_can_write(f.received_at, f.status == domain.CANCELLED, mine is not None, review_window(), now)
        can_write = True
    except rules.ReviewError:
        can_write = False
    return {"fulfillment_id": f.id, "order_id": order.id, "side": side,
            "mine": view(mine, viewer_id) if mine else None,
            "theirs": view(theirs, viewer_id) if theirs and theirs.status == rules.PUBLISHED else None,
            "can_write": can_write,
            "window_closes_at": rules.window_closes_at(f.received_at, review_window())}


def public_reviews(session: Session, listing_id: str | None, seller_id: str | None, limit: int,
                   offset: int) -> dict:
    """Published shoppers' reviews of a listing or of a shop (its seller), newest first."""
    where = [Review.status == rules.PUBLISHED, Review.side == rules.SHOPPER]
    if seller_id:
        where.append(Review.seller_id == seller_id)
    rows = session.scalars(select(Review).where(*where).order_by(Review.published_at.desc(), Review.id)).all()
    if listing_id:  # a short JSON list per row: filtered here, the same on SQLite and PostgreSQL
        rows = [r for r in rows if listing_id in (r.listing_ids or [])]
    return {"reviews": [view(r, None) for r in rows[offset:offset + limit]], "total": len(rows)}


def moderation_queue(session: Session, limit: int, offset: int) -> dict:
    """For the operator: reported reviews (published or already hidden), most reported first."""
    where = [Review.report_count > 0]
    total = session.scalar(select(func.count()).select_from(Review).where(*where))
    rows = session.scalars(select(Review).where(*where).order_by(
        (Review.status == rules.HIDDEN).asc(), Review.report_count.desc(), Review.created_at.desc())
        .limit(limit).offset(offset)).all()
    reports: dict[str, list[dict]] = {}
    if rows:
        for rep in session.scalars(select(ReviewReport).where(ReviewReport.review_id.in_([r.id for r in rows]))
                                   .order_by(ReviewReport.id)):
            reports.setdefault(rep.review_id, []).append({"reason": rep.reason, "at": rep.at})
    return {"reviews": [{**view(r, None, True), "reports": reports.get(r.id, [])} for r in rows], "total": total}


# -- writing -------------------------------------------------------------------------------------------
def _published_event(review: Review) -> tuple[str, dict]:
    return "review.published", {
        "review_id": review.id, "fulfillment_id": review.fulfillment_id, "order_id": review.order_id,
        "side": review.side, "rating": review.rating, "author_id": review.author_id,
        "subject_id": review.subject_id, "seller_id": review.seller_id, "shop_name": review.shop_name,
        "listing_ids": list(review.listing_ids or [])}


def _publish(uow: UnitOfWork, review: Review, now) -> None:
    review.status = rules.PUBLISHED
    review.published_at = now
    uow.emit(*_published_event(review), correlation_id=review.order_id)


def write_review(uow: UnitOfWork, fulfillment_id: str, viewer_id: str, role: str, author_name: str,
                 rating: int, text: str) -> dict:
    """One review per parcel per side, after receipt and inside the window. The second side's review publishes
    both; the first waits as a draft (seen only by its author)."""
    with uow:
        _participant(uow.session, fulfillment_id, viewer_id, role)
        order = service_lock(uow, fulfillment_id)
        f = order.fulfillment(fulfillment_id)
        side = side_of(order, f, viewer_id, role)
        found = _reviews_of(uow.session, fulfillment_id)
        now = utcnow()
        try:
            rules.check_can_write(f.received_at, f.status == domain.CANCELLED, side in found, review_window(), now)
        except rules.ReviewError as err:
            raise _refused(err) from err
        review = Review(id=new_id(), fulfillment_id=f.id, order_id=order.id, side=side, author_id=viewer_id,
                        subject_id=f.seller_id if side == rules.SHOPPER else order.shopper_id,
                        seller_id=f.seller_id, shop_name=f.shop_name, author_name=author_name or "",
                        listing_ids=sorted({i["listing_id"] for i in f.items if i.get("listing_id")}),
                        rating=rating, text=text or "", status=rules.DRAFT, created_at=now, report_count=0)
        uow.session.add(review)
        other = found.get(_other(side))
        if rules.publish_now(other is not None):
            _publish(uow, review, now)
            if other.status == rules.DRAFT:
                _publish(uow, other, now)
        try:
            uow.session.flush()
        except IntegrityError as err:  # the same side raced itself: the unique key refuses the second
            raise ApiError(409, "this parcel already has your review", "already_reviewed") from err
        uow.commit()
        return view(review, viewer_id)


def service_lock(uow: UnitOfWork, fulfillment_id: str) -> Order:
    """The parcel's order row, locked: the two sides writing at once publish both exactly once."""
    order, _ = lock_order_of_fulfillment(uow, fulfillment_id)
    return order


def report_review(uow: UnitOfWork, review_id: str, reporter_id: str, reason: str) -> dict:
    """Anyone signed in may ask the operator to look at a published review; a second report by the same
    person changes nothing."""
    with uow:
        review = uow.session.get(Review, review_id)
        if review is None or review.status == rules.DRAFT:
            raise not_found("review")
        exists = uow.session.scalar(select(ReviewReport.id).where(ReviewReport.review_id == review_id,
                                                                  ReviewReport.reporter_id == reporter_id))
        if exists is None:
            uow.session.add(ReviewReport(review_id=review_id, reporter_id=reporter_id, reason=reason or "",
                                         at=utcnow()))
            review.report_count = (review.report_count or 0) + 1
        try:
            uow.commit()
        except IntegrityError:  # the same person twice at once: the first report counts
            pass
        return {"review_id": review_id, "reported": True}
        return {"review_id": review_id, "reported": True}


def hide_review(uow: UnitOfWork, review_id: str, operator_id: str, reason: str) -> dict:
    """The operator hides a published review, with a reason: it leaves the pages and the averages, and its
    author is told why. Hiding it again changes nothing."""
    with uow:
        query = select(Review).where(Review.id == review_id)
        if uow.db.is_postgres:
            query = query.with_for_update()
        review = uow.session.scalars(query).first()
        if review is None:
            raise not_found("review")
        try:
            changes = rules.check_hide(review.status)
        except rules.ReviewError as err:
            raise _refused(err) from err
        if changes:
            review.status = rules.HIDDEN
            review.hidden_at, review.hidden_by, review.hidden_reason = utcnow(), operator_id, reason
            uow.emit("review.hidden", {
                "review_id": review.id, "fulfillment_id": review.fulfillment_id, "side": review.side,
                "rating": review.rating, "author_id": review.author_id, "subject_id": review.subject_id,
                "seller_id": review.seller_id, "listing_ids": list(review.listing_ids or []),
                "reason": reason, "hidden_by": operator_id}, correlation_id=review.order_id)
        uow.commit()
        return view(review, operator_id, True)


# -- the window sweep ------------------------------------------------------------------------------------
def release_reviews(db: Database, limit: int = 100) -> list[str]:
    """Lone drafts whose window closed are published. Durable (the receipt time is a column: a restarted worker
    finds whatever fell due) and once-only with two sweepers (each review row is taken with SKIP LOCKED on
    PostgreSQL, and the rule is asked again after the lock). Returns the emitted event ids."""
    now = utcnow()
    window = review_window()
    with closing(db.Session()) as session:
        due = session.scalars(select(Review.id).join(Fulfillment, Fulfillment.id == Review.fulfillment_id)
                              .where(Review.status == rules.DRAFT, Fulfillment.received_at <= now - window)
                              .order_by(Fulfillment.received_at).limit(limit)).all()
    emitted: list[str] = []
    for review_id in due:
        with UnitOfWork(db, source=db.service) as uow:  # one review per transaction
            query = select(Review).where(Review.id == review_id).execution_options(populate_existing=True)
            if db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            review = uow.session.scalars(query).first()
            f = uow.session.get(Fulfillment, review.fulfillment_id) if review else None
            if review is None or f is None or not rules.due_for_release(review.status, f.received_at, window, now):
                continue
            _publish(uow, review, now)
            emitted += uow.emitted
            uow.commit()
    return emitted
