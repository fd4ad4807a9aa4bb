"""`pasar seed` for the catalog: enough real-looking village shops and products to browse, with pictures
drawn locally, owned by the fixed demo accounts, and nothing added when run again."""
from __future__ import annotations


from sqlalchemy import func, select

from services.catalog.models import Listing, Photo, Shop
from services.catalog.seed import DEMO_AGENTS, DEMO_SELLERS, seed
from tests.integration.test_catalog_api import cat  # noqa: F401  (fixture)


def test_seed_fills_the_market_once_with_real_regions_and_local_pictures(cat, tmp_path):
    first = seed(cat.db)
    assert "13 shops, 66 listings, 66 photos, 1 harvest batches" in first
    assert seed(cat.db).startswith("0 sellers, 0 shops, 0 listings, 0 photos")
    with cat.db.Session() as s:
        assert s.scalar(select(func.count()).select_from(Shop)) == 13
        assert s.scalar(select(func.count()).select_from(Listing)) == 66
        regencies = set(s.scalars(select(Shop.regency)))
        agent_shops = s.scalars(select(Shop).where(Shop.agent_id.is_not(None))).all()
        keys = s.scalars(select(Photo.thumb_key)).all()
    assert {"Blitar", "Palangkaraya", "Purbalingga", "Sleman", "Pekalongan", "Lombok Tengah", "Toraja Utara",
            "Garut", "Tuban"} <= regencies
    assert {s.agent_id for s in agent_shops} == {a["id"] for a in DEMO_AGENTS}
    assert all(s.seller_id == f"shop:{s.id}" for s in agent_shops)
    assert all((tmp_path / "media" / k).is_file() for k in keys)
    # shoppers see it through the API: a 20-item page, a search in Bahasa Indonesia, a seller's own shops
    status, page = cat.client().get("/api/v1/products?per_page=20")
    assert status == 200 and len(page["items"]) == 20 and page["total"] >= 60
    assert all(item["thumb_url"] for item in page["items"])
    assert cat.http.get(page["items"][0]["thumb_url"]).status_code == 200
    status, found = cat.client().get("/api/v1/products?q=arabika&regency=Toraja%20Utara&sort=price_asc")
    assert [i["title"] for i in found["items"]] == ["Kopi arabika Toraja 250 g", "Kopi arabika Toraja 1 kg"]
    sri = DEMO_SELLERS[0]
    mine = cat.client(sri["id"], "seller").get("/api/v1/shops?mine=true")[1]
    assert [s["name"] for s in mine["items"]] == ["Anyaman Pandan Bu Sri"]
    assert mine["items"][0]["whatsapp"] is None  # falls back to the directory phone for pickups
    # an open harvest batch of Pak Darto's chilies to pre-order from (issue 17)
    status, chilies = cat.client().get("/api/v1/products?q=cabai%20rawit%20merah%20segar")
    (listing,) = [i for i in chilies["items"] if i["title"] == "Cabai rawit merah segar"]
    harvest = cat.client().get(f"/api/v1/products/{listing['id']}")[1]["harvest"]
    assert (harvest["price"], harvest["remaining"], harvest["pay_at"]) == (40000, 30, "order")
