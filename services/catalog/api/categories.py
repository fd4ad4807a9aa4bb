"""Categories: the managed list of product categories (an admin adds them)."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import require_roles
from pasar.web import documents_errors, read_session, uow

from .. import service
from ..schemas import CategoryIn, CategoryOut
from .http import BEARER, conditional_get, refuse_impossible_ids

blp = Blueprint("categories", __name__, url_prefix="/api/v1/categories",
                description="The managed list of product categories")
blp.after_request(conditional_get)
blp.before_request(refuse_impossible_ids)


@blp.route("")
@blp.response(200, CategoryOut(many=True))
def list_categories():
    with read_session() as session:
        return service.list_categories(session)


@blp.route("", methods=["POST"])
@documents_errors(blp, 401, 403, 409, 422)
@blp.arguments(CategoryIn)
@blp.response(201, CategoryOut)
@blp.doc(security=BEARER)
@require_roles("admin")
def add_category(data):
    with uow() as work:
        return service.add_category(work, data)
