"""The review window's sweep on PostgreSQL (the migrated schema) with two sweepers racing: every lone draft whose
window closed is published exactly once; a draft still inside its window is left alone; a later sweep finds
nothing (the receipt time is a column, so a restarted worker finds whatever fell due)."""
from __future__ import annotations

from datetime import timedelta

from pasar.stamps import new_id, utcnow
from services.orders import domain, reviews
from services.orders.models import Review

from .test_orders_timers import db, delivered_order, outbox, race  # noqa: F401


def draft_of_received_parcel(db, received_ago: timedelta) -> str:
    fid = delivered_order(db, timedelta(days=3))
    with db.WriteSession() as session:
        f = session.get(domain.Fulfillment, fid)
        f.received_at, f.received_by = utcnow() - received_ago, domain.RECEIVED_BY_SHOPPER
        review = Review(id=new_id(), fulfillment_id=fid, order_id=f.order_id, side="shopper", author_id="shopper-1",
                        subject_id=f.seller_id, seller_id=f.seller_id, shop_name="T", author_name="S",
                        listing_ids=["l"], rating=4, text="", status="draft", created_at=utcnow(), report_count=0)
        session.add(review)
        session.commit()
        return review.id


def test_two_sweepers_publish_each_lone_draft_exactly_once(db, monkeypatch):
    monkeypatch.setenv("REVIEW_WINDOW_DAYS", "14")
    due = [draft_of_received_parcel(db, timedelta(days=15)) for _ in range(12)]
    still_open = draft_of_received_parcel(db, timedelta(days=1))
    emitted = race(reviews.release_reviews, db)
    published = outbox(db, "review.published")
    assert sorted(e["review_id"] for e in published) == sorted(due)
    assert len(emitted) == len(due)
    with db.Session() as session:
        assert session.get(Review, still_open).status == "draft"
        assert {session.get(Review, r).status for r in due} == {"published"}
    assert reviews.release_reviews(db) == []
