"""The shared kernel: settings, contracts, topology names, the error format, request ids, health."""
from __future__ import annotations

import pytest
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import MetaData

from pasar import config
from pasar.db import Database
from pasar.errors import ApiError
from pasar.events import ContractError, make_envelope, parse_envelope
from pasar.messaging import QueueNames
from pasar.web import create_service_app

ADDRESS = {"name": "Siti", "phone": "+628123", "street": "Jl. Mawar", "district": "Sanankulon"}


def test_database_url_defaults_to_sqlite_in_var_and_fills_the_service_into_a_template(monkeypatch, tmp_path):
    monkeypatch.setenv("PASAR_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ORDERS_DATABASE_URL", raising=False)
    assert config.database_url("orders") == f"sqlite:///{tmp_path}/orders.db"
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://pg@db/pasar_{service}")
    assert config.database_url("orders") == "postgresql+psycopg://pg@db/pasar_orders"
    monkeypatch.setenv("ORDERS_DATABASE_URL", "postgresql+psycopg://pg@other/orders")
    assert config.database_url("orders") == "postgresql+psycopg://pg@other/orders"


def test_retry_queues_are_named_by_their_delay_so_changing_delays_never_collides(monkeypatch):
    monkeypatch.setenv("RETRY_DELAYS_MS", "100,2000")
    monkeypatch.setenv("QUEUE_PREFIX", "p.")
    names = QueueNames.for_service("orders", config.messaging())
    assert names == QueueNames("p.orders", ("p.orders.retry.100ms", "p.orders.retry.2000ms"), "p.orders.parked")
    assert config.messaging().max_attempts == 3


def test_a_valid_event_round_trips_and_keeps_extra_fields():
    data = {"order_id": "o1", "shopper_id": "s1", "items": [{"listing_id": "l1", "qty": 2}],
            "payment_method": "cod", "delivery_address": ADDRESS, "note": "extra fields pass through"}
    event = parse_envelope(make_envelope("order.placed", data, source="orders", correlation_id="o1"))
    assert event.type == "order.placed" and event.correlation_id == "o1"
    assert event.data["items"] == [{"listing_id": "l1", "qty": 2}]
    assert event.data["note"] == "extra fields pass through"


@pytest.mark.parametrize("data, field", [
    ({"order_id": "o1", "shopper_id": "s1", "items": [], "payment_method": "cod", "delivery_address": ADDRESS}, "items"),
    ({"order_id": "o1", "shopper_id": "s1", "items": [{"listing_id": "l", "qty": 1}], "payment_method": "gold",
      "delivery_address": ADDRESS}, "payment_method"),
    ({"order_id": "o1", "shopper_id": "s1", "items": [{"listing_id": "l", "qty": 1.5}], "payment_method": "cod",
      "delivery_address": ADDRESS}, "items"),
])
def test_an_event_breaking_its_contract_is_refused_on_publish(data, field):
    with pytest.raises(ContractError) as err:
        make_envelope("order.placed", data, source="orders", correlation_id=None)
    assert field in err.value.errors


def test_unknown_event_types_and_bad_envelopes_are_contract_errors():
    with pytest.raises(ContractError):
        make_envelope("order.teleported", {}, source="x", correlation_id=None)
    with pytest.raises(ContractError):
        parse_envelope({"id": "not-a-uuid", "type": "order.placed", "data": {}})


class Thing(Schema):
    name = fields.String(required=True)
    qty = fields.Integer(required=True, strict=True)


@pytest.fixture
def app(tmp_path):
    blp = Blueprint("things", __name__, url_prefix="/things")

    @blp.route("", methods=["POST"])
    @blp.arguments(Thing)
    def create(body):
        return body

    @blp.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    @blp.route("/teapot")
    def teapot():
        raise ApiError(409, "already paid", "already_paid", {"order": ["paid"]})

    db = Database("things", MetaData(), url=f"sqlite:///{tmp_path}/t.db")
    return create_service_app("things", MetaData(), [blp], title="t", db=db, publish=False)


def test_validation_errors_come_back_as_422_with_fields(app):
    resp = app.test_client().post("/things", json={"qty": "many"})
    assert resp.status_code == 422
    body = resp.get_json()["error"]
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == {"name", "qty"}


@pytest.mark.parametrize("method, path, status, code", [
    ("get", "/nowhere", 404, "not_found"),
    ("delete", "/things", 405, "method_not_allowed"),
    ("get", "/things/boom", 500, "internal_error"),
    ("get", "/things/teapot", 409, "already_paid"),
])
def test_every_error_has_the_same_shape_and_hides_internals(app, method, path, status, code):
    resp = getattr(app.test_client(), method)(path)
    assert resp.status_code == status
    body = resp.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert "secret internals" not in resp.get_data(as_text=True)


def test_a_body_over_the_limit_is_refused_with_413(app):
    resp = app.test_client().post("/things", data=b"x" * (300 * 1024), content_type="application/json")
    assert resp.status_code == 413
    assert resp.get_json()["error"]["code"] == "payload_too_large"


def test_request_id_is_kept_when_sane_and_replaced_when_not(app):
    client = app.test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert replaced != "<script>" and len(replaced) == 32


def test_health_is_503_with_the_reason_when_the_broker_is_unreachable(app, monkeypatch):
    from tests.support.infra import free_port
    monkeypatch.setenv("AMQP_URL", f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F")
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False and body["checks"]["broker"]["error"]
