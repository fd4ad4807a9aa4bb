"""What the door does to every request before it reaches a room: rate limits, body size limits, CORS,
security headers.

Rate limits count in memory by default (`pasar-memory://`, below), so each gunicorn worker process
counts on its own: with WEB_CONCURRENCY=N a client gets up to N× the limit. Point RATELIMIT_STORAGE_URI
at a shared store (e.g. redis://127.0.0.1:6379/0) to count across processes."""
from __future__ import annotations

import gzip

from collections.abc import Callable

from flask import Flask, g, jsonify, request
import threading
import time

from flask_limiter import Limiter
from limits.storage import MemoryStorage
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from pasar import config
from pasar.auth import bearer_token, verified_token, verify_access_token
from pasar.limits import BodyProblem, check_json_body
from pasar.web import install_input_guards
from pasar.errors import ApiError, error_body

from . import domain

LOGIN_LIMIT = config.setting("RATELIMIT_LOGIN", "10/minute")            # per IP + identifier
LOGIN_IP_LIMIT = config.setting("RATELIMIT_LOGIN_PER_IP", "100/minute")  # per IP, any identifier
REGISTER_LIMIT = config.setting("RATELIMIT_REGISTER", "30/minute")      # per IP
CODE_IP_LIMIT = config.setting("RATELIMIT_CODES_PER_IP", "20/hour")    # one-time codes asked for or tried, per IP
API_LIMIT = config.setting("RATELIMIT_API", "1200/minute")              # per signed-in user, else per IP
JSON_BODY_LIMIT = config.int_setting("MAX_JSON_BYTES", 256 * 1024)      # any non-upload body
UPLOAD_BODY_LIMIT = config.int_setting("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)  # multipart to /api/v1/media, complaint photos
UPLOAD_PREFIXES = ("/api/v1/media",)
# a seller's forms that carry photos from the phone's camera (listing and shop forms): the page shrinks the photo
# before the catalog sees it, so the camera's original (often 1-5 MB) must reach the page first
SELLER_PHOTO_FORMS = ("/penjual/produk", "/penjual/toko")

DEFAULT_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
               "script-src 'self' https://js.stripe.com; frame-src https://js.stripe.com https://hooks.stripe.com; "
               "connect-src 'self' https://api.stripe.com; font-src 'self' data:; object-src 'none'; "
               "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def client_ip() -> str:
    return request.remote_addr or "unknown"


def client_key() -> str:
    """A signed-in user is counted as themself (wherever they connect from); anyone else by IP."""
    token = bearer_token()
    if token:
        try:
            return "user:" + verified_token(token).user_id
        except ApiError:
            pass
    return "ip:" + client_ip()


def login_key() -> str:
    try:  # runs before the input guards (Flask-Limiter's hook comes first): a hostile body must not crash it
        body = check_json_body(request.get_data(cache=True)) if request.is_json else None
    except BodyProblem:
        body = None
    raw = body.get("identifier") if isinstance(body, dict) else None
    raw = raw if isinstance(raw, str) else (request.form.get("identifier") or "")
    try:
        who = ":".join(domain.classify_identifier(raw))  # 0812... and +62812... are the same person
    except ValueError:
        who = raw.strip().lower()[:254]
    return f"login:{client_ip()}:{who}"


class SweepingMemoryStorage(MemoryStorage):
    """limits' in-memory counters without its expiry timer. MemoryStorage starts a threading.Timer on
    every hit once the previous one has run (a thread start per request: 18 % of the gateway's GIL
    samples under load). A fixed window only needs `get` to drop an expired counter, which it already does
    on read; the memory of keys nobody asks about again is reclaimed here at most once every few seconds,
    inline, by the request that notices it is due."""

    STORAGE_SCHEME = ["pasar-memory"]
    SWEEP_SECONDS = 5.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()
        self._next_sweep = time.monotonic() + self.SWEEP_SECONDS
        self._sweep_lock = threading.Lock()

    def _maybe_sweep(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + self.SWEEP_SECONDS
            wall = time.time()
            for key, expires in list(self.expirations.items()):
                if expires <= wall:
                    self.storage.pop(key, None)
                    self.expirations.pop(key, None)
                    self.locks.pop(key, None)
        finally:
            self._sweep_lock.release()

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        self.get(key)  # an expired window starts again from zero
        self._maybe_sweep()
        with self.locks[key]:
            self.storage[key] += amount
            if self.storage[key] == amount:
                self.expirations[key] = time.time() + expiry
        return self.storage.get(key, 0)

    def decr(self, key: str, amount: int = 1) -> int:
        self.get(key)
        with self.locks[key]:
            self.storage[key] = max(self.storage[key] - amount, 0)
        return self.storage.get(key, 0)


# With RATELIMIT_STORAGE_URI=redis://... every gateway process and host counts in one place (one allowance per
# client, not one per process); the key prefix keeps deployments (or test runs) sharing a Redis apart.
limiter = Limiter(key_func=client_key, storage_uri=config.setting("RATELIMIT_STORAGE_URI", "pasar-memory://"),
                  key_prefix=config.setting("RATELIMIT_KEY_PREFIX", "pasar"),
                  headers_enabled=True, strategy="fixed-window")
# One budget per client for the whole API: the proxied resources and the gateway's own /api/v1/auth/*.
api_limit = limiter.shared_limit(API_LIMIT, scope="api")
# Logging in and signing up count once per person/IP whether through the API or the pages' forms: guessing
# passwords on /masuk must not add a second allowance to /api/v1/auth/login.
login_limits = (
    limiter.shared_limit(LOGIN_LIMIT, scope="login", key_func=login_key, methods=["POST"]),
    limiter.shared_limit(LOGIN_IP_LIMIT, scope="login-ip", key_func=lambda: "login-ip:" + client_ip(),
                         methods=["POST"]),
)
register_limit = limiter.shared_limit(REGISTER_LIMIT, scope="register", key_func=lambda: "register:" + client_ip(),
                                      methods=["POST"])
# Asking for a reset code and trying one count together per IP, through the API and the pages alike; the
# per-account limits (codes sent per window, guesses per code) are in domain.py.
code_limit = limiter.shared_limit(CODE_IP_LIMIT, scope="codes", key_func=lambda: "codes:" + client_ip(),
                                  methods=["POST"])


def _body_limit() -> int:
    upload = request.mimetype == "multipart/form-data" and (
        request.path.startswith(UPLOAD_PREFIXES + SELLER_PHOTO_FORMS) or _is_complaint_photo_upload(request.path))
    return UPLOAD_BODY_LIMIT if upload else JSON_BODY_LIMIT


def _is_complaint_photo_upload(path: str) -> bool:
    """A shopper's evidence from the phone's camera: the API's POST /api/v1/complaints/<id>/photos, and the
    order page's forms that carry photos, POST /pesanan/<order>/komplain/<parcel> and /komplain/<id>/foto."""
    parts = path.strip("/").split("/")
    return ((len(parts) == 5 and parts[:3] == ["api", "v1", "complaints"] and parts[4] == "photos")
            or (len(parts) == 4 and parts[0] == "pesanan" and parts[2] == "komplain")
            or (len(parts) == 3 and parts[0] == "komplain" and parts[2] == "foto"))


def _too_large(limit: int):
    g.refused_body = True
    return jsonify(error_body(413, f"request body too large (limit {limit // 1024} KB)")), 413


COMPRESSIBLE = ("text/html", "text/css", "application/javascript", "text/javascript", "application/json")


def compress(response):
    """gzip pages, CSS, scripts and API JSON for clients that accept it: a village link carries a quarter of the
    bytes. Streams (the live feeds), small, partial or conditional answers pass untouched. The ETag becomes weak
    (the bytes differ from the service's); If-None-Match compares weakly, so revalidation still gives 304."""
    if (response.status_code != 200 or response.is_streamed and not response.direct_passthrough
            or "gzip" not in request.headers.get("Accept-Encoding", "").lower()
            or response.headers.get("Content-Encoding")
            or not response.mimetype or response.mimetype not in COMPRESSIBLE):
        return response
    response.direct_passthrough = False  # static files are served as a file wrapper; read them once here
    data = response.get_data()
    if len(data) < 1024:
        return response
    response.set_data(gzip.compress(data, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    if response.headers.get("ETag") and not response.headers["ETag"].startswith("W/"):
        response.headers["ETag"] = "W/" + response.headers["ETag"]
    return response


def allowed_origins() -> set[str]:
    return {o.strip().rstrip("/") for o in (config.setting("CORS_ORIGINS", "") or "").split(",") if o.strip()}


CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, Accept, Accept-Language, Idempotency-Key, X-Request-ID, Last-Event-ID"


def install(app: Flask, too_many_page: Callable | None = None) -> None:
    """`too_many_page`: the answer a page (not /api/) gets when a rate limit refuses it."""
    hops = config.int_setting("TRUSTED_PROXY_HOPS", 0)
    if hops:  # behind nginx/a load balancer: count clients by the address it saw, not by the proxy's
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.config["MAX_CONTENT_LENGTH"] = max(JSON_BODY_LIMIT, UPLOAD_BODY_LIMIT)
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    limiter.init_app(app)
    origins = allowed_origins()

    @app.errorhandler(TooManyRequests)
    def _too_many(err):
        if too_many_page is not None and not request.path.startswith("/api/"):
            return too_many_page()  # a person at a form gets a page in their language, not JSON
        response = jsonify(error_body(429, "too many requests; please wait a moment and try again"))
        response.status_code = 429
        return response

    @app.before_request
    def _refuse_big_bodies():
        limit = _body_limit()
        length = request.content_length
        if length is not None:
            return _too_large(limit) if length > limit else None
        if "chunked" not in (request.headers.get("Transfer-Encoding") or "").lower():
            return None
        # No Content-Length (chunked): read and keep the body here, stopping one byte past the limit.
        # (Werkzeug's capped stream quietly stops *at* its cap, so a body of exactly `limit + 1` bytes
        # is how we can tell "too large" from "just fits".)
        request.max_content_length = limit + 1
        try:
            body = request.get_data(cache=True)
        except RequestEntityTooLarge:
            return _too_large(limit)
        return _too_large(limit) if len(body) > limit else None

    # after the size check, so a chunked body is read (and capped) once
    install_input_guards(app)

    @app.before_request
    def _cors_preflight():
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            origin = (request.headers.get("Origin") or "").rstrip("/")
            if origin not in origins:
                return jsonify(error_body(403, "origin not allowed")), 403
            response = app.response_class(status=204)
            response.headers.update({
                "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": CORS_METHODS,
                "Access-Control-Allow-Headers": CORS_HEADERS, "Access-Control-Max-Age": "600",
                "Access-Control-Allow-Credentials": "true", "Vary": "Origin"})
            return response
        return None

    csp = config.setting("CONTENT_SECURITY_POLICY", DEFAULT_CSP)

    @app.after_request
    def _headers(response):
        origin = (request.headers.get("Origin") or "").rstrip("/")
        if origin and origin in origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Access-Control-Expose-Headers"] = "X-Request-ID, Retry-After, ETag, Location, Idempotent-Replayed"
            response.vary.add("Origin")
        # a page may set its own CSP (e.g. the API docs); everything else gets the strict default
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if g.get("refused_body"):
            response.headers["Connection"] = "close"  # the unread body must not be parsed as the next request
        return compress(response)
