"""Regions and saved addresses in the gateway, on a throwaway SQLite database with the real data file loaded."""
from __future__ import annotations

import pytest

from pasar.db import Database
from pasar.errors import ApiError


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    from gateway import accounts, regions
    from gateway.app import create_app
    from gateway.models import Base
    db = Database("gateway", Base.metadata, f"sqlite:///{tmp_path_factory.mktemp('gw') / 'gateway.db'}")
    Base.metadata.create_all(db.engine)
    app = create_app(db=db)
    with app.app_context():
        count = regions.load()
        shopper = accounts.register({"name": "Bu Ani", "email": "ani@contoh.id", "password": "rahasia-desa-1"})
        yield app, regions, count, shopper


def test_every_region_of_the_file_is_loaded_and_found_by_code(gateway):
    _, regions, count, _ = gateway
    assert count == 91599
    assert len(regions.children(None)) == 38
    chain = regions.chain("35.05.07.2004")
    assert chain["province"]["name"] == "Jawa Timur" and chain["village"]["level"] == "village"
    assert {r["code"] for r in regions.children("35.05.07")} >= {"35.05.07.2004"}
    assert regions.chain("99.99.99.9999") is None and regions.chain("not-a-code") is None


def test_type_ahead_finds_villages_by_the_start_of_their_name(gateway):
    _, regions, _, _ = gateway
    village = regions.chain("35.05.07.2004")["village"]["name"]
    found = regions.search(village[:5].lower())
    assert village in [f["name"] for f in found] and all(f["name"].lower().startswith(village[:5].lower())
                                                        for f in found)
    assert regions.search("x") == []


def test_a_saved_address_gets_its_names_from_the_village_code(gateway):
    _, regions, _, shopper = gateway
    saved = regions.save_address(shopper.id, {"label": "Rumah", "recipient": "Bu Ani", "phone": "0812-3456-7890",
                                              "street": "Jl. Mawar 3", "village_code": "35.05.07.2004",
                                              "notes": "pagar hijau"})
    assert saved["phone"] == "+6281234567890" and saved["district_code"] == "35.05.07"
    assert saved["province"] == "Jawa Timur" and saved["district"]
    assert [a["id"] for a in regions.addresses(shopper.id)] == [saved["id"]]
    with pytest.raises(ApiError) as refused:
        regions.save_address(shopper.id, {"label": "X", "recipient": "Y", "phone": "0812-3456-7890",
                                          "street": "Z", "village_code": "35.05.07"})
    assert refused.value.status == 422 and "village_code" in refused.value.fields
    assert regions.address("someone-else", saved["id"]) is None


def test_a_free_text_address_finds_its_village_and_says_when_it_is_unsure(gateway):
    _, regions, _, _ = gateway
    sure = regions.best_match({"village": "sanankulon", "district": "Kecamatan Sanankulon", "regency": "Blitar",
                               "province": "Jawa Timur"})
    assert sure == {"village_code": "35.05.07.2004", "district_code": "35.05.07", "sure": True}
    unsure = regions.best_match({"village": "Desa yang tidak ada", "district": "Sanankulon"})
    assert unsure["sure"] is False and unsure["village_code"] is None
    assert regions.best_match({"street": "Jl. Mawar"})["sure"] is False
