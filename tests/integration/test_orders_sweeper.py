"""The payment timeout sweeper on SQLite (the `make run` default): deadlines compare correctly and only
overdue card orders are cancelled, once."""
from __future__ import annotations

from datetime import timedelta

import pytest

from pasar.db import Database
from pasar.stamps import new_id, utcnow
from pasar.migrate import upgrade
from services.orders import domain, service
from services.orders.models import Base, Order


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    upgrade("orders", url)
    database = Database("orders", Base.metadata, url)
    yield database
    database.dispose()


def awaiting(db: Database, due_in: timedelta) -> str:
    order = service.new_order("shopper-1", "card", [{"listing_id": "l", "qty": 1}],
                              {"name": "S", "phone": "+62", "street": "Jl", "district": "D"})
    line = {"listing_id": "l", "shop_id": "s", "seller_id": "seller", "title": "T", "qty": 1, "unit_price": 1000}
    order.reserve([line], service.tariff(), utcnow(), due_in, timedelta(hours=1), new_id)
    with db.WriteSession() as session:
        session.add(order)
        session.commit()
    return order.id


def status(db: Database, order_id: str) -> tuple[str, str | None]:
    with db.Session() as session:
        order = session.get(Order, order_id)
        return order.status, order.cancel_reason


def test_only_overdue_card_orders_are_cancelled_and_only_once(db):
    overdue = awaiting(db, timedelta(seconds=-1))
    not_yet = awaiting(db, timedelta(minutes=30))
    emitted = service.cancel_overdue_payments(db)
    assert status(db, overdue) == (domain.CANCELLED, "payment_timeout")
    assert status(db, not_yet) == (domain.AWAITING_PAYMENT, None)
    with db.Session() as session:
        types = [row.type for row in session.execute(db.outbox.select().where(db.outbox.c.id.in_(emitted)))]
    assert types == ["order.cancelled"]
    assert service.cancel_overdue_payments(db) == []
