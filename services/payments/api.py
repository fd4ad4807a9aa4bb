"""Payments HTTP API: a shopper's payment (and the sandbox card form), the Stripe webhook, balances
and payouts. Routes only parse, authorise and call service.py."""
from __future__ import annotations

import logging
import uuid

import stripe
from flask import jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pasar.auth import current_identity, require_roles
from pasar.config import setting
from pasar.errors import ApiError, conflict, not_found
from pasar.web import ErrorOut, documents_errors, read_session, uow

from . import domain, providers, service
from .models import ConnectedAccount, LedgerEntry, Payment, Payout
from .schemas import (BalanceOut, CardDeclinedOut, ConnectedAccountIn, ConnectedAccountOut, ManagedBalancesOut,
                      ManagedQuery, PaymentOut, PayoutOut, PayoutQuery, PlatformBalancesOut, SandboxCardIn)

log = logging.getLogger("payments.api")

blp = Blueprint("payments", __name__, url_prefix="/api/v1/payments", description="Payments")
webhooks_blp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks", description="Provider webhooks")
balances_blp = Blueprint("balances", __name__, url_prefix="/api/v1/balances", description="Ledger balances")
payouts_blp = Blueprint("payouts", __name__, url_prefix="/api/v1/payouts", description="Payouts")
BEARER = [{"bearerAuth": []}]



SANDBOX_LABEL = "MODE UJI — tidak ada uang sungguhan / TEST MODE — no real money is charged"


def payment_view(payment: Payment, for_shopper: bool) -> dict:
    view = {"payment_id": payment.id, "order_id": payment.order_id, "status": payment.status,
            "method": payment.method, "provider": payment.provider, "amount": int(payment.amount),
            "currency": payment.currency, "failure_reason": payment.failure_reason,
            "attempts": int(payment.attempts or 0),
            "attempts_left": domain.attempts_left(payment.status, payment.attempts, service.max_card_attempts())
            if payment.method == "card" else 0,
            "last_decline": payment.last_decline,
            "client_secret": None, "publishable_key": None, "sandbox": None}
    if payment.provider == "stripe" and for_shopper:  # the secret lets its holder pay: the shopper only
        view["client_secret"] = payment.client_secret
        view["publishable_key"] = setting("STRIPE_PUBLISHABLE_KEY")
    if payment.provider == "sandbox":
        view["sandbox"] = {"test_mode": True, "label": SANDBOX_LABEL,
                           "pay_url": f"/api/v1/payments/{payment.id}/sandbox",
                           "test_cards": {"4242424242424242": "berhasil / succeeds",
                                          "4000000000000002": "ditolak / declined"}}
    return view


@blp.route("/orders/<order_id>")
@blp.response(200, PaymentOut)
@blp.doc(security=BEARER)
def get_order_payment(order_id: str):
    who = current_identity()
    with read_session() as session:
        payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
        # another shopper's payment is "not found": its existence is not theirs to know
        if payment is None or payment.provider == "none" or (
                payment.shopper_id != who.user_id and not who.is_admin):
            raise not_found("payment")
        return payment_view(payment, for_shopper=payment.shopper_id == who.user_id)


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
    who = current_identity()
    try:
        outcome, reason = domain.sandbox_outcome(body["card_number"])
    except domain.UnknownTestCard as exc:
        raise ApiError(422, str(exc), fields={"card_number": [str(exc)]}) from exc
    with uow() as work:
        payment = work.session.get(Payment, payment_id, with_for_update=work.db.is_postgres)
        if payment is None or payment.shopper_id != who.user_id:
            raise not_found("payment")
        if payment.provider != "sandbox":
            raise conflict("this payment is not in test mode", "not_sandbox")
        if payment.status != domain.PENDING:
            raise conflict(f"this payment is already {payment.status}", "payment_final")
        report = domain.ProviderReport(f"sandbox:{payment.id}:{uuid.uuid4().hex}", outcome, payment.provider_ref,
                                       int(payment.amount) if outcome == domain.OUTCOME_SUCCEEDED else None,
                                       reason, payment.order_id)
        service.apply_report(work, report, "sandbox")  # the same door a verified Stripe webhook uses
        work.commit()
        view = payment_view(payment, for_shopper=True)
    if outcome != domain.OUTCOME_FAILED:
        return view
    # declined: 402 Payment Required, in the one error shape, with the payment as it is now
    final = view["status"] != domain.PENDING
    message = (f"the card was declined ({view['last_decline']}) and the card attempts are used up; "
               "the order will be cancelled" if final else
               f"the card was declined ({view['last_decline']}); {view['attempts_left']} attempt(s) left")
    body = CardDeclinedOut().dump({"error": {"code": domain.TOO_MANY_DECLINES if final else "card_declined",
                                             "message": message, "fields_": {}}, "payment": view})
    response = jsonify(body)
    response.status_code = 402
    return response


@webhooks_blp.route("/stripe", methods=["POST"])
@webhooks_blp.doc(description="Stripe calls this; the Stripe-Signature header is verified with "
                              "STRIPE_WEBHOOK_SECRET. Forged, tampered or stale → 400.")
def stripe_webhook():
    secret = setting("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise ApiError(503, "stripe webhooks are not configured here", "webhooks_not_configured")
    payload = request.get_data()
    try:
        report = providers.parse_stripe_webhook(payload, request.headers.get("Stripe-Signature"), secret)
    except stripe.SignatureVerificationError as exc:
        raise ApiError(400, "the Stripe signature does not verify", "bad_signature") from exc
    except ValueError as exc:
        raise ApiError(400, "the webhook payload is not a Stripe event", "bad_payload") from exc
    if report is None:
        return {"received": True, "result": "ignored"}
    try:
        with uow(correlation_id=report.order_id) as work:
            result = service.apply_report(work, report, "stripe")
            work.commit()
    except IntegrityError:  # the same event, delivered twice at once: the other delivery applied it
        result = "duplicate"
    log.info("stripe webhook", extra={"event_id": report.event_id, "outcome": report.outcome, "result": result})
    return {"received": True, "result": result}


def balance_of(session, user_id: str) -> dict:
    payable = -service.account_balance(session, domain.seller_payable(user_id))
    earnings = -service.account_balance(session, domain.courier_earnings(user_id))
    cash = service.account_balance(session, domain.cod_cash_held(user_id))
    return {"user_id": user_id, "seller_payable": payable, "courier_earnings": earnings, "cod_cash_held": cash,
            "net": payable + earnings - cash, "currency": "IDR"}


@balances_blp.route("/me")
@documents_errors(balances_blp, 401, 403)
@balances_blp.response(200, BalanceOut)
@balances_blp.doc(security=BEARER, description="Seller or courier: your own balance. An agent holds no money of "
                                               "its own: it reads its crafters' at /api/v1/balances/managed.")
@require_roles("seller", "courier")
def my_balance():
    with read_session() as session:
        return balance_of(session, current_identity().user_id)


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
    who = current_identity()
    agent_id = who.user_id
    if who.is_admin:
        if not query["agent_id"]:
            raise ApiError(422, "some fields are not valid", fields={"agent_id": ["an admin names the agent"]})
        agent_id = query["agent_id"]
    with read_session() as session:
        return service.managed_balances(session, agent_id)


@balances_blp.route("")
@balances_blp.response(200, PlatformBalancesOut)
@balances_blp.doc(security=BEARER)
@require_roles("admin")
def all_balances():
    with read_session() as session:
        rows = session.execute(select(LedgerEntry.account, func.sum(LedgerEntry.amount))
                               .group_by(LedgerEntry.account).order_by(LedgerEntry.account)).all()
        accounts = {account: int(total) for account, total in rows}
        return {"accounts": accounts, "total": sum(accounts.values())}


@balances_blp.route("/<user_id>")
@balances_blp.response(200, BalanceOut)
@balances_blp.doc(security=BEARER)
@require_roles("admin")
def someones_balance(user_id: str):
    with read_session() as session:
        return balance_of(session, user_id)


@payouts_blp.route("")
@documents_errors(payouts_blp, 401, 403, 422)
@payouts_blp.arguments(PayoutQuery, location="query")
@payouts_blp.response(200, PayoutOut(many=True))
@payouts_blp.doc(security=BEARER, description="Newest first, at most 200. Seller/courier: your own. Agent: the "
                                              "payouts of the crafters' shops you manage (`payee_id` tells whose; "
                                              "`?payee_id=` narrows to one). Admin: all, or `?payee_id=`.")
@require_roles("seller", "courier", "agent")
def list_payouts(query):
    who = current_identity()
    with read_session() as session:
        stmt = select(Payout).order_by(Payout.created_at.desc(), Payout.id).limit(200)
        if who.is_admin:
            if query["payee_id"]:
                stmt = stmt.where(Payout.payee_id == query["payee_id"])
        elif who.role == "agent":
            stmt = stmt.where(Payout.payee_role == "seller",
                              Payout.payee_id.in_(service.managed_payee_ids(who.user_id)))
            if query["payee_id"]:
                stmt = stmt.where(Payout.payee_id == query["payee_id"])
        else:
            stmt = stmt.where(Payout.payee_id == who.user_id)
        return list(session.scalars(stmt))


@payouts_blp.route("/connected-accounts/<seller_id>", methods=["PUT"])
@payouts_blp.arguments(ConnectedAccountIn)
@payouts_blp.response(200, ConnectedAccountOut)
@payouts_blp.doc(security=BEARER, description="Admin: this seller is paid by Stripe Connect transfer.")
@require_roles("admin")
def set_connected_account(body, seller_id: str):
    with uow() as work:
        account = work.session.get(ConnectedAccount, seller_id)
        if account is None:
            account = ConnectedAccount(seller_id=seller_id, stripe_account_id=body["stripe_account_id"])
            work.session.add(account)
        account.stripe_account_id = body["stripe_account_id"]
        work.commit()
        return {"seller_id": seller_id, "stripe_account_id": account.stripe_account_id}


@payouts_blp.route("/<payout_id>/paid", methods=["POST"])
@payouts_blp.response(200, PayoutOut)
@payouts_blp.doc(security=BEARER, description="Admin: the operator/cooperative paid this payout by hand "
                                              "(bank transfer, cash). Recorded once in the ledger.")
@require_roles("admin")
def mark_payout_paid(payout_id: str):
    with uow() as work:
        try:
            payout = service.record_payout_paid(work, payout_id)
        except service.NotAllowed as exc:
            raise conflict(str(exc), "payout_not_owed") from exc
        if payout is None:
            raise not_found("payout")
        work.commit()
        return payout


@balances_blp.route("/cod-remittances/<fulfillment_id>", methods=["POST"])
@balances_blp.response(200, BalanceOut)
@balances_blp.doc(security=BEARER, description="Admin: the courier handed over the cash they collected for this "
                                               "delivery. Answers the courier's balance after it.")
@require_roles("admin")
def record_cod_remittance(fulfillment_id: str):
    with uow() as work:
        try:
            share = service.record_cod_remitted(work, fulfillment_id)
        except service.NotAllowed as exc:
            raise conflict(str(exc), "already_remitted") from exc
        if share is None:
            raise not_found("cash-on-delivery delivery")
        work.commit()
        courier_id = share.courier_id
    with read_session() as session:
        return balance_of(session, courier_id)
