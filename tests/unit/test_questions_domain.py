"""Questions and conversations (issue 19): who is a party to a thread, how its status moves, who is told,
the abuse limits, and the operator's response-time figures. Pure rules (services/catalog/domain.py)."""
from __future__ import annotations

import pytest

from services.catalog.domain import (MESSAGES_PER_HOUR, THREADS_PER_HOUR, Actor, QuestionRefused, check_hand_over,
                                     check_message_rate, check_thread_rate, excerpt, is_first_answer, question_part,
                                     question_recipients, response_summary, status_after_message)

THREAD = {"shopper_id": "shopper-1", "seller_id": "seller-1", "agent_id": "agent-1", "cs_ids": {"cs-1"}}


@pytest.mark.parametrize("actor, part", [
    (Actor("shopper-1", "shopper"), "shopper"),
    (Actor("shopper-2", "shopper"), None),          # another shopper: the thread does not exist for them
    (Actor("seller-1", "seller"), "shop"),
    (Actor("seller-2", "seller"), None),
    (Actor("agent-1", "agent"), "shop"),
    (Actor("agent-2", "agent"), None),
    (Actor("cs-1", "cs"), "cs"),
    (Actor("cs-2", "cs"), None),                    # customer service of other shops
    (Actor("courier-1", "courier"), None),
    (Actor("shopper-1", "cs"), None),               # the asker's id under another role is not the asker
    (Actor("admin-1", "admin"), "admin"),
])
def test_only_the_parties_of_a_thread_have_a_part_in_it(actor, part):
    assert question_part(actor, **THREAD) == part


def test_a_crafters_shop_without_an_account_is_the_agents():
    thread = {**THREAD, "seller_id": "shop:abc"}
    assert question_part(Actor("shop:abc", "seller"), **thread) is None
    assert question_part(Actor("agent-1", "agent"), **thread) == "shop"


@pytest.mark.parametrize("status, part, after", [
    ("open", "cs", "answered"), ("open", "shop", "answered"), ("open", "admin", "answered"),
    ("answered", "shopper", "open"), ("resolved", "shopper", "open"), ("resolved", "cs", "answered"),
    ("handed_over", "shopper", "handed_over"),  # still the seller's to answer
    ("handed_over", "shop", "answered"), ("handed_over", "cs", "answered"), ("open", "shopper", "open"),
])
def test_status_follows_who_wrote_last(status, part, after):
    assert status_after_message(status, part) == after


def test_the_first_answer_is_the_first_message_from_the_shops_side():
    assert is_first_answer(None, "cs") and is_first_answer(None, "shop") and is_first_answer(None, "admin")
    assert not is_first_answer(None, "shopper")
    assert not is_first_answer("2026-12-04T10:00:00Z", "cs")


def test_only_customer_service_hands_over_and_never_a_resolved_thread():
    check_hand_over("cs", "open")
    check_hand_over("admin", "answered")
    for part in ("shopper", "shop"):
        with pytest.raises(QuestionRefused) as refused:
            check_hand_over(part, "open")
        assert refused.value.status == 403
    with pytest.raises(QuestionRefused) as refused:
        check_hand_over("cs", "resolved")
    assert (refused.value.status, refused.value.code) == (409, "question_resolved")


def test_everyone_but_the_author_is_told_and_a_crafter_without_account_is_not():
    assert question_recipients("shopper-1", **THREAD) == ["seller-1", "agent-1", "cs-1"]
    assert question_recipients("cs-1", **THREAD) == ["shopper-1", "seller-1", "agent-1"]
    crafter = {**THREAD, "seller_id": "shop:x", "agent_id": "agent-1", "cs_ids": {"cs-2", "cs-1"}}
    assert question_recipients("agent-1", **crafter) == ["shopper-1", "cs-1", "cs-2"]


def test_abuse_limits_per_account_and_hour():
    check_message_rate("shopper", MESSAGES_PER_HOUR["shopper"] - 1)
    with pytest.raises(QuestionRefused) as refused:
        check_message_rate("shopper", MESSAGES_PER_HOUR["shopper"])
    assert (refused.value.status, refused.value.code) == (429, "too_many_messages")
    check_message_rate("cs", MESSAGES_PER_HOUR["shopper"] * 5)  # staff answer many threads
    check_thread_rate(THREADS_PER_HOUR - 1)
    with pytest.raises(QuestionRefused):
        check_thread_rate(THREADS_PER_HOUR)


def test_the_notification_excerpt_is_one_short_line():
    assert excerpt("Apakah\n\nmasih  ada?") == "Apakah masih ada?"
    long = excerpt("kata " * 100)
    assert len(long) == 140 and long.endswith("…")


def test_response_figures_median_nearest_rank_p90_mean_and_waiting():
    figures = response_summary([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], [300.4, 12])
    assert figures == {"answered": 10, "median_seconds": 55, "p90_seconds": 90, "mean_seconds": 55, "waiting": 2,
                       "oldest_waiting_seconds": 300}
    assert response_summary([30], [])["median_seconds"] == 30
    assert response_summary([], []) == {"answered": 0, "median_seconds": None, "p90_seconds": None,
                                        "mean_seconds": None, "waiting": 0, "oldest_waiting_seconds": None}
