"""Flask helpers every app uses: the app skeleton, the error format, request ids, health checks, metrics."""
from __future__ import annotations

import hmac
import json
import logging
import re
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import flask_smorest
import webargs.flaskparser
from flask import Flask, Response, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import HTTPException

from . import config, logs, metrics, tracing
from .db import Database, UnitOfWork
from .errors import ApiError, error_body
from .limits import refuse_out_of_range_input
from .messaging import HandOffPublisher, Publisher, QueueNames, broker_status

log = logging.getLogger("pasar.web")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass
class ServiceContext:
    service: str
    db: Database
    publisher: Publisher | None


def ctx() -> ServiceContext:
    return current_app.extensions["pasar"]


def uow(correlation_id: str | None = None) -> UnitOfWork:
    """A unit of work on this app's database whose events are published right after commit."""
    c = ctx()
    return UnitOfWork(c.db, publisher=c.publisher, source=c.service,
                      correlation_id=correlation_id or g.get("request_id"))


@contextmanager
def read_session():
    session = ctx().db.Session()
    try:
        yield session
    finally:
        session.close()


def _fields_from_webargs(data: dict) -> dict:
    messages = (data or {}).get("messages") or {}
    if isinstance(messages, dict) and len(messages) == 1:
        (only,) = messages.values()  # {"json": {...}} -> {...}: the location is noise to a client
        return only if isinstance(only, dict) else {"_": only}
    return messages if isinstance(messages, dict) else {"_": messages}


class ErrorDetail(Schema):
    code = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields", metadata={"description": "field name -> messages"})


class ErrorOut(Schema):
    """The one error body every app answers with: {"error": {"code", "message", "fields"}}."""
    error = fields.Nested(ErrorDetail)


ERROR_TEXT = {401: "login required", 403: "your role may not do this",
              404: "not found (another person's resource is not found either)",
              409: "conflicts with the current state", 413: "the upload is too large",
              422: "some input is not valid: `fields` names each field and what is wrong with it"}


def documents_errors(blp: flask_smorest.Blueprint, *codes: int):
    """OpenAPI entries for the error answers a route gives, all in the one error shape. Routes that read
    input list 422 here too: flask-smorest would otherwise describe it with its own error schema, which
    is not the shape every app answers with."""
    def decorate(view):
        for code in codes:
            view = blp.alt_response(code, schema=ErrorOut, description=ERROR_TEXT[code])(view)
        return view
    return decorate


class Api(flask_smorest.Api):
    """flask-smorest with our error body instead of its own, in the answers and in the OpenAPI document."""

    ERROR_SCHEMA = ErrorOut

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        field_errors = _fields_from_webargs(data) if status in (400, 422) and data else {}
        message = data.get("message") or error.description or error.name
        if status == 422 and not data.get("message"):
            message = "some fields are not valid"
        response = jsonify(error_body(status, message, fields=field_errors))
        response.status_code = status
        for name, value in (data.get("headers") or {}).items():
            response.headers[name] = value
        if hasattr(error, "get_headers"):
            for name, value in error.get_headers():
                if name.lower() not in ("content-type", "content-length"):
                    response.headers[name] = value
        return response


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return jsonify(error_body(err.status, err.message, err.code, err.fields)), err.status

    @app.errorhandler(ValidationError)
    def _validation(err: ValidationError):
        fields = err.messages if isinstance(err.messages, dict) else {"_": err.messages}
        return jsonify(error_body(422, "some fields are not valid", fields=fields)), 422

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if isinstance(err, HTTPException):
            return app.extensions["pasar_api"].handle_http_exception(err)
        log.exception("unhandled error")
        return jsonify(error_body(500, "something went wrong on our side; please try again")), 500


def install_request_id(app: Flask) -> None:
    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        logs.correlation_id.set(g.request_id)

    service = app.name

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
        # the URL rule, not the path: one series per route, however many orders there are
        route = request.url_rule.rule if request.url_rule is not None else "(no route)"
        metrics.observe_request(service, request.method, route, response.status_code, seconds)
        if request.path not in ("/healthz", "/readyz", "/metrics"):
            log.info("request", extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "ms": round(seconds * 1000, 1)})
        return response


def install_metrics(app: Flask, service: str, *, public: bool = False) -> None:
    """`/metrics` in Prometheus' text format: this app's series from every one of its processes.

    With METRICS_TOKEN set, every app asks for `Authorization: Bearer <METRICS_TOKEN>`. Without it the
    services answer anyone who can reach them (they listen on 127.0.0.1 unless SERVICE_BIND_HOST says
    otherwise, and the gateway forwards only /api/v1/...), while the gateway (`public`), the one door on a
    public port, answers 404: its metrics are not for the internet without a token."""
    cache = HealthCache(ttl=5.0)

    def broker_counts():
        settings = config.messaging()
        return cache.broker(settings.amqp_url, QueueNames.for_service(service, settings).main)[2]

    def scrape():
        token = config.setting("METRICS_TOKEN")
        if token:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return jsonify(error_body(401, "metrics need the metrics token")), 401
        elif public:
            return jsonify(error_body(404, "not found")), 404
        c = app.extensions.get("pasar")
        body, content_type = metrics.exposition(service, c.db if c else None, broker_counts)
        return Response(body, content_type=content_type)

    app.add_url_rule("/metrics", "metrics", scrape)


class HealthCache:
    """Broker checks open a connection; cache them briefly so health polling stays cheap."""

    def __init__(self, ttl: float = 2.0):
        self.ttl = ttl
        self._at = 0.0
        self._value = (False, "not checked", None)

    def broker(self, amqp_url: str, queue: str) -> tuple[bool, str, dict | None]:
        if time.monotonic() - self._at > self.ttl:
            self._value = broker_status(amqp_url, queue)
            self._at = time.monotonic()
        return self._value


def health_report(service: str, db: Database | None, cache: HealthCache) -> tuple[dict, bool]:
    """This app's database, the broker, and its worker: a web process whose worker is gone takes orders that
    nothing will ever move, so that is unhealthy too. Parked messages are reported for an operator to look at."""
    checks = {}
    if db is not None:
        try:
            db.ping()
            checks["database"] = {"ok": True}
        except Exception as exc:
            checks["database"] = {"ok": False, "error": type(exc).__name__}
    settings = config.messaging()
    ok, detail, counts = cache.broker(settings.amqp_url, QueueNames.for_service(service, settings).main)
    checks["broker"] = {"ok": ok} if ok else {"ok": False, "error": detail}
    if counts is not None:
        checks["worker"] = {"ok": counts["consumers"] > 0, **counts}
        if not counts["consumers"]:
            checks["worker"]["error"] = f"no worker consumes its queue: start `pasar worker {service}`"
    return checks, all(c["ok"] for c in checks.values())


def install_health(app: Flask, service: str, extra_checks=None) -> None:
    cache = HealthCache()

    def report():
        c = app.extensions.get("pasar")
        checks, ok = health_report(service, c.db if c else None, cache)
        if extra_checks:
            more = extra_checks()
            checks.update(more)
            ok = ok and all(v.get("ok") for v in more.values())
        return jsonify({"service": service, "status": "ok" if ok else "unavailable", "checks": checks}), (
            200 if ok else 503)

    app.add_url_rule("/healthz", "healthz", report)
    app.add_url_rule("/readyz", "readyz", report)


# A JSON string escape that could be a NUL or half of a surrogate pair: rare, so only then is the body parsed.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def _unstorable(text: str) -> bool:
    """NUL (PostgreSQL text refuses it) or a lone surrogate (cannot be encoded as UTF-8 at all)."""
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def _unstorable_fields(raw: bytes) -> list[str]:
    """Where in a JSON body text holds a NUL or a lone surrogate ("title", "delivery_address.street", "items.0")."""
    if not _SUSPECT_ESCAPE.search(raw):
        return []
    try:
        stack = [("", json.loads(raw))]
    except ValueError:
        return []  # not JSON: whoever reads it answers 400 for that
    found = []
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            if _unstorable(node):
                found.append(path or "_")
        elif isinstance(node, dict):
            for key, value in node.items():
                stack.append((f"{path}.{key}" if path else key, value) if not _unstorable(key) else (path or "_", key))
        elif isinstance(node, list):
            stack.extend((f"{path}.{n}" if path else str(n), item) for n, item in enumerate(node))
    return sorted(set(found))


def refuse_unstorable_text():
    """A NUL or an unpaired surrogate (`"\\ud800"`) is refused before any view runs: further in, such text makes
    databases and encoders fail with a server error. In the path no row can have such an id (404); in the query
    or a JSON body it is a field error naming the field (422), like any other invalid value."""
    if "\x00" in request.path:
        return jsonify(error_body(404, "no such address")), 404
    problem = ["text must be valid Unicode without NUL characters"]
    if b"%00" in request.query_string:
        bad = sorted({name for name, value in request.args.items(multi=True) if "\x00" in name + value}) or ["_"]
        return jsonify(error_body(422, "some fields are not valid", fields={n: problem for n in bad})), 422
    if request.content_length == 0 or not request.is_json:
        return None
    bad = _unstorable_fields(request.get_data(cache=True))
    if bad:
        return jsonify(error_body(422, "some fields are not valid", fields={n: problem for n in bad})), 422
    return None


def install_input_guards(app: Flask) -> None:
    """The kernel's input limits (pasar.limits: 64-bit integers, JSON depth) and the unstorable-text guard."""
    app.before_request(refuse_out_of_range_input)
    app.before_request(refuse_unstorable_text)


def create_service_app(service: str, metadata, blueprints, *, title: str, description: str = "",
                       db: Database | None = None, publish: bool = True, extra_config: dict | None = None,
                       extra_health_checks=None, text_guard: bool = True) -> Flask:
    """The skeleton every service app shares; the service brings its blueprints and metadata."""
    logs.configure(service)
    tracing.setup(service)  # before the database: its engines are traced from the start (when tracing is on)
    app = Flask(service)
    app.config.update(
        API_TITLE=title, API_VERSION="v1", OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"info": {"description": description},
                          "components": {"securitySchemes": {"bearerAuth": {
                              "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}},
        MAX_CONTENT_LENGTH=256 * 1024, JSON_SORT_KEYS=False,
    )
    app.config.update(extra_config or {})
    app.json.ensure_ascii = False
    if metadata is not None:
        app.extensions["pasar"] = ServiceContext(
            service=service, db=db or Database(service, metadata), publisher=HandOffPublisher() if publish else None)
    api = Api(app)
    app.extensions["pasar_api"] = api
    for bp in blueprints:
        api.register_blueprint(bp)
    install_error_handlers(app)
    install_request_id(app)
    if text_guard:  # the gateway installs them itself, after its body size check
        install_input_guards(app)
    install_health(app, service, extra_health_checks)
    install_metrics(app, service, public=service == "gateway")
    tracing.instrument_app(app)
    return app


# -- exact quantities (issue 17) ------------------------------------------------------------------------
class DecimalJsonParser(webargs.flaskparser.FlaskParser):
    """webargs' Flask parser reading JSON numbers with a fraction as Decimal, never float."""

    def _raw_load_json(self, req):
        if not webargs.flaskparser.is_json_request(req):
            return webargs.core.missing
        data = req.get_data(cache=True)
        return json.loads(data.decode("utf-8") if isinstance(data, bytes) else data, parse_float=Decimal)


def decimal_json_bodies(blueprint) -> None:
    """Make a flask-smorest blueprint read JSON bodies with exact decimals."""
    blueprint.ARGUMENTS_PARSER = DecimalJsonParser()
