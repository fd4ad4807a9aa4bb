"""Reviews on the pages (issue 16): write one after receipt (the shopper rates the shop, the seller the
shopper), read a parcel's two reviews (double-blind: the other side's only once published), report one.
The listing and shop pages show the published ones (storefront's `reviews_of`)."""
from __future__ import annotations

from flask import g, redirect, request

from . import i18n
from .forms import flatten_fields
from .pages import bp, flash_back, login_required, render
from .redirects import safe_target
from .session import get, post

STARS = (5, 4, 3, 2, 1)


def reviews_of(listing_id: str | None = None, seller_id: str | None = None) -> list[dict]:
    """Published shoppers' reviews of a listing or a shop, for its page (none when orders is busy)."""
    params = {"listing_id": listing_id} if listing_id else {"seller_id": seller_id}
    reply = get("/api/v1/reviews", params={**params, "limit": 20}, token=None)
    return reply.body.get("reviews", []) if reply.ok and isinstance(reply.body, dict) else []


@bp.app_context_processor
def _review_helpers():
    return {"stars_text": stars_text, "rating_number": rating_number}


def rating_number(average) -> str:
    """An average of stars with one decimal, written the reader's way: 4,5 in Bahasa Indonesia, 4.5 in English."""
    try:
        text = f"{float(average):.1f}"
    except (TypeError, ValueError):
        return ""
    return text if g.get("lang") == "en" else text.replace(".", ",")


def stars_text(rating) -> str:
    """★★★★☆ for 4 (the number is said in words next to it for screen readers)."""
    try:
        whole = max(0, min(5, int(round(float(rating)))))
    except (TypeError, ValueError):
        return ""
    return "★" * whole + "☆" * (5 - whole)


@bp.route("/ulasan/<fulfillment_id>", methods=["GET", "POST"])
@login_required("shopper", "seller", "agent")
def review(fulfillment_id: str):
    """"Tulis ulasan": the parcel's reviews as one of its two sides sees them, and the form while it may write."""
    errors, form = {}, {}
    if request.method == "POST":
        form = {"rating": request.form.get("rating", ""), "text": request.form.get("text", "")}
        rating = int(form["rating"]) if form["rating"].isdigit() else None
        if rating is None:
            errors["rating"] = i18n.gettext("Pilih 1 sampai 5 bintang.")
        else:
            reply = post("/api/v1/reviews", json_body={"fulfillment_id": fulfillment_id, "rating": rating,
                                                       "text": form["text"].strip()})
            if reply.ok:
                return flash_back("web.review", "sent", fulfillment_id=fulfillment_id)
            if reply.status == 409:
                return flash_back("web.review", reply.code or "refused", fulfillment_id=fulfillment_id)
            if reply.status == 404:
                return render("message.html", 404, title=i18n.gettext("Pesanan tidak ditemukan"), text="")
            errors = flatten_fields(reply.fields) or {"text": i18n.gettext("Ulasan belum bisa dikirim.")}
    reply = get(f"/api/v1/reviews/fulfillments/{fulfillment_id}")
    if reply.status == 404:
        return render("message.html", 404, title=i18n.gettext("Pesanan tidak ditemukan"), text="")
    if not reply.ok:
        return render("message.html", 503, title=i18n.gettext("Layanan sedang sibuk"),
                      text=i18n.gettext("Coba lagi sebentar lagi."))
    return render("review.html", 422 if errors else 200, parcel=reply.body, errors=errors, form=form,
                  star_choices=STARS, note=request.args.get("note"))


@bp.route("/ulasan/<review_id>/laporkan", methods=["POST"])
@login_required()
def report_review(review_id: str):
    """Ask the operator to look at a published review; back to the page it was on."""
    reply = post(f"/api/v1/reviews/{review_id}/report", json_body={"reason": request.form.get("reason", "")[:500]})
    target = safe_target(request.form.get("next"), "/")
    joiner = "&" if "?" in target else "?"
    return redirect(f"{target}{joiner}note={'reported' if reply.ok else 'report_failed'}", code=303)
