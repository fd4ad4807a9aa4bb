"""Catalog's part of issue 16 through the service layer on SQLite: stars from published reviews into the
listing and shop averages (once, and taken back once when hidden, whatever order the facts arrive in), sorting
by rating, and the operator hiding a listing or shop from the market (browse, search, page, new orders)."""
from __future__ import annotations

import pytest

from pasar.db import UnitOfWork
from pasar.errors import ApiError
from services.catalog import service

from .test_catalog_service import ADMIN, SRI, STRANGER, db, new_listing, new_shop, outbox, reserve  # noqa: F401


def refused(call, *args) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args)
    return caught.value


def handled(db, use_case, *args):
    with UnitOfWork(db) as w:
        use_case(w, *args)
        w.commit()


def product(db, listing_id, who=None):
    with db.Session() as session:
        return service.get_product(session, listing_id, who)


def shop_of(db, shop_id, who=None):
    with db.Session() as session:
        return service.get_shop(session, shop_id, who)


def browse(db, **args):
    with db.Session() as session:
        return service.browse(session, {"page": 1, "per_page": 20, **args})


def test_published_shopper_reviews_make_the_averages_and_a_hidden_one_is_taken_back_once(db):
    shop = new_shop(db)
    tikar = new_listing(db, shop["id"])
    topi = new_listing(db, shop["id"], title="Topi bambu")
    assert (product(db, tikar["id"])["rating_average"], product(db, tikar["id"])["rating_count"]) == (None, 0)
    handled(db, service.count_review, "r-1", "shopper", 5, [tikar["id"], topi["id"]])
    handled(db, service.count_review, "r-1", "shopper", 5, [tikar["id"], topi["id"]])  # the same fact again
    handled(db, service.count_review, "r-2", "shopper", 4, [tikar["id"]])
    handled(db, service.count_review, "r-3", "seller", 1, [tikar["id"]])  # a seller's review of a shopper: no stars
    assert (product(db, tikar["id"])["rating_average"], product(db, tikar["id"])["rating_count"]) == (4.5, 2)
    assert (product(db, topi["id"])["rating_average"], product(db, topi["id"])["rating_count"]) == (5.0, 1)
    assert (shop_of(db, shop["id"])["rating_average"], shop_of(db, shop["id"])["rating_count"]) == (4.5, 2)
    handled(db, service.uncount_review, "r-1", "shopper", 5)
    handled(db, service.uncount_review, "r-1", "shopper", 5)  # hidden twice: taken back once
    assert (product(db, tikar["id"])["rating_average"], product(db, tikar["id"])["rating_count"]) == (4.0, 1)
    assert (product(db, topi["id"])["rating_average"], product(db, topi["id"])["rating_count"]) == (None, 0)
    assert (shop_of(db, shop["id"])["rating_average"], shop_of(db, shop["id"])["rating_count"]) == (4.0, 1)


def test_a_hide_that_overtakes_its_publication_leaves_nothing_counted(db):
    shop = new_shop(db)
    tikar = new_listing(db, shop["id"])
    handled(db, service.uncount_review, "r-9", "shopper", 1)
    handled(db, service.count_review, "r-9", "shopper", 1, [tikar["id"]])
    assert product(db, tikar["id"])["rating_count"] == 0


def test_search_sorts_by_rating_best_first_and_unrated_last(db):
    shop = new_shop(db)
    good = new_listing(db, shop["id"], title="Tikar bagus")
    fair = new_listing(db, shop["id"], title="Tikar biasa")
    none = new_listing(db, shop["id"], title="Tikar baru")
    handled(db, service.count_review, "r-1", "shopper", 3, [fair["id"]])
    handled(db, service.count_review, "r-2", "shopper", 5, [good["id"]])
    handled(db, service.count_review, "r-3", "shopper", 4, [good["id"]])
    page = browse(db, sort="rating")
    assert [(p["title"], p["rating_average"], p["rating_count"]) for p in page["items"]] == [
        ("Tikar bagus", 4.5, 2), ("Tikar biasa", 3.0, 1), ("Tikar baru", None, 0)]
    assert none["id"]


def test_the_operator_hides_a_listing_from_the_market_with_a_reason_and_shows_it_again(db):
    shop = new_shop(db)
    tikar = new_listing(db, shop["id"])
    with UnitOfWork(db) as w:
        assert refused(service.moderate, w, "listing", tikar["id"], SRI, "hide", "x").status == 404
    with UnitOfWork(db) as w:
        hidden = service.moderate(w, "listing", tikar["id"], ADMIN, "hide", "Foto palsu")
    assert hidden["hidden"]["reason"] == "Foto palsu"
    assert [(m["action"], m["reason"], m["actor_id"]) for m in hidden["moderation"]] == [("hide", "Foto palsu", "admin-1")]
    with UnitOfWork(db) as w:  # again: nothing changes, nobody is told twice
        service.moderate(w, "listing", tikar["id"], ADMIN, "hide", "Foto palsu")
    assert [(e["action"], e["seller_id"], e["name"]) for e in outbox(db, "moderation.applied")] == [
        ("hide", "seller-sri", "Tikar pandan")]
    assert browse(db)["total"] == 0 and browse(db, q="tikar")["total"] == 0
    assert refused(product, db, tikar["id"], STRANGER).status == 404  # the market no longer sees it
    mine = product(db, tikar["id"], SRI)  # its seller does, with the reason
    assert mine["hidden"]["reason"] == "Foto palsu" and mine["moderation"][0]["action"] == "hide"
    reserve(db, "order-1", [{"listing_id": tikar["id"], "qty": 1}])
    assert [p["reason"] for e in outbox(db, "stock.rejected") for p in e["problems"]] == ["unpublished"]
    with UnitOfWork(db) as w:
        shown = service.moderate(w, "listing", tikar["id"], ADMIN, "unhide", "Sudah diperbaiki")
    assert shown["hidden"] is None and [m["action"] for m in shown["moderation"]] == ["unhide", "hide"]
    assert browse(db)["total"] == 1


def test_a_hidden_shop_takes_its_listings_off_the_market(db):
    shop = new_shop(db)
    new_listing(db, shop["id"])
    with UnitOfWork(db) as w:
        service.moderate(w, "shop", shop["id"], ADMIN, "hide", "Penipuan")
    assert browse(db)["total"] == 0
    assert refused(shop_of, db, shop["id"], STRANGER).status == 404
    assert shop_of(db, shop["id"], SRI)["hidden"]["reason"] == "Penipuan"
    with db.Session() as session:
        assert [s["id"] for s in service.hidden_things(session, "shop")] == [shop["id"]]
        assert service.list_shops(session, {"page": 1, "per_page": 20}, None)["total"] == 0
