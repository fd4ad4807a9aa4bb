"""The harvest pre-order scenarios of tests/service/test_harvest_preorders.py on PostgreSQL, with the schema made by
the migrations (catalog_0010_i17_harvest, orders_0010_i17_harvest): the batch row lock (`FOR UPDATE`), the
listing-terms lock and exact NUMERIC quantities there."""
from __future__ import annotations

import pytest

from pasar.db import Database
from pasar.migrate import upgrade
from services.catalog.models import Base as CatalogBase, Category
from services.orders.models import Base as OrdersBase
from tests.service import test_harvest_preorders as scenarios
from tests.service import test_produce_service as produce
from tests.support.infra import postgres_database


@pytest.fixture
def pg_pair(tmp_path, monkeypatch):
    monkeypatch.setenv("PASAR_VAR_DIR", str(tmp_path))
    with postgres_database() as catalog_url, postgres_database() as orders_url:
        upgrade("catalog", catalog_url)
        upgrade("orders", orders_url)
        cat = Database("catalog", CatalogBase.metadata, catalog_url)
        ords = Database("orders", OrdersBase.metadata, orders_url)
        with cat.Session() as session:   # the migrations seed the categories; make sure of the one used here
            if session.get(Category, "hasil-bumi") is None:
                session.add(Category(slug="hasil-bumi", name_id="Hasil bumi", name_en="Produce", position=1))
                session.commit()
        yield cat, ords
        cat.dispose()
        ords.dispose()


@pytest.mark.parametrize("scenario", [
    scenarios.test_a_batch_oversubscribed_then_harvested_short,
    scenarios.test_pay_at_harvest_asks_for_the_money_only_when_filled_and_a_short_paid_order_is_refunded,
    scenarios.test_perishables_need_a_delivery_window_within_their_shelf_life_and_the_courier_sees_it,
    scenarios.test_a_late_harvest_tells_each_shopper_once_who_may_cancel_for_a_full_refund,
    produce.test_an_older_listing_event_delivered_late_never_overwrites_newer_buying_terms,
], ids=lambda f: f.__name__.removeprefix("test_")[:40])
def test_on_postgresql(pg_pair, scenario):
    scenario(*pg_pair)
