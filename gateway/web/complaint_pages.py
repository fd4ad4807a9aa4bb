"""Complaints and returns (issue 16) on the pages: the shopper's "Ajukan komplain" and replies on the order page,
the seller's answer form on the incoming orders page, and the operator's desk (`/operator/komplain`): the queue,
the evidence, every step taken (who, when, why) and the decision form. No JavaScript: plain forms with CSRF."""
from __future__ import annotations

import requests
from flask import Response, abort, g, request

from pasar import config

from . import i18n, session
from .forms import general_error, to_int
from .pages import bp, flash_back, login_required, render
from .photo_upload import shrink_photo
from .reply import Reply
from .session import call, get, post

REASONS = ("not_arrived", "damaged", "not_as_described", "wrong_item", "incomplete")
OPEN_STATUSES = ("open", "rejected", "return_requested", "return_sent", "escalated")
QUEUE_FILTERS = ("escalated", "open", "rejected", "return_requested", "return_sent", "resolved")


def complaints(params: dict) -> tuple[list[dict], bool]:
    reply = get("/api/v1/complaints", params={"limit": 100, **params})
    body = reply.body if reply.ok and isinstance(reply.body, dict) else {}
    return list(body.get("complaints") or []), reply.unavailable


def by_fulfillment(params: dict) -> dict[str, dict]:
    """The complaints the reader may see, keyed by parcel (one complaint per parcel)."""
    found, _ = complaints(params)
    return {c.get("fulfillment_id"): c for c in found}


def _back_to_order(order_id: str, note: str):
    return flash_back("web.order", note, order_id=order_id)


# -- the shopper --------------------------------------------------------------------------------------
@bp.route("/pesanan/<order_id>/komplain/<fulfillment_id>", methods=["POST"])
@login_required("shopper")
def open_complaint(order_id: str, fulfillment_id: str):
    """"Ajukan komplain" about one delivered parcel: a reason from the list, what went wrong, and up to 3 photos
    taken with the phone's camera (a multipart form: the complaint first, then each photo uploaded to it)."""
    reason = request.form.get("reason") or ""
    reply = post("/api/v1/complaints", json_body={"order_id": order_id, "fulfillment_id": fulfillment_id,
                                                  "reason": reason, "text": request.form.get("text") or ""})
    if not reply.ok:
        return _back_to_order(order_id, "complaint_failed")
    photos_ok = _upload_photos(reply.body.get("id") or "", request.files.getlist("photo_file"))
    return _back_to_order(order_id, "complained" if photos_ok else "complaint_photo_failed")


def _upload_photos(complaint_id: str, uploads) -> bool:
    """Each chosen file to orders (shrunk first when large, as the seller's photos are); False if one was refused."""
    all_ok = True
    for i, upload in enumerate([u for u in uploads if u and u.filename][:3]):
        name, data, mimetype = shrink_photo(upload)
        reply = call("POST", f"/api/v1/complaints/{complaint_id}/photos", files={"photo": (name, data, mimetype)},
                     timeout=(2, 30), headers=session.idempotency(f"complaint-photo-{i}"))
        all_ok = all_ok and reply.ok
    return all_ok


@bp.route("/komplain/<complaint_id>/foto", methods=["POST"])
@login_required("shopper")
def add_complaint_photo(complaint_id: str):
    """One more photo for a complaint already sent (at most 3 in all)."""
    ok = _upload_photos(complaint_id, request.files.getlist("photo_file"))
    return _back_to_order(request.form.get("order_id") or "", "complaint_step" if ok else "complaint_photo_failed")


@bp.route("/komplain/<complaint_id>/foto/<int:n>")
@login_required()
def complaint_photo(complaint_id: str, n: int):
    """A complaint photo (`?ukuran=kecil`: its thumbnail) relayed from orders with the reader's own token: orders
    decides who may see it (the shopper, the seller and the operator), anybody else gets the 404 page."""
    params = {"size": "thumb"} if request.args.get("ukuran") == "kecil" else None
    path = f"/api/v1/complaints/{complaint_id}/photos/{n}"
    try:
        resp = session.upstream().get(config.service_url("orders") + path, params=params, timeout=(2, 10),
                                      headers=session._headers())
    except requests.RequestException:
        abort(503)
    if resp.status_code != 200 or not resp.headers.get("Content-Type", "").startswith("image/jpeg"):
        abort(404)
    return Response(resp.content, mimetype="image/jpeg", headers={
        "Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"})


def _shopper_step(complaint_id: str, action: str, body: dict | None = None):
    order_id = request.form.get("order_id") or ""
    reply = post(f"/api/v1/complaints/{complaint_id}/{action}", json_body=body or {})
    return _back_to_order(order_id, "complaint_step" if reply.ok else "complaint_failed")


@bp.route("/komplain/<complaint_id>/terima", methods=["POST"])
@login_required("shopper")
def accept_rejection(complaint_id: str):
    return _shopper_step(complaint_id, "accept")


@bp.route("/komplain/<complaint_id>/teruskan", methods=["POST"])
@login_required("shopper")
def escalate_complaint(complaint_id: str):
    return _shopper_step(complaint_id, "escalate", {"reason": request.form.get("reason") or None})


@bp.route("/komplain/<complaint_id>/dikirim-balik", methods=["POST"])
@login_required("shopper")
def return_sent(complaint_id: str):
    return _shopper_step(complaint_id, "return-sent")


# -- the seller ---------------------------------------------------------------------------------------
@bp.route("/penjual/komplain/<complaint_id>/jawab", methods=["POST"])
@login_required("seller", "agent")
def answer_complaint(complaint_id: str):
    answer = request.form.get("answer") or ""
    body = {"answer": answer, "reason": request.form.get("reason") or None}
    if answer in ("refund", "return") and (request.form.get("amount") or "").strip():
        body["amount"] = to_int(request.form.get("amount"))
    reply = post(f"/api/v1/complaints/{complaint_id}/answer", json_body=body)
    return flash_back("web.seller_orders", "complaint_answered" if reply.ok else "complaint_not_answered")


@bp.route("/penjual/komplain/<complaint_id>/barang-kembali", methods=["POST"])
@login_required("seller", "agent")
def return_received(complaint_id: str):
    reply = post(f"/api/v1/complaints/{complaint_id}/return-received", json_body={})
    return flash_back("web.seller_orders", "complaint_answered" if reply.ok else "complaint_not_answered")


# -- the operator's desk ------------------------------------------------------------------------------
@bp.route("/operator/komplain")
@login_required("admin")
def operator_complaints():
    wanted = request.args.get("status")
    wanted = wanted if wanted in QUEUE_FILTERS or wanted == "all" else "escalated"
    found, down = complaints({} if wanted == "all" else {"status": wanted})
    return render("operator/complaints.html", complaints=found, wanted=wanted, filters=QUEUE_FILTERS, down=down,
                  note=request.args.get("note"))


@bp.route("/operator/komplain/<complaint_id>", methods=["GET", "POST"])
@login_required("admin")
def operator_complaint(complaint_id: str):
    error, status = None, 200
    if request.method == "POST":
        decision = request.form.get("decision") or ""
        body = {"decision": decision, "note": request.form.get("note") or ""}
        if decision in ("refund", "return") and (request.form.get("amount") or "").strip():
            body["amount"] = to_int(request.form.get("amount"))
        reply = post(f"/api/v1/complaints/{complaint_id}/decision", json_body=body)
        if reply.ok:
            return flash_back("web.operator_complaint", "decided", complaint_id=complaint_id)
        error, status = general_error(reply, "Keputusan belum bisa disimpan."), 422 if reply.status == 422 else 409
    reply = get(f"/api/v1/complaints/{complaint_id}")
    if not reply.ok:
        return render("message.html", 404 if reply.status == 404 else 503, title=i18n.gettext("Komplain tidak ada"),
                      text=i18n.gettext("Komplain ini tidak ditemukan."))
    return render("operator/complaint.html", status, c=reply.body, error=error, note=request.args.get("note"),
                  form=request.form if request.method == "POST" else {})


@bp.route("/operator/komplain/<complaint_id>/dana-dibayar", methods=["POST"])
@login_required("admin")
def owed_refund_paid(complaint_id: str):
    """Cash on delivery: the operator paid the shopper the refund the platform owed them, by hand."""
    reply = post(f"/api/v1/balances/owed-refunds/{complaint_id}", json_body={})
    note = "refund_paid" if reply.ok else ("refund_already_paid" if reply.status == 409 else "refund_not_paid")
    return flash_back("web.operator_complaint", note, complaint_id=complaint_id)


def reason_label(code: str | None) -> str:
    return i18n.gettext(i18n.COMPLAINT_REASONS.get(code or "", code or ""))


def status_label(code: str | None) -> str:
    return i18n.gettext(i18n.COMPLAINT_STATUS.get(code or "", code or ""))


def action_label(code: str | None) -> str:
    return i18n.gettext(i18n.COMPLAINT_ACTIONS.get(code or "", code or ""))


@bp.app_context_processor
def _complaint_helpers():
    return {"complaint_reason": reason_label, "complaint_status": status_label, "complaint_action": action_label,
            "complaint_reasons": REASONS, "complaint_open_statuses": OPEN_STATUSES,
            "is_operator": bool(g.get("user")) and g.user.role == "admin"}


__all__ = ["by_fulfillment", "Reply"]
