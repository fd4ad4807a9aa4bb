"""Log in, register (phone or email), log out."""
from __future__ import annotations

from flask import g, redirect, request, url_for

from pasar.auth import verify_access_token

from ..protection import code_limit, login_limits, register_limit
from . import accounts_bridge, cart, i18n, session
from .forms import flatten_fields, general_error
from .pages import bp, flash_back, login_required, render
from .redirects import safe_target

ROLE_HOME = {"seller": "web.seller_home", "agent": "web.seller_home", "courier": "web.courier_home",
             "cs": "web.cs_queue"}


def safe_next(target: str | None, role: str | None) -> str:
    return safe_target(target, url_for(ROLE_HOME.get(role or "", "web.home")))


def signed_in(tokens: dict, target: str | None):
    role = verify_access_token(tokens["access_token"]).role
    response = redirect(safe_next(target, role), code=303)
    session.set_tokens(response, tokens)
    cart.merge_at_login(response, tokens["access_token"], role)  # the visitor's cart joins the account's
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
                if form["role"] in VERIFY_ROLES and body.get("phone"):  # the code is on its way by WhatsApp
                    target = safe_next(request.form.get("next"), form["role"])
                    return signed_in(tokens, url_for("web.verify_phone", next=target, note="sent"))
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


# -- lupa kata sandi: a code by WhatsApp (phone) or email, then a new password ---------------------------------
CODE_TEXT = {"invalid_code": "Kode salah atau sudah tidak berlaku.",
             "too_many_code_attempts": "Terlalu banyak kode salah. Minta kode baru."}


@bp.route("/lupa-sandi", methods=["GET", "POST"])
@code_limit
def forgot_password():
    identifier = request.form.get("identifier", "").strip()[:254]
    errors: dict = {}
    if request.method == "POST":
        reply = accounts_bridge.forgot_password(identifier)
        if reply.ok:  # the same page whether or not the account exists
            return render("reset.html", identifier=identifier, sent=True, channel=reply.body.get("channel"),
                          errors={})
        errors = {"identifier": i18n.gettext("Tulis nomor HP atau email yang benar")}
    return render("forgot.html", 422 if errors else 200, identifier=identifier, errors=errors)


@bp.route("/lupa-sandi/kode", methods=["POST"])
@code_limit
def reset_password():
    identifier = request.form.get("identifier", "").strip()[:254]
    reply = accounts_bridge.reset_password(identifier, request.form.get("code", "")[:20],
                                           request.form.get("new_password", "")[:256])
    tokens = accounts_bridge.tokens_of(reply)
    if tokens:  # every other login has ended; this browser is signed in with the new password
        return signed_in(tokens, None)
    if reply.code in CODE_TEXT:
        errors = {"code": i18n.gettext(CODE_TEXT[reply.code])}
    else:
        errors = flatten_fields(reply.fields) or {"_": general_error(reply, "Kata sandi belum berubah")}
    return render("reset.html", 422 if reply.status != 429 else 429, identifier=identifier, sent=False,
                  channel=None, errors=errors)


# -- verifikasi nomor HP: selling and taking deliveries need a proven phone (issue 18) -------------------------------
# Sign-up with a phone sends the code at once; a seller or courier lands here right after sign-up, and any page whose
# write a service refused with 403 `phone_not_verified` sends the person here too (PhoneNotVerified, pages.py).
VERIFY_ROLES = ("seller", "agent", "courier")


def verification_page(next_target: str | None) -> str:
    return url_for("web.verify_phone", next=next_target) if next_target else url_for("web.verify_phone")


def _after_verify_target(role: str | None) -> str:
    return safe_next(request.values.get("next"), role)


@bp.route("/verifikasi-hp", methods=["GET", "POST"])
@login_required()
@code_limit
def verify_phone():
    who = session.user()
    account = accounts_bridge.get_account(who.user_id)
    if account is None:
        return redirect(url_for("web.login"), code=303)
    next_target = _after_verify_target(who.role)
    errors: dict = {}
    status = 200
    note = request.args.get("note")
    action = request.form.get("action", "")
    if request.method == "POST" and action == "phone" and not account.phone:  # an email-only account adds one
        reply = accounts_bridge.update_profile(who.user_id, {"phone": request.form.get("phone", "").strip()[:40]})
        if reply.ok:
            sent = accounts_bridge.send_phone_code(who.user_id)
            return redirect(url_for("web.verify_phone", next=next_target, note="sent" if sent.ok else None), code=303)
        errors = {"phone": i18n.gettext("Nomor HP/email ini sudah terdaftar") if reply.status == 409
                  else i18n.gettext("Tulis nomor HP yang benar (contoh 0812 3456 7890)")}
    elif request.method == "POST" and action == "send":
        reply = accounts_bridge.send_phone_code(who.user_id)
        if reply.ok:
            return redirect(url_for("web.verify_phone", next=next_target, note="sent"), code=303)
        errors = {"_": i18n.gettext("Kode baru baru saja dikirim. Tunggu beberapa menit lalu minta lagi.")
                  if reply.status == 429 else general_error(reply, "Kode belum terkirim")}
    elif request.method == "POST":
        reply = accounts_bridge.verify_phone(who.user_id, request.form.get("code", "")[:20])
        if reply.ok:
            # a fresh access token that says phone_verified: the services read it from the token alone
            tokens = accounts_bridge.refresh(request.cookies.get(session.REFRESH_COOKIE) or "")
            if tokens:
                g.new_tokens = tokens
            return redirect(_with_note(next_target, "phone_verified"), code=303)
        errors = {"code": i18n.gettext(CODE_TEXT.get(reply.code, "Kode salah atau sudah tidak berlaku."))}
    if errors:
        status = 429 if reply.status == 429 else 422
    return render("verify_phone.html", status, account=account, errors=errors, note=note, next=next_target,
                  needed=who.role in VERIFY_ROLES)


def _with_note(target: str, note: str) -> str:
    return target + ("&" if "?" in target else "?") + "note=" + note


# -- saved addresses: the place by stepwise selects (province → regency → district → village), no script needed ----
ADDRESS_TEXT_FIELDS = ("label", "recipient", "phone", "street", "notes")
STEPS = ("province", "regency", "district", "village_code")


def picked_regions() -> dict:
    """The codes chosen so far; a step only counts when it lies under the one before (a changed province
    forgets the regency chosen under the old one)."""
    picked, parent = {}, ""
    for step in STEPS:
        code = (request.values.get(step) or "").strip()[:13]
        if not code or (parent and not code.startswith(parent + ".")) or (not parent and step != "province"):
            break
        picked[step], parent = code, code
    return picked


def region_options(picked: dict, steps=STEPS) -> dict:
    """Each level's choices once the one above is chosen: what the stepwise picker (`region_steps`) shows."""
    options, parent = {}, None
    for step in steps:
        options[step] = accounts_bridge.region_children(parent)
        if step not in picked:
            break
        parent = picked[step]
    return options


@bp.route("/alamat", methods=["GET", "POST"])
@login_required("shopper")
def addresses():
    user_id = session.user().user_id
    form = {k: request.values.get(k, "").strip()[:300] for k in ADDRESS_TEXT_FIELDS}
    picked = picked_regions()
    errors: dict = {}
    if request.method == "POST" and request.form.get("hapus"):
        accounts_bridge.delete_address(user_id, request.form["hapus"][:36])
        return flash_back("web.addresses", "deleted")
    if request.method == "POST" and not request.form.get("pilih"):
        reply = accounts_bridge.save_address(user_id, {**form, "village_code": picked.get("village_code", "")})
        if reply.ok:
            return flash_back("web.addresses", "saved")
        errors = flatten_fields(reply.fields) or {"_": general_error(reply, "Alamat belum tersimpan")}
        if "village_code" in errors:
            errors["village_code"] = i18n.gettext("Pilih provinsi, kabupaten/kota, kecamatan, lalu desa/kelurahan")
    options = region_options(picked)
    return render("addresses.html", 422 if errors else 200, saved=accounts_bridge.saved_addresses(user_id),
                  form=form, picked=picked, options=options, errors=errors, note=request.args.get("note"))


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
