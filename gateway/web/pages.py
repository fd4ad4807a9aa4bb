"""The web pages' blueprint: hooks (identity, CSRF, language), template helpers and page decorators.

The page modules (storefront, seller_pages, courier_pages, account_pages) add their routes to `bp`;
gateway/web/__init__.py gathers them (`PAGE_MODULES`) and gateway/app.py registers `bp`. Nothing here
imports a page module. Pages are server-rendered and work without JavaScript; scripts only enhance
(card form, live feeds)."""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, g, make_response, redirect, render_template, request, url_for
from markupsafe import Markup

from pasar import quantity, regions

from .redirects import safe_target
from . import accounts_bridge, cart, i18n, session

log = logging.getLogger("gateway.web")
HERE = Path(__file__).parent
bp = Blueprint("web", __name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"),
               static_url_path="/aset")


@bp.before_app_request
def _page_context():
    if request.path.startswith("/api/") or request.path in ("/healthz", "/readyz"):
        return None
    g.page_started = time.perf_counter()
    g.lang = request.cookies.get(session.LANG_COOKIE) if request.cookies.get(session.LANG_COOKIE) in i18n.LANGS else None
    session.load_identity()
    if g.lang is None:
        g.lang = (g.user.locale if g.user and g.user.locale in i18n.LANGS else "id")
    return None


@bp.before_request
def _csrf():
    if not session.csrf_ok():
        return render("message.html", 400, title=i18n.gettext("Formulir kedaluwarsa"),
                      text=i18n.gettext("Muat ulang halaman lalu coba lagi."))
    return None


@bp.after_request
def _finish(response):
    session.persist_csrf(response)
    if g.get("new_tokens") is not None:
        session.set_tokens(response, g.new_tokens)
    if "page_started" in g:
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - g.page_started) * 1000:.1f}"
    if request.endpoint == "web.static":  # one small CSS file and two scripts: fetched once a day at most
        response.headers["Cache-Control"] = "public, max-age=86400"
    else:  # a signed-in person's pages stay out of shared caches
        response.headers.setdefault("Cache-Control", "no-store" if g.get("user") else "no-cache")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response  # compressed with every other answer of the gateway (protection.compress)


def rupiah_text(amount) -> str:
    """Rp 10.000 — Indonesian thousands separator, whole rupiah."""
    try:
        return "Rp " + f"{int(amount):,}".replace(",", ".")
    except (TypeError, ValueError):
        return "Rp –"


@bp.app_template_filter("rupiah")
def rupiah(amount) -> Markup:
    """The amount kept on one line ("Rp" never left alone at the end of a line on a narrow phone)."""
    return Markup('<span class="rp">%s</span>') % rupiah_text(amount)


MONTHS = {"id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
          "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")}


def province_of(where) -> str | None:
    """`where` is a province's name or an address dict (a delivery address, a fulfillment's pickup) holding one."""
    if isinstance(where, Mapping):
        where = where.get("province")
    return where if isinstance(where, str) else None


def waktu_text(moment, where=None, with_time: bool = True, lang: str = "id") -> str:
    """A service timestamp (UTC; naive ones are UTC too) on the clock of the place it matters for, with the zone's
    name: 25 Nov 2026, 20.06 WITA. `where` is that place's province (or its address); unknown -> WIB (pasar.regions).
    English pages use the same abbreviations (WIB/WITA/WIT are what Indonesia's clocks are called)."""
    if not moment:
        return ""
    try:
        when, zone = regions.local_time(moment, province_of(where))
    except ValueError:
        return str(moment)[:16].replace("T", " ")
    day = f"{when.day} {MONTHS.get(lang, MONTHS['id'])[when.month - 1]} {when.year}"
    # a no-break space keeps the zone with its clock on a narrow phone ("20.57" / "WITA" never split)
    return f"{day}, {when.hour:02d}.{when.minute:02d}\u00a0{zone}" if with_time else day


@bp.app_template_filter("waktu")
def waktu(moment, where=None, with_time: bool = True) -> str:
    """`{{ at|waktu(order.delivery_address) }}`, `{{ f.pickup_deadline|waktu(f.pickup) }}`: the time where the
    reader is (the shopper: the delivery address; a seller or agent: the shop; a courier: pickup or drop-off)."""
    return waktu_text(moment, where, with_time, g.get("lang", "id"))


def cart_badge(quantities) -> int:
    """Pieces counted; a line sold by measure (1.5 kg) counts once."""
    return sum(int(q) if q == int(q) else 1 for q in quantities)


@bp.app_template_filter("as_qty")
def as_qty(value):
    """An API quantity (2, or "1.5") as a number a template may compare; None stays None."""
    if value is None:
        return None
    try:
        return quantity.parse(value)
    except quantity.NotAQuantity:
        return None


@bp.app_template_filter("qty")
def qty_filter(value) -> str:
    """`{{ line.qty|qty }}`: an exact quantity as the reader writes it ("1,5" in Bahasa Indonesia, "1.5" in
    English); whole numbers as they are."""
    try:
        return quantity.text(value, "." if g.get("lang") == "en" else ",")
    except quantity.NotAQuantity:
        return str(value)


@bp.app_context_processor
def _helpers():
    who = g.get("user")
    return {"_": i18n.gettext, "lang": g.get("lang", "id"), "me": who, "csrf_token": session.csrf_token,
            "new_form_key": session.new_form_key,
            "cart_count": cart_badge(cart.items().values()) if request else 0, "status_label": i18n.status_label,
            "unit_label": i18n.unit_label, "parcel_reason": i18n.parcel_reason,
            # only shoppers (and visitors, who sign up as shoppers) buy: the cart is not offered to anyone else
            "shops_here": who is None or who.role in ("shopper", "admin")}


def render(template: str, status: int = 200, **context):
    return render_template(template, **context), status


def too_many_attempts_page():
    """The rate limit's answer on a page: what happened and what to do, not an error code."""
    response = make_response(render_template(
        "message.html", title=i18n.gettext("Terlalu banyak percobaan"),
        text=i18n.gettext("Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi.")), 429)
    response.headers["Retry-After"] = "60"
    return response


def login_required(*roles: str):
    """Pages for signed-in people; a wrong role sees a friendly 403 page, a visitor goes to the login page."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            who = session.user()
            if who is None:
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if roles and who.role not in roles and who.role != "admin":
                return render("message.html", 403, title=i18n.gettext("Halaman ini bukan untuk akun Anda"),
                              text=i18n.gettext("Masuk dengan akun yang sesuai untuk membuka halaman ini."))
            return view(*args, **kwargs)
        return wrapper
    return decorate


@bp.errorhandler(session.PhoneNotVerified)
def _phone_not_verified(_exc):
    """Selling or a delivery refused for an unproven phone: to the code page, then back where the person was."""
    back = request.full_path.rstrip("?") if request.method == "GET" else _same_site_referrer()
    return redirect(url_for("web.verify_phone", next=back, note="needed"), code=303)


def _same_site_referrer() -> str | None:
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return None
    return safe_target(referrer.path + (f"?{referrer.query}" if referrer.query else ""), "") or None


def flash_back(endpoint: str, note: str | None = None, **values):
    """Post/redirect/get with a short note shown on the next page (a query parameter: no server state)."""
    if note:
        values["note"] = note
    return redirect(url_for(endpoint, **values), code=303)


@bp.route("/bahasa/<lang>", methods=["POST"])
def switch_language(lang: str):
    target = safe_target(request.form.get("next"), "/")
    response = redirect(target, code=303)
    if lang in i18n.LANGS:
        response.set_cookie(session.LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
        if g.get("user") is not None and g.user.locale != lang:
            # messages (inbox, WhatsApp, email) follow the account's language: keep it the same as the pages'
            try:
                accounts_bridge.update_profile(g.user.user_id, {"locale": lang})
            except Exception:  # the pages still switch; the messages keep their old language
                log.warning("could not save the account's language", exc_info=True)
    return response

