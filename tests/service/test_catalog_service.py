"""Catalog use cases called directly, without Flask or a broker: a unit of work on a throwaway SQLite file
(created from the models, no migrations), the way routes and event handlers call them."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pasar.db import Database, UnitOfWork
from pasar.errors import ApiError
from services.catalog import service
from services.catalog.domain import Actor
from services.catalog.models import Base, Category, Listing, Photo, Reservation, StockMovement

SRI = Actor("seller-sri", "seller")
AGENT = Actor("agent-budi", "agent")
ADMIN = Actor("admin-1", "admin")
STRANGER = Actor("seller-other", "seller")
SHOP = {"name": "Anyaman Bu Sri", "owner_name": None, "street": "Jl. Mawar 3", "village": "Sumberejo",
        "district": "Sanankulon", "regency": "Blitar", "province": "Jawa Timur", "story": "",
        "whatsapp": None, "seller_id": None, "agent_id": None}


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("PASAR_VAR_DIR", str(tmp_path))
    database = Database("catalog", Base.metadata, f"sqlite:///{tmp_path / 'catalog.db'}")
    Base.metadata.create_all(database.engine)
    with database.Session() as session:
        session.add(Category(slug="anyaman", name_id="Anyaman", name_en="Woven goods", position=1))
        session.commit()
    yield database
    database.dispose()


def work(db) -> UnitOfWork:
    return UnitOfWork(db)


def outbox(db, event_type: str) -> list[dict]:
    with db.Session() as session:
        rows = session.execute(select(db.outbox.c.envelope).where(db.outbox.c.type == event_type)
                               .order_by(db.outbox.c.created_at)).scalars().all()
    return [json.loads(r)["data"] for r in rows]


def new_shop(db, who=SRI, name="Bu Sri", **over) -> dict:
    with work(db) as w:
        return service.create_shop(w, who, {**SHOP, **over}, name)


def new_listing(db, shop_id, who=SRI, **over) -> dict:
    data = {"shop_id": shop_id, "title": "Tikar pandan", "description": "2x1 m", "category": "anyaman",
            "unit": "pcs", "price": 75000, "stock": 5, "status": "published", "low_stock_threshold": 3, **over}
    with work(db) as w:
        return service.create_listing(w, who, data)


def remember(db, user_id, role, name, phone=None):
    with work(db) as w:
        service.remember_seller(w, user_id, role, name, phone=phone)
        w.commit()


def reserve(db, order_id, items):
    """As the worker runs an event's use case: one unit of work, committed after."""
    with work(db) as w:
        service.reserve_stock(w, order_id, items)
        w.commit()


# -- create_shop: owners and defaults ----------------------------------------------------------------
def test_a_seller_owns_its_shop_and_goes_by_its_login_name_until_the_directory_knows_it(db):
    shop = new_shop(db)
    assert (shop["seller_id"], shop["agent_id"], shop["owner_name"], shop["whatsapp"]) == (
        "seller-sri", None, "Bu Sri", None)


def test_an_agents_shop_belongs_to_the_crafter_and_takes_the_agents_phone(db):
    remember(db, AGENT.user_id, "agent", "Pak Budi", phone="+628111")
    shop = new_shop(db, AGENT, "Pak Budi", owner_name="Mbah Darmi")
    assert shop["seller_id"] == f"shop:{shop['id']}" and shop["agent_id"] == AGENT.user_id
    assert shop["owner_name"] == "Mbah Darmi" and shop["whatsapp"] == "+628111" and shop["agent_managed"]


def test_the_directory_gives_owner_name_and_phone_before_the_login_name(db):
    remember(db, SRI.user_id, "seller", "Sri Rahayu", phone="+628222")
    shop = new_shop(db, SRI, "login name")
    assert (shop["owner_name"], shop["whatsapp"]) == ("Sri Rahayu", "+628222")


def test_only_an_admin_names_owner_or_agent(db):
    with pytest.raises(ApiError) as refused:
        new_shop(db, SRI, seller_id="seller-x", agent_id="agent-y")
    assert refused.value.status == 422 and refused.value.fields == {
        "seller_id": ["only an admin may set this"], "agent_id": ["only an admin may set this"]}
    with pytest.raises(ApiError) as missing:
        new_shop(db, ADMIN)
    assert missing.value.fields == {"seller_id": ["give seller_id or agent_id"]}
    crafter = new_shop(db, ADMIN, agent_id=AGENT.user_id)
    assert crafter["seller_id"] == f"shop:{crafter['id']}" and crafter["agent_id"] == AGENT.user_id


# -- listings and photos ----------------------------------------------------------------------------
def test_someone_elses_listing_is_not_found_and_status_moves_are_checked(db):
    listing = new_listing(db, new_shop(db)["id"])
    with pytest.raises(ApiError) as hidden, work(db) as w:
        service.change_status(w, listing["id"], STRANGER, "archived")
    assert hidden.value.status == 404
    with work(db) as w:
        assert service.change_status(w, listing["id"], SRI, "archived")["status"] == "archived"
    with pytest.raises(ApiError) as illegal, work(db) as w:
        service.change_status(w, listing["id"], SRI, "archived")
    assert (illegal.value.status, illegal.value.code) == (409, "illegal_transition")


def test_a_listing_has_at_most_eight_photos(db):
    listing = new_listing(db, new_shop(db)["id"])
    with db.WriteSession() as session:
        session.add_all(Photo(id=f"p{i}", listing_id=listing["id"], position=i, image_key=f"k{i}.jpg",
                              thumb_key=f"k{i}-thumb.jpg", width=1, height=1) for i in range(8))
        session.commit()
    with pytest.raises(ApiError) as full, work(db) as w:
        service.add_listing_photo(w, listing["id"], SRI, b"not even looked at")
    assert (full.value.status, full.value.code, full.value.message) == (
        409, "too_many_photos", "a listing has at most 8 photos")


def test_a_photo_is_checked_after_who_asks(db, monkeypatch):
    listing = new_listing(db, new_shop(db)["id"])
    monkeypatch.setenv("CATALOG_MAX_PHOTO_BYTES", "10")
    with pytest.raises(ApiError) as hidden, work(db) as w:
        service.add_listing_photo(w, listing["id"], STRANGER, b"x" * 11)
    assert hidden.value.status == 404
    with pytest.raises(ApiError) as large, work(db) as w:
        service.add_listing_photo(w, listing["id"], SRI, b"x" * 11)
    assert large.value.status == 413
    with pytest.raises(ApiError) as bad, work(db) as w:
        service.add_listing_photo(w, listing["id"], SRI, b"x" * 10)
    assert bad.value.status == 422 and "photo" in bad.value.fields


def test_an_adjustment_below_the_threshold_says_stock_low_once(db):
    listing = new_listing(db, new_shop(db)["id"], stock=5)
    for stock in (2, 1):
        with work(db) as w:
            service.update_listing(w, listing["id"], SRI, {"stock": stock, "stock_note": "counted"})
    assert [e["stock"] for e in outbox(db, "stock.low")] == [2]
    with db.Session() as session:
        notes = session.scalars(select(StockMovement.note).where(StockMovement.kind == "adjust")).all()
    assert notes == ["counted", "counted"]


# -- stock for orders ---------------------------------------------------------------------------------
def test_reserve_takes_every_line_once_with_price_shop_and_pickup(db):
    remember(db, SRI.user_id, "seller", "Sri", phone="+628333")
    shop = new_shop(db)
    tikar = new_listing(db, shop["id"], stock=5)
    reserve(db, "order-1", [{"listing_id": tikar["id"], "qty": 2}, {"listing_id": tikar["id"], "qty": 1}])
    reserve(db, "order-1", [{"listing_id": tikar["id"], "qty": 2}])  # the same order again
    [answer] = outbox(db, "stock.reserved")
    [line] = answer["lines"]
    assert (line["qty"], line["unit_price"], line["shop_name"], line["pickup"]["phone"]) == (
        3, 75000, "Anyaman Bu Sri", "+628333")
    with db.Session() as session:
        stored = session.get(Listing, tikar["id"])
        assert (stored.stock, stored.sold_count) == (2, 3)
    assert [e["stock"] for e in outbox(db, "stock.low")] == [2]


def test_reserve_refuses_all_lines_when_one_cannot_be_had(db):
    shop = new_shop(db)
    tikar = new_listing(db, shop["id"], stock=1)
    reserve(db, "order-2", [{"listing_id": tikar["id"], "qty": 2}, {"listing_id": "nope\x00", "qty": 1}])
    [answer] = outbox(db, "stock.rejected")
    assert [(p["reason"], p["available"]) for p in answer["problems"]] == [("insufficient", 1), ("unknown", 0)]
    with db.Session() as session:
        assert session.get(Listing, tikar["id"]).stock == 1


def test_a_closed_shops_listings_cannot_be_reserved(db):
    shop = new_shop(db)
    tikar = new_listing(db, shop["id"])
    with work(db) as w:
        service.update_shop(w, shop["id"], SRI, {"status": "closed"})
    reserve(db, "order-3", [{"listing_id": tikar["id"], "qty": 1}])
    assert outbox(db, "stock.rejected")[0]["problems"][0]["reason"] == "unpublished"


def test_release_and_commit_move_only_held_units(db):
    shop = new_shop(db)
    tikar = new_listing(db, shop["id"], stock=5)
    reserve(db, "order-4", [{"listing_id": tikar["id"], "qty": 2}])
    reserve(db, "order-5", [{"listing_id": tikar["id"], "qty": 1}])
    for _ in range(2):  # a second cancel changes nothing
        with work(db) as w:
            service.release_stock(w, "order-4", note="cancelled")
            w.commit()
    with work(db) as w:
        service.commit_stock(w, "order-5", SRI.user_id, "f-1")
        w.commit()
    with db.Session() as session:
        assert session.get(Listing, tikar["id"]).stock == 4
        statuses = dict(session.execute(select(Reservation.order_id, Reservation.status)).all())
        kinds = session.scalars(select(StockMovement.kind).order_by(StockMovement.id)).all()
    assert statuses == {"order-4": "released", "order-5": "committed"}
    assert sorted(kinds) == ["commit", "initial", "release", "reserve", "reserve"]


def test_the_directory_keeps_only_sellers_and_agents(db):
    remember(db, "shopper-1", "shopper", "Ani")
    remember(db, SRI.user_id, "seller", "Sri", phone="+62")
    remember(db, SRI.user_id, "seller", "Sri Rahayu", phone="+63")
    shop = new_shop(db)
    assert (shop["owner_name"], shop["whatsapp"]) == ("Sri Rahayu", "+63")
    with db.Session() as session:
        assert session.get(service.Seller, "shopper-1") is None


def test_browse_finds_published_words_and_a_shops_drafts_are_for_its_managers(db):
    shop = new_shop(db)
    new_listing(db, shop["id"], title="Kopi robusta")
    draft = new_listing(db, shop["id"], title="Tikar baru", status="draft")
    with db.Session() as session:
        found = service.browse(session, {"q": "robus", "page": 1, "per_page": 20})
        assert [item["title"] for item in found["items"]] == ["Kopi robusta"] and found["total"] == 1
        mine = service.shop_products(session, shop["id"], SRI, {"status": "draft", "page": 1, "per_page": 20})
        assert [item["id"] for item in mine["items"]] == [draft["id"]]
        with pytest.raises(ApiError) as hidden:
            service.shop_products(session, shop["id"], STRANGER, {"status": "draft", "page": 1, "per_page": 20})
        assert hidden.value.status == 404


def test_a_shop_with_a_village_code_gives_its_pickup_the_official_codes_and_an_old_shop_keeps_its_names(db):
    """Issue 18: orders prices delivery and finds the courier district by code, so the pickup carries the codes."""
    coded = new_shop(db, village_code="35.05.07.2004", village="Sumberjo", district="Sanankulon",
                     regency="Kabupaten Blitar", province="Jawa Timur")
    assert (coded["village_code"], coded["district_code"]) == ("35.05.07.2004", "35.05.07")
    old = new_shop(db, name="Bu Sri lama")  # opened before codes: no code, typed names only
    assert old["village_code"] is None
    for shop, order_id in ((coded, "order-coded"), (old, "order-old")):
        listing = new_listing(db, shop["id"], stock=5)
        reserve(db, order_id, [{"listing_id": listing["id"], "qty": 1}])
    pickups = {answer["order_id"]: answer["lines"][0]["pickup"] for answer in outbox(db, "stock.reserved")}
    assert {k: pickups["order-coded"][k] for k in ("village_code", "district_code", "regency_code",
                                                  "province_code", "district")} == {
        "village_code": "35.05.07.2004", "district_code": "35.05.07", "regency_code": "35.05", "province_code": "35",
        "district": "Sanankulon"}
    assert "district_code" not in pickups["order-old"] and pickups["order-old"]["district"] == "Sanankulon"
    with work(db) as w:
        moved = service.update_shop(w, old["id"], SRI, {"village_code": "35.05.06.2001", "village": "Bacem",
                                                         "district": "Ponggok"})
    assert (moved["village_code"], moved["district_code"], moved["district"]) == ("35.05.06.2001", "35.05.06", "Ponggok")


REGIONS_CSV = """kode,nama
35,Jawa Timur
35.05,Kabupaten Blitar
35.05.06,Ponggok
35.05.06.2001,Bacem
35.05.07,Sanankulon
35.05.07.2001,Kalipucung
35.05.07.2002,Sumberejo
35.72,Kota Blitar
35.72.01,Sukorejo
35.72.01.1001,Sumberejo
"""


def test_shops_typed_before_codes_get_a_village_when_sure_and_a_flagged_guess_when_not(db, tmp_path, monkeypatch,
                                                                                       capsys):
    """Issue 18: `pasar catalog match-villages` migrates free-text shop addresses (best match, flagged when unsure);
    the seller confirms a guess on the shop's village page, which clears the flag."""
    from services.catalog.commands import match_villages
    monkeypatch.setenv("CATALOG_DATABASE_URL", f"sqlite:///{tmp_path / 'catalog.db'}")
    regions = tmp_path / "regions.csv"
    regions.write_text(REGIONS_CSV, encoding="utf-8")
    sure = new_shop(db, name="Pasti", village="Kalipucung", district="Kec. Sanankulon", regency="Blitar")
    typo = new_shop(db, name="Salah ketik", village="Kalipucng", district="Sanankulon", regency="Blitar")
    nowhere = new_shop(db, name="Entah", village="Sukamaju", district="Tidak Ada", regency="Blitar")
    chosen = new_shop(db, name="Sudah", village_code="35.05.06.2001")

    assert match_villages(["--csv", str(regions), "--dry-run"]) == 0
    assert "1 shops matched for sure, 1 flagged with a guess, 1 flagged without one (dry run" in capsys.readouterr().out
    with work(db) as w:
        assert service.get_shop(w.session, sure["id"], SRI)["village_code"] is None  # the dry run changed nothing
    assert match_villages(["--csv", str(regions)]) == 0
    with work(db) as w:
        shops = {s["id"]: service.get_shop(w.session, s["id"], SRI) for s in (sure, typo, nowhere, chosen)}
    assert (shops[sure["id"]]["village_code"], shops[sure["id"]]["village_flag"]) == ("35.05.07.2001", None)
    assert shops[sure["id"]]["district"] == "Kec. Sanankulon"  # the typed names stay; the code decides fees
    assert (shops[typo["id"]]["village_code"], shops[typo["id"]]["village_suggestion"],
            shops[typo["id"]]["village_flag"]) == (None, "35.05.07.2001", "a village with a similar name")
    assert (shops[nowhere["id"]]["village_suggestion"], shops[nowhere["id"]]["village_flag"]) == (None, "no district fits")
    assert shops[chosen["id"]]["village_code"] == "35.05.06.2001" and shops[chosen["id"]]["village_flag"] is None
    with work(db) as w:  # the seller confirms the guess on the page
        confirmed = service.update_shop(w, typo["id"], SRI, {"village_code": "35.05.07.2001"})
    assert (confirmed["village_code"], confirmed["village_suggestion"], confirmed["village_flag"]) == (
        "35.05.07.2001", None, None)
    assert match_villages(["--csv", str(regions)]) == 0  # again: only the shop that fits nothing is left
    assert "0 shops matched for sure, 0 flagged with a guess, 1 flagged without one" in capsys.readouterr().out.splitlines()[-1]
