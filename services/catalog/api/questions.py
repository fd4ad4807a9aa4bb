"""Questions and conversations (issue 19): a shopper asks about a listing or an order; the shop (seller or agent)
and its assigned customer-service staff answer, hand over and resolve; the operator reads response times.
A thread is private to its parties: to everyone else it is "not found" (404)."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import require_roles
from pasar.idempotency import KEY_PARAMETER, idempotent, required_idempotency_key
from pasar.web import documents_errors, read_session, uow

from .. import questions
from ..schemas import (MessageIn, QuestionIn, QuestionMessageOut, QuestionOut, QuestionPage, QuestionQuery,
                       ResponseTimesOut)
from .http import BEARER, actor, actor_name, refuse_impossible_ids

blp = Blueprint("questions", __name__, url_prefix="/api/v1/questions",
                description="Shoppers' questions to a shop, answered by the shop and its customer-service staff")
blp.before_request(refuse_impossible_ids)
KEY_PARAMETERS = [{**KEY_PARAMETER, "required": True}]


@blp.route("", methods=["POST"])
@idempotent
@documents_errors(blp, 401, 403, 404, 422)
@blp.arguments(QuestionIn)
@blp.response(201, QuestionOut)
@blp.doc(security=BEARER, parameters=KEY_PARAMETERS,
         description="Needs an Idempotency-Key. 429 after too many questions or messages in an hour "
                     "(`too_many_questions`, `too_many_messages`).")
@require_roles("shopper")
def ask(data):
    """Ask a shop about a listing (`listing_id`) or about one of my orders (`order_id`)."""
    required_idempotency_key()
    with uow() as work:
        return questions.ask(work, actor(), actor_name(), data)


@blp.route("")
@documents_errors(blp, 401, 422)
@blp.arguments(QuestionQuery, location="query")
@blp.response(200, QuestionPage)
@blp.doc(security=BEARER)
def list_questions(args):
    """My threads: a shopper's own; a seller's or agent's shops'; a cs staff member's assigned shops (the queue:
    `status=queue`); every thread for the operator."""
    with read_session() as session:
        return questions.list_threads(session, actor(), args)


@blp.route("/response-times")
@documents_errors(blp, 401, 403)
@blp.response(200, ResponseTimesOut)
@blp.doc(security=BEARER)
@require_roles("admin")
def response_times():
    """The operator's report: time to the first answer, overall, per cs staff member and per shop."""
    with read_session() as session:
        return questions.response_times(session)


@blp.route("/<thread_id>")
@documents_errors(blp, 401, 404)
@blp.response(200, QuestionOut)
@blp.doc(security=BEARER)
def get_question(thread_id: str):
    with read_session() as session:
        return questions.get_thread(session, thread_id, actor())


@blp.route("/<thread_id>/messages", methods=["POST"])
@idempotent
@documents_errors(blp, 401, 404, 422)
@blp.arguments(MessageIn)
@blp.response(201, QuestionMessageOut)
@blp.doc(security=BEARER, parameters=KEY_PARAMETERS,
         description="Needs an Idempotency-Key; 429 `too_many_messages` past the hourly limit.")
def post_message(data, thread_id: str):
    """Write in the thread (any party); every other party is notified."""
    required_idempotency_key()
    with uow() as work:
        return questions.post_message(work, thread_id, actor(), actor_name(), data["body"])


@blp.route("/<thread_id>/handover", methods=["POST"])
@documents_errors(blp, 401, 403, 404, 409)
@blp.response(200, QuestionOut)
@blp.doc(security=BEARER)
def hand_over(thread_id: str):
    """Customer service hands the question over to the seller (and agent), who are notified."""
    with uow() as work:
        return questions.hand_over(work, thread_id, actor(), actor_name())


@blp.route("/<thread_id>/resolve", methods=["POST"])
@documents_errors(blp, 401, 404)
@blp.response(200, QuestionOut)
@blp.doc(security=BEARER)
def resolve(thread_id: str):
    """Mark the question resolved (any party; idempotent). A new message reopens it."""
    with uow() as work:
        return questions.resolve(work, thread_id, actor())
