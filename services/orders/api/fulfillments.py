"""Sellers' (and their agents') part of each order."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles
from pasar.web import read_session, uow

from .. import service
from ..schemas import PageArgs, RefuseIn, WorkListOut, WorkOut
from .answers import AUTH, domain_errors

fulfillments_blp = Blueprint("fulfillments", __name__, url_prefix="/api/v1/fulfillments",
                             description="Sellers' (and their agents') part of each order")


@fulfillments_blp.route("", methods=["GET"])
@fulfillments_blp.arguments(PageArgs, location="query")
@fulfillments_blp.response(200, WorkListOut)
@fulfillments_blp.doc(security=AUTH)
@require_roles("seller", "agent")
def list_fulfillments(args):
    """Parcels to prepare: fulfillments of confirmed orders whose seller (or managing agent) is me."""
    with read_session() as session:
        return service.list_fulfillments(session, current_identity().user_id, args.get("status"), args["limit"],
                                         args["offset"])


@fulfillments_blp.route("/<fulfillment_id>", methods=["GET"])
@fulfillments_blp.response(200, WorkOut)
@fulfillments_blp.doc(security=AUTH)
@require_roles("seller", "agent")
def get_fulfillment(fulfillment_id: str):
    who = current_identity()
    with read_session() as session:
        return service.sellers_fulfillment(session, fulfillment_id, who.user_id, who.is_admin)


@fulfillments_blp.route("/<fulfillment_id>/ready", methods=["POST"])
@fulfillments_blp.response(200, WorkOut)
@fulfillments_blp.doc(security=AUTH)
@require_roles("seller", "agent")
@domain_errors
def mark_ready(fulfillment_id: str):
    """The parcel is packed: it is offered to the least loaded available courier of the shop's district,
    or waits on that district's open board."""
    who = current_identity()
    return service.mark_ready(uow(), fulfillment_id, who.user_id, who.is_admin)


@fulfillments_blp.route("/<fulfillment_id>/refuse", methods=["POST"])
@fulfillments_blp.arguments(RefuseIn)
@fulfillments_blp.response(200, WorkOut)
@fulfillments_blp.doc(security=AUTH)
@require_roles("seller", "agent")
@domain_errors
def refuse(body, fulfillment_id: str):
    """I cannot fill this parcel (out of stock, harvest failed), before a courier picked it up: it alone is
    cancelled, its stock released, the shopper refunded for it; the order's other parcels go on."""
    who = current_identity()
    return service.refuse_fulfillment(uow(), fulfillment_id, who.user_id, who.is_admin, body["reason"])
