"""The routing table, and the proxy that forwards /api/v1/<resource>/... to the owning service.

Pooled keep-alive connections (urllib3 directly: the hop only forwards bytes, so requests' sessions,
cookie jars and body re-encoding are cost without use), timeouts, one retry when the connection failed
before an answer for reads and for writes that carry an Idempotency-Key (the service replays those), the
request id carried through, and a standard 502/504 body when a service is down or slow. The bearer
token is verified here before anything is forwarded; each service verifies it again."""
from __future__ import annotations

import logging
import threading
import time
from urllib.parse import quote

import requests
import urllib3
from flask import Blueprint, Response, g, jsonify, request, stream_with_context
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ReadTimeoutError

from opentelemetry import propagate

from pasar import config, tracing
from pasar.auth import bearer_token, verified_token
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
    "reviews": "orders",
    "complaints": "orders",
    "payments": "payments",
    "balances": "payments",
    "payouts": "payments",
    "webhooks": "payments",
    "cooperatives": "payments",
    "notifications": "notifications",
    "questions": "catalog",   # questions and conversations (issue 19): the catalog knows shops, agents, cs staff
    "cs-staff": "catalog",
}
# Authorization is not in this list: it is added back only once the gateway has verified the bearer token.
# Nothing else a client sends (X-User-Id, X-Role, ...) ever reaches a service.
FORWARD_REQUEST_HEADERS = ("Content-Type", "Accept", "Accept-Language", "If-None-Match",
                           "If-Modified-Since", "Idempotency-Key", "Stripe-Signature", "Last-Event-ID",
                           # Xendit's callback token, delivery id, HMAC signature and its timestamp (payments
                           # verifies them, never the gateway)
                           "X-Callback-Token", "Webhook-Id", "X-Callback-Signature", "Webhook-Timestamp")
FORWARD_RESPONSE_HEADERS = ("Content-Type", "ETag", "Cache-Control", "Location", "Retry-After", "Last-Modified",
                            "Content-Disposition", "Vary", "Idempotent-Replayed", "Allow")  # Allow: a 405 says what is
CONNECT_TIMEOUT = float(config.setting("UPSTREAM_CONNECT_TIMEOUT", "2"))
READ_TIMEOUT = float(config.setting("UPSTREAM_READ_TIMEOUT", "15"))
STREAM_READ_TIMEOUT = float(config.setting("UPSTREAM_STREAM_READ_TIMEOUT", "75"))  # SSE: idle gap between beats
IDEMPOTENT_READS = ("GET", "HEAD")
# A live feed (SSE) holds one of this process's few threads for as long as it is open. Cap them so
# feeds can never starve the API; a refused EventSource retries after Retry-After.
STREAM_SLOTS = config.int_setting("GATEWAY_STREAM_SLOTS", max(1, config.web_threads("gateway") // 2))
_stream_slots = threading.BoundedSemaphore(STREAM_SLOTS)

# An idle pooled connection is dropped after this long, well before the services' gunicorn closes it
# (WEB_KEEPALIVE_SECONDS, 75 s): the gateway then never reuses a connection the service is closing.
POOL_IDLE_SECONDS = float(config.setting("UPSTREAM_POOL_IDLE_SECONDS", "30"))
POOL_SIZE = config.int_setting("UPSTREAM_POOL_SIZE", 32)

bp = Blueprint("proxy", __name__)


class _IdleExpiringPool(urllib3.HTTPConnectionPool):
    """Keep-alive pool that closes a connection idle longer than POOL_IDLE_SECONDS before reusing it."""

    def _put_conn(self, conn) -> None:
        if conn is not None:
            conn.pasar_idle_since = time.monotonic()
        super()._put_conn(conn)

    def _get_conn(self, timeout=None):
        conn = super()._get_conn(timeout)
        idle_since = getattr(conn, "pasar_idle_since", None)
        if idle_since is not None and time.monotonic() - idle_since > POOL_IDLE_SECONDS:
            conn.close()  # reconnects on use
        return conn


_session: requests.Session | None = None


def upstream() -> requests.Session:
    """For the gateway's own calls (health, API docs), not for the hop."""
    global _session
    if _session is None:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=8, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.trust_env = False
        _session = session
    return _session


_pools: dict[str, urllib3.HTTPConnectionPool] = {}
_pools_lock = threading.Lock()


def upstream_pool(service: str) -> urllib3.HTTPConnectionPool:
    pool = _pools.get(service)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(service)
            if pool is None:
                url = urllib3.util.parse_url(config.service_url(service))
                cls = _IdleExpiringPool if url.scheme != "https" else urllib3.HTTPSConnectionPool
                pool = cls(url.host, url.port or (443 if url.scheme == "https" else 80), maxsize=POOL_SIZE,
                           block=False, retries=False)
                _pools[service] = pool
    return pool


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
        verified_token(token)  # verified once per request: the rate limit's key already did it
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
    if tracing.enabled():  # the hop is plain urllib3 (not instrumented): carry the trace to the service
        propagate.inject(headers)
    return headers


def _retry_allowed() -> bool:
    # the service replays a write carrying an Idempotency-Key instead of applying it twice
    return request.method in IDEMPOTENT_READS or bool(request.headers.get("Idempotency-Key"))


def _send(service: str, path: str, headers: dict, body: bytes, read_timeout: float) -> urllib3.HTTPResponse:
    # Retried once, and only when the connection failed before any answer: reads, and writes with an
    # Idempotency-Key. A POST without a key that may have been applied is never sent twice, and a slow
    # service (read timeout) is not asked twice.
    attempts = 2 if _retry_allowed() else 1
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=read_timeout)
    for attempt in range(1, attempts + 1):
        try:
            return upstream_pool(service).urlopen(request.method, path, body=body or None, headers=headers,
                                             timeout=timeout, retries=False, redirect=False,
                                             preload_content=False, decode_content=False, release_conn=False)
        except NewConnectionError as exc:  # refused (urllib3 makes it a ConnectTimeoutError subclass)
            if attempt == attempts:
                raise ApiError(502, f"the {service} service is unavailable; please try again shortly") from exc
        except ConnectTimeoutError as exc:
            if attempt == attempts:
                raise ApiError(504, f"the {service} service did not answer in time") from exc
        except ReadTimeoutError as exc:
            raise ApiError(504, f"the {service} service did not answer in time") from exc
        except (HTTPError, OSError) as exc:  # reset, or closed before an answer (a keep-alive race)
            if attempt == attempts:
                raise ApiError(502, f"the {service} service is unavailable; please try again shortly") from exc
        if log.isEnabledFor(logging.INFO):
            log.info("retrying request", extra={"service": service, "path": request.path, "method": request.method})
    raise AssertionError("unreachable")


def forward(service: str, path: str) -> Response:
    target = upstream_path(path)
    token = _verified_bearer()
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")  # as sent: repeated keys and encoding kept
    streaming = "text/event-stream" in request.headers.get("Accept", "") or path.endswith("/stream")
    if streaming and not _stream_slots.acquire(blocking=False):
        busy = jsonify(error_body(503, "too many live feeds open on this server; retrying shortly"))
        busy.status_code, busy.headers["Retry-After"] = 503, "15"
        return busy
    try:
        resp = _send(service, target, _upstream_headers(token), request.get_data(),
                     STREAM_READ_TIMEOUT if streaming else READ_TIMEOUT)
    except BaseException:
        if streaming:
            _stream_slots.release()
        raise
    out_headers = {h: resp.headers[h] for h in FORWARD_RESPONSE_HEADERS if h in resp.headers}
    if resp.headers.get("Content-Type", "").startswith("text/event-stream"):
        relay = Response(stream_with_context(_relay_stream(resp)), status=resp.status,
                         headers={**out_headers, "X-Accel-Buffering": "no"})
        relay.call_on_close(_once(lambda: _finish(resp), _stream_slots.release if streaming else None))
        return relay
    if streaming:
        _stream_slots.release()
    try:
        body = resp.read()  # the bytes as the service sent them; passed on, not re-encoded
    except ReadTimeoutError as exc:
        _finish(resp, reuse=False)
        raise ApiError(504, f"the {service} service did not answer in time") from exc
    except (HTTPError, OSError) as exc:  # the service died mid-answer
        _finish(resp, reuse=False)
        raise ApiError(502, f"the {service} service is unavailable; please try again shortly") from exc
    _finish(resp)
    return Response(body, status=resp.status, headers=out_headers)


def _finish(resp: urllib3.HTTPResponse, reuse: bool = True) -> None:
    """Give the connection back to the pool (or close it when its answer was not read to the end)."""
    try:
        if not reuse:
            resp.close()  # a half-read answer: the connection cannot carry another request
        resp.release_conn()
    except Exception:
        pass


def _relay_stream(resp: urllib3.HTTPResponse):
    try:
        yield from resp.stream(None, decode_content=False)
    except (HTTPError, OSError):
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
