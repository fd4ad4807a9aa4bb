"""Catalog rules without a database: listing status moves, who manages a shop, all-or-nothing reservation,
when stock counts as low, and how a search query becomes safe words."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from services.catalog import domain
from services.catalog.domain import Actor, StockView


@pytest.mark.parametrize("current, wanted", [("draft", "published"), ("published", "archived"),
                                             ("archived", "draft"), ("published", "draft"), ("draft", "archived")])
def test_allowed_status_moves(current, wanted):
    assert domain.next_status(current, wanted) == wanted


@pytest.mark.parametrize("current, wanted", [("draft", "draft"), ("archived", "archived"), ("draft", "sold")])
def test_refused_status_moves(current, wanted):
    with pytest.raises(domain.IllegalTransition):
        domain.next_status(current, wanted)


def test_publishing_needs_a_title_a_real_price_and_a_category():
    assert domain.publish_problems("Tikar pandan", 75000, "anyaman") == {}
    assert set(domain.publish_problems("", 5, None)) == {"title", "price", "category"}


def test_who_manages_a_shop():
    own, crafter = ("seller-1", None), ("shop:abc", "agent-1")
    assert domain.can_manage_shop(Actor("seller-1", "seller"), *own)
    assert not domain.can_manage_shop(Actor("seller-2", "seller"), *own)
    assert domain.can_manage_shop(Actor("agent-1", "agent"), *crafter)
    assert not domain.can_manage_shop(Actor("agent-2", "agent"), *crafter)
    assert not domain.can_manage_shop(Actor("agent-1", "agent"), *own)  # no agent: no agent manages it
    assert not domain.can_manage_shop(Actor("seller-1", "shopper"), *own)  # the role matters, not only the id
    assert domain.can_manage_shop(Actor("root", "admin"), *crafter)


def test_reservation_adds_up_repeated_lines_and_names_every_problem():
    views = {"a": StockView("a", "published", 3), "b": StockView("b", "draft", 9)}
    items = [{"listing_id": "a", "qty": 2}, {"listing_id": "a", "qty": 2}, {"listing_id": "b", "qty": 1},
             {"listing_id": "z", "qty": 1}]
    assert domain.reservation_problems(items, views) == [
        {"listing_id": "a", "requested": 4, "available": 3, "reason": "insufficient"},
        {"listing_id": "b", "requested": 1, "available": 0, "reason": "unpublished"},
        {"listing_id": "z", "requested": 1, "available": 0, "reason": "unknown"}]
    assert domain.reservation_problems([{"listing_id": "a", "qty": 3}], views) == []
    assert domain.merged_quantities(items) == {"a": 4, "b": 1, "z": 1}


def test_low_stock_is_said_once_when_crossing_the_threshold():
    assert domain.dropped_below(5, 2, 3)
    assert domain.dropped_below(3, 2, 3)
    assert not domain.dropped_below(2, 1, 3)   # already low: no repeat
    assert not domain.dropped_below(9, 3, 3)   # at the threshold is not under it
    assert not domain.dropped_below(1, 0, 0)   # threshold 0 switches it off


@given(st.text(max_size=300))
def test_search_words_are_always_safe_for_tsquery(query):
    terms = domain.search_terms(query)
    assert len(terms) <= domain.MAX_TERMS
    for term in terms:
        assert term and term == term.lower() and not set(term) & set("&|!():*'\"\\%_ <>-")


def test_search_words_and_prefix_query():
    assert domain.search_terms("Kopi  ARABIKA, Toraja!") == ["kopi", "arabika", "toraja"]
    # each word matches the start of a word of the document, which keeps a space on both sides of each word
    assert domain.indexed(["Kopi Toraja", "kopi"]) == " kopi toraja "
    assert domain.search_terms("'; DROP TABLE x; --") == ["drop", "table", "x"]


# -- new shops: owners and contact defaults ----------------------------------------------------------
def test_a_new_shops_owner_follows_the_creators_role():
    assert domain.shop_owners(Actor("s-1", "seller"), "abc", None, None) == ("s-1", None)
    assert domain.shop_owners(Actor("a-1", "agent"), "abc", None, None) == ("shop:abc", "a-1")
    assert domain.shop_owners(Actor("admin", "admin"), "abc", "s-2", None) == ("s-2", None)
    assert domain.shop_owners(Actor("admin", "admin"), "abc", None, "a-2") == ("shop:abc", "a-2")


def test_only_an_admin_names_a_shops_owner_and_must_name_one():
    with pytest.raises(domain.FieldProblems) as seller_named:
        domain.shop_owners(Actor("s-1", "seller"), "abc", None, "a-9")
    assert seller_named.value.fields == {"agent_id": ["only an admin may set this"]}
    with pytest.raises(domain.FieldProblems) as nobody:
        domain.shop_owners(Actor("admin", "admin"), "abc", None, None)
    assert nobody.value.fields == {"seller_id": ["give seller_id or agent_id"]}


def test_contact_defaults_come_from_the_directory_first():
    sri, budi = domain.Contact("Sri", None), domain.Contact("Budi", "+628111")
    assert domain.default_owner_name(sri, Actor("s-1", "seller"), "login") == "Sri"
    assert domain.default_owner_name(None, Actor("s-1", "seller"), "login") == "login"
    assert domain.default_owner_name(None, Actor("a-1", "agent"), "login") == ""
    assert domain.default_whatsapp(sri, budi) == "+628111"
    assert domain.default_whatsapp(domain.Contact("Sri", "+628222"), budi) == "+628222"
    assert domain.default_whatsapp(None, None) is None


def test_a_closed_shop_takes_its_listings_off_the_market():
    assert domain.sellable_status("published", "closed") == "closed"
    assert domain.sellable_status("published", "active") == "published"
    assert domain.sellable_status("draft", None) == "draft"
    assert domain.publicly_visible("published", None) and not domain.publicly_visible("published", "closed")
    assert not domain.publicly_visible("draft", "active")


def test_the_eighth_photo_is_the_last():
    assert not domain.photo_limit_reached(7) and domain.photo_limit_reached(8)
