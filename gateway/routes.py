"""The routing table, and the proxy that forwards /api/v1/<resource>/... to the owning service.

Pooled keep-alive connections, timeouts, one retry for idempotent reads only, the request id carried
through, and a standard 502/504 body when a service is down or slow."""
from __future__ import annotations

import logging

import requests
from flask import Blueprint, Response, g, request, stream_with_context
from requests.adapters import HTTPAdapter

from pasar import config
from pasar.auth import bearer_token, verify_access_token
from pasar.errors import ApiError

log = logging.getLogger("gateway.proxy")

# resource (first path segment after /api/v1/) -> owning service
ROUTES: dict[str, str] = {
    "products": "catalog",
    "shops": "catalog",
    "categories": "catalog",
    "media": "catalog",
    "orders": "orders",
    "cart": "orders",
    "fulfillments": "orders",
    "deliveries": "orders",
    "couriers": "orders",
    "payments": "payments",
    "balances": "payments",
    "payouts": "payments",
    "webhooks": "payments",
    "notifications": "notifications",
}
FORWARD_REQUEST_HEADERS = ("Authorization", "Content-Type", "Accept", "Accept-Language", "If-None-Match",
                           "If-Modified-Since", "Idempotency-Key", "Stripe-Signature", "Last-Event-ID")
FORWARD_RESPONSE_HEADERS = ("Content-Type", "ETag", "Cache-Control", "Location", "Retry-After", "Last-Modified",
                            "Content-Disposition", "Vary")
CONNECT_TIMEOUT = float(config.setting("UPSTREAM_CONNECT_TIMEOUT", "2"))
READ_TIMEOUT = float(config.setting("UPSTREAM_READ_TIMEOUT", "15"))

bp = Blueprint("proxy", __name__)
_session: requests.Session | None = None


def upstream() -> requests.Session:
    global _session
    if _session is None:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=32, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.trust_env = False
        _session = session
    return _session


def service_for(resource: str) -> str:
    service = ROUTES.get(resource)
    if service is None:
        raise ApiError(404, f"no API resource named {resource!r}")
    return service


def forward(service: str, path: str) -> Response:
    if bearer_token() is not None:
        verify_access_token(bearer_token())  # never pass an identity we have not checked ourselves
    headers = {h: request.headers[h] for h in FORWARD_REQUEST_HEADERS if h in request.headers}
    headers["X-Request-ID"] = g.request_id
    headers["X-Forwarded-For"] = request.remote_addr or ""
    url = config.service_url(service) + path
    idempotent = request.method in ("GET", "HEAD", "OPTIONS")
    attempts = 2 if idempotent else 1
    for attempt in range(1, attempts + 1):
        try:
            resp = upstream().request(request.method, url, params=request.args, data=request.get_data(),
                                      headers=headers, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), stream=True,
                                      allow_redirects=False)
            break
        except requests.Timeout as exc:
            if attempt == attempts or isinstance(exc, requests.ReadTimeout) and not idempotent:
                raise ApiError(504, f"the {service} service did not answer in time") from exc
        except requests.ConnectionError as exc:
            if attempt == attempts:
                raise ApiError(502, f"the {service} service is unavailable; please try again shortly") from exc
    out_headers = {h: resp.headers[h] for h in FORWARD_RESPONSE_HEADERS if h in resp.headers}
    if resp.headers.get("Content-Type", "").startswith("text/event-stream"):
        return Response(stream_with_context(resp.iter_content(chunk_size=None)), status=resp.status_code,
                        headers={**out_headers, "X-Accel-Buffering": "no"})
    body = resp.content
    resp.close()
    return Response(body, status=resp.status_code, headers=out_headers)


@bp.route("/api/v1/<resource>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/api/v1/<resource>/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def proxy(resource: str, rest: str = ""):
    return forward(service_for(resource), request.path)
