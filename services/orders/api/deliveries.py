"""Couriers' deliveries and their district's open board."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles, require_verified_phone
from pasar.web import read_session, uow

from .. import service
from ..schemas import DeclinedOut, DeliverIn, DeliveryListOut, PageArgs, WorkOut
from .answers import AUTH, domain_errors

deliveries_blp = Blueprint("deliveries", __name__, url_prefix="/api/v1/deliveries",
                           description="Couriers' deliveries and their district's open board")


@deliveries_blp.route("", methods=["GET"])
@deliveries_blp.arguments(PageArgs, location="query")
@deliveries_blp.response(200, DeliveryListOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
def list_deliveries(args):
    """My deliveries: offered to me, accepted, picked up, delivered."""
    with read_session() as session:
        return service.list_deliveries(session, current_identity().user_id, args.get("status"), args["limit"],
                                       args["offset"])


@deliveries_blp.route("/board", methods=["GET"])
@deliveries_blp.response(200, DeliveryListOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
def open_board():
    """Ready parcels of my district that no courier has: any courier of the district may claim one."""
    who = current_identity()
    with read_session() as session:
        return service.open_board(session, who.user_id, who.district)


@deliveries_blp.route("/<fulfillment_id>", methods=["GET"])
@deliveries_blp.response(200, WorkOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
def get_delivery(fulfillment_id: str):
    who = current_identity()
    with read_session() as session:
        return service.visible_delivery(session, fulfillment_id, who.user_id, who.is_admin, who.district)


@deliveries_blp.route("/<fulfillment_id>/accept", methods=["POST"])
@deliveries_blp.response(200, WorkOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
@domain_errors
def accept_delivery(fulfillment_id: str):
    require_verified_phone()  # issue 18: deliveries are taken by couriers whose phone number is proven
    who = current_identity()
    return service.accept_delivery(uow(), fulfillment_id, who.user_id, who.is_admin, who.district)


@deliveries_blp.route("/<fulfillment_id>/decline", methods=["POST"])
@deliveries_blp.response(200, DeclinedOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
@domain_errors
def decline_delivery(fulfillment_id: str):
    """Decline an offer: it goes to the next courier of the district (never back to me), else to the board.
    The answer says only that it is declined: where it went next is no longer my business."""
    who = current_identity()
    service.decline_delivery(uow(), fulfillment_id, who.user_id, who.is_admin, who.district)
    return {"fulfillment_id": fulfillment_id, "declined": True}


@deliveries_blp.route("/<fulfillment_id>/claim", methods=["POST"])
@deliveries_blp.response(200, WorkOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
@domain_errors
def claim_delivery(fulfillment_id: str):
    require_verified_phone()
    who = current_identity()
    return service.claim_delivery(uow(), fulfillment_id, who.user_id, who.is_admin, who.district)


@deliveries_blp.route("/<fulfillment_id>/pickup", methods=["POST"])
@deliveries_blp.response(200, WorkOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
@domain_errors
def pick_up(fulfillment_id: str):
    who = current_identity()
    return service.pick_up(uow(), fulfillment_id, who.user_id, who.is_admin, who.district)


@deliveries_blp.route("/<fulfillment_id>/deliver", methods=["POST"])
@deliveries_blp.arguments(DeliverIn)
@deliveries_blp.response(200, WorkOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
@domain_errors
def deliver(body, fulfillment_id: str):
    """Handed over. Cash on delivery: report the cash collected; it must equal the amount due."""
    who = current_identity()
    return service.deliver(uow(), fulfillment_id, who.user_id, who.is_admin, who.district,
                           body["cod_amount_collected"])
