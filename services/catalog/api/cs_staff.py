"""Customer-service staff (`cs` accounts, created by the operator in the gateway) and the shops each answers for.
The operator assigns and unassigns; a staff member reads their own shops."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import require_roles
from pasar.web import documents_errors, read_session, uow

from .. import questions
from ..schemas import StaffOut, StaffPage
from .http import BEARER, actor, refuse_impossible_ids

blp = Blueprint("cs_staff", __name__, url_prefix="/api/v1/cs-staff",
                description="Customer-service staff and the shops they answer for")
blp.before_request(refuse_impossible_ids)


@blp.route("")
@documents_errors(blp, 401, 403)
@blp.response(200, StaffPage)
@blp.doc(security=BEARER)
@require_roles("admin")
def list_staff():
    with read_session() as session:
        return questions.list_staff(session)


@blp.route("/<user_id>")
@documents_errors(blp, 401, 404)
@blp.response(200, StaffOut)
@blp.doc(security=BEARER)
@require_roles("cs")
def get_staff(user_id: str):
    """A staff member and their shops (the operator, or the staff member themself)."""
    with read_session() as session:
        return questions.get_staff(session, user_id, actor())


@blp.route("/<user_id>/shops/<shop_id>", methods=["PUT"])
@documents_errors(blp, 401, 403, 404)
@blp.response(200, StaffOut)
@blp.doc(security=BEARER)
@require_roles("admin")
def assign(user_id: str, shop_id: str):
    """Assign a staff member to a shop (idempotent)."""
    with uow() as work:
        return questions.assign(work, user_id, shop_id, actor())


@blp.route("/<user_id>/shops/<shop_id>", methods=["DELETE"])
@documents_errors(blp, 401, 403, 404)
@blp.response(200, StaffOut)
@blp.doc(security=BEARER)
@require_roles("admin")
def unassign(user_id: str, shop_id: str):
    with uow() as work:
        return questions.unassign(work, user_id, shop_id)
