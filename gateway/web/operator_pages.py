"""The operator's desk on the pages (issue 16), under /operator (admin only): reported reviews and hiding them,
listings and shops hidden from the market (hidden or shown again from their own pages), accounts (suspend,
reinstate). Every action carries a reason and is recorded (who, when, why) on the thing it changed."""
from __future__ import annotations

from flask import g, redirect, request, url_for

from pasar.errors import ApiError

from .. import operator
from .pages import bp, flash_back, login_required, render
from .redirects import safe_target
from .session import get, post


def _back(target: str, note: str):
    joiner = "&" if "?" in target else "?"
    return redirect(f"{target}{joiner}note={note}", code=303)


@bp.route("/operator/ulasan")
@login_required("admin")
def operator_reviews():
    reply = get("/api/v1/reviews/reported", params={"limit": 50})
    reviews = reply.body.get("reviews", []) if reply.ok and isinstance(reply.body, dict) else []
    return render("operator/reviews.html", reviews=reviews, down=reply.unavailable, note=request.args.get("note"))


@bp.route("/operator/ulasan/<review_id>/sembunyikan", methods=["POST"])
@login_required("admin")
def operator_hide_review(review_id: str):
    reply = post(f"/api/v1/reviews/{review_id}/hide", json_body={"reason": request.form.get("reason", "").strip()})
    return flash_back("web.operator_reviews", "hidden" if reply.ok else "not_hidden")


@bp.route("/operator/moderasi")
@login_required("admin")
def operator_moderation():
    listings, shops = get("/api/v1/products/hidden"), get("/api/v1/shops/hidden")
    return render("operator/moderation.html", listings=listings.items(), shops=shops.items(),
                  down=listings.unavailable or shops.unavailable, note=request.args.get("note"))


@bp.route("/operator/moderasi", methods=["POST"])
@login_required("admin")
def operator_moderate():
    """Hide a listing or shop from the market, or show it again, with a reason; back to where it was done."""
    target, target_id = request.form.get("target"), (request.form.get("target_id") or "")[:64]
    action = request.form.get("action")
    back = safe_target(request.form.get("next"), url_for("web.operator_moderation"))
    if target not in ("listing", "shop") or action not in ("hide", "unhide") or not target_id:
        return _back(back, "not_moderated")
    resource = "products" if target == "listing" else "shops"
    reply = post(f"/api/v1/{resource}/{target_id}/moderation",
                 json_body={"action": action, "reason": request.form.get("reason", "").strip()})
    return _back(back, "moderated" if reply.ok else "not_moderated")


@bp.route("/operator/akun")
@login_required("admin")
def operator_accounts():
    q = request.args.get("q", "").strip()[:120]
    suspended_only = bool(request.args.get("dibekukan"))
    found = operator.find_accounts(q, suspended_only, 50, 0)
    return render("operator/accounts.html", accounts=found["accounts"], total=found["total"], q=q,
                  suspended_only=suspended_only, note=request.args.get("note"))


@bp.route("/operator/akun/<account_id>", methods=["POST"])
@login_required("admin")
def operator_account(account_id: str):
    """Suspend (every login of the account ends now) or reinstate, with a reason."""
    action = request.form.get("action")
    reason = request.form.get("reason", "").strip()[:500]
    if action not in ("suspend", "reinstate") or not reason:
        return flash_back("web.operator_accounts", "not_moderated")
    try:
        operator.moderate(g.user.user_id, account_id, action, reason)
    except ApiError:
        return flash_back("web.operator_accounts", "not_moderated")
    return flash_back("web.operator_accounts", action, q=account_id)
