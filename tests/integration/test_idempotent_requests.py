"""The kernel's Idempotency-Key decorator (pasar.idempotency) on a tiny app built like every service
(pasar.web.create_service_app), against a SQLite file and a real PostgreSQL database: a retried create is
answered from the first time, never done twice. (Here rather than in unit/: it needs the real databases.)"""
from __future__ import annotations

import json
import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import Column, MetaData, String, Table, insert, select, update

from pasar.auth import Identity, current_identity, issue_access_token, require_roles
from pasar.db import Database
from pasar.stamps import new_id, utcnow
from pasar.idempotency import (HEADER, KEEP_ANSWERS, REPLAYED_HEADER, STALE_AFTER, idempotency_table, idempotent,
                               periodic_jobs, prune, request_hash)
from pasar.web import create_service_app, read_session, uow
from tests.support.infra import postgres_database

BEARER = [{"bearerAuth": []}]


class ListingIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=3, max=80))


class ListingOut(Schema):
    id = fields.String()
    title = fields.String()


class Mine(Schema):
    tag = fields.String()


class Hooks:
    """What the view does before it writes: wait for the test (to hold a request mid-flight) or fail."""

    def __init__(self):
        self.entered = threading.Semaphore(0)
        self.gate: threading.Event | None = None
        self.fail_once = False

    def before_write(self):
        self.entered.release()
        if self.gate is not None:
            assert self.gate.wait(30), "the test never let the held request go on"
        if self.fail_once:
            self.fail_once = False
            raise RuntimeError("the disk is full")


class Tiny:
    def __init__(self, url: str):
        metadata = MetaData()
        self.listings = Table("listings", metadata, Column("id", String(36), primary_key=True),
                              Column("seller_id", String(64), nullable=False),
                              Column("title", String(80), nullable=False))
        idempotency_table(metadata)
        self.hooks = hooks = Hooks()
        blp = Blueprint("tiny", __name__, url_prefix="/api/v1/listings")
        listings = self.listings

        @blp.route("", methods=["POST"])
        @idempotent
        @blp.arguments(ListingIn)
        @blp.response(201, ListingOut)
        @blp.doc(security=BEARER)
        @require_roles("seller")
        def create_listing(data):
            hooks.before_write()
            with uow() as work:
                row = {"id": new_id(), "seller_id": current_identity().user_id, "title": data["title"]}
                work.session.execute(insert(listings).values(**row))
                work.commit()
            return row

        @blp.route("", methods=["GET"])
        @blp.response(200, ListingOut(many=True))
        @require_roles("seller")
        def my_listings():
            with read_session() as session:
                return [dict(r._mapping) for r in session.execute(
                    select(listings.c.id, listings.c.title).where(listings.c.seller_id == current_identity().user_id))]

        @blp.route("/tagged", methods=["POST"])
        @idempotent
        @blp.arguments(Mine, location="query")
        @blp.response(201, ListingOut)
        @blp.doc(security=BEARER)
        def tagged(args):
            return {"id": "t", "title": args.get("tag", "")}

        @blp.route("/described", methods=["POST"])
        @idempotent
        @blp.response(201, ListingOut)
        @blp.doc(security=BEARER, summary="with its own parameters",
                 parameters=[{"in": "header", "name": "X-Village", "required": False, "schema": {"type": "string"}}])
        def described():
            return {"id": "d", "title": ""}

        self.db = Database("tiny", metadata, url)
        metadata.create_all(self.db.engine)
        self.app = create_service_app("tiny", metadata, [blp], title="Tiny", db=self.db, publish=False)

    def seller(self, user_id: str | None = None) -> dict:
        token = issue_access_token(Identity(user_id=user_id or f"seller-{uuid.uuid4().hex[:8]}", role="seller"))
        return {"Authorization": f"Bearer {token}"}

    def post(self, who: dict, body: dict, key: str | None = None):
        headers = {**who, **({HEADER: key} if key is not None else {})}
        return self.app.test_client().post("/api/v1/listings", data=json.dumps(body),
                                           content_type="application/json", headers=headers)

    def titles(self, who: dict) -> list[str]:
        resp = self.app.test_client().get("/api/v1/listings", headers=who)
        assert resp.status_code == 200
        return sorted(item["title"] for item in resp.get_json())


@contextmanager
def _sqlite(tmp_path):
    yield f"sqlite:///{tmp_path / 'tiny.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def tiny(request, tmp_path):
    with (postgres_database("pasar_idem") if request.param == "postgres" else _sqlite(tmp_path)) as url:
        t = Tiny(url)
        yield t
        if t.hooks.gate is not None:
            t.hooks.gate.set()
        t.db.dispose()


def test_a_retry_with_the_same_key_gets_the_first_answer_and_creates_nothing_more(tiny):
    sri, key = tiny.seller(), str(uuid.uuid4())
    first = tiny.post(sri, {"title": "Tikar pandan"}, key)
    again = tiny.post(sri, {"title": "Tikar pandan"}, key)
    assert first.status_code == again.status_code == 201
    assert again.data == first.data and again.get_json()["id"] == first.get_json()["id"]
    assert again.content_type == first.content_type
    assert again.headers[REPLAYED_HEADER] == "true" and REPLAYED_HEADER not in first.headers
    assert tiny.titles(sri) == ["Tikar pandan"]


def test_the_same_key_with_a_different_body_is_refused_and_changes_nothing(tiny):
    sri, key = tiny.seller(), str(uuid.uuid4())
    assert tiny.post(sri, {"title": "Tikar pandan"}, key).status_code == 201
    resp = tiny.post(sri, {"title": "Tikar mendong"}, key)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "idempotency_key_reused"
    assert tiny.titles(sri) == ["Tikar pandan"]


def test_without_a_key_every_request_creates(tiny):
    sri = tiny.seller()
    assert [tiny.post(sri, {"title": "Tikar pandan"}).status_code for _ in range(2)] == [201, 201]
    assert tiny.titles(sri) == ["Tikar pandan", "Tikar pandan"]


def test_keys_belong_to_their_caller(tiny):
    sri, budi, key = tiny.seller(), tiny.seller(), "1"
    one, two = tiny.post(sri, {"title": "Tikar pandan"}, key), tiny.post(budi, {"title": "Tikar pandan"}, key)
    assert one.status_code == two.status_code == 201 and REPLAYED_HEADER not in two.headers
    assert one.get_json()["id"] != two.get_json()["id"]
    assert tiny.titles(sri) == tiny.titles(budi) == ["Tikar pandan"]


def test_a_refused_request_frees_its_key_for_the_corrected_retry(tiny):
    sri, key = tiny.seller(), str(uuid.uuid4())
    resp = tiny.post(sri, {"title": "x"}, key)
    assert resp.status_code == 422 and "title" in resp.get_json()["error"]["fields"]
    fixed = tiny.post(sri, {"title": "Tikar pandan"}, key)
    assert fixed.status_code == 201 and REPLAYED_HEADER not in fixed.headers
    assert tiny.post(sri, {"title": "Tikar pandan"}, key).get_json()["id"] == fixed.get_json()["id"]
    assert tiny.titles(sri) == ["Tikar pandan"]


def test_a_request_that_crashed_frees_its_key_so_the_retry_does_the_work(tiny):
    sri, key = tiny.seller(), str(uuid.uuid4())
    tiny.hooks.fail_once = True
    assert tiny.post(sri, {"title": "Tikar pandan"}, key).status_code == 500
    assert tiny.titles(sri) == []
    retry = tiny.post(sri, {"title": "Tikar pandan"}, key)
    assert retry.status_code == 201 and REPLAYED_HEADER not in retry.headers
    assert tiny.titles(sri) == ["Tikar pandan"]


def test_a_key_needs_a_login_and_a_sensible_length(tiny):
    resp = tiny.post({}, {"title": "Tikar pandan"}, "k1")
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "unauthorized"
    sri = tiny.seller()
    for bad in ("k" * 129, " "):
        resp = tiny.post(sri, {"title": "Tikar pandan"}, bad)
        assert resp.status_code == 422 and list(resp.get_json()["error"]["fields"]) == [HEADER]
    ok = tiny.post(sri, {"title": "Tikar pandan"}, "k" * 128)
    assert ok.status_code == 201
    assert tiny.titles(sri) == ["Tikar pandan"]


def test_while_the_first_request_runs_a_retry_is_told_to_wait_then_gets_the_answer(tiny):
    sri, key, body = tiny.seller(), str(uuid.uuid4()), {"title": "Tikar pandan"}
    tiny.hooks.gate = threading.Event()
    first: list = []
    held = threading.Thread(target=lambda: first.append(tiny.post(sri, body, key)))
    held.start()
    assert tiny.hooks.entered.acquire(timeout=30), "the first request reached the view"
    busy = [tiny.post(sri, body, key) for _ in range(3)]
    assert {(r.status_code, r.get_json()["error"]["code"], r.headers["Retry-After"]) for r in busy} == {
        (409, "idempotency_key_busy", "1")}
    tiny.hooks.gate.set()
    held.join(30)
    assert first[0].status_code == 201
    again = tiny.post(sri, body, key)
    assert again.status_code == 201 and again.data == first[0].data and again.headers[REPLAYED_HEADER] == "true"
    assert tiny.titles(sri) == ["Tikar pandan"]


def test_concurrent_double_taps_with_one_key_create_exactly_one(tiny):
    sri, key, body = tiny.seller(), str(uuid.uuid4()), {"title": "Tikar pandan"}
    start = threading.Barrier(6)
    answers: list = []

    def tap():
        start.wait(30)
        answers.append(tiny.post(sri, body, key))

    threads = [threading.Thread(target=tap) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 6
    created = [r for r in answers if r.status_code == 201 and REPLAYED_HEADER not in r.headers]
    replayed = [r for r in answers if r.status_code == 201 and r.headers.get(REPLAYED_HEADER) == "true"]
    busy = [r for r in answers if r.status_code == 409 and r.get_json()["error"]["code"] == "idempotency_key_busy"]
    assert len(created) == 1 and len(created) + len(replayed) + len(busy) == 6
    assert all(r.data == created[0].data for r in replayed)
    assert tiny.titles(sri) == ["Tikar pandan"]


def test_a_claim_left_by_a_crashed_process_is_taken_over_after_a_minute(tiny):
    sri, body = tiny.seller("seller-crashed"), {"title": "Tikar pandan"}
    table = tiny.db.metadata.tables["idempotent_requests"]

    def stuck(key: str, age: timedelta):
        with tiny.app.test_request_context("/api/v1/listings", method="POST", data=json.dumps(body),
                                           content_type="application/json"):
            fingerprint = request_hash()
        with tiny.db.WriteSession() as session, session.begin():
            session.execute(insert(table).values(caller_id="seller-crashed", key=key, request_hash=fingerprint,
                                                 status=None, created_at=utcnow() - age))

    stuck("recent", timedelta(seconds=5))
    assert tiny.post(sri, body, "recent").status_code == 409
    stuck("abandoned", STALE_AFTER + timedelta(seconds=5))
    taken = tiny.post(sri, body, "abandoned")
    assert taken.status_code == 201 and REPLAYED_HEADER not in taken.headers
    assert tiny.post(sri, body, "abandoned").headers[REPLAYED_HEADER] == "true"
    assert tiny.titles(sri) == ["Tikar pandan"]


def test_the_header_is_documented_next_to_what_the_route_already_documents(tiny):
    spec = tiny.app.test_client().get("/openapi.json").get_json()
    paths = spec["paths"]

    def params(path):
        return {(p["in"], p["name"]) for p in paths[path]["post"].get("parameters", [])}

    create = paths["/api/v1/listings"]["post"]
    assert params("/api/v1/listings") == {("header", HEADER)}
    assert create["security"] == BEARER and "requestBody" in create
    assert {"201", "409", "422"} <= set(create["responses"])
    assert create["responses"]["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    assert params("/api/v1/listings/tagged") == {("query", "tag"), ("header", HEADER)}
    assert params("/api/v1/listings/described") == {("header", "X-Village"), ("header", HEADER)}
    assert paths["/api/v1/listings/described"]["post"]["summary"] == "with its own parameters"
    assert "parameters" not in paths["/api/v1/listings"]["get"]  # only the decorated operation


def test_answers_are_forgotten_after_a_day_so_the_table_does_not_grow_forever(tiny):
    sri, body = tiny.seller(), {"title": "Tikar pandan"}
    table = tiny.db.metadata.tables["idempotent_requests"]
    assert tiny.post(sri, body, "yesterday").status_code == 201
    assert tiny.post(sri, body, "today").status_code == 201
    with tiny.db.WriteSession() as session, session.begin():
        session.execute(update(table).where(table.c.key == "yesterday")
                        .values(created_at=utcnow() - KEEP_ANSWERS - timedelta(minutes=1)))
    assert [interval for interval, job in periodic_jobs(tiny.db.metadata) if job is prune] == [3600]
    prune(tiny.db)
    with tiny.db.Session() as session:
        assert session.scalars(select(table.c.key)).all() == ["today"]
    assert tiny.post(sri, body, "today").headers[REPLAYED_HEADER] == "true"  # a fresh answer is still kept
