"""The operator's accounts API (issue 16): /api/v1/auth/accounts (admin only). Routes only; the work is in
operator.py."""
from __future__ import annotations

from datetime import timezone

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from pasar.auth import current_identity, require_roles
from pasar.text import FreeText

from . import operator
from .protection import api_limit

accounts_blp = Blueprint("operator_accounts", __name__, url_prefix="/api/v1/auth/accounts",
                         description="The operator's accounts desk: find, suspend, reinstate")
AUTH = [{"bearerAuth": []}]
When = lambda **kw: fields.AwareDateTime(default_timezone=timezone.utc, **kw)  # noqa: E731


class AccountQuery(Schema):
    q = FreeText(0, 120, load_default="", metadata={"description": "name, email, phone or id"})
    suspended = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class AccountModerationIn(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("suspend", "reinstate")))
    reason = FreeText(1, 500, required=True)


class SuspensionOut(Schema):
    at = When()
    reason = fields.String()
    by = fields.String()


class ActionOut(Schema):
    action = fields.String()
    reason = fields.String()
    actor_id = fields.String()
    at = When()


class OperatorAccountOut(Schema):
    id = fields.String()
    role = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    created_at = When()
    suspended = fields.Nested(SuspensionOut, allow_none=True)
    actions = fields.List(fields.Nested(ActionOut))


class OperatorAccountListOut(Schema):
    accounts = fields.List(fields.Nested(OperatorAccountOut))
    total = fields.Integer()


@accounts_blp.route("", methods=["GET"])
@api_limit
@accounts_blp.arguments(AccountQuery, location="query")
@accounts_blp.response(200, OperatorAccountListOut)
@accounts_blp.doc(security=AUTH)
@require_roles("admin")
def find_accounts(args):
    """Accounts by name, email, phone or id (or only the suspended ones), newest first."""
    return operator.find_accounts(args["q"], args["suspended"], args["limit"], args["offset"])


@accounts_blp.route("/<account_id>", methods=["GET"])
@api_limit
@accounts_blp.response(200, OperatorAccountOut)
@accounts_blp.doc(security=AUTH)
@require_roles("admin")
def get_account(account_id: str):
    """One account with the operator's actions on it (who, when, why)."""
    return operator.get(account_id)


@accounts_blp.route("/<account_id>/moderation", methods=["POST"])
@api_limit
@accounts_blp.arguments(AccountModerationIn)
@accounts_blp.response(200, OperatorAccountOut)
@accounts_blp.doc(security=AUTH)
@require_roles("admin")
def moderate_account(data, account_id: str):
    """Suspend an account (it cannot log in; every login it had ends now: refresh tokens revoked, access tokens
    refused) or reinstate it, with a reason. The same action again changes nothing."""
    return operator.moderate(current_identity().user_id, account_id, data["action"], data["reason"])
