"""The browser's session and the pages' calls to the services.

Tokens from gateway accounts live in HttpOnly SameSite=Lax cookies (never readable by scripts); forms carry a
CSRF token that must match a cookie. Pages read and write only through the services' HTTP APIs, with the
user's own bearer token, over the gateway's pooled connections: never another service's database."""
from __future__ import annotations

import hmac
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import requests
from flask import g, request

from pasar import config, quantity
from pasar.auth import Identity, verify_access_token
from pasar.errors import ApiError

from ..routes import ROUTES, upstream
from . import accounts_bridge
from .reply import Reply

log = logging.getLogger("gateway.web")

ACCESS_COOKIE = "pd_at"
REFRESH_COOKIE = "pd_rt"
CSRF_COOKIE = "pd_csrf"
CART_COOKIE = "pd_cart"
LANG_COOKIE = "lang"
TIMEOUT = (2, 10)


def service_of(path: str) -> str:
    resource = path.split("/")[3] if path.startswith("/api/v1/") else ""
    return ROUTES.get(resource, "gateway")


class PhoneNotVerified(Exception):
    """A service refused a write because the person's phone is not proven yet (403 `phone_not_verified`): the page
    sends them to /verifikasi-hp instead of showing the refusal (pages.py handles it)."""


def call(method: str, path: str, *, json_body=None, params=None, files=None, data=None, token: str | None = "user",
         timeout=TIMEOUT, headers: dict | None = None) -> Reply:
    """One call to the service that owns `path` (e.g. "/api/v1/products"), with the user's token."""
    reply = _send(method, path, _headers(token, headers), json_body=json_body, params=params, files=files,
                  data=data, timeout=timeout)
    if reply.status == 403 and reply.code == "phone_not_verified":
        raise PhoneNotVerified()
    return reply


def _headers(token: str | None = "user", extra: dict | None = None) -> dict:
    """The headers of a page's call, read from the request context (so they can travel to another thread)."""
    if token == "user":
        token = g.get("access_token")
    # the pages say service messages in the reader's language themselves (i18n.service_text reads the
    # English, i.e. the msgids), so they ask the services for English whatever the reader's language
    headers = {"Accept": "application/json", "X-Request-ID": g.get("request_id", ""),
               "Accept-Language": "en", **(extra or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _send(method: str, path: str, headers: dict, timeout=TIMEOUT, json_body=None, **kw) -> Reply:
    url = config.service_url(service_of(path)) + path
    try:
        resp = upstream().request(method, url, headers=headers, timeout=timeout, allow_redirects=False,
                                  json=json_body, **kw)
    except requests.RequestException as exc:
        log.warning("page call failed", extra={"path": path, "error": type(exc).__name__})
        return Reply(0)
    try:
        body = resp.json()
    except ValueError:
        body = resp.text
    return Reply(resp.status_code, body)


_pool: ThreadPoolExecutor | None = None


def get_all(*reads: tuple[str, dict | None]) -> list[Reply]:
    """Several reads of one page at once (path, params): the page waits for the slowest, not for the sum."""
    global _pool
    if len(reads) == 1:
        return [get(reads[0][0], params=reads[0][1])]
    if _pool is None:  # created lazily: after gunicorn has forked
        _pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="pages")
    headers = _headers()
    futures = [_pool.submit(_send, "GET", path, headers, params=params) for path, params in reads]
    return [f.result() for f in futures]


def get(path: str, **kw) -> Reply:
    return call("GET", path, **kw)


def post(path: str, **kw) -> Reply:
    return call("POST", path, **kw)


# -- identity --------------------------------------------------------------------------------------------------
def load_identity() -> None:
    """Who is browsing: the access cookie, refreshed with the refresh cookie when it has expired."""
    g.user = None
    g.access_token = None
    g.new_tokens = None
    token = request.cookies.get(ACCESS_COOKIE)
    if token:
        try:
            g.user = verify_access_token(token)
            g.access_token = token
            return
        except ApiError:
            pass
    refresh = request.cookies.get(REFRESH_COOKIE)
    if refresh:
        tokens = accounts_bridge.refresh(refresh)
        if tokens:
            try:
                g.user = verify_access_token(tokens["access_token"])
                g.access_token = tokens["access_token"]
                g.new_tokens = tokens
            except ApiError:
                g.new_tokens = {}
        else:
            g.new_tokens = {}  # the refresh token is spent or revoked: forget both


def user() -> Identity | None:
    return g.get("user")


def set_tokens(response, tokens: dict | None) -> None:
    secure = request.is_secure
    if tokens:
        response.set_cookie(ACCESS_COOKIE, tokens["access_token"], httponly=True, samesite="Lax", secure=secure,
                            max_age=config.auth().refresh_ttl_seconds)
        if tokens.get("refresh_token"):
            response.set_cookie(REFRESH_COOKIE, tokens["refresh_token"], httponly=True, samesite="Lax",
                                secure=secure, max_age=config.auth().refresh_ttl_seconds)
    else:
        response.delete_cookie(ACCESS_COOKIE)
        response.delete_cookie(REFRESH_COOKIE)


# -- one submitted form, one write ----------------------------------------------------------------------------------
FORM_KEY = "form_key"


def new_form_key() -> str:
    """A form's one-time key; a form shown again after an error keeps its key."""
    return (request.form.get(FORM_KEY) or "")[:64] or secrets.token_urlsafe(12)


def idempotency(step: str) -> dict | None:
    """Idempotency-Key headers for one write of the submitted form: a double tap, or a resend after a slow link
    lost the answer, creates one shop, listing, photo or order, not two. Services scope keys per user."""
    key = (request.form.get(FORM_KEY) or "")[:64]
    return {"Idempotency-Key": f"web-{key}-{step}"} if key else None


# -- CSRF: a random cookie, echoed by every form -------------------------------------------------------------------
def csrf_token() -> str:
    if "csrf" not in g:
        g.csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    return g.csrf


def csrf_ok() -> bool:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return True
    sent = request.form.get("csrf") or request.headers.get("X-CSRF-Token") or ""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    return bool(cookie) and hmac.compare_digest(sent, cookie)


def persist_csrf(response) -> None:
    if "csrf" in g and request.cookies.get(CSRF_COOKIE) != g.csrf:
        response.set_cookie(CSRF_COOKIE, g.csrf, httponly=True, samesite="Lax", secure=request.is_secure)


# -- cart: a small cookie ({listing_id: qty}), so a visitor can fill it before logging in ---------------------------
def cart() -> dict[str, Decimal]:
    if "cart" not in g:
        # "listing:qty.listing:qty": ids and digits only, so the cookie needs no quoting
        items = {}
        for part in (request.cookies.get(CART_COOKIE) or "").split(".")[:30]:
            listing_id, _, qty = part.partition(":")
            # a decimal quantity (1.5 kg) is written "1_5": the cookie separates its items with "."
            if listing_id and qty.replace("_", "", 1).isdigit() and len(qty) <= 12 and len(listing_id) <= 64:
                amount = Decimal(qty.replace("_", "."))
                if amount > 0:
                    items[listing_id] = min(Decimal(99), amount)
        g.cart = items
    return g.cart


def save_cart(response, items: dict[str, Decimal]) -> None:
    if items:
        value = ".".join(f"{k}:{str(quantity.wire(v)).replace('.', '_')}" for k, v in items.items()
                         if k.replace("-", "").isalnum())
        response.set_cookie(CART_COOKIE, value, httponly=True, samesite="Lax",
                            max_age=30 * 24 * 3600, secure=request.is_secure)
    else:
        response.delete_cookie(CART_COOKIE)
