"""Complaints and returns (issue 16): the shopper complains about one delivered parcel, its seller answers,
the operator decides what nobody settled. Each person sees only their own complaints (404 otherwise)."""
from __future__ import annotations

import functools

from flask import Response, request
from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles
from pasar.errors import ApiError, not_found
from pasar.idempotency import idempotent
from pasar.web import read_session, uow

from .. import complaint_photos, domain, service
from ..schemas import (ComplaintAnswerIn, ComplaintArgs, ComplaintDecisionIn, ComplaintEscalateIn, ComplaintIn,
                       ComplaintListOut, ComplaintOut, ComplaintPhotoArgs, ComplaintPhotoIn)
from .answers import AUTH

complaints_blp = Blueprint("complaints", __name__, url_prefix="/api/v1/complaints",
                           description="Complaints and returns after delivery, and the operator's decisions")


def complaint_errors(view):
    """Somebody else's parcel or complaint is 404; a bad value 422 naming its field; a step the complaint's
    state does not allow (or the window closed) 409."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except domain.NotYours as err:
            raise not_found("fulfillment") from err
        except domain.ComplaintInvalid as err:
            raise ApiError(422, err.message, err.code, {err.field: [err.message]}) from err
        except domain.DomainError as err:
            raise ApiError(409, err.message, err.code) from err
    return wrapper


@complaints_blp.route("", methods=["GET"])
@complaints_blp.arguments(ComplaintArgs, location="query")
@complaints_blp.response(200, ComplaintListOut)
@complaints_blp.doc(security=AUTH)
def list_complaints(args):
    """My complaints (shopper), the complaints about my parcels (seller, agent), or every one (operator);
    `status=escalated` is the operator's queue."""
    who = current_identity()
    with read_session() as session:
        return service.list_complaints(session, who.user_id, who.role, who.is_admin, args.get("status"),
                                       args.get("fulfillment_id"), args["limit"], args["offset"],
                                       args.get("order_id"))


@complaints_blp.route("", methods=["POST"])
@complaints_blp.arguments(ComplaintIn)
@complaints_blp.response(201, ComplaintOut)
@complaints_blp.alt_response(200, schema=ComplaintOut, description="this parcel's complaint was already made")
@complaints_blp.doc(security=AUTH)
@require_roles("shopper")
@complaint_errors
def open_complaint(body):
    """"Ajukan komplain": within the receipt window of one delivered parcel of my order, with a reason, what
    went wrong and up to 3 photos. The receipt timer stops and the seller's share stays held until it ends.
    One complaint per parcel: asking again answers that complaint (200)."""
    who = current_identity()
    if who.is_admin:
        raise not_found("order")
    return service.open_complaint(uow(), body["order_id"], body["fulfillment_id"], who.user_id, body["reason"],
                                  body.get("text") or "", body.get("photos") or [])


@complaints_blp.route("/<complaint_id>", methods=["GET"])
@complaints_blp.response(200, ComplaintOut)
@complaints_blp.doc(security=AUTH)
def get_complaint(complaint_id: str):
    """One complaint with its evidence and every step anyone took on it (who, when, why)."""
    who = current_identity()
    with read_session() as session:
        return service.complaint_for(session, complaint_id, who.user_id, who.role, who.is_admin)


@complaints_blp.route("/<complaint_id>/answer", methods=["POST"])
@complaints_blp.arguments(ComplaintAnswerIn)
@complaints_blp.response(200, ComplaintOut)
@complaints_blp.doc(security=AUTH)
@require_roles("seller", "agent")
@complaint_errors
def answer(body, complaint_id: str):
    """The seller (or their agent) answers an open complaint: refund (all, or `amount`), return then refund,
    or reject with a `reason`."""
    who = current_identity()
    return service.answer_complaint(uow(), complaint_id, who.user_id, who.role, who.is_admin, body["answer"],
                                    body.get("amount"), body.get("reason"))


@complaints_blp.route("/<complaint_id>/return-received", methods=["POST"])
@complaints_blp.response(200, ComplaintOut)
@complaints_blp.doc(security=AUTH)
@require_roles("seller", "agent")
@complaint_errors
def return_received(complaint_id: str):
    """The seller has the goods back: the refund agreed for the return goes to the shopper."""
    who = current_identity()
    return service.return_received(uow(), complaint_id, who.user_id, who.role, who.is_admin)


@complaints_blp.route("/<complaint_id>/accept", methods=["POST"])
@complaints_blp.response(200, ComplaintOut)
@complaints_blp.doc(security=AUTH)
@require_roles("shopper")
@complaint_errors
def accept(complaint_id: str):
    """The shopper accepts the seller's rejection: the complaint ends, the seller is paid."""
    who = current_identity()
    return service.accept_rejection(uow(), complaint_id, who.user_id, who.role)


@complaints_blp.route("/<complaint_id>/escalate", methods=["POST"])
@complaints_blp.arguments(ComplaintEscalateIn)
@complaints_blp.response(200, ComplaintOut)
@complaints_blp.doc(security=AUTH)
@require_roles("shopper")
@complaint_errors
def escalate(body, complaint_id: str):
    """The shopper disputes the seller's rejection: the operator decides."""
    who = current_identity()
    return service.escalate_complaint(uow(), complaint_id, who.user_id, who.role, body.get("reason"))


@complaints_blp.route("/<complaint_id>/return-sent", methods=["POST"])
@complaints_blp.response(200, ComplaintOut)
@complaints_blp.doc(security=AUTH)
@require_roles("shopper")
@complaint_errors
def return_sent(complaint_id: str):
    """The shopper handed the goods over for their way back to the seller."""
    who = current_identity()
    return service.return_sent(uow(), complaint_id, who.user_id, who.role)


@complaints_blp.route("/<complaint_id>/decision", methods=["POST"])
@complaints_blp.arguments(ComplaintDecisionIn)
@complaints_blp.response(200, ComplaintOut)
@complaints_blp.doc(security=AUTH)
@require_roles("admin")
@complaint_errors
def decide(body, complaint_id: str):
    """The operator decides an unresolved complaint: refund `amount`, a return, or release to the seller, with
    a `note` saying why (kept on the complaint with who and when)."""
    who = current_identity()
    return service.decide_complaint(uow(), complaint_id, who.user_id, body["decision"], body.get("amount"),
                                    body["note"])


@complaints_blp.route("/<complaint_id>/photos", methods=["POST"])
@idempotent
@complaints_blp.arguments(ComplaintPhotoIn, location="files")
@complaints_blp.response(201, ComplaintOut)
@complaints_blp.doc(security=AUTH)
@require_roles("shopper")
@complaint_errors
def add_photo(files, complaint_id: str):
    """The complaint's shopper uploads one photo (multipart, part `photo`) straight from the phone's camera: it
    is checked before decoding (size, pixels), re-encoded without EXIF/GPS and kept by orders. At most 3 photos
    per complaint (photo addresses given on opening count too); not a picture, too many pixels or a 4th photo
    is a 422, too large a 413. Send an Idempotency-Key so a retry on a bad link does not add it twice."""
    who = current_identity()
    upload = request.files.get("photo")
    data = upload.read(complaint_photos.max_photo_bytes() + 1) if upload else b""
    return service.add_complaint_photo(uow(), complaint_id, who.user_id, who.role, who.is_admin, data)


@complaints_blp.route("/<complaint_id>/photos/<int:n>", methods=["GET"])
@complaints_blp.arguments(ComplaintPhotoArgs, location="query")
@complaints_blp.doc(security=AUTH, responses={"200": {"description": "the photo (JPEG)",
                                                      "content": {"image/jpeg": {}}}})
def get_photo(args, complaint_id: str, n: int):
    """Uploaded photo `n` (1–3) of a complaint, `?size=thumb` for its 320 px thumbnail: evidence, so only the
    complaint's shopper, its seller (or agent) and the operator may see it; anybody else gets a 404."""
    who = current_identity()
    with read_session() as session:
        data = service.complaint_photo(session, complaint_id, n, who.user_id, who.role, who.is_admin,
                                       args["size"] == "thumb")
    return Response(data, mimetype="image/jpeg", headers={
        "Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"})
