"""Log in, register (phone or email), log out."""
from __future__ import annotations

from flask import g, redirect, request, url_for

from pasar.auth import verify_access_token

from ..protection import login_limits, register_limit
from . import accounts_bridge, i18n, session
from .forms import flatten_fields, general_error
from .pages import bp, render
from .redirects import safe_target

ROLE_HOME = {"seller": "web.seller_home", "agent": "web.seller_home", "courier": "web.courier_home"}


def safe_next(target: str | None, role: str | None) -> str:
    return safe_target(target, url_for(ROLE_HOME.get(role or "", "web.home")))


def signed_in(tokens: dict, target: str | None):
    role = verify_access_token(tokens["access_token"]).role
    response = redirect(safe_next(target, role), code=303)
    session.set_tokens(response, tokens)
    return response


@bp.route("/masuk", methods=["GET", "POST"])
@login_limits[0]
@login_limits[1]
def login():
    error = None
    identifier = request.form.get("identifier", "").strip()[:254]
    if request.method == "POST":
        reply = accounts_bridge.login(identifier, request.form.get("password", "")[:256])
        tokens = accounts_bridge.tokens_of(reply)
        if tokens:
            return signed_in(tokens, request.form.get("next"))
        if reply.status == 429:
            error = i18n.gettext("Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi.")
        elif reply.unavailable:
            error = i18n.gettext("Layanan sedang sibuk. Coba lagi sebentar lagi.")
        else:
            error = i18n.gettext("Nomor HP/email atau kata sandi salah.")
    return render("login.html", 401 if error else 200, identifier=identifier, error=error,
                  next=request.values.get("next", ""))


@bp.route("/daftar", methods=["GET", "POST"])
@register_limit
def register():
    form = {k: request.form.get(k, "").strip()[:254] for k in ("name", "contact", "district", "role")}
    form["role"] = form["role"] if form["role"] in ("shopper", "seller", "agent", "courier") else (
        request.args.get("peran") if request.args.get("peran") in ("seller", "agent", "courier") else "shopper")
    errors: dict = {}
    if request.method == "POST":
        contact = form["contact"]
        body = {"name": form["name"], "password": request.form.get("password", "")[:256], "role": form["role"],
                "locale": g.get("lang", "id"), "district": form["district"] or None}
        body["email" if "@" in contact else "phone"] = contact
        reply = accounts_bridge.register(body)
        if reply.ok:
            login_reply = accounts_bridge.login(contact, body["password"])
            tokens = accounts_bridge.tokens_of(reply) or accounts_bridge.tokens_of(login_reply)
            if tokens:
                return signed_in(tokens, request.form.get("next"))
            return redirect(url_for("web.login"), code=303)
        fields = flatten_fields(reply.fields)
        if "email" in fields or "phone" in fields:
            fields["contact"] = fields.pop("email", None) or fields.pop("phone")
        errors = fields or {"_": general_error(reply, "Pendaftaran gagal")}
        if reply.status == 409:
            errors = {"contact": i18n.gettext("Nomor HP/email ini sudah terdaftar")}
    return render("register.html", 422 if errors else 200, form=form, errors=errors,
                  next=request.values.get("next", ""))


@bp.route("/keluar", methods=["POST"])
def logout():
    accounts_bridge.logout(request.cookies.get(session.REFRESH_COOKIE), request.cookies.get(session.ACCESS_COOKIE))
    response = redirect(url_for("web.home"), code=303)
    session.set_tokens(response, None)
    return response


@bp.errorhandler(429)
def too_many(err):
    return render("message.html", 429, title=i18n.gettext("Terlalu banyak percobaan"),
                  text=i18n.gettext("Tunggu sebentar lalu coba lagi."))
