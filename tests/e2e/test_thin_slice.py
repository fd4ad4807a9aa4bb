"""The foundation's slice through every layer: gateway -> orders -> order.placed -> catalog reserves ->
stock.reserved / stock.rejected -> orders records the answer -> the shopper sees it."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.support.infra import wait_until


@pytest.fixture(params=["stack", "pg_stack"], ids=["sqlite", "postgresql"])
def any_stack(request):
    """The main journey on both stores: SQLite (the `make run` default) and PostgreSQL (production)."""
    return request.getfixturevalue(request.param)


ADDRESS = {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3", "village": "Sumberejo",
           "district": "Sanankulon", "regency": "Blitar", "province": "Jawa Timur"}


def put_listing(any_stack, stock: int, price: int = 25000) -> str:
    """Stock arrives through the catalog's own database here; the catalog API for it comes later."""
    listing_id = str(uuid.uuid4())
    engine = sa.create_engine(any_stack.database_url("catalog"))
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO listings (id, shop_id, seller_id, title, description, price, stock, status, created_at) "
            "VALUES (:id, 'shop-1', 'seller-1', 'Tikar pandan', '', :price, :stock, 'published', CURRENT_TIMESTAMP)"),
            {"id": listing_id, "price": price, "stock": stock})
    engine.dispose()
    return listing_id


def test_order_through_the_gateway_is_reserved_and_confirmed(any_stack):
    listing = put_listing(any_stack, stock=3)
    shopper = any_stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
    status, order = shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing, "qty": 2}], "payment_method": "cod", "delivery_address": ADDRESS})
    assert status == 201, order
    assert order["status"] == "PLACED"
    seen = wait_until(lambda: (lambda r: r[1] if r[1]["status"] != "PLACED" else None)(
        shopper.get(f"/api/v1/orders/{order['id']}")), timeout=15, message="order answered by the catalog")
    assert seen["status"] == "CONFIRMED"
    assert seen["goods_total"] == 50000
    assert seen["lines"][0]["unit_price"] == 25000


def test_order_beyond_stock_is_rejected_with_the_reason(any_stack):
    listing = put_listing(any_stack, stock=1)
    shopper = any_stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
    status, order = shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing, "qty": 5}], "payment_method": "card", "delivery_address": ADDRESS})
    assert status == 201
    seen = wait_until(lambda: (lambda r: r[1] if r[1]["status"] != "PLACED" else None)(
        shopper.get(f"/api/v1/orders/{order['id']}")), timeout=15, message="order answered by the catalog")
    assert seen["status"] == "REJECTED"
    assert seen["problems"] == [{"listing_id": listing, "requested": 5, "available": 1, "reason": "insufficient"}]


def test_another_shopper_cannot_see_the_order(any_stack):
    listing = put_listing(any_stack, stock=1)
    owner = any_stack.client("shopper-owner", "shopper")
    _, order = owner.post("/api/v1/orders", json={
        "items": [{"listing_id": listing, "qty": 1}], "payment_method": "cod", "delivery_address": ADDRESS})
    status, body = any_stack.client("shopper-other", "shopper").get(f"/api/v1/orders/{order['id']}")
    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_bad_order_gets_field_errors_not_a_500(any_stack):
    shopper = any_stack.client("shopper-x", "shopper")
    status, body = shopper.post("/api/v1/orders", json={"items": [{"listing_id": "x", "qty": 0}],
                                                       "payment_method": "bitcoin"})
    assert status == 422
    assert set(body["error"]["fields"]) >= {"items", "payment_method", "delivery_address"}


def test_gateway_health_reports_every_service_and_the_broker(any_stack):
    import requests
    body = requests.get(any_stack.url + "/healthz", timeout=5).json()
    assert body["status"] == "ok"
    assert body["checks"]["broker"]["ok"] is True
    for service in ("catalog", "orders", "payments", "notifications"):
        assert body["checks"][service]["ok"] is True
