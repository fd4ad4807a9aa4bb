"""Reviews after the sale (issue 16), orders' part through the service layer on SQLite: two-way, double-blind,
one per parcel per side, the window sweep publishing a lone review once, reports and the operator's hide."""
from __future__ import annotations

import pytest

from pasar.db import UnitOfWork
from services.orders import reviews, service

from .test_orders_after_sale import delivered, two_seller_order
from .test_orders_service import SHOPPER, courier, db, events, refused  # noqa: F401

SELLER = "seller-1"


@pytest.fixture
def received(db, monkeypatch):
    """A parcel of seller-1 delivered and received by the shopper; the review window open (3 days)."""
    monkeypatch.setenv("REVIEW_WINDOW_DAYS", "3")
    courier(db, "courier-1", "Sanankulon")
    order = two_seller_order(db)
    f = delivered(db, order, SELLER)
    service.confirm_receipt(UnitOfWork(db), order.id, f.id, SHOPPER, False)
    return order, f


def write(db, f, who=SHOPPER, role="shopper", rating=5, text="Tikarnya bagus"):
    return reviews.write_review(UnitOfWork(db), f.id, who, role, "Siti" if role == "shopper" else "Toko", rating,
                                text)


def seen_by(db, f, who, role):
    with db.Session() as session:
        return reviews.parcel_reviews(session, f.id, who, role)


def test_neither_side_sees_the_others_review_before_both_are_in_then_both_are_published_once(db, received):
    order, f = received
    mine = write(db, f, rating=4)
    assert mine["status"] == "draft" and mine["mine"]
    # the author sees the draft; the seller sees nothing of it, nor does the public list
    assert seen_by(db, f, SHOPPER, "shopper")["mine"]["rating"] == 4
    seller_view = seen_by(db, f, SELLER, "seller")
    assert seller_view["theirs"] is None and seller_view["mine"] is None and seller_view["can_write"]
    with db.Session() as session:
        assert reviews.public_reviews(session, "l-1", None, 20, 0)["total"] == 0
    assert events(db, "review.published") == []
    # the seller's review is in: both are published at once
    theirs = write(db, f, SELLER, "seller", rating=5, text="Pembeli ramah")
    assert theirs["status"] == "published"
    shopper_view = seen_by(db, f, SHOPPER, "shopper")
    assert shopper_view["theirs"]["text"] == "Pembeli ramah" and shopper_view["mine"]["status"] == "published"
    assert seen_by(db, f, SELLER, "seller")["theirs"]["rating"] == 4
    published = events(db, "review.published")
    assert sorted((e["side"], e["rating"], e["listing_ids"]) for e in published) == [
        ("seller", 5, ["l-1"]), ("shopper", 4, ["l-1"])]
    with db.Session() as session:
        assert [r["rating"] for r in reviews.public_reviews(session, "l-1", None, 20, 0)["reviews"]] == [4]
        assert reviews.public_reviews(session, None, SELLER, 20, 0)["total"] == 1
        assert reviews.public_reviews(session, "l-2", None, 20, 0)["total"] == 0
    # the sweep finds nothing to publish again
    assert reviews.release_reviews(db) == []


def test_a_second_review_of_the_same_parcel_by_the_same_side_is_refused(db, received):
    _, f = received
    write(db, f)
    again = refused(write, db, f)
    assert (again.status, again.code) == (409, "already_reviewed")
    write(db, f, SELLER, "seller")
    assert refused(write, db, f, SELLER, "seller").status == 409


def test_no_review_before_receipt_and_none_by_another(db, monkeypatch):
    monkeypatch.setenv("REVIEW_WINDOW_DAYS", "3")
    courier(db, "courier-1", "Sanankulon")
    order = two_seller_order(db)
    f = delivered(db, order, SELLER)  # delivered, not yet received
    early = refused(write, db, f)
    assert (early.status, early.code) == (409, "not_received")
    service.confirm_receipt(UnitOfWork(db), order.id, f.id, SHOPPER, False)
    assert refused(write, db, f, "shopper-2").status == 404          # another shopper
    assert refused(write, db, f, "seller-2", "seller").status == 404  # another seller
    assert refused(write, db, f, "admin-1", "admin").status == 404    # the operator writes none
    assert refused(seen_by, db, f, "shopper-2", "shopper").status == 404
    assert refused(seen_by, db, f, "seller-2", "seller").status == 404
    # the parcel's agent writes on the seller's side
    assert write(db, f, "agent-1", "agent")["side"] == "seller"
    assert seen_by(db, f, SELLER, "seller")["mine"]["side"] == "seller"


def test_the_window_releases_a_lone_review_once_and_closes_the_door_on_the_other_side(db, received, monkeypatch):
    _, f = received
    write(db, f, rating=2, text="Agak lama")
    assert reviews.release_reviews(db) == []  # the window is still open
    monkeypatch.setenv("REVIEW_WINDOW_DAYS", "0.0000001")  # about 9 ms after receipt: closed
    from tests.support.infra import wait_until
    released = wait_until(lambda: reviews.release_reviews(db), timeout=5, message="the review window closes")
    assert len(released) == 1
    assert reviews.release_reviews(db) == []
    assert [(e["side"], e["rating"]) for e in events(db, "review.published")] == [("shopper", 2)]
    seller_view = seen_by(db, f, SELLER, "seller")
    assert seller_view["theirs"]["text"] == "Agak lama" and not seller_view["can_write"]
    late = refused(write, db, f, SELLER, "seller")
    assert (late.status, late.code) == (409, "review_window_closed")


def test_a_published_review_is_reported_then_hidden_once_with_its_reason(db, received):
    _, f = received
    mine = write(db, f, rating=1, text="Jelek sekali")
    write(db, f, SELLER, "seller")
    # a draft cannot be reported (it does not exist for anyone else)
    assert reviews.report_review(UnitOfWork(db), mine["id"], SELLER, "Tidak benar")["reported"]
    reviews.report_review(UnitOfWork(db), mine["id"], SELLER, "Tidak benar lagi")  # once per person
    reviews.report_review(UnitOfWork(db), mine["id"], "shopper-9", "")
    with db.Session() as session:
        queue = reviews.moderation_queue(session, 50, 0)
    assert [(r["id"], r["report_count"], len(r["reports"])) for r in queue["reviews"]] == [(mine["id"], 2, 2)]
    hidden = reviews.hide_review(UnitOfWork(db), mine["id"], "admin-1", "Kata-kata kasar")
    again = reviews.hide_review(UnitOfWork(db), mine["id"], "admin-1", "Kata-kata kasar")
    assert hidden["status"] == again["status"] == "hidden" and hidden["hidden_by"] == "admin-1"
    assert [(e["review_id"], e["reason"], e["rating"]) for e in events(db, "review.hidden")] == [
        (mine["id"], "Kata-kata kasar", 1)]
    with db.Session() as session:
        assert reviews.public_reviews(session, "l-1", None, 20, 0)["total"] == 0
    # its author still sees it, with the operator's reason; the seller no longer does
    assert seen_by(db, f, SHOPPER, "shopper")["mine"]["hidden"]["reason"] == "Kata-kata kasar"
    assert seen_by(db, f, SELLER, "seller")["theirs"] is None


def test_a_draft_can_be_neither_reported_nor_hidden(db, received):
    _, f = received
    draft = write(db, f)
    assert refused(reviews.report_review, UnitOfWork(db), draft["id"], SELLER, "").status == 404
    assert refused(reviews.hide_review, UnitOfWork(db), draft["id"], "admin-1", "x").status == 409
    assert refused(reviews.hide_review, UnitOfWork(db), "nope", "admin-1", "x").status == 404
