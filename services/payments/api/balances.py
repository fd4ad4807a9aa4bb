"""/api/v1/balances: what the ledger says sellers, couriers, agents' crafters and the platform hold, and
the admin's record of cash on delivery handed over."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles
from pasar.idempotency import required_idempotency_key
from pasar.web import ctx, documents_errors, uow

from .. import service
from ..schemas import (BalanceOut, CodHandoverIn, CodHandoverOut, CodOutstandingOut, CodOutstandingQuery,
                       ManagedBalancesOut, ManagedQuery, OwedRefundOut, PlatformBalancesOut)

balances_blp = Blueprint("balances", __name__, url_prefix="/api/v1/balances", description="Ledger balances")
BEARER = [{"bearerAuth": []}]
KEY_HEADER = {"in": "header", "name": "Idempotency-Key", "required": True,
              "schema": {"type": "string", "minLength": 1, "maxLength": 128},
              "description": "a new UUID per hand-over: the same key again answers the first record, never a second"}


@balances_blp.route("/me")
@documents_errors(balances_blp, 401, 403)
@balances_blp.response(200, BalanceOut)
@balances_blp.doc(security=BEARER, description="Seller or courier: your own balance. An agent holds no money of "
                                               "its own: it reads its crafters' at /api/v1/balances/managed.")
@require_roles("seller", "courier")
def my_balance():
    return service.read_balance(ctx().db, current_identity().user_id)


@balances_blp.route("/managed")
@documents_errors(balances_blp, 401, 403, 422)
@balances_blp.arguments(ManagedQuery, location="query")
@balances_blp.response(200, ManagedBalancesOut)
@balances_blp.doc(security=BEARER, description=(
    "Agent: the balance of every crafter's shop (payee `shop:<shop_id>`) it manages, as learnt from orders' "
    "events; the crafters have no account, the agent hands them their money. `seller_payable` is owed now "
    "(goods less commission, less payouts already paid). Only the agent that manages a crafter now sees it. "
    "Admin: give `agent_id`."))
@require_roles("agent")
def managed_balances(query):
    return service.read_managed_balances(ctx().db, current_identity(), query["agent_id"])


@balances_blp.route("")
@balances_blp.response(200, PlatformBalancesOut)
@balances_blp.doc(security=BEARER)
@require_roles("admin")
def all_balances():
    return service.platform_balances(ctx().db)


@balances_blp.route("/cod-outstanding")
@documents_errors(balances_blp, 401, 403, 422)
@balances_blp.arguments(CodOutstandingQuery, location="query")
@balances_blp.response(200, CodOutstandingOut)
@balances_blp.doc(security=BEARER, description=(
    "Admin: every courier who still holds cash collected on delivery: the amount, how many deliveries it is "
    "for and the oldest collection, oldest first (`?courier_id=` for one courier, also at 0)."))
@require_roles("admin")
def cod_outstanding(query):
    return service.cod_outstanding(ctx().db, query["courier_id"])


@balances_blp.route("/cod-handovers", methods=["POST"])
@documents_errors(balances_blp, 401, 403, 409, 422)
@balances_blp.arguments(CodHandoverIn)
@balances_blp.response(201, CodHandoverOut)
@balances_blp.doc(security=BEARER, parameters=[KEY_HEADER], description=(
    "Admin: a courier handed over `amount` of the cash they collected on delivery (any number of deliveries at "
    "once). One balanced ledger transaction; never more than the courier holds (409 more_than_outstanding). "
    "Idempotency-Key required: the same key answers the first record (200), with another amount 409 "
    "idempotency_key_reused."))
@require_roles("admin")
def record_cod_handover(body):
    handover, replayed = service.record_cod_handover(uow(), current_identity(),
                                                     required_idempotency_key(), body)
    return (handover, 200, {"Idempotent-Replayed": "true"}) if replayed else handover


@balances_blp.route("/cod-handovers")
@documents_errors(balances_blp, 401, 403, 422)
@balances_blp.arguments(CodOutstandingQuery, location="query")
@balances_blp.response(200, CodHandoverOut(many=True))
@balances_blp.doc(security=BEARER, description="Admin: a courier's cash hand-overs, newest first (who recorded "
                                               "them, when, the note). Give `courier_id`.")
@require_roles("admin")
def cod_handovers(query):
    return service.cod_handovers(ctx().db, query["courier_id"] or "")


@balances_blp.route("/<user_id>")
@balances_blp.response(200, BalanceOut)
@balances_blp.doc(security=BEARER)
@require_roles("admin")
def someones_balance(user_id: str):
    return service.read_balance(ctx().db, user_id)


@balances_blp.route("/cod-remittances/<fulfillment_id>", methods=["POST"])
@balances_blp.response(200, BalanceOut)
@balances_blp.doc(security=BEARER, description="Admin: the courier handed over the cash they collected for this "
                                               "delivery. Answers the courier's balance after it.")
@require_roles("admin")
def record_cod_remittance(fulfillment_id: str):
    return service.remit_cod_cash(uow(), fulfillment_id)


@balances_blp.route("/owed-refunds/<complaint_id>", methods=["POST"])
@balances_blp.response(200, OwedRefundOut)
@balances_blp.doc(security=BEARER, description="Admin: the complaint refund the platform owed the shopper (cash on "
                                               "delivery, or a rail that cannot refund by API) was paid by hand. "
                                               "Recorded once in the ledger; again is 409 `already_paid`.")
@require_roles("admin")
def record_owed_refund_paid(complaint_id: str):
    return service.pay_owed_refund(uow(), complaint_id)
