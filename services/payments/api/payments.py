"""/api/v1/payments: a shopper's payment of an order, and the test-mode (sandbox) card form."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles
from pasar.web import ctx, uow

from .. import service
from ..schemas import CardDeclinedOut, ChannelChoiceIn, ChannelChoiceOut, ChannelsOut, PaymentOut, SandboxCardIn

blp = Blueprint("payments", __name__, url_prefix="/api/v1/payments", description="Payments")
BEARER = [{"bearerAuth": []}]


@blp.route("/orders/<order_id>")
@blp.response(200, PaymentOut)
@blp.doc(security=BEARER)
def get_order_payment(order_id: str):
    return service.payment_of_order(ctx().db, order_id, current_identity())


@blp.route("/channels")
@blp.response(200, ChannelsOut)
@blp.doc(description="How a shopper may pay here (the operator's PAYMENT_PROVIDERS and channels; card first).")
def channels():
    return service.offered_channels()


@blp.route("/orders/<order_id>/channel", methods=["PUT"])
@blp.arguments(ChannelChoiceIn)
@blp.response(200, ChannelChoiceOut)
@blp.doc(security=BEARER, description="Shopper: pay this order by `channel` (qris, va_bca, ewallet_ovo, ...). "
                                      "Remembered until the payment opens; an open unpaid payment moves to it.")
@require_roles("shopper")
def choose_channel(body, order_id: str):
    return service.choose_channel(uow(), order_id=order_id, shopper_id=current_identity().user_id,
                                  channel=body["channel"])


@blp.route("/<payment_id>/check", methods=["POST"])
@blp.response(200, PaymentOut)
@blp.doc(security=BEARER, description="Shopper: \"Saya sudah bayar\" - ask the provider for the payment's status now.")
@require_roles("shopper")
def check_payment(payment_id: str):
    return service.check_payment(uow(), payment_id=payment_id, shopper_id=current_identity().user_id)


@blp.route("/<payment_id>/sandbox", methods=["POST"])
@blp.arguments(SandboxCardIn)
@blp.response(200, PaymentOut, description="paid: the payment is succeeded")
@blp.alt_response(402, schema=CardDeclinedOut, description=(
    "the card was declined. `payment` is the payment now: still `pending` with `attempts_left` > 0 "
    "(error code card_declined: the shopper may post another card), or `failed` when that was the last "
    "attempt (error code too_many_declines: orders cancels the order)"))
@blp.doc(security=BEARER, description="TEST MODE only: pay with a test card. 4242424242424242 succeeds, "
                                      "4000000000000002 is declined (one failed attempt; MAX_CARD_ATTEMPTS "
                                      "declines fail the payment). A payment no longer pending → 409.")
@require_roles("shopper")
def pay_in_sandbox(body, payment_id: str):
    attempt = service.pay_in_sandbox(uow(), payment_id=payment_id, shopper_id=current_identity().user_id,
                                     card_number=body["card_number"])
    if attempt.declined is None:
        return attempt.payment
    # declined: 402 Payment Required, in the one error shape, with the payment as it is now
    code, message = attempt.declined
    response = jsonify(CardDeclinedOut().dump({"error": {"code": code, "message": message, "fields_": {}},
                                               "payment": attempt.payment}))
    response.status_code = 402
    return response
