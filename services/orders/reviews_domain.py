"""Reviews after the sale, two-way and double-blind (issue 16), free of Flask and SQLAlchemy.

After a parcel is received, its shopper rates the parcel (its listings and the shop) and its seller rates the
shopper: one review per fulfillment per side. A review is a draft, seen only by its author, until both sides
are in or REVIEW_WINDOW_DAYS have passed since receipt; then it is published (and the other side sees it).
A review cannot be written once the window has closed. The operator may hide a published review, with a
reason; a hidden review leaves every average once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

SHOPPER, SELLER = "shopper", "seller"     # the side that writes: the shopper rates the shop, the seller the shopper
SIDES = (SHOPPER, SELLER)
DRAFT, PUBLISHED, HIDDEN = "draft", "published", "hidden"
MIN_RATING, MAX_RATING = 1, 5
TEXT_MAX = 2000
REASON_MAX = 500


class ReviewError(Exception):
    """A review rule was broken; `code` is stable for API clients (the API answers 409)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def window_closes_at(received_at: datetime | None, window: timedelta) -> datetime | None:
    return _utc(received_at) + window if received_at is not None else None


def window_open(received_at: datetime | None, window: timedelta, now: datetime) -> bool:
    closes = window_closes_at(received_at, window)
    return closes is not None and now < closes


def check_can_write(received_at: datetime | None, cancelled: bool, mine_exists: bool, window: timedelta,
                    now: datetime) -> None:
    """Only after receipt, only once per side, only while the window is open."""
    if cancelled or received_at is None:
        raise ReviewError("a review can be written only after the parcel was received", "not_received")
    if mine_exists:
        raise ReviewError("this parcel already has your review", "already_reviewed")
    if not window_open(received_at, window, now):
        raise ReviewError("the time to review this parcel has passed", "review_window_closed")


def publish_now(other_side_in: bool) -> bool:
    """Both sides in: both are published at once. Alone: a draft until the other comes or the window closes."""
    return other_side_in


def due_for_release(status: str, received_at: datetime | None, window: timedelta, now: datetime) -> bool:
    """A lone draft whose window has closed is published by the sweep (asked again after the lock)."""
    return status == DRAFT and received_at is not None and not window_open(received_at, window, now)


def visible_to(status: str, author_id: str, viewer_id: str | None, is_admin: bool = False) -> bool:
    """A draft is its author's alone (not even the operator's); a published review is everyone's; a hidden one
    is its author's and the operator's."""
    if status == PUBLISHED:
        return True
    if status == HIDDEN:
        return viewer_id == author_id or is_admin
    return viewer_id == author_id


def check_hide(status: str) -> bool:
    """Whether hiding changes anything: a published review is hidden; a hidden one stays so (no second event);
    a draft is nobody's to moderate yet."""
    if status == DRAFT:
        raise ReviewError("a review not yet published cannot be moderated", "not_published")
    return status == PUBLISHED
