"""The routing table, and the proxy that forwards /api/v1/<resource>/... to the owning service.

Pooled keep-alive connections, timeouts, one retry for idempotent reads only (and only when the
connection failed), the request id carried through, and a standard 502/504 body when a service is down
or slow. The bearer token is verified here before anything is forwarded; each service verifies it again."""
from __future__ import annotations

import logging
import threading
from urllib.parse import quote

import requests
from flask import Blueprint, Response, g, jsonify, request, stream_with_context
from requests.adapters import HTTPAdapter

from pasar import config
from pasar.auth import bearer_token, verify_access_token
from pasar.errors import ApiError, error_body

from .protection import api_limit

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
    "delivery-fees": "orders",
    "payments": "payments",
    "balances": "payments",
    "payouts": "payments",
    "webhooks": "payments",
    "notifications": "notifications",
}
# Authorization is not in this list: it is added back only once the gateway has verified the bearer token.
# Nothing else a client sends (X-User-Id, X-Role, ...) ever reaches a service.
FORWARD_REQUEST_HEADERS = ("Content-Type", "Accept", "Accept-Language", "If-None-Match",
                           "If-Modified-Since", "Idempotency-Key", "Stripe-Signature", "Last-Event-ID",
                           # Xendit's callback token and delivery id (payments verifies them, never the gateway)
                           "X-Callback-Token", "Webhook-Id")
FORWARD_RESPONSE_HEADERS = ("Content-Type", "ETag", "Cache-Control", "Location", "Retry-After", "Last-Modified",
                            "Content-Disposition", "Vary", "Idempotent-Replayed")
CONNECT_TIMEOUT = float(config.setting("UPSTREAM_CONNECT_TIMEOUT", "2"))
READ_TIMEOUT = float(config.setting("UPSTREAM_READ_TIMEOUT", "15"))
STREAM_READ_TIMEOUT = float(config.setting("UPSTREAM_STREAM_READ_TIMEOUT", "75"))  # SSE: idle gap between beats
IDEMPOTENT_READS = ("GET", "HEAD")
# A live feed (SSE) holds one of this process's few threads for as long as it is open. Cap them so
# feeds can never starve the API; a refused EventSource retries after Retry-After.
STREAM_SLOTS = config.int_setting("GATEWAY_STREAM_SLOTS", max(1, config.web_threads("gateway") // 2))
_stream_slots = threading.BoundedSemaphore(STREAM_SLOTS)

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


def _verified_bearer() -> str | None:
    """Never pass on an identity we have not verified ourselves (services verify again, independently).
    Any other Authorization scheme (Basic, a bare token, ...) is dropped, not forwarded."""
    token = bearer_token()
    if token is not None:
        verify_access_token(token)
    return token


# the path characters a service gets verbatim; everything else (`?`, `#`, `%`, spaces, ...) stays escaped
_PATH_SAFE = "/:@!$&'()*+,;=~"


def upstream_path(path: str) -> str:
    """The decoded request path as the service should see it, or 404 when it would leave the routing table.

    Werkzeug has already decoded `%2F`, `%2E` and `%3F`: `/api/v1/products/..%2F..%2Fhealthz` arrives as
    `/api/v1/products/../../healthz`, which an HTTP client normalises to the service's `/healthz`. Dot
    segments are refused, and the path is escaped again so a decoded `?` or `#` stays part of the path."""
    if "\x00" in path or any(segment in (".", "..") for segment in path.split("/")):
        raise ApiError(404, "no such API path")
    return quote(path, safe=_PATH_SAFE)


def _upstream_headers(token: str | None) -> dict:
    headers = {h: request.headers[h] for h in FORWARD_REQUEST_HEADERS if h in request.headers}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    headers["X-Request-ID"] = g.request_id
    prior = request.headers.get("X-Forwarded-For")
    # the peer that connected to us (the proxy itself when TRUSTED_PROXY_HOPS made remote_addr the client's)
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR") or request.remote_addr or ""
    headers["X-Forwarded-For"] = f"{prior}, {peer}" if prior else peer
    headers["X-Forwarded-Proto"] = request.scheme
    headers["X-Forwarded-Host"] = request.host
    return headers


def _send(service: str, url: str, headers: dict, body: bytes, read_timeout: float) -> requests.Response:
    # Only reads are retried, and only when the connection failed (nothing reached the service):
    # a POST that may have been applied is never sent twice, and a slow service is not asked twice.
    attempts = 2 if request.method in IDEMPOTENT_READS else 1
    for attempt in range(1, attempts + 1):
        try:
            return upstream().request(request.method, url, data=body, headers=headers,
                                      timeout=(CONNECT_TIMEOUT, read_timeout), stream=True, allow_redirects=False)
        except requests.ConnectTimeout as exc:
            if attempt == attempts:
                raise ApiError(504, f"the {service} service did not answer in time") from exc
        except requests.Timeout as exc:
            raise ApiError(504, f"the {service} service did not answer in time") from exc
        except requests.ConnectionError as exc:
            if attempt == attempts:
                raise ApiError(502, f"the {service} service is unavailable; please try again shortly") from exc
        log.info("retrying read", extra={"service": service, "path": request.path})
    raise AssertionError("unreachable")


def forward(service: str, path: str) -> Response:
    url = config.service_url(service) + upstream_path(path)
    token = _verified_bearer()
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")  # as sent: repeated keys and encoding kept
    streaming = "text/event-stream" in request.headers.get("Accept", "") or path.endswith("/stream")
    if streaming and not _stream_slots.acquire(blocking=False):
        busy = jsonify(error_body(503, "too many live feeds open on this server; retrying shortly"))
        busy.status_code, busy.headers["Retry-After"] = 503, "15"
        return busy
    try:
        resp = _send(service, url, _upstream_headers(token), request.get_data(),
                     STREAM_READ_TIMEOUT if streaming else READ_TIMEOUT)
    except BaseException:
        if streaming:
            _stream_slots.release()
        raise
    out_headers = {h: resp.headers[h] for h in FORWARD_RESPONSE_HEADERS if h in resp.headers}
    if resp.headers.get("Content-Type", "").startswith("text/event-stream"):
        relay = Response(stream_with_context(_relay_stream(resp)), status=resp.status_code,
                         headers={**out_headers, "X-Accel-Buffering": "no"})
        relay.call_on_close(_once(resp.close, _stream_slots.release if streaming else None))
        return relay
    if streaming:
        _stream_slots.release()
    try:
        body = resp.content
    except requests.Timeout as exc:
        raise ApiError(504, f"the {service} service did not answer in time") from exc
    except requests.RequestException as exc:  # the service died mid-answer
        raise ApiError(502, f"the {service} service is unavailable; please try again shortly") from exc
    finally:
        resp.close()
    return Response(body, status=resp.status_code, headers=out_headers)


def _relay_stream(resp: requests.Response):
    try:
        yield from resp.iter_content(chunk_size=None)
    except requests.RequestException:
        return  # the service went away; the browser's EventSource reconnects


def _once(*actions):
    """The server calls close() when the browser goes away or the feed ends: free the slot exactly once."""
    done = []

    def run():
        if not done:
            done.append(True)
            for action in actions:
                if action is not None:
                    action()
    return run


@bp.route("/api/v1/<resource>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/api/v1/<resource>/<path:rest>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
@api_limit  # per signed-in user, else per IP (see protection.client_key); shared with /api/v1/auth/*
def proxy(resource: str, rest: str = ""):
    return forward(service_for(resource), request.path)
