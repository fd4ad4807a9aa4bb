"""/api/v1/payouts: money earned per delivered parcel, the admin's record of a payout paid by hand, and
which sellers are paid by Stripe Connect."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles
from pasar.web import ctx, documents_errors, uow

from .. import service
from ..schemas import ConnectedAccountIn, ConnectedAccountOut, PayoutOut, PayoutQuery, SubAccountIn, SubAccountOut

payouts_blp = Blueprint("payouts", __name__, url_prefix="/api/v1/payouts", description="Payouts")
BEARER = [{"bearerAuth": []}]


@payouts_blp.route("")
@documents_errors(payouts_blp, 401, 403, 422)
@payouts_blp.arguments(PayoutQuery, location="query")
@payouts_blp.response(200, PayoutOut(many=True))
@payouts_blp.doc(security=BEARER, description="Newest first, at most 200. Seller/courier: your own. Agent: the "
                                              "payouts of the crafters' shops you manage (`payee_id` tells whose; "
                                              "`?payee_id=` narrows to one). Admin: all, or `?payee_id=`.")
@require_roles("seller", "courier", "agent")
def list_payouts(query):
    return service.payouts_for(ctx().db, current_identity(), query["payee_id"])


@payouts_blp.route("/connected-accounts/<seller_id>", methods=["PUT"])
@payouts_blp.arguments(ConnectedAccountIn)
@payouts_blp.response(200, ConnectedAccountOut)
@payouts_blp.doc(security=BEARER, description="Admin: this seller is paid by Stripe Connect transfer.")
@require_roles("admin")
def set_connected_account(body, seller_id: str):
    return service.set_connected_account(uow(), seller_id, body["stripe_account_id"])


@payouts_blp.route("/<payout_id>/paid", methods=["POST"])
@payouts_blp.response(200, PayoutOut)
@payouts_blp.doc(security=BEARER, description="Admin: the operator/cooperative paid this payout by hand "
                                              "(bank transfer, cash). Recorded once in the ledger.")
@require_roles("admin")
def mark_payout_paid(payout_id: str):
    return service.mark_payout_paid(uow(), payout_id)


@payouts_blp.route("/sub-accounts/<seller_id>", methods=["PUT"])
@payouts_blp.arguments(SubAccountIn)
@payouts_blp.response(200, SubAccountOut)
@payouts_blp.doc(security=BEARER, description="Admin: this seller has a xenPlatform sub-account; Xendit payments "
                                              "split their share (goods less commission) to it at payment time.")
@require_roles("admin")
def set_sub_account(body, seller_id: str):
    return service.set_sub_account(uow(), seller_id, body["account_id"])
