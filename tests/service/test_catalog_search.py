"""Search that understands Indonesian, on both databases the catalog runs on (migrated for real, so the
pg_trgm extension and indexes are what the app uses): whole words ("keranjang" is never a bed), typos
corrected with "did you mean", villages and districts find their shops' products, relevance first."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from pasar import migrate
from pasar.db import Database
from services.catalog import domain, service
from services.catalog.models import Base, Listing
from tests.support import search_catalog
from tests.support.infra import postgres_database
from tests.support.search_catalog import RELEVANCE, listing_id


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def market(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'catalog.db'}"
        database = _market(url)
        yield database
        database.dispose()
    else:
        with postgres_database() as url:
            database = _market(url)
            yield database
            database.dispose()


def _market(url: str) -> Database:
    migrate.upgrade("catalog", url)
    database = Database("catalog", Base.metadata, url)
    with database.Session() as session:
        search_catalog.build(session, service.refresh_search_text)
    return database


def search(db, q, **args):
    with db.Session() as session:
        return service.browse(session, {"q": q, "page": 1, "per_page": 20, **args})


def ids(answer) -> list[str]:
    return [item["id"] for item in answer["items"]]


def test_keranjang_finds_baskets_and_never_a_bed(market):
    found = ids(search(market, "keranjang"))
    assert set(found) == {listing_id(k) for k in ("keranjang-rotan", "keranjang-pandan", "keranjang-bambu", "tas")}
    assert listing_id("ranjang") not in found and listing_id("dipan") not in found
    beds = ids(search(market, "ranjang"))
    assert beds[:2] == [listing_id("ranjang"), listing_id("dipan")] and len(beds) == 2


def test_a_misspelt_word_is_corrected_and_said_so(market):
    answer = search(market, "kopi arabica")
    assert answer["did_you_mean"] == "kopi arabika"
    assert set(ids(answer)[:3]) == {listing_id(k) for k in ("gayo-arabika", "gayo-arabika-bubuk", "toraja-arabika")}
    assert listing_id("robusta") not in ids(answer)
    assert search(market, "kopi arabika")["did_you_mean"] is None
    assert search(market, "robsuta")["did_you_mean"] == "robusta"


def test_nothing_close_is_still_nothing(market):
    answer = search(market, "xylofon")
    assert answer["items"] == [] and answer["total"] == 0 and answer["did_you_mean"] is None


def test_a_village_or_district_finds_its_shops_products(market):
    village = ids(search(market, "Bendosari"))
    assert set(village) == {listing_id(k) for k in ("keranjang-pandan", "tikar", "tas")}
    assert set(ids(search(market, "batulanteh"))) == {listing_id(k) for k in ("madu-sumbawa", "madu-kecil", "susu-kuda")}
    assert set(ids(search(market, "jepara"))) == {listing_id(k) for k in ("ranjang", "dipan", "kursi")}


def test_words_with_nya_accents_and_prefixes(market):
    assert ids(search(market, "tikarnya")) == [listing_id("tikar")]
    assert ids(search(market, "kafé")) == ids(search(market, "kafe")) == [listing_id("kafe")]
    assert listing_id("tas-anjat") in ids(search(market, "anja"))  # the start of a word is enough


def test_relevance_first_then_the_chosen_order(market):
    assert ids(search(market, "kopi arabika"))[0] in {listing_id("gayo-arabika"), listing_id("toraja-arabika")}
    by_price = search(market, "kopi", sort="price_asc")["items"]
    assert [i["price"] for i in by_price] == sorted(i["price"] for i in by_price) and len(by_price) >= 6
    newest = search(market, "madu", sort="newest")["items"]
    assert [i["created_at"] for i in newest] == sorted((i["created_at"] for i in newest), reverse=True)


@pytest.mark.parametrize("query,first,never", RELEVANCE, ids=[q for q, _, _ in RELEVANCE])
def test_relevance_set(market, query, first, never):
    found = ids(search(market, query))
    assert search_catalog.precision_at_5(found, first) == 1.0, found
    assert not {listing_id(k) for k in never} & set(found)


def test_a_shop_moving_village_is_found_by_its_new_village(market):
    with service.UnitOfWork(market) as work:
        shop = service.update_shop(work, "search-shop-gerabah", domain.Actor("admin", "admin"),
                                   {"village": "Sentolo Kidul"})
    assert shop["village"] == "Sentolo Kidul"
    assert listing_id("guci") in ids(search(market, "sentolo"))
    with service.UnitOfWork(market) as work:
        service.update_shop(work, "search-shop-gerabah", domain.Actor("admin", "admin"), {"village": "Bangunjiwo"})
    assert ids(search(market, "sentolo")) == []


def test_the_document_keeps_words_whole():
    document = domain.search_document("Keranjang rotan", "Tas-tas belanja, harganya murah", "Toko Bu Sri",
                                      "Anyaman", "Blitar", "Sanankulon", "Bendosari")
    assert " keranjang " in document and " ranjang " not in document
    assert " harga " in document and " harganya " in document and " tas " in document
    assert domain.search_terms("Kue-kue  KAFÉ'nya!! ; drop table") == ["kue", "kafe", "nya", "drop", "table"]
