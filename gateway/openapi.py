"""One OpenAPI document for the whole public API, and the interactive docs page that reads it.

The gateway's own spec (auth) plus each service's `/openapi.json`, fetched over HTTP and merged:
only paths the routing table actually sends to that service are kept, so the document describes
exactly what the door answers. Component names that clash between services get the service's name
as a prefix (and every `$ref` to them is rewritten). Cached briefly; shorter when a service is away."""
from __future__ import annotations

import copy
import threading
import time
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify

from pasar import config

from .fanout import services_pool
from .routes import ROUTES, upstream

CACHE_SECONDS = float(config.setting("OPENAPI_CACHE_SECONDS", "60"))
DEGRADED_CACHE_SECONDS = 5.0
DOCS_DIR = Path(__file__).parent / "apidocs"
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

bp = Blueprint("openapi", __name__)
_cache: dict = {"doc": None, "until": 0.0}
_lock = threading.Lock()


def _fetch(service: str) -> dict | None:
    try:
        resp = upstream().get(config.service_url(service) + "/openapi.json", timeout=(1, 5))
        return resp.json() if resp.status_code == 200 else None
    except Exception:
        return None


def _rewrite_refs(node, renames: dict[str, str]):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value in renames:
                out[key] = renames[value]
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, renames) for v in node]
    return node


def _routed_to(path: str, service: str | None) -> bool:
    parts = path.split("/")
    if len(parts) < 4 or parts[1:3] != ["api", "v1"]:
        return False
    first = parts[3]
    return first == "auth" if service is None else ROUTES.get(first) == service


def merge(gateway_spec: dict, service_specs: dict[str, dict | None]) -> dict:
    merged = {
        "openapi": gateway_spec.get("openapi", "3.0.3"),
        "info": {"title": "Pasar Desa API", "version": "v1",
                 "description": "Every public endpoint of Pasar Desa, through the gateway. Log in at "
                                "POST /api/v1/auth/login and send `Authorization: Bearer <access_token>`."},
        "paths": {}, "tags": [], "components": {"securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }
    unavailable = [name for name, spec in service_specs.items() if spec is None]
    if unavailable:
        merged["x-unavailable-services"] = unavailable
    sources = [(None, gateway_spec)] + [(name, spec) for name, spec in service_specs.items() if spec]
    seen_tags = set()
    for service, spec in sources:
        spec = copy.deepcopy(spec)
        renames = {}
        for section, items in (spec.get("components") or {}).items():
            target = merged["components"].setdefault(section, {})
            for name, value in items.items():
                if name in target and target[name] != value:
                    renames[f"#/components/{section}/{name}"] = f"#/components/{section}/{service.title()}{name}"
        spec = _rewrite_refs(spec, renames)
        for section, items in (spec.get("components") or {}).items():
            target = merged["components"].setdefault(section, {})
            for name, value in items.items():
                renamed = renames.get(f"#/components/{section}/{name}")
                target[renamed.rsplit("/", 1)[1] if renamed else name] = value
        for path, item in (spec.get("paths") or {}).items():
            if _routed_to(path, service):
                merged["paths"][path] = item
        for tag in spec.get("tags") or []:
            if tag.get("name") not in seen_tags:
                seen_tags.add(tag.get("name"))
                merged["tags"].append(tag)
    return merged


def merged_spec() -> dict:
    now = time.monotonic()
    if _cache["doc"] is not None and now < _cache["until"]:
        return _cache["doc"]
    with _lock:
        if _cache["doc"] is not None and time.monotonic() < _cache["until"]:
            return _cache["doc"]
        specs = dict(zip(config.SERVICES, services_pool().map(_fetch, config.SERVICES)))
        own = current_app.extensions["pasar_api"].spec.to_dict()
        doc = merge(own, specs)
        _cache["doc"] = doc
        _cache["until"] = time.monotonic() + (DEGRADED_CACHE_SECONDS if "x-unavailable-services" in doc
                                              else CACHE_SECONDS)
        return doc


def forget_cache() -> None:
    _cache.update(doc=None, until=0.0)


@bp.get("/api/v1/openapi.json")
def openapi_json():
    response = jsonify(merged_spec())
    response.headers["Cache-Control"] = "public, max-age=30"
    return response


def _asset(name: str, mimetype: str) -> Response:
    response = Response((DOCS_DIR / name).read_text(encoding="utf-8"), mimetype=mimetype)
    response.headers["Content-Security-Policy"] = DOCS_CSP
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/api/docs")
def docs_page():
    return _asset("index.html", "text/html")


@bp.get("/api/docs/docs.js")
def docs_js():
    return _asset("docs.js", "application/javascript")


@bp.get("/api/docs/docs.css")
def docs_css():
    return _asset("docs.css", "text/css")
