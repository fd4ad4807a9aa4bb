"""Reviews' rules (issue 16), without a database: when a review may be written, when it is published, who sees
it, what moderation changes; and the catalog's running averages."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.catalog.domain import Rating
from services.orders import reviews_domain as rules

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
WINDOW = timedelta(days=14)


def test_a_review_is_written_only_after_receipt_once_per_side_and_inside_the_window():
    with pytest.raises(rules.ReviewError) as early:
        rules.check_can_write(None, False, False, WINDOW, NOW)
    assert early.value.code == "not_received"
    with pytest.raises(rules.ReviewError) as cancelled:
        rules.check_can_write(NOW, True, False, WINDOW, NOW)
    assert cancelled.value.code == "not_received"
    with pytest.raises(rules.ReviewError) as twice:
        rules.check_can_write(NOW - timedelta(days=1), False, True, WINDOW, NOW)
    assert twice.value.code == "already_reviewed"
    with pytest.raises(rules.ReviewError) as late:
        rules.check_can_write(NOW - WINDOW, False, False, WINDOW, NOW)
    assert late.value.code == "review_window_closed"
    rules.check_can_write(NOW - WINDOW + timedelta(seconds=1), False, False, WINDOW, NOW)
    # a timestamp without its zone (SQLite) is UTC
    rules.check_can_write((NOW - timedelta(days=1)).replace(tzinfo=None), False, False, WINDOW, NOW)


def test_both_sides_in_publish_at_once_and_a_lone_draft_waits_for_the_window():
    assert rules.publish_now(other_side_in=True) and not rules.publish_now(other_side_in=False)
    received = NOW - timedelta(days=2)
    assert not rules.due_for_release(rules.DRAFT, received, WINDOW, NOW)
    assert rules.due_for_release(rules.DRAFT, received, timedelta(days=2), NOW)
    assert not rules.due_for_release(rules.PUBLISHED, received, timedelta(days=1), NOW)  # once only
    assert not rules.due_for_release(rules.DRAFT, None, WINDOW, NOW)
    assert rules.window_closes_at(received, WINDOW) == received + WINDOW


def test_a_draft_is_its_authors_alone_even_for_the_operator():
    assert rules.visible_to(rules.DRAFT, "a", "a")
    assert not rules.visible_to(rules.DRAFT, "a", "b")
    assert not rules.visible_to(rules.DRAFT, "a", "admin", is_admin=True)
    assert rules.visible_to(rules.PUBLISHED, "a", None)
    assert rules.visible_to(rules.HIDDEN, "a", "a") and rules.visible_to(rules.HIDDEN, "a", "op", True)
    assert not rules.visible_to(rules.HIDDEN, "a", "b")


def test_only_a_published_review_is_hidden_and_hiding_twice_changes_nothing():
    assert rules.check_hide(rules.PUBLISHED) is True
    assert rules.check_hide(rules.HIDDEN) is False
    with pytest.raises(rules.ReviewError) as draft:
        rules.check_hide(rules.DRAFT)
    assert draft.value.code == "not_published"


def test_a_rating_keeps_an_exact_average_and_a_removal_takes_back_one():
    rating = Rating().add(5).add(4).add(4)
    assert (rating.count, rating.average) == (3, 4.3)
    assert rating.remove(5).average == 4.0
    assert Rating().average is None
    assert Rating().remove(3) == Rating()  # never below nothing


def test_the_reviewed_party_hears_of_a_published_review_the_author_of_a_hidden_one_the_owner_of_moderation():
    from services.notifications import messages
    from services.notifications.domain import intents_for
    review = {"review_id": "r-1", "fulfillment_id": "f-1", "order_id": "abcdef12-0000", "side": "shopper",
              "rating": 4, "author_id": "shopper-1", "subject_id": "seller-1", "seller_id": "seller-1",
              "shop_name": "Anyaman Bu Sri", "listing_ids": ["l-1"]}
    (told,) = intents_for("review.published", review)
    assert told.recipient_id == "seller-1"
    assert messages.render(told.kind, "id", told.context).short.startswith(
        "Pembeli memberi Anyaman Bu Sri 4 bintang untuk pesanan #ABCDEF12.")
    (author,) = intents_for("review.hidden", {**review, "reason": "Kata-kata kasar", "hidden_by": "admin-1"})
    assert author.recipient_id == "shopper-1"
    assert "Alasannya: Kata-kata kasar" in messages.render(author.kind, "id", author.context).short
    assert "The reason: Kata-kata kasar" in messages.render(author.kind, "en", author.context).short
    owners = intents_for("moderation.applied", {"target": "listing", "target_id": "l-1", "action": "hide",
                                                "reason": "Foto palsu", "actor_id": "admin-1", "seller_id": "shop:9",
                                                "agent_id": "agent-1", "name": "Tikar"})
    assert [o.recipient_id for o in owners] == ["agent-1"]  # a crafter without an account: their agent
    words = messages.render(owners[0].kind, "id", owners[0].context)
    assert words.title == "Produk Tikar disembunyikan" and "Alasannya: Foto palsu" in words.short
