"""/api/v1/cooperatives: a cooperative's members, officers and agents, how its shops' sales are split four ways,
the payouts its officers hand to members, and monthly statements. Officers manage; a member sees their own."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles
from pasar.idempotency import required_idempotency_key
from pasar.web import ctx, documents_errors, uow

from .. import service
from ..schemas import (CooperativeDetailOut, CooperativeIn, CooperativeOut, CoopPayoutIn, CoopPayoutOut,
                       CoopPayoutQuery, CoopPersonIn, CoopPersonOut, MyCoopPayoutsOut, SaleSplitIn, SaleSplitOut,
                       StatementOut)

coops_blp = Blueprint("cooperatives", __name__, url_prefix="/api/v1/cooperatives", description="Cooperatives")
BEARER = [{"bearerAuth": []}]
KEY_HEADER = {"in": "header", "name": "Idempotency-Key", "required": True,
              "schema": {"type": "string", "minLength": 1, "maxLength": 128},
              "description": "a new UUID per payout: the same key again answers the first payout, never a second"}


@coops_blp.route("", methods=["POST"])
@documents_errors(coops_blp, 401, 403, 422)
@coops_blp.arguments(CooperativeIn)
@coops_blp.response(201, CooperativeOut)
@coops_blp.doc(security=BEARER, description="Admin: open a cooperative (koperasi, kelompok) with its officers.")
@require_roles("admin")
def create_cooperative(body):
    return service.create_cooperative(uow(), current_identity(), body)


@coops_blp.route("/mine")
@documents_errors(coops_blp, 401)
@coops_blp.response(200, CooperativeOut(many=True))
@coops_blp.doc(security=BEARER, description="The cooperatives you belong to, with your roles in each.")
def my_cooperatives():
    return service.my_cooperatives(ctx().db, current_identity())


@coops_blp.route("/payouts/mine")
@documents_errors(coops_blp, 401)
@coops_blp.response(200, MyCoopPayoutsOut)
@coops_blp.doc(security=BEARER, description="A member: what your cooperatives paid you, newest first, and what "
                                             "you are owed now (held until the buyer receives, and available).")
def my_payouts():
    return service.my_coop_payouts(ctx().db, current_identity())


@coops_blp.route("/<coop_id>")
@documents_errors(coops_blp, 401, 403, 404)
@coops_blp.response(200, CooperativeDetailOut)
@coops_blp.doc(security=BEARER, description="Officer: members and what each is owed and was paid, agents, split "
                                             "settings, the cooperative's balance and latest payouts.")
def get_cooperative(coop_id: str):
    return service.cooperative_view(ctx().db, current_identity(), coop_id)


@coops_blp.route("/<coop_id>/people", methods=["POST"])
@documents_errors(coops_blp, 401, 403, 404, 409, 422)
@coops_blp.arguments(CoopPersonIn)
@coops_blp.response(200, CoopPersonOut)
@coops_blp.doc(security=BEARER, description="Officer: add a member, an officer or an agent (an agent belongs to "
                                             "one cooperative at most: 409 agent_in_other_cooperative).")
def add_person(body, coop_id: str):
    return service.add_coop_person(uow(), current_identity(), coop_id, body)


@coops_blp.route("/<coop_id>/splits", methods=["PUT"])
@documents_errors(coops_blp, 401, 403, 404, 409, 422)
@coops_blp.arguments(SaleSplitIn)
@coops_blp.response(200, SaleSplitOut)
@coops_blp.doc(security=BEARER, description=(
    "Officer: how a member shop's or a member agent's sales are shared, in basis points (100 = 1%) adding up to "
    "10000; the platform's at least its commission. Applied in whole rupiah at delivery: each part rounded down, "
    "the rupiah left over to the largest fractions, ties to the crafter first (then cooperative, agent, platform). "
    "Every part is held until the buyer receives."))
def set_split(body, coop_id: str):
    return service.set_sale_split(uow(), current_identity(), coop_id, body)


@coops_blp.route("/<coop_id>/payouts", methods=["POST"])
@documents_errors(coops_blp, 401, 403, 404, 409, 422)
@coops_blp.arguments(CoopPayoutIn)
@coops_blp.response(201, CoopPayoutOut)
@coops_blp.doc(security=BEARER, parameters=[KEY_HEADER], description=(
    "Officer: record money handed to a member: `cash` in the village, or a `bank` / `ewallet` transfer with its "
    "`reference`. At most what the member has available (409 insufficient_balance). Idempotency-Key required: "
    "the same key answers the first payout (200), with a different payout 409 idempotency_key_reused."))
def record_payout(body, coop_id: str):
    payout, replayed = service.record_member_payout(uow(), current_identity(), coop_id,
                                                    required_idempotency_key(), body)
    return (payout, 200, {"Idempotent-Replayed": "true"}) if replayed else payout


@coops_blp.route("/<coop_id>/payouts")
@documents_errors(coops_blp, 401, 404, 422)
@coops_blp.arguments(CoopPayoutQuery, location="query")
@coops_blp.response(200, CoopPayoutOut(many=True))
@coops_blp.doc(security=BEARER, description="Officer: the members' payouts (`?member_id=` narrows). A member: "
                                             "only their own, whatever they ask.")
def list_payouts(query, coop_id: str):
    return service.coop_payouts(ctx().db, current_identity(), coop_id, query["member_id"])


@coops_blp.route("/<coop_id>/statements/<month>")
@documents_errors(coops_blp, 401, 403, 404, 422)
@coops_blp.response(200, StatementOut)
@coops_blp.doc(security=BEARER, description="Officer: the cooperative's month (YYYY-MM, in WIB).")
def coop_statement(coop_id: str, month: str):
    return service.coop_statement(ctx().db, current_identity(), coop_id, month)


@coops_blp.route("/<coop_id>/members/<member_id>/statements/<month>")
@documents_errors(coops_blp, 401, 404, 422)
@coops_blp.response(200, StatementOut)
@coops_blp.doc(security=BEARER, description="The member themself or an officer: a member's month (YYYY-MM, WIB).")
def member_statement(coop_id: str, member_id: str, month: str):
    return service.member_statement(ctx().db, current_identity(), coop_id, member_id, month)
