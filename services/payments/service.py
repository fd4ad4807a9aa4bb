"""Payments use cases, every one written once: the event handlers, the HTTP API (services/payments/api/)
and the reconcile command all call these.

Two kinds of call:
- the building blocks (open_payment, apply_report, settle_delivery, ...) take the caller's entered
  UnitOfWork and never commit: an event handler's change, its ledger movements, the events it causes
  and the worker's inbox row commit together (or not at all);
- the request use cases (section "requests" at the end) are what one HTTP request does: they take a
  fresh UnitOfWork (or the Database, to read), commit it themselves, and refuse with pasar.errors.ApiError
  (the kernel's error type, free of Flask), so a route only parses, authorises, calls one and answers.

Providers are reached only through providers.get_provider(name) / providers.card_provider_name() and the
webhook verifier: the one seam a second provider (Xendit, Midtrans) plugs into.

Giving money back, whatever the provider - the one call for other use cases (a refused parcel, a complaint):

    refund(uow, payment, amount, key, *, reason="refund", fulfillment_id=None) -> domain.RefundResult

`amount` whole rupiah, at most what is left of the capture; `key` names the refund (the same key twice refunds
once, at the provider too); the caller's UnitOfWork, not committed. Card, QRIS, e-wallets: refunded at the
provider (Stripe, Xendit, Midtrans), RefundResult(amount, provider_ref, owed=False). A channel that cannot refund
(a bank transfer to a VA): recorded as owed to the shopper in the ledger and flagged for the operator,
RefundResult(amount, None, owed=True). `fulfillment_id` (a parcel not delivered): its seller's share split to a
xenPlatform sub-account at payment time is taken back too. See `refund` below."""
from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Callable

from sqlalchemy import func, or_, select, text
from sqlalchemy.exc import IntegrityError

from pasar.config import setting
from pasar.db import Database, UnitOfWork
from pasar.errors import ApiError, conflict, not_found
from pasar.stamps import new_id, utcnow

from . import domain, providers
from .models import (ChannelChoice, ConnectedAccount, Cooperative, CoopPayout, CoopPerson, LedgerEntry,
                     LedgerTransaction, ManagedPayee, Payment, PaymentShare, PaymentSplit, Payout, ProviderEvent,
                     SaleSplit, ShareSplit, SubAccount)

if TYPE_CHECKING:
    from pasar.auth import Identity

log = logging.getLogger("payments.service")


def commission_rate() -> Decimal:
    return domain.parse_rate(setting("COMMISSION_RATE"))


def max_card_attempts() -> int:
    """Declined card attempts a payment takes before it fails for good (MAX_CARD_ATTEMPTS, default 3)."""
    return domain.parse_max_attempts(setting("MAX_CARD_ATTEMPTS"))


# -- ledger -----------------------------------------------------------------------------------------
def post(uow: UnitOfWork, movement: domain.Movement) -> bool:
    """Write a balanced movement once; False if its key was already posted."""
    session = uow.session
    if session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.key == movement.key)) is not None:
        return False
    tx = LedgerTransaction(id=new_id(), key=movement.key, kind=movement.kind, order_id=movement.order_id,
                           memo=movement.memo)
    session.add(tx)
    session.flush()
    for account, amount in movement.entries:
        if amount:
            session.add(LedgerEntry(transaction_id=tx.id, order_id=movement.order_id, account=account,
                                    amount=amount))
    session.flush()
    return True


def account_balance(session, account: str) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                              .where(LedgerEntry.account == account)))


def order_accounts(session, order_id: str) -> dict[str, int]:
    rows = session.execute(select(LedgerEntry.account, func.sum(LedgerEntry.amount))
                           .where(LedgerEntry.order_id == order_id).group_by(LedgerEntry.account)).all()
    return {account: int(total) for account, total in rows}


def captured_amount(session, payment: Payment) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                              .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
                              .where(LedgerTransaction.key == f"capture:{payment.id}",
                                     LedgerEntry.account == domain.PLATFORM_FUNDS)))


# -- payments ---------------------------------------------------------------------------------------
def payment_for_order(uow: UnitOfWork, order_id: str) -> Payment | None:
    query = select(Payment).where(Payment.order_id == order_id)
    if uow.db.is_postgres:
        query = query.with_for_update()
    return uow.session.scalar(query)


def _event(payment: Payment, **extra) -> dict:
    return {"order_id": payment.order_id, "payment_id": payment.id, "method": payment.method,
            "amount": int(payment.amount), "shopper_id": payment.shopper_id, "provider": payment.provider, **extra}


def _add_missing_shares(uow: UnitOfWork, payment: Payment, shares: list[dict]) -> None:
    known = {s.fulfillment_id for s in payment.shares}
    for share in shares:
        if share["fulfillment_id"] in known:
            continue
        uow.session.add(PaymentShare(fulfillment_id=share["fulfillment_id"], payment_id=payment.id,
                                     order_id=payment.order_id, seller_id=share["seller_id"],
                                     goods_amount=int(share["goods_amount"]), delivery_fee=int(share["delivery_fee"])))
        known.add(share["fulfillment_id"])


def open_payment(uow: UnitOfWork, *, order_id: str, shopper_id: str, method: str, amount: int,
                 shares: list[dict]) -> Payment:
    """Idempotent per order: an online payment opens at the provider of the channel the shopper chose at
    checkout (ChannelChoice; without one, the card provider: Stripe or the sandbox); cash on delivery is only
    recorded."""
    payment = payment_for_order(uow, order_id)
    if payment is None:
        channel = None if method == "cod" else _chosen_channel(uow, order_id, shopper_id)
        provider_name = "cod" if method == "cod" else providers.provider_for_channel(channel) \
            or providers.card_provider_name()
        payment = Payment(id=new_id(), order_id=order_id, shopper_id=shopper_id, method=method,
                          provider=provider_name, amount=amount, currency="IDR", channel=channel,
                          status=domain.COD_PENDING if method == "cod" else domain.PENDING)
        uow.session.add(payment)
        uow.session.flush()
        _open_at_provider(uow, payment, shares)
        uow.session.flush()
        if sum(int(s["goods_amount"]) + int(s["delivery_fee"]) for s in shares) != amount:
            log.warning("payment amount differs from its fulfillments' sum", extra={"order_id": order_id})
    _add_missing_shares(uow, payment, shares)
    uow.session.flush()
    return payment


def _chosen_channel(uow: UnitOfWork, order_id: str, shopper_id: str) -> str:
    choice = uow.session.get(ChannelChoice, order_id)
    if choice is None or choice.shopper_id != shopper_id or providers.provider_for_channel(choice.channel) is None:
        return domain.CHANNEL_CARD
    return choice.channel


def payment_timeout() -> timedelta:
    """How long a shopper has to pay (PAYMENT_TIMEOUT_SECONDS, orders' own deadline): the provider expires the
    QR / virtual account at the same moment."""
    return timedelta(seconds=int(setting("PAYMENT_TIMEOUT_SECONDS") or 1800))


def _open_at_provider(uow: UnitOfWork, payment: Payment, shares: list[dict]) -> None:
    channel = payment.channel or domain.CHANNEL_CARD
    split = _split_for(uow, payment, shares) if payment.provider == "xendit" else ()
    # the whole order is one seller's, who has a sub-account: it may be made on their account (xendit.open)
    only_seller = len({s["seller_id"] for s in shares}) == 1 and len(split) == 1
    expires = utcnow() + payment_timeout() if payment.method != "cod" else None
    request = domain.OpenRequest(payment_id=payment.id, order_id=payment.order_id, shopper_id=payment.shopper_id,
                                 amount=int(payment.amount), channel=channel,
                                 expires_at=expires.isoformat() if expires else None,
                                 return_url=_return_url(payment.order_id), split=split,
                                 for_user_id=split[0].destination_account_id if only_seller else None)
    started = providers.get_provider(payment.provider).open(request)
    payment.provider_ref = started.provider_ref
    payment.for_user_id = started.for_user_id
    payment.client_secret = started.client_secret
    _show_next_action(payment, started.next_action)
    if started.split_rule_id:
        payment.split_rule_id = started.split_rule_id
        for route in split:
            uow.session.add(PaymentSplit(payment_id=payment.id, seller_id=route.seller_id,
                                         destination_account_id=route.destination_account_id, amount=route.amount,
                                         rule_id=started.split_rule_id))


def _return_url(order_id: str) -> str | None:
    base = setting("PUBLIC_BASE_URL")
    return f"{base.rstrip('/')}/bayar/{order_id}" if base else None


def _show_next_action(payment: Payment, action: domain.NextAction | None) -> None:
    payment.next_kind = action.kind if action else None
    payment.redirect_url = action.redirect_url if action else None
    payment.qr_string = action.qr_string if action else None
    payment.va_number = action.va_number if action else None
    payment.va_bank = action.va_bank if action else None
    payment.deeplink = action.deeplink if action else None
    payment.expires_at = datetime.fromisoformat(action.expires_at) if action and action.expires_at else None


def _split_for(uow: UnitOfWork, payment: Payment, shares: list[dict]) -> tuple[domain.SplitRoute, ...]:
    sellers = {s["seller_id"] for s in shares}
    accounts = {a.seller_id: a.account_id for a in uow.session.scalars(
        select(SubAccount).where(SubAccount.seller_id.in_(sellers), SubAccount.provider == "xendit"))}
    return domain.split_routes(payment.order_id, [(s["seller_id"], int(s["goods_amount"]), int(s["delivery_fee"]))
                                                  for s in shares], commission_rate(), accounts)


def open_cod_on_confirmation(uow: UnitOfWork, *, order_id: str, shopper_id: str | None, method: str | None,
                             total: int | None, fulfillments: list[dict] | None) -> Payment | None:
    """order.confirmed: cash on delivery needs no answer from us, so the confirmation alone may open it
    (whichever of payment.requested / order.confirmed arrives first; the other finds it open)."""
    if not domain.confirmation_opens_payment(method, fulfillments, total):
        return None
    return open_payment(uow, order_id=order_id, shopper_id=shopper_id or "", method="cod", amount=total, shares=[
        {"fulfillment_id": f["fulfillment_id"], "seller_id": f["seller_id"], "goods_amount": f["goods_amount"],
         "delivery_fee": f["delivery_fee"]} for f in fulfillments])


def cancel_for_order(uow: UnitOfWork, *, order_id: str, shopper_id: str | None, method: str | None,
                     reason: str | None) -> Payment:
    """The order is cancelled: void an unpaid payment, refund a paid one, and remember the
    cancellation so money that arrives later is sent back too."""
    payment = payment_for_order(uow, order_id)
    if payment is None:
        # cancelled before we saw payment.requested: leave a tombstone so a late request opens nothing
        payment = Payment(id=new_id(), order_id=order_id, shopper_id=shopper_id or "", method=method or "card",
                          provider="none", amount=0, status=domain.CANCELLED, order_cancelled=True,
                          failure_reason=reason)
        uow.session.add(payment)
        uow.session.flush()
        return payment
    already_cancelled = payment.order_cancelled
    payment.order_cancelled = True
    if payment.status == domain.COD_PENDING:
        payment.status = domain.CANCELLED
        payment.failure_reason = reason
    elif payment.status in (domain.PENDING, domain.FAILED):
        _void_unpaid(uow, payment, reason, already_cancelled)
    elif payment.status == domain.SUCCEEDED:
        refund_payment(uow, payment, reason or "order_cancelled")
    return payment


def _void_unpaid(uow: UnitOfWork, payment: Payment, reason: str | None, already_cancelled: bool) -> None:
    """Void a pending or failed card payment at its provider: a failed one (card attempts used up) too, as
    at Stripe its intent would still take a card. The provider may say it was paid after all."""
    failed = payment.status == domain.FAILED
    if failed and already_cancelled:
        return  # voided when the order was first cancelled
    paid_after_all = providers.get_provider(payment.provider).cancel(
        provider_ref=payment.provider_ref, order_id=payment.order_id, **_on_account(payment))
    if paid_after_all is not None:
        apply_outcome(uow, payment, paid_after_all)  # captures, then refunds (order_cancelled)
    elif not failed:
        payment.status = domain.CANCELLED
        payment.failure_reason = reason


def refunded_amount(session, payment: Payment) -> int:
    """What was already given back to the shopper (whole or parcel by parcel), from the ledger."""
    return -int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                               .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
                               .where(LedgerTransaction.order_id == payment.order_id,
                                      LedgerTransaction.kind == "refund",
                                      LedgerEntry.account == domain.PLATFORM_FUNDS)))


def refund_payment(uow: UnitOfWork, payment: Payment, reason: str) -> None:
    if payment.status != domain.SUCCEEDED:
        return
    # a parcel cancelled on its own earlier was refunded then: only the rest goes back now
    amount = captured_amount(uow.session, payment) - refunded_amount(uow.session, payment) \
        - owed_refunds(uow.session, payment)
    if amount <= 0:
        payment.status = domain.REFUNDED
        return
    backs: list[_Back] = []  # every parcel still open (one cancelled on its own took its share back then)
    for share in payment.shares:
        if share.cancelled_at is None:
            back = _share_to_take_back(uow, payment, share.fulfillment_id,
                                       pending=sum(b.amount for b in backs if b.seller_id == share.seller_id))
            backs += [back] if back is not None else []
    try:
        payment.refund_ref = _refund_at_provider(payment, amount, None, backs)
    except domain.RefundNotSupported as exc:
        # a bank transfer cannot be sent back through the API: the operator returns it by hand; the money
        # stays recorded as received (nothing lost) and the payment is flagged until then
        payment.attention = "manual_refund_required"
        log.warning("refund needs the operator", extra={"order_id": payment.order_id, "why": str(exc)})
        return
    _record_refund(uow, payment, amount, reason)
    _record_backs(uow, payment, "order", backs, moved=_refund_from_sub_account(payment))


def _record_refund(uow: UnitOfWork, payment: Payment, amount: int, reason: str) -> None:
    post(uow, domain.refund(payment.id, payment.order_id, amount))
    payment.status = domain.REFUNDED
    uow.emit("payment.refunded", _event(payment, amount=amount, reason=reason), correlation_id=payment.order_id)


def apply_outcome(uow: UnitOfWork, payment: Payment, report: domain.ProviderReport) -> bool:
    """Move a card payment by what its provider reports. Late, repeated and out-of-order reports are
    harmless (domain.next_status). Returns whether anything changed."""
    if domain.next_status(payment.status, report.outcome) is None:
        return False
    _OUTCOMES[report.outcome](uow, payment, report)
    return True


def _captured(uow: UnitOfWork, payment: Payment, report: domain.ProviderReport) -> None:
    received = report.amount if report.amount is not None else int(payment.amount)
    if received != payment.amount:
        log.warning("provider captured a different amount", extra={"order_id": payment.order_id})
    post(uow, domain.capture(payment.id, payment.order_id, received))
    for route in uow.session.scalars(select(PaymentSplit).where(PaymentSplit.payment_id == payment.id)):
        post(uow, domain.split_routed(payment.id, payment.order_id, route.seller_id, int(route.amount)))
    payment.status = domain.SUCCEEDED
    payment.failure_reason = None
    uow.emit("payment.succeeded", _event(payment, amount=received), correlation_id=payment.order_id)
    if payment.order_cancelled:  # the order is gone (timed out, cancelled): the money goes back
        refund_payment(uow, payment, "order_cancelled")


def _declined(uow: UnitOfWork, payment: Payment, report: domain.ProviderReport) -> None:
    """A decline is one failed attempt: the payment stays pending (orders hears nothing and keeps waiting)
    until the attempts are used up, which is final."""
    step = domain.decline(payment.status, payment.attempts, max_card_attempts())
    previous = payment.status
    payment.attempts = step.attempts
    payment.last_decline = (report.reason or "declined")[:255]
    payment.status = step.status
    if step.final:
        payment.failure_reason = domain.TOO_MANY_DECLINES
        if domain.orders_must_hear_failure(previous, payment.order_cancelled):
            uow.emit("payment.failed", _event(payment, reason=payment.failure_reason, attempts=step.attempts,
                                              last_decline=payment.last_decline),
                     correlation_id=payment.order_id)


def _cancelled_at_provider(uow: UnitOfWork, payment: Payment, report: domain.ProviderReport) -> None:
    previous = payment.status
    payment.status = domain.CANCELLED
    if domain.orders_must_hear_failure(previous, payment.order_cancelled):
        # voided at the provider, not by us: final at once, the order must hear it
        payment.failure_reason = report.reason or "cancelled_at_provider"
        uow.emit("payment.failed", _event(payment, reason=payment.failure_reason), correlation_id=payment.order_id)


def _refunded_at_provider(uow: UnitOfWork, payment: Payment, report: domain.ProviderReport) -> None:
    if captured_amount(uow.session, payment) == 0:
        # the refund overtook the success report: the money had been taken, record that first
        post(uow, domain.capture(payment.id, payment.order_id, report.amount if report.amount else int(payment.amount)))
    payment.status = domain.SUCCEEDED
    captured, already = captured_amount(uow.session, payment), refunded_amount(uow.session, payment)
    if already == 0 and (not report.amount or report.amount >= captured):
        _record_refund(uow, payment, captured, report.reason or "refunded")
        return
    # the provider counts what it refunded in all (Stripe's amount_refunded): our own parcel refunds come back as
    # reports too, and only a refund made at the provider beyond them is new money going back
    total = min(report.amount or captured, captured)
    if total <= already:
        return
    post(uow, domain.Movement(f"refund:{payment.id}:provider:{total}", "refund", payment.order_id,
                              ((domain.SHOPPER_CLEARING, total - already), (domain.PLATFORM_FUNDS, already - total))))
    if total >= captured:
        payment.status = domain.REFUNDED
    uow.emit("payment.refunded", _event(payment, amount=total - already, reason=report.reason or "refunded",
                                        partial=total < captured), correlation_id=payment.order_id)


_OUTCOMES = {domain.OUTCOME_SUCCEEDED: _captured, domain.OUTCOME_FAILED: _declined,
             domain.OUTCOME_CANCELLED: _cancelled_at_provider, domain.OUTCOME_REFUNDED: _refunded_at_provider}


def apply_report(uow: UnitOfWork, report: domain.ProviderReport, provider: str) -> str:
    """The one door for provider results: verified webhooks, the sandbox card form, reconciliation.
    Returns "applied", "unchanged", "duplicate" or "unknown"."""
    session = uow.session
    query = select(Payment).where(Payment.provider == provider, Payment.provider_ref == report.provider_ref)
    if uow.db.is_postgres:
        query = query.with_for_update()  # lock first: two deliveries of one event queue here
    payment = session.scalar(query)
    if payment is None:
        return "unknown"
    if session.get(ProviderEvent, report.event_id) is not None:
        return "duplicate"
    session.add(ProviderEvent(event_id=report.event_id, provider=provider, outcome=report.outcome,
                              payment_id=payment.id))
    session.flush()
    return "applied" if apply_outcome(uow, payment, report) else "unchanged"


# -- delivery: money follows it ---------------------------------------------------------------------
def settle_delivery(uow: UnitOfWork, data: dict, rate: Decimal | None = None) -> list[Payout]:
    """A fulfillment was delivered: cash on delivery is now held by the courier, the seller is owed the
    goods less commission, the courier the delivery fee. Idempotent per fulfillment."""
    rate = commission_rate() if rate is None else rate
    order_id, fulfillment_id, courier_id = data["order_id"], data["fulfillment_id"], data["courier_id"]
    payment = payment_for_order(uow, order_id)
    if payment is None:
        raise LookupError(f"delivery for order {order_id} whose payment was never requested")
    share = _share_delivered(uow, payment, data)
    if share.delivered_at is not None:
        return []
    _collect_cash_or_check_paid(uow, payment, share, data)
    parts = _settle_split(uow, share, data, courier_id)  # a cooperative's shop: four ways (see cooperatives)
    if parts is None:
        parts = domain.split(int(share.goods_amount), int(share.delivery_fee), rate)
        post(uow, domain.delivered(fulfillment_id, order_id, share.seller_id, courier_id, parts))
    share.delivered_at = utcnow()
    share.courier_id = courier_id
    payouts = _pay_out(uow, payment, share, parts)
    _settle_cod_if_done(payment)
    return payouts


def _settle_cod_if_done(payment: Payment) -> None:
    """Cash on delivery is collected once every parcel still owed was delivered (a cancelled one owes nothing);
    with every parcel cancelled, nothing was ever owed."""
    if payment.method != "cod" or payment.status != domain.COD_PENDING:
        return
    open_shares = [s for s in payment.shares if s.cancelled_at is None]
    if not open_shares:
        payment.status = domain.CANCELLED
        payment.failure_reason = "parcels_cancelled"
    elif all(s.delivered_at is not None for s in open_shares):
        payment.status = domain.COD_COLLECTED


# -- after the door: the seller's share released on receipt; a parcel cancelled on its own ----------------
def release_seller_share(uow: UnitOfWork, data: dict) -> Payout | None:
    """fulfillment.received: the shopper confirmed receipt, or the receipt window closed without a complaint.
    The seller's held share becomes available (a connected seller's is transferred now). Idempotent per
    fulfillment. A receipt overtaking its delivery.delivered is retried until the delivery is settled."""
    fulfillment_id = data["fulfillment_id"]
    share = uow.session.get(PaymentShare, fulfillment_id, with_for_update=uow.db.is_postgres)
    if share is None or share.delivered_at is None:
        raise LookupError(f"receipt of fulfillment {fulfillment_id} before its delivery was settled")
    if share.released_at is not None:
        return None
    payout = uow.session.scalar(select(Payout).where(Payout.key == f"seller:{fulfillment_id}"))
    amount = int(payout.amount) if payout is not None else 0
    post(uow, domain.released(fulfillment_id, share.order_id, share.seller_id, amount))
    share.released_at = utcnow()
    _release_split(uow, fulfillment_id)
    if payout is None:
        return None
    payout.status = "owed"
    payment = uow.session.get(Payment, share.payment_id)
    _transfer_to_connected_seller(uow, payment, payout)
    uow.emit("payout.released", {
        "payee_role": "seller", "payee_id": payout.payee_id, "order_id": payout.order_id,
        "fulfillment_id": fulfillment_id, "payout_id": payout.id, "amount": amount, "fee": int(payout.fee),
        "status": payout.status, "received_by": data.get("received_by")}, correlation_id=payout.order_id)
    return payout


def refund_parcel(uow: UnitOfWork, data: dict) -> int:
    """fulfillment.cancelled: one parcel cancelled before pickup (refused by its seller). Paid online (card, QRIS,
    VA, e-wallet, whatever the provider): its goods and delivery fee go back to the shopper through `refund`
    (a partial refund, once per parcel; owed by hand where the channel cannot refund; a seller's share already
    split to their sub-account is taken back). Cash on delivery: it is simply no longer owed. Returns the amount
    refunded (or owed)."""
    order_id, fulfillment_id = data["order_id"], data["fulfillment_id"]
    payment = payment_for_order(uow, order_id)
    if payment is None:
        raise LookupError(f"parcel {fulfillment_id} cancelled for order {order_id} whose payment is unknown")
    share = uow.session.get(PaymentShare, fulfillment_id)
    if share is None:
        _add_missing_shares(uow, payment, [{"fulfillment_id": fulfillment_id, "seller_id": data["seller_id"],
                                            "goods_amount": data["goods_amount"],
                                            "delivery_fee": data["delivery_fee"]}])
        uow.session.flush()
        share = uow.session.get(PaymentShare, fulfillment_id)
    if share.cancelled_at is not None:
        return 0
    if share.delivered_at is not None:
        raise ValueError(f"parcel {fulfillment_id} was delivered; it cannot be cancelled")
    share.cancelled_at = utcnow()
    amount = 0
    if payment.method != "cod" and payment.status == domain.SUCCEEDED:
        done = refund(uow, payment, int(share.goods_amount) + int(share.delivery_fee), fulfillment_id,
                      reason=data.get("reason") or "parcel_cancelled", fulfillment_id=fulfillment_id)
        amount = done.amount
        if amount > 0 and not done.owed:
            share.refunded = amount
            if all(s.cancelled_at is not None for s in payment.shares):
                payment.status = domain.REFUNDED
                payment.refund_ref = done.provider_ref
    _settle_cod_if_done(payment)
    return amount


def owed_refunds(session, payment: Payment) -> int:
    """What the shopper is owed back by hand on this payment (refunds their channel could not make)."""
    return -int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                               .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
                               .where(LedgerTransaction.order_id == payment.order_id,
                                      LedgerTransaction.kind == "refund_owed",
                                      LedgerEntry.account == domain.shopper_refund_owed(payment.shopper_id))))


def refund(uow: UnitOfWork, payment: Payment, amount: int, key: str, *, reason: str = "refund",
           fulfillment_id: str | None = None, source: domain.RefundFrom = domain.FROM_CLEARING,
           provider_key: str | None = None, event_extra: dict | None = None) -> domain.RefundResult:
    """Give `amount` rupiah of an online payment back to its shopper, whatever the provider (Stripe, the sandbox,
    Xendit, Midtrans): the provider-neutral partial refund other use cases call (a refused parcel, a complaint).

    - `key` names this refund (a fulfillment id, a complaint id): the same key twice refunds once, here and at the
      provider (its idempotency / refund key is derived from it). Returns domain.RefundResult.
    - At most what is left of the capture (captured less refunded less owed) goes back; 0 when nothing is.
    - Where the channel cannot refund through its API (a bank transfer into a virtual account): nothing is sent,
      the amount is recorded in the ledger as owed to the shopper (`shopper_refund_owed:<shopper>`) and the
      payment is flagged `refund_owed` for the operator (balances, reconcile). Result `owed=True`.
    - `fulfillment_id`: the refund is for that parcel, not yet delivered. If its seller's share was split to their
      xenPlatform sub-account at payment time, that share is taken back (a transfer at Xendit, `split_reversed`
      in the ledger), so the platform does not pay the shopper back out of its own pocket.
    - `source` (domain.RefundFrom): which ledger accounts the money comes out of. FROM_CLEARING before delivery
      (a refused or unshipped parcel); `domain.from_held_share(seller, held)` after it (a complaint: the seller's
      held share first, the platform's commission beyond it). A delivered cash-on-delivery parcel was paid in
      cash: its refund is owed to the shopper by hand, as for a channel that cannot refund.
    - `provider_key`: the key the provider sees, when it must differ from `key` (kept stable for complaints).
    Takes the caller's entered UnitOfWork and does not commit. Emits payment.refunded (partial) when money left."""
    session = uow.session
    online = payment.method != "cod" and payment.status in (domain.SUCCEEDED, domain.REFUNDED)
    if not online and not source.collected:  # nothing was taken from the shopper yet: nothing goes back
        return domain.RefundResult(0)
    done = session.scalar(select(LedgerTransaction).where(LedgerTransaction.key.in_(
        (f"refund:{payment.id}:{key}", f"refund_owed:{payment.id}:{key}"))))
    if done is not None:  # this key was refunded already: say so again, send nothing
        total = -int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.transaction_id == done.id, LedgerEntry.amount < 0)))
        return domain.RefundResult(total, payment.refund_ref, done.kind == "refund_owed")
    if online:  # at most what is left of the capture; cash was collected in full, the caller caps it
        amount = min(int(amount), captured_amount(session, payment) - refunded_amount(session, payment)
                     - owed_refunds(session, payment))
    if amount <= 0:
        return domain.RefundResult(0)
    back = _share_to_take_back(uow, payment, fulfillment_id) if fulfillment_id else None
    backs = [back] if back is not None else []
    why_owed = "paid in cash at the door" if not online else None  # cash goes back by hand, by its nature
    if online:
        try:
            ref = _refund_at_provider(payment, amount, provider_key or key, backs)
        except domain.RefundNotSupported as exc:
            payment.attention = "refund_owed"  # the channel failed to: flagged for the operator
            why_owed = str(exc)
    if why_owed is not None:
        post(uow, domain.refund_movement(payment.id, key, payment.order_id, source, amount, paid_back=False,
                                         shopper_id=payment.shopper_id))
        log.warning("refund owed to the shopper by hand", extra={"order_id": payment.order_id, "amount": amount,
                                                                  "why": why_owed})
        _record_backs(uow, payment, key, backs, moved=False)
        return domain.RefundResult(amount, None, True)
    post(uow, domain.refund_movement(payment.id, key, payment.order_id, source, amount, paid_back=True,
                                     shopper_id=payment.shopper_id))
    _record_backs(uow, payment, key, backs, moved=_refund_from_sub_account(payment))
    if refunded_amount(session, payment) >= captured_amount(session, payment):
        payment.status = domain.REFUNDED
    uow.emit("payment.refunded", _event(payment, amount=amount, reason=reason, refund_key=key, partial=True,
                                        **({"fulfillment_id": fulfillment_id} if fulfillment_id else {}),
                                        **(event_extra or {})),
             correlation_id=payment.order_id)
    return domain.RefundResult(amount, ref, False)


def _on_account(payment: Payment) -> dict:
    """A payment made on a seller's xenPlatform sub-account: every provider call about it names that account."""
    return {"for_user_id": payment.for_user_id} if payment.for_user_id else {}


def _refund_from_sub_account(payment: Payment) -> bool:
    """A payment made on a seller's sub-account is refunded from it (if its channel refunds at all: not a VA)."""
    return bool(payment.for_user_id) and domain.channel_kind(payment.channel or "card") != domain.NEXT_VA


@dataclass(frozen=True)
class _Back:
    fulfillment_id: str
    seller_id: str
    account_id: str
    amount: int


def _share_to_take_back(uow: UnitOfWork, payment: Payment, fulfillment_id: str, pending: int = 0) -> _Back | None:
    """The parcel's seller had their share split to their sub-account at payment time and the parcel was not
    delivered: that parcel's share (at most what is still routed to them) must come back with the refund."""
    share = uow.session.get(PaymentShare, fulfillment_id)
    if share is None or share.delivered_at is not None:
        return None
    route = uow.session.get(PaymentSplit, (payment.id, share.seller_id))
    if route is None:
        return None
    reversed_before = -int(uow.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerTransaction.order_id == payment.order_id, LedgerTransaction.kind == "split_reversed",
               LedgerEntry.account == domain.seller_payable(share.seller_id))))
    parcel_share = domain.split(int(share.goods_amount), int(share.delivery_fee), commission_rate()).seller
    amount = min(parcel_share, int(route.amount) - reversed_before - pending)
    return _Back(fulfillment_id, share.seller_id, route.destination_account_id, amount) if amount > 0 else None


def _refund_at_provider(payment: Payment, amount: int, key: str | None, backs: list[_Back]) -> str:
    """Send `amount` back at the payment's provider; raises domain.RefundNotSupported where the channel cannot.
    xenPlatform: a payment collected on the master account is refunded from it; one made on a seller's
    sub-account (for-user-id) is refunded from that account, after the platform's part of the refund (all but
    the seller's share being taken back) was transferred to it."""
    provider = providers.get_provider(payment.provider)
    if _refund_from_sub_account(payment):
        cover = amount - sum(back.amount for back in backs)
        if cover > 0:
            provider.cover_refund(account_id=payment.for_user_id, amount=cover,
                                  reference=f"pasar-{payment.id}-{key or 'order'}-cover")
    kwargs = {"refund_key": key} if key else {}
    return provider.refund(provider_ref=payment.provider_ref, order_id=payment.order_id, amount=amount,
                           **kwargs, **_on_account(payment))


def _record_backs(uow: UnitOfWork, payment: Payment, key: str, backs: list[_Back], *, moved: bool) -> None:
    """Each seller share taken back: transferred from their sub-account to the master account (unless the refund
    itself was made from that sub-account, `moved`), then `split_reversed` in the ledger."""
    for back in backs:
        back_key = key if key != "order" else f"order-{back.fulfillment_id}"
        if not moved:
            try:
                providers.get_provider(payment.provider).reverse_split(
                    source_account_id=back.account_id, amount=back.amount,
                    reference=f"pasar-{payment.id}-{back_key}-back")
            except domain.SplitNotReversible as exc:  # no master account configured: the operator collects it
                payment.attention = "split_reversal_required"
                log.warning("split share not taken back", extra={"order_id": payment.order_id, "why": str(exc)})
                continue
        post(uow, domain.split_reversed(payment.id, back_key, payment.order_id, back.seller_id, back.amount))


def _share_delivered(uow: UnitOfWork, payment: Payment, data: dict) -> PaymentShare:
    """The delivered fulfillment's share of the payment; one payments never heard of is added from the
    event's amounts (or refused when it has none)."""
    fulfillment_id = data["fulfillment_id"]
    share = uow.session.get(PaymentShare, fulfillment_id)
    if share is not None:
        return share
    if data.get("seller_id") is None or data.get("goods_amount") is None:
        raise LookupError(f"fulfillment {fulfillment_id} is unknown to payments and the event lacks its amounts")
    _add_missing_shares(uow, payment, [{"fulfillment_id": fulfillment_id, "seller_id": data["seller_id"],
                                        "goods_amount": data["goods_amount"],
                                        "delivery_fee": data.get("delivery_fee") or 0}])
    uow.session.flush()
    return uow.session.get(PaymentShare, fulfillment_id)


def _collect_cash_or_check_paid(uow: UnitOfWork, payment: Payment, share: PaymentShare, data: dict) -> None:
    """Cash on delivery: the courier now holds what they collected. A card order must have been paid."""
    order_id = payment.order_id
    if payment.method != "cod":
        if payment.status != domain.SUCCEEDED:
            raise ValueError(f"card order {order_id} delivered but its payment is {payment.status}")
        return
    if payment.status not in (domain.COD_PENDING, domain.COD_COLLECTED):
        raise ValueError(f"cash on delivery for order {order_id} in state {payment.status}")
    collected = data.get("cod_amount_collected")
    if collected is None:  # the courier's report carries no figure: the amount due is what was owed
        collected = data.get("cod_amount_due") if data.get("cod_amount_due") is not None \
            else int(share.goods_amount) + int(share.delivery_fee)
    post(uow, domain.cod_collected(share.fulfillment_id, order_id, data["courier_id"], int(collected)))
    share.cod_collected = int(collected)


def _pay_out(uow: UnitOfWork, payment: Payment, share: PaymentShare, parts: domain.Split) -> list[Payout]:
    """The seller's and the courier's payouts for one delivered fulfillment, announced as payout.created."""
    order_id, fulfillment_id, courier_id = payment.order_id, share.fulfillment_id, share.courier_id
    payouts = [  # the seller's is held until receipt (release_seller_share), the courier's is owed at once
        Payout(id=new_id(), key=f"seller:{fulfillment_id}", order_id=order_id, fulfillment_id=fulfillment_id,
               payee_role="seller", payee_id=share.seller_id, amount=parts.seller, fee=parts.commission,
               status="held"),
        Payout(id=new_id(), key=f"courier:{fulfillment_id}", order_id=order_id, fulfillment_id=fulfillment_id,
               payee_role="courier", payee_id=courier_id, amount=parts.courier, fee=0),
    ]
    for payout in payouts:
        uow.session.add(payout)
    uow.session.flush()
    for payout in payouts:
        uow.emit("payout.created", {
            "payee_role": payout.payee_role, "payee_id": payout.payee_id, "order_id": order_id,
            "fulfillment_id": fulfillment_id, "payout_id": payout.id, "amount": int(payout.amount),
            "fee": int(payout.fee), "method": payment.method, "status": payout.status,
            "shopper_id": payment.shopper_id}, correlation_id=order_id)
    return payouts


def _transfer_to_connected_seller(uow: UnitOfWork, payment: Payment, payout: Payout) -> None:
    """Stripe Connect transfer for a seller with a connected account, grouped by the order. Card money
    only: cash on delivery is held by the courier, not at Stripe."""
    if payout.amount <= 0:
        return
    routed = uow.session.get(PaymentSplit, (payment.id, payout.payee_id))
    if routed is not None:  # split to the seller's sub-account when the shopper paid (split_routed)
        payout.status = "transferred"
        payout.transfer_ref = f"split:{routed.rule_id}"
        return
    if payment.provider != "stripe":
        return
    account = uow.session.get(ConnectedAccount, payout.payee_id)
    if account is None:
        return
    payout.transfer_ref = providers.get_provider("stripe").transfer(
        destination=account.stripe_account_id, amount=int(payout.amount), order_id=payout.order_id,
        payout_id=payout.id)
    payout.status = "transferred"
    post(uow, domain.transferred(payout.id, payout.order_id, payout.payee_id, int(payout.amount)))


# -- money leaving and coming back by hand --------------------------------------------------------------
class NotAllowed(ValueError):
    pass


def record_payout_paid(uow: UnitOfWork, payout_id: str) -> Payout | None:
    """The operator paid this payout outside Stripe (most Indonesian sellers): record it once."""
    payout = uow.session.get(Payout, payout_id, with_for_update=uow.db.is_postgres)
    if payout is None:
        return None
    if payout.status != "owed":
        raise NotAllowed(f"this payout is already {payout.status}")
    if payout.payee_role == "seller" and int(payout.amount) > -account_balance(
            uow.session, domain.seller_payable(payout.payee_id)):
        # a cooperative's officer already handed the member this money (record_member_payout): never twice
        raise NotAllowed("the seller's available money is less than this payout (their cooperative paid them)")
    post(uow, domain.paid_out(payout.id, payout.order_id, payout.payee_role, payout.payee_id, int(payout.amount)))
    payout.status = "paid"
    return payout


def record_cod_remitted(uow: UnitOfWork, fulfillment_id: str) -> PaymentShare | None:
    """A courier handed over the cash collected for one delivery."""
    share = uow.session.get(PaymentShare, fulfillment_id, with_for_update=uow.db.is_postgres)
    if share is None or share.cod_collected is None:
        return None
    if not post(uow, domain.cod_remitted(fulfillment_id, share.order_id, share.courier_id, int(share.cod_collected))):
        raise NotAllowed("this delivery's cash was already handed over")
    return share


# -- agents and the crafters' money they look after -------------------------------------------------------
PAID_OUT = ("paid", "transferred")


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; every timestamp here is UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def remember_manager(uow: UnitOfWork, *, payee_id, agent_id, shop_name, seen_at: datetime) -> bool:
    """Orders told us (order.confirmed, delivery.*) that `agent_id` manages the crafter paid as `payee_id`.
    The newest news wins; an older event redelivered late only fills in a missing shop name.
    Returns whether the manager was recorded or changed."""
    if not domain.is_manager_claim(payee_id, agent_id):
        return False
    name = domain.clean_shop_name(shop_name)
    seen_at = _utc(seen_at)
    row = uow.session.get(ManagedPayee, payee_id, with_for_update=uow.db.is_postgres)
    if row is None:
        uow.session.add(ManagedPayee(payee_id=payee_id, agent_id=agent_id, shop_name=name, seen_at=seen_at))
        uow.session.flush()
        return True
    if _utc(row.seen_at) > seen_at:
        if row.shop_name is None and name and row.agent_id == agent_id:
            row.shop_name = name
        return False
    changed = row.agent_id != agent_id
    row.agent_id, row.seen_at = agent_id, seen_at
    if name:
        row.shop_name = name
    return changed


def remember_managers(uow: UnitOfWork, fulfillments, seen_at: datetime) -> int:
    """order.confirmed names each fulfillment's payee, its managing agent and shop; returns how many
    managers were recorded or changed."""
    return sum(remember_manager(uow, payee_id=f.get("seller_id"), agent_id=f.get("agent_id"),
                                shop_name=f.get("shop_name"), seen_at=seen_at)
               for f in fulfillments or [] if isinstance(f, dict))


def managed_payee_ids(agent_id: str):
    """The payees an agent manages, as a subquery for `in_`."""
    return select(ManagedPayee.payee_id).where(ManagedPayee.agent_id == agent_id)


def managed_balances(session, agent_id: str) -> dict:
    """What every crafter an agent manages is owed (goods less commission, less what was paid out) and has
    earned and been paid, from the ledger and the payouts. Three reads whatever the number of crafters."""
    payees = list(session.scalars(select(ManagedPayee).where(ManagedPayee.agent_id == agent_id)
                                  .order_by(ManagedPayee.shop_name, ManagedPayee.payee_id)))
    ids = [p.payee_id for p in payees]
    ledger = _seller_ledgers(session, ids)
    payouts = _seller_payout_totals(session, ids)
    managed = [{"payee_id": p.payee_id, "shop_id": p.payee_id[len(domain.CRAFTER_PREFIX):], "shop_name": p.shop_name,
                "seller_payable": -ledger.get(p.payee_id, 0), **payouts[p.payee_id]} for p in payees]
    answer = {"user_id": agent_id, "managed": managed, "total_payable": sum(m["seller_payable"] for m in managed),
              "currency": "IDR"}
    own = _balances(session, [domain.agent_held(agent_id), domain.agent_payable(agent_id)])
    if own:  # an agent of a cooperative whose sales were shared with it: its own part
        answer.update(agent_held=-own.get(domain.agent_held(agent_id), 0),
                      agent_available=-own.get(domain.agent_payable(agent_id), 0))
    return answer


def _seller_ledgers(session, payee_ids: list[str]) -> dict[str, int]:
    """Each payee's seller-payable account balance (credit < 0), in one read."""
    if not payee_ids:
        return {}
    accounts = {domain.seller_payable(pid): pid for pid in payee_ids}
    return {accounts[account]: int(total or 0)
            for account, total in session.execute(select(LedgerEntry.account, func.sum(LedgerEntry.amount))
                                                  .where(LedgerEntry.account.in_(list(accounts)))
                                                  .group_by(LedgerEntry.account))}


def _seller_payout_totals(session, payee_ids: list[str]) -> dict[str, dict]:
    """Each payee's seller payouts summed: earned, commission, paid out, how many and how many owed."""
    totals = {pid: {"earned": 0, "commission": 0, "paid_out": 0, "payouts": 0, "owed_payouts": 0} for pid in payee_ids}
    if not payee_ids:
        return totals
    rows = session.execute(select(Payout.payee_id, Payout.status, func.count(), func.sum(Payout.amount),
                                  func.sum(Payout.fee))
                           .where(Payout.payee_role == "seller", Payout.payee_id.in_(payee_ids))
                           .group_by(Payout.payee_id, Payout.status))
    for payee_id, status, count, amount, fee in rows:
        row = totals[payee_id]
        row["earned"] += int(amount or 0)
        row["commission"] += int(fee or 0)
        row["payouts"] += int(count)
        if status in PAID_OUT:
            row["paid_out"] += int(amount or 0)
        elif status == "owed":
            row["owed_payouts"] += int(count)
    return totals


# -- reconciliation ---------------------------------------------------------------------------------
REMOTE_PROVIDERS = ("stripe", "xendit", "midtrans")  # those that keep a state of their own to ask


def stuck_payments(session, older_than_seconds: float) -> list[Payment]:
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(session.scalars(select(Payment).where(
        Payment.status == domain.PENDING, Payment.provider.in_(REMOTE_PROVIDERS), Payment.updated_at <= cutoff)))


def recent_settled_payments(session, within_seconds: float) -> list[Payment]:
    """Local-rail payments that ended (paid, voided, refunded) lately: checked against the provider. (Stripe's
    are not: its reconciliation stays as it was, stuck payments only.)"""
    cutoff = utcnow() - timedelta(seconds=within_seconds)
    return list(session.scalars(select(Payment).where(
        Payment.status.in_((domain.SUCCEEDED, domain.CANCELLED, domain.REFUNDED, domain.FAILED)),
        Payment.provider.in_(tuple(providers.LOCAL_RAILS)),
        (Payment.updated_at >= cutoff) | Payment.attention.is_not(None)).order_by(Payment.created_at)))


def ledger_difference(uow: UnitOfWork, payment_id: str, repair: bool) -> str | None:
    """What the provider says about an ended payment against what our ledger recorded; None when they agree.
    With `repair`, the provider's word goes through the one door (apply_report) - it moves only forward."""
    payment = uow.session.get(Payment, payment_id, with_for_update=uow.db.is_postgres)
    if payment is None:
        return None
    captured = captured_amount(uow.session, payment)
    refunded = refunded_amount(uow.session, payment) > 0  # whole, or parcel by parcel
    difference = None
    if payment.attention:
        owed = owed_refunds(uow.session, payment)
        difference = f"flagged: {payment.attention} (captured Rp {captured}" + (
            f", Rp {owed} owed back to shopper {payment.shopper_id} by hand)" if owed else ")")
    provider = providers.get_provider(payment.provider)
    refund_gap = _refund_difference(uow, payment, provider)
    if refund_gap:
        difference = f"{difference}; {refund_gap}" if difference else refund_gap
    report = provider.status(provider_ref=payment.provider_ref, **_on_account(payment))
    if report is not None:
        if report.outcome == domain.OUTCOME_SUCCEEDED and captured == 0:
            difference = f"provider says paid Rp {report.amount}, ledger has no capture"
        elif report.outcome == domain.OUTCOME_REFUNDED and not refunded:
            difference = "provider says refunded, ledger has no refund"
        elif report.outcome == domain.OUTCOME_CANCELLED and captured and not refunded:
            difference = f"provider says {report.reason or 'cancelled'}, ledger holds a capture of Rp {captured}"
        if difference and repair and not payment.attention:
            difference += f" -> {apply_report(uow, report, payment.provider)}"
    return difference


def _refund_difference(uow: UnitOfWork, payment: Payment, provider) -> str | None:
    """The refunds the provider made (in all, partial ones included) against the refunds our ledger recorded
    (whole-order and per-parcel/complaint `refund` transactions; refunds owed by hand are not at the provider).
    Reported only: a refund is never made or undone by reconcile."""
    total = getattr(provider, "refunded_total", None)
    if total is None or not payment.provider_ref:
        return None
    at_provider, ours = total(provider_ref=payment.provider_ref, **_on_account(payment)), \
        refunded_amount(uow.session, payment)
    if at_provider == ours:
        return None
    return f"provider refunded Rp {at_provider} in all, ledger records refunds of Rp {ours}"


def reconcile_payment(uow: UnitOfWork, payment_id: str) -> str:
    payment = uow.session.get(Payment, payment_id, with_for_update=uow.db.is_postgres)
    if payment is None or payment.status != domain.PENDING:
        return "unchanged"
    provider = providers.get_provider(payment.provider)
    if payment.order_cancelled:  # a cancellation that could not void it at the time: try again
        cancel_for_order(uow, order_id=payment.order_id, shopper_id=payment.shopper_id, method=payment.method,
                         reason="order_cancelled")
        return payment.status
    report = provider.status(provider_ref=payment.provider_ref, **_on_account(payment))
    if report is None:
        return "still open"
    return apply_report(uow, report, payment.provider)


# -- requests: what one HTTP request does (parse and authorise happen in the route) ---------------------
def payment_view(payment: Payment, for_shopper: bool) -> dict:
    """A payment as its shopper (or an admin) sees it. The client secret lets its holder pay: the shopper only."""
    view = {"payment_id": payment.id, "order_id": payment.order_id, "status": payment.status,
            "method": payment.method, "provider": payment.provider, "amount": int(payment.amount),
            "currency": payment.currency, "failure_reason": payment.failure_reason,
            "attempts": int(payment.attempts or 0),
            "attempts_left": domain.attempts_left(payment.status, payment.attempts, max_card_attempts())
            if payment.method == "card" else 0,
            "last_decline": payment.last_decline,
            "client_secret": None, "publishable_key": None, "sandbox": None,
            "channel": payment.channel or (domain.CHANNEL_CARD if payment.method == "card" else None),
            "next_action": _next_action_view(payment), "attention": payment.attention}
    if payment.provider == "stripe" and for_shopper:
        view["client_secret"] = payment.client_secret
        view["publishable_key"] = setting("STRIPE_PUBLISHABLE_KEY")
    if payment.provider == "sandbox":
        view["sandbox"] = {"test_mode": True, "label": domain.SANDBOX_LABEL,
                           "pay_url": f"/api/v1/payments/{payment.id}/sandbox",
                           "test_cards": dict(domain.SANDBOX_CARDS_SHOWN)}
    return view


def _next_action_view(payment: Payment) -> dict | None:
    if not payment.next_kind:
        return None
    expires = _utc(payment.expires_at).isoformat() if payment.expires_at else None
    return {"kind": payment.next_kind, "redirect_url": payment.redirect_url, "qr_string": payment.qr_string,
            "va_number": payment.va_number, "va_bank": payment.va_bank, "deeplink": payment.deeplink,
            "expires_at": expires}


def payment_of_order(db: Database, order_id: str, who: Identity) -> dict:
    """An order's payment; another shopper's payment is "not found": its existence is not theirs to know."""
    with db.Session() as session:
        payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
        if payment is None or payment.provider == "none" or not domain.may_see_payment(
                payment.shopper_id, who.user_id, who.is_admin):
            raise not_found("payment")
        return {**payment_view(payment, for_shopper=payment.shopper_id == who.user_id),
                "refunded": refunded_amount(session, payment), "refund_owed": owed_refunds(session, payment)}


@dataclass(frozen=True)
class SandboxAttempt:
    payment: dict                       # payment_view after the attempt
    declined: tuple[str, str] | None    # (error code, message) when the card was declined


def pay_in_sandbox(work: UnitOfWork, *, payment_id: str, shopper_id: str, card_number: str) -> SandboxAttempt:
    """A shopper pays a test-mode payment with a test card; the outcome goes through the same door a
    verified Stripe webhook uses (apply_report)."""
    try:
        outcome, reason = domain.sandbox_outcome(card_number)
    except domain.UnknownTestCard as exc:
        raise ApiError(422, str(exc), fields={"card_number": [str(exc)]}) from exc
    with work:
        payment = work.session.get(Payment, payment_id, with_for_update=work.db.is_postgres)
        if payment is None or payment.shopper_id != shopper_id:
            raise not_found("payment")
        if payment.provider != "sandbox":
            raise conflict("this payment is not in test mode", "not_sandbox")
        if payment.status != domain.PENDING:
            raise conflict(f"this payment is already {payment.status}", "payment_final")
        report = domain.ProviderReport(f"sandbox:{payment.id}:{uuid.uuid4().hex}", outcome, payment.provider_ref,
                                       int(payment.amount) if outcome == domain.OUTCOME_SUCCEEDED else None,
                                       reason, payment.order_id)
        apply_report(work, report, "sandbox")
        work.commit()
        view = payment_view(payment, for_shopper=True)
    if outcome != domain.OUTCOME_FAILED:
        return SandboxAttempt(view, None)
    return SandboxAttempt(view, domain.decline_answer(view["status"] != domain.PENDING, view["last_decline"],
                                                      view["attempts_left"]))


def receive_stripe_webhook(payload: bytes, signature: str | None,
                           new_uow: Callable[..., UnitOfWork]) -> dict:
    """A Stripe webhook: verified with STRIPE_WEBHOOK_SECRET, then applied once (apply_report).
    `new_uow(correlation_id=...)` opens the unit of work once the event names its order."""
    secret = setting("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise ApiError(503, "stripe webhooks are not configured here", "webhooks_not_configured")
    try:
        report = providers.verify_stripe_webhook(payload, signature, secret)
    except domain.WebhookRejected as exc:
        raise ApiError(400, exc.message, exc.code) from exc
    if report is None:
        return {"received": True, "result": "ignored"}
    try:
        with new_uow(correlation_id=report.order_id) as work:
            result = apply_report(work, report, "stripe")
            work.commit()
    except IntegrityError:  # the same event, delivered twice at once: the other delivery applied it
        result = "duplicate"
    log.info("stripe webhook", extra={"event_id": report.event_id, "outcome": report.outcome, "result": result})
    return {"received": True, "result": result}


def balance_of(session, user_id: str) -> dict:
    """A seller's or courier's money: owed to them (liabilities shown positive) less the cash they hold.
    A seller's share is "held" while the shopper's receipt window is open and "available" (seller_payable)
    after; only the available part counts in `net`."""
    payable = -account_balance(session, domain.seller_payable(user_id))
    held = -account_balance(session, domain.seller_held(user_id))
    earnings = -account_balance(session, domain.courier_earnings(user_id))
    cash = account_balance(session, domain.cod_cash_held(user_id))
    return {"user_id": user_id, "seller_payable": payable, "seller_held": held, "seller_available": payable,
            "courier_earnings": earnings, "cod_cash_held": cash, "net": payable + earnings - cash, "currency": "IDR"}


def read_balance(db: Database, user_id: str) -> dict:
    with db.Session() as session:
        return balance_of(session, user_id)


def read_managed_balances(db: Database, who: Identity, agent_id: str | None) -> dict:
    """An agent reads its own crafters' balances; an admin names the agent."""
    try:
        whose = domain.agent_to_read(who.user_id, who.is_admin, agent_id)
    except domain.AgentNotNamed as exc:
        raise ApiError(422, "some fields are not valid", fields={"agent_id": [str(exc)]}) from exc
    with db.Session() as session:
        return managed_balances(session, whose)


def platform_balances(db: Database) -> dict:
    """Every ledger account's balance; the total is always 0."""
    with db.Session() as session:
        rows = session.execute(select(LedgerEntry.account, func.sum(LedgerEntry.amount))
                               .group_by(LedgerEntry.account).order_by(LedgerEntry.account)).all()
        accounts = {account: int(total) for account, total in rows}
        return {"accounts": accounts, "total": sum(accounts.values())}


def payouts_for(db: Database, who: Identity, payee_id: str | None) -> list[Payout]:
    """Newest first, at most 200. Seller/courier: their own; agent: its crafters' (`payee_id` narrows);
    admin: all, or `payee_id`'s."""
    stmt = select(Payout).order_by(Payout.created_at.desc(), Payout.id).limit(200)
    if who.is_admin:
        if payee_id:
            stmt = stmt.where(Payout.payee_id == payee_id)
    elif who.role == "agent":
        stmt = stmt.where(Payout.payee_role == "seller", Payout.payee_id.in_(managed_payee_ids(who.user_id)))
        if payee_id:
            stmt = stmt.where(Payout.payee_id == payee_id)
    else:
        stmt = stmt.where(Payout.payee_id == who.user_id)
    with db.Session() as session:
        return list(session.scalars(stmt))


def set_connected_account(work: UnitOfWork, seller_id: str, stripe_account_id: str) -> dict:
    """This seller is paid by Stripe Connect transfer from now on."""
    with work:
        account = work.session.get(ConnectedAccount, seller_id)
        if account is None:
            account = ConnectedAccount(seller_id=seller_id, stripe_account_id=stripe_account_id)
            work.session.add(account)
        account.stripe_account_id = stripe_account_id
        work.commit()
        return {"seller_id": seller_id, "stripe_account_id": account.stripe_account_id}


def mark_payout_paid(work: UnitOfWork, payout_id: str) -> Payout:
    with work:
        try:
            payout = record_payout_paid(work, payout_id)
        except NotAllowed as exc:
            raise conflict(str(exc), "payout_not_owed") from exc
        if payout is None:
            raise not_found("payout")
        work.commit()
        return payout


def remit_cod_cash(work: UnitOfWork, fulfillment_id: str) -> dict:
    """The courier handed over one delivery's cash; answers the courier's balance after it."""
    with work:
        try:
            share = record_cod_remitted(work, fulfillment_id)
        except NotAllowed as exc:
            raise conflict(str(exc), "already_remitted") from exc
        if share is None:
            raise not_found("cash-on-delivery delivery")
        work.commit()
        courier_id = share.courier_id
    return read_balance(work.db, courier_id)


# -- local rails: channels, the shopper's choice, "Saya sudah bayar", provider webhooks ------------------------
def offered_channels() -> dict:
    """The channels the operator turned on (card first), for the checkout's choice."""
    return {"channels": providers.offered_channels()}


def choose_channel(work: UnitOfWork, *, order_id: str, shopper_id: str, channel: str) -> dict:
    """The shopper chose how to pay an order (at checkout, or again on the pay page). Remembered for when the
    payment opens; an open payment not yet paid moves to the new channel (voided at the old one first)."""
    if channel not in domain.CHANNELS or providers.provider_for_channel(channel) is None:
        message = f"channel {channel!r} is not offered here"
        raise ApiError(422, "some fields are not valid", fields={"channel": [message]})
    with work:
        choice = work.session.get(ChannelChoice, order_id, with_for_update=work.db.is_postgres)
        if choice is not None and choice.shopper_id != shopper_id:
            raise not_found("order")
        payment = payment_for_order(work, order_id)
        if payment is not None and (payment.shopper_id != shopper_id or payment.provider == "none"):
            raise not_found("order")
        if payment is not None and payment.method == "cod":
            raise conflict("this order is paid in cash on delivery", "cash_on_delivery")
        if choice is None:
            choice = ChannelChoice(order_id=order_id, shopper_id=shopper_id, channel=channel)
            work.session.add(choice)
        choice.channel = channel
        if payment is not None and (payment.channel or domain.CHANNEL_CARD) != channel:
            _switch_channel(work, payment, channel)
        work.commit()
        return {"order_id": order_id, "channel": channel,
                "payment": payment_view(payment, for_shopper=True) if payment is not None else None}


def _switch_channel(work: UnitOfWork, payment: Payment, channel: str) -> None:
    if payment.status != domain.PENDING or payment.order_cancelled:
        raise conflict(f"this payment is already {payment.status}", "payment_final")
    if payment.attempts:
        raise conflict("a card was already tried on this payment", "card_attempted")
    paid_after_all = providers.get_provider(payment.provider).cancel(provider_ref=payment.provider_ref,
                                                                     order_id=payment.order_id,
                                                                     **_on_account(payment))
    if paid_after_all is not None:
        apply_outcome(work, payment, paid_after_all)
        work.commit()
        raise conflict("this payment was already paid", "payment_final")
    payment.channel = channel
    payment.provider = providers.provider_for_channel(channel)
    _open_at_provider(work, payment, [{"fulfillment_id": s.fulfillment_id, "seller_id": s.seller_id,
                                       "goods_amount": int(s.goods_amount), "delivery_fee": int(s.delivery_fee)}
                                      for s in payment.shares])


def check_payment(work: UnitOfWork, *, payment_id: str, shopper_id: str) -> dict:
    """"Saya sudah bayar": ask the provider now rather than wait for its callback; applied through the same
    door (apply_report), so a callback arriving as well changes nothing twice."""
    with work:
        payment = work.session.get(Payment, payment_id, with_for_update=work.db.is_postgres)
        if payment is None or payment.shopper_id != shopper_id:
            raise not_found("payment")
        if payment.status == domain.PENDING and payment.provider_ref:
            report = providers.get_provider(payment.provider).status(provider_ref=payment.provider_ref,
                                                                     **_on_account(payment))
            if report is not None:
                apply_report(work, report, payment.provider)
        work.commit()
        return payment_view(payment, for_shopper=True)


def receive_webhook(provider_name: str, payload: bytes, headers, new_uow: Callable[..., UnitOfWork]) -> dict:
    """A local rail's callback, verified by the provider's own rule (providers.<name>.parse_webhook), then
    applied once per provider event id (apply_report). Unknown payments are answered 200 and logged: the
    provider must stop retrying, and reconciliation finds any money."""
    if provider_name not in providers.LOCAL_RAILS:
        raise not_found("webhook")
    try:
        provider = providers.get_provider(provider_name)
    except RuntimeError as exc:
        raise ApiError(503, f"{provider_name} webhooks are not configured here", "webhooks_not_configured") from exc
    try:
        reports = provider.parse_webhook(payload, headers)
    except domain.WebhookRejected as exc:
        raise ApiError(503 if exc.code == "webhooks_not_configured" else 400, exc.message, exc.code) from exc
    results = []
    for report in reports:
        try:
            with new_uow(correlation_id=report.order_id) as work:
                result = apply_report(work, report, provider_name)
                work.commit()
        except IntegrityError:  # the same event, delivered twice at once: the other delivery applied it
            result = "duplicate"
        if result == "unknown":
            log.warning("webhook for a payment we do not know", extra={"provider": provider_name,
                                                                       "provider_ref": report.provider_ref})
        log.info("provider webhook", extra={"provider": provider_name, "event_id": report.event_id,
                                            "outcome": report.outcome, "result": result})
        results.append(result)
    return {"received": True, "result": results[0] if len(results) == 1 else ("ignored" if not results else results)}


def set_sub_account(work: UnitOfWork, seller_id: str, account_id: str) -> dict:
    """This seller has a xenPlatform sub-account: Xendit payments split their share to it at payment time."""
    with work:
        account = work.session.get(SubAccount, seller_id)
        if account is None:
            account = SubAccount(seller_id=seller_id, provider="xendit", account_id=account_id)
            work.session.add(account)
        account.account_id = account_id
        work.commit()
        return {"seller_id": seller_id, "provider": "xendit", "account_id": account.account_id}


# -- cooperatives: the four-way split, members' payouts, statements -------------------------------------------
# Payments owns cooperatives: what a cooperative is for here is money (who shares each sale, who is owed what,
# who handed whom cash), and the ledger, the payout hold and the agents' crafters (ManagedPayee) already live
# here. Members and agents are named by the ids payments already pays (a seller's id, a crafter's "shop:<id>",
# an agent's id), so no other service needs to know about cooperatives and no new event is needed.
STATEMENT_ZONE = "Asia/Jakarta"  # a month is a month in WIB, where the villages are


def _split_rule(session, seller_id: str, agent_id: str | None) -> SaleSplit | None:
    """The shop's own setting first, else its agent's."""
    rule = session.get(SaleSplit, ("shop", seller_id))
    if rule is None and agent_id:
        rule = session.get(SaleSplit, ("agent", agent_id))
    return rule


def _sale_agent(uow: UnitOfWork, share: PaymentShare, data: dict) -> str | None:
    agent_id = data.get("agent_id")
    if not agent_id:
        managed = uow.session.get(ManagedPayee, share.seller_id)
        agent_id = managed.agent_id if managed is not None else None
    return agent_id


def _settle_split(uow: UnitOfWork, share: PaymentShare, data: dict, courier_id: str) -> domain.Split | None:
    """A delivered sale of a shop (or an agent) with a cooperative split: its goods shared four ways in the ledger,
    every party's part held until receipt. None: no split applies, the plain commission split does."""
    agent_id = _sale_agent(uow, share, data)
    rule = _split_rule(uow.session, share.seller_id, agent_id)
    if rule is None:
        return None
    if agent_id and uow.session.get(CoopPerson, (rule.coop_id, agent_id, domain.AGENT)) is None:
        agent_id = None  # an agent outside the cooperative earns nothing from its split: that part is the coop's
    shares = domain.Shares(rule.crafter_bp, rule.agent_bp, rule.cooperative_bp, rule.platform_bp)
    goods, fee = int(share.goods_amount), int(share.delivery_fee)
    parts = domain.apply_shares(goods, shares)
    post(uow, domain.delivered_split(share.fulfillment_id, share.order_id, share.seller_id, agent_id, rule.coop_id,
                                     courier_id, parts, fee))
    uow.session.add(ShareSplit(
        fulfillment_id=share.fulfillment_id, order_id=share.order_id, coop_id=rule.coop_id, seller_id=share.seller_id,
        agent_id=agent_id, goods_amount=goods, crafter=parts.crafter, agent=parts.agent if agent_id else 0,
        cooperative=parts.cooperative + (0 if agent_id else parts.agent), platform=parts.platform,
        crafter_bp=rule.crafter_bp, agent_bp=rule.agent_bp, cooperative_bp=rule.cooperative_bp,
        platform_bp=rule.platform_bp))
    # the seller's payout is the crafter's part; its "fee" is everything that was not the crafter's
    return domain.Split(seller=parts.crafter, commission=goods - parts.crafter, courier=fee)


def _release_split(uow: UnitOfWork, fulfillment_id: str) -> None:
    split = uow.session.get(ShareSplit, fulfillment_id)
    if split is None or split.released_at is not None:
        return
    post(uow, domain.released_split(fulfillment_id, split.order_id, split.agent_id, int(split.agent), split.coop_id,
                                    int(split.cooperative)))
    split.released_at = utcnow()


def _problems(exc: domain.FieldProblems) -> ApiError:
    return ApiError(422, "some fields are not valid", fields=exc.fields)


def _roles(session, coop_id: str, person_id: str) -> set[str]:
    return set(session.scalars(select(CoopPerson.role).where(CoopPerson.coop_id == coop_id,
                                                              CoopPerson.person_id == person_id)))


def _coop_for(session, coop_id: str, who: Identity, manage: bool) -> tuple[Cooperative, set[str]]:
    """The cooperative and the caller's roles in it. A stranger is told it does not exist; a member who may not
    manage it is refused (403)."""
    coop = session.get(Cooperative, coop_id)
    roles = _roles(session, coop_id, who.user_id) if coop is not None else set()
    if coop is None or (not roles and not who.is_admin):
        raise not_found("cooperative")
    if manage and not domain.may_manage(roles, who.is_admin):
        raise ApiError(403, "only the cooperative's officers may do this", "not_an_officer")
    return coop, roles


def _coop_view(coop: Cooperative) -> dict:
    return {"id": coop.id, "name": coop.name, "village": coop.village, "district": coop.district,
            "regency": coop.regency}


def create_cooperative(work: UnitOfWork, who: Identity, body: dict) -> dict:
    """The operator opens a cooperative with its first officers (account ids)."""
    with work:
        coop = Cooperative(id=new_id(), name=body["name"].strip(), village=body.get("village"),
                           district=body.get("district"), regency=body.get("regency"))
        work.session.add(coop)
        work.session.flush()
        # a person listed twice is one officer, as add_coop_person treats a second add (a later name wins):
        # two rows would break the (coop, person, role) key and answer 500 (found by the fuzz run)
        officers: dict[str, str] = {}
        for officer in body.get("officers") or []:
            person_id, name = officer["person_id"], (officer.get("name") or "").strip()
            officers[person_id] = name or officers.get(person_id, "")
        for person_id, name in officers.items():
            work.session.add(CoopPerson(coop_id=coop.id, person_id=person_id, role=domain.OFFICER, name=name))
        work.commit()
        return _coop_view(coop)


def add_coop_person(work: UnitOfWork, who: Identity, coop_id: str, body: dict) -> dict:
    """An officer adds a member (a seller's id, or a crafter's shop "shop:<id>"), another officer, or an agent.
    An agent belongs to one cooperative at most. Adding someone already there changes nothing but the name."""
    person_id, role = body["person_id"].strip(), body["role"]
    with work:
        coop, _ = _coop_for(work.session, coop_id, who, manage=True)
        if role == domain.AGENT:
            elsewhere = work.session.scalar(select(CoopPerson.coop_id).where(
                CoopPerson.person_id == person_id, CoopPerson.role == domain.AGENT, CoopPerson.coop_id != coop_id))
            if elsewhere is not None:
                raise conflict("this agent already belongs to another cooperative", "agent_in_other_cooperative")
        row = work.session.get(CoopPerson, (coop_id, person_id, role))
        if row is None:
            row = CoopPerson(coop_id=coop_id, person_id=person_id, role=role, name=(body.get("name") or "").strip())
            work.session.add(row)
        elif body.get("name"):
            row.name = body["name"].strip()
        work.commit()
        return {"coop_id": coop_id, "person_id": person_id, "role": role, "name": row.name}


def set_sale_split(work: UnitOfWork, who: Identity, coop_id: str, body: dict) -> dict:
    """An officer sets how a member shop's (scope "shop") or a member agent's (scope "agent") sales are shared."""
    try:
        shares = domain.parse_shares(body.get("crafter_bp"), body.get("agent_bp"), body.get("cooperative_bp"),
                                     body.get("platform_bp"), domain.commission_bp(commission_rate()))
    except domain.FieldProblems as exc:
        raise _problems(exc) from exc
    scope, subject_id = body["scope"], body["subject_id"].strip()
    with work:
        _coop_for(work.session, coop_id, who, manage=True)
        needed = domain.MEMBER if scope == "shop" else domain.AGENT
        if work.session.get(CoopPerson, (coop_id, subject_id, needed)) is None:
            raise ApiError(422, "some fields are not valid", fields={"subject_id": [
                "add them to the cooperative first (a shop as a member, an agent as an agent)"]})
        rule = work.session.get(SaleSplit, (scope, subject_id), with_for_update=work.db.is_postgres)
        if rule is not None and rule.coop_id != coop_id:
            raise conflict("another cooperative sets this split", "split_of_another_cooperative")
        if rule is None:
            rule = SaleSplit(scope=scope, subject_id=subject_id, coop_id=coop_id)
            work.session.add(rule)
        rule.crafter_bp, rule.agent_bp = shares.crafter, shares.agent
        rule.cooperative_bp, rule.platform_bp = shares.cooperative, shares.platform
        rule.updated_by = who.user_id
        work.commit()
        return _split_view(rule)


def _split_view(rule: SaleSplit) -> dict:
    return {"scope": rule.scope, "subject_id": rule.subject_id, "coop_id": rule.coop_id,
            "crafter_bp": rule.crafter_bp, "agent_bp": rule.agent_bp, "cooperative_bp": rule.cooperative_bp,
            "platform_bp": rule.platform_bp}


def my_cooperatives(db: Database, who: Identity) -> list[dict]:
    with db.Session() as session:
        rows = session.execute(select(Cooperative, CoopPerson.role).join(
            CoopPerson, CoopPerson.coop_id == Cooperative.id).where(CoopPerson.person_id == who.user_id)
            .order_by(Cooperative.name, CoopPerson.role)).all()
    mine: dict[str, dict] = {}
    for coop, role in rows:
        mine.setdefault(coop.id, {**_coop_view(coop), "roles": []})["roles"].append(role)
    return list(mine.values())


def _balances(session, accounts: list[str]) -> dict[str, int]:
    if not accounts:
        return {}
    rows = session.execute(select(LedgerEntry.account, func.sum(LedgerEntry.amount))
                           .where(LedgerEntry.account.in_(accounts)).group_by(LedgerEntry.account))
    return {account: int(total or 0) for account, total in rows}


def cooperative_view(db: Database, who: Identity, coop_id: str) -> dict:
    """An officer's view: members with what each is owed (held, available) and was paid, agents, split settings,
    the cooperative's own balance, and the latest payouts."""
    with db.Session() as session:
        coop, _ = _coop_for(session, coop_id, who, manage=True)
        people = list(session.scalars(select(CoopPerson).where(CoopPerson.coop_id == coop_id)
                                      .order_by(CoopPerson.role, CoopPerson.name, CoopPerson.person_id)))
        members = [p for p in people if p.role == domain.MEMBER]
        agents = [p for p in people if p.role == domain.AGENT]
        accounts = [domain.coop_held(coop_id), domain.coop_payable(coop_id)]
        for m in members:
            accounts += [domain.seller_held(m.person_id), domain.seller_payable(m.person_id)]
        for a in agents:
            accounts += [domain.agent_held(a.person_id), domain.agent_payable(a.person_id)]
        balances = _balances(session, accounts)
        paid = dict(session.execute(select(CoopPayout.member_id, func.sum(CoopPayout.amount))
                                    .where(CoopPayout.coop_id == coop_id).group_by(CoopPayout.member_id)).all())
        splits = list(session.scalars(select(SaleSplit).where(SaleSplit.coop_id == coop_id)
                                      .order_by(SaleSplit.scope, SaleSplit.subject_id)))
        payouts = list(session.scalars(select(CoopPayout).where(CoopPayout.coop_id == coop_id)
                                       .order_by(CoopPayout.paid_at.desc(), CoopPayout.id).limit(50)))
        names = {p.person_id: p.name for p in people}
        return {
            **_coop_view(coop),
            "officers": [{"person_id": p.person_id, "name": p.name} for p in people if p.role == domain.OFFICER],
            "members": [{"person_id": m.person_id, "name": m.name,
                         "held": -balances.get(domain.seller_held(m.person_id), 0),
                         "available": -balances.get(domain.seller_payable(m.person_id), 0),
                         "paid_out": int(paid.get(m.person_id) or 0)} for m in members],
            "agents": [{"person_id": a.person_id, "name": a.name,
                        "held": -balances.get(domain.agent_held(a.person_id), 0),
                        "available": -balances.get(domain.agent_payable(a.person_id), 0)} for a in agents],
            "splits": [{**_split_view(r), "name": names.get(r.subject_id, "")} for r in splits],
            "balance": {"held": -balances.get(domain.coop_held(coop_id), 0),
                        "available": -balances.get(domain.coop_payable(coop_id), 0),
                        "members_available": sum(-balances.get(domain.seller_payable(m.person_id), 0)
                                                 for m in members),
                        "currency": "IDR"},
            "payouts": [_payout_view(p, names) for p in payouts],
        }


def _payout_view(payout: CoopPayout, names: dict[str, str] | None = None) -> dict:
    return {"id": payout.id, "coop_id": payout.coop_id, "member_id": payout.member_id,
            "member_name": (names or {}).get(payout.member_id, ""), "amount": int(payout.amount),
            "method": payout.method, "reference": payout.reference, "note": payout.note,
            "paid_at": _utc(payout.paid_at).isoformat()}


def record_member_payout(work: UnitOfWork, who: Identity, coop_id: str, key: str | None, body: dict) -> tuple[dict, bool]:
    """An officer records money handed to a member. Once per Idempotency-Key: the same key again answers the first
    payout (True = replayed); with a different payout it is a 409. Never more than the member's available money."""
    if not key or len(key) > 128:
        raise ApiError(422, "some fields are not valid",
                       fields={"Idempotency-Key": ["send an Idempotency-Key header (a new UUID per payout)"]})
    member_id, amount, method = body["member_id"], body["amount"], body["method"]
    reference = (body.get("reference") or "").strip() or None
    problems = domain.payout_problems(method, reference, amount)
    if problems:
        raise ApiError(422, "some fields are not valid", fields=problems)
    with work:
        _coop_for(work.session, coop_id, who, manage=True)
        member = work.session.get(CoopPerson, (coop_id, member_id, domain.MEMBER),
                                  with_for_update=work.db.is_postgres)  # one payout of a member at a time
        earlier = work.session.scalar(select(CoopPayout).where(CoopPayout.coop_id == coop_id, CoopPayout.key == key))
        if earlier is not None:
            if (earlier.member_id, int(earlier.amount), earlier.method, earlier.reference) != (
                    member_id, amount, method, reference):
                raise conflict("this Idempotency-Key was already used for a different payout",
                               "idempotency_key_reused")
            return _payout_view(earlier, {member_id: member.name if member else ""}), True
        if member is None:
            raise ApiError(422, "some fields are not valid",
                           fields={"member_id": ["not a member of this cooperative"]})
        available = -account_balance(work.session, domain.seller_payable(member_id))
        if amount > available:
            raise conflict(f"the member has only Rp {available} available", "insufficient_balance")
        payout = CoopPayout(id=new_id(), coop_id=coop_id, key=key, member_id=member_id, amount=amount,
                            method=method, reference=reference, note=(body.get("note") or "").strip() or None,
                            recorded_by=who.user_id, paid_at=utcnow())
        work.session.add(payout)
        post(work, domain.member_paid(coop_id, payout.id, member_id, amount))
        try:
            work.commit()
        except IntegrityError:  # the same key at the same moment: the other request recorded it
            work.session.rollback()
            earlier = work.session.scalar(select(CoopPayout).where(CoopPayout.coop_id == coop_id,
                                                                   CoopPayout.key == key))
            if earlier is None:
                raise
            return _payout_view(earlier, {member_id: member.name}), True
        return _payout_view(payout, {member_id: member.name}), False


def coop_payouts(db: Database, who: Identity, coop_id: str, member_id: str | None) -> list[dict]:
    """An officer: every member's payouts (or `member_id`'s); a member: only their own, whatever they ask."""
    with db.Session() as session:
        _, roles = _coop_for(session, coop_id, who, manage=False)
        if not domain.may_manage(roles, who.is_admin):
            member_id = who.user_id
        stmt = select(CoopPayout).where(CoopPayout.coop_id == coop_id)
        if member_id:
            stmt = stmt.where(CoopPayout.member_id == member_id)
        names = dict(session.execute(select(CoopPerson.person_id, CoopPerson.name).where(
            CoopPerson.coop_id == coop_id, CoopPerson.role == domain.MEMBER)).all())
        return [_payout_view(p, names) for p in session.scalars(
            stmt.order_by(CoopPayout.paid_at.desc(), CoopPayout.id).limit(200))]


def my_coop_payouts(db: Database, who: Identity) -> dict:
    """"Pembayaran saya": what every cooperative paid me, newest first, with what I am still owed."""
    with db.Session() as session:
        coops = {c.id: c.name for c in session.scalars(select(Cooperative).join(
            CoopPerson, CoopPerson.coop_id == Cooperative.id).where(CoopPerson.person_id == who.user_id,
                                                                      CoopPerson.role == domain.MEMBER))}
        payouts = [{**_payout_view(p), "coop_name": coops.get(p.coop_id, "")} for p in session.scalars(
            select(CoopPayout).where(CoopPayout.member_id == who.user_id)
            .order_by(CoopPayout.paid_at.desc(), CoopPayout.id).limit(200))]
        balances = _balances(session, [domain.seller_held(who.user_id), domain.seller_payable(who.user_id)])
        return {"member_id": who.user_id, "cooperatives": [{"id": k, "name": v} for k, v in coops.items()],
                "payouts": payouts, "paid_total": sum(p["amount"] for p in payouts),
                "held": -balances.get(domain.seller_held(who.user_id), 0),
                "available": -balances.get(domain.seller_payable(who.user_id), 0), "currency": "IDR"}


# -- monthly statements ------------------------------------------------------------------------------------------
def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month's first moment and the next month's, in WIB, as UTC datetimes."""
    from zoneinfo import ZoneInfo
    try:
        year, number = domain.parse_month(month)
    except domain.FieldProblems as exc:
        raise _problems(exc) from exc
    zone = ZoneInfo(STATEMENT_ZONE)
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def _moves(session, account: str, start: datetime, end: datetime) -> list[tuple[datetime, str, str, int]]:
    """One account's entries in [start, end): (when, kind, order, amount)."""
    return [(_utc(when), kind, order_id, int(amount)) for when, kind, order_id, amount in session.execute(
        select(LedgerTransaction.created_at, LedgerTransaction.kind, LedgerTransaction.order_id, LedgerEntry.amount)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.account == account, LedgerTransaction.created_at >= start,
               LedgerTransaction.created_at < end).order_by(LedgerTransaction.created_at, LedgerEntry.id))]


def _balance_before(session, account: str, moment: datetime) -> int:
    return -int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                               .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
                               .where(LedgerEntry.account == account, LedgerTransaction.created_at < moment)))


def _party_statement(session, held: str, payable: str, start: datetime, end: datetime) -> dict:
    """A party's month from its two accounts: sales earned (held), released to available, money paid out."""
    sales = [{"at": when.isoformat(), "order_id": order_id, "amount": -amount}
             for when, kind, order_id, amount in _moves(session, held, start, end) if kind == "delivered"]
    available_moves = _moves(session, payable, start, end)
    released = sum(-amount for _, kind, _, amount in available_moves if kind == "released")
    paid = sum(amount for _, kind, _, amount in available_moves if amount > 0)
    return {"sales": sales, "earned": sum(s["amount"] for s in sales), "released": released, "paid": paid,
            "opening_held": _balance_before(session, held, start), "closing_held": _balance_before(session, held, end),
            "opening_available": _balance_before(session, payable, start),
            "closing_available": _balance_before(session, payable, end)}


def member_statement(db: Database, who: Identity, coop_id: str, member_id: str, month: str) -> dict:
    """A member's month: sales (their part), released, what the cooperative paid them and how, balances."""
    start, end = month_bounds(month)
    with db.Session() as session:
        coop, roles = _coop_for(session, coop_id, who, manage=False)
        member = session.get(CoopPerson, (coop_id, member_id, domain.MEMBER))
        if member is None or not domain.may_see_member(who.user_id, member_id, roles, who.is_admin):
            raise not_found("member")
        party = _party_statement(session, domain.seller_held(member_id), domain.seller_payable(member_id), start, end)
        payouts = [_payout_view(p, {member_id: member.name}) for p in session.scalars(
            select(CoopPayout).where(CoopPayout.coop_id == coop_id, CoopPayout.member_id == member_id,
                                     CoopPayout.paid_at >= start, CoopPayout.paid_at < end)
            .order_by(CoopPayout.paid_at, CoopPayout.id))]
        return {"kind": "member", "month": month, "cooperative": _coop_view(coop),
                "member": {"person_id": member_id, "name": member.name}, **party, "payouts": payouts,
                "paid_by_cooperative": sum(p["amount"] for p in payouts), "currency": "IDR"}


def coop_statement(db: Database, who: Identity, coop_id: str, month: str) -> dict:
    """The cooperative's month (officers): its own part of the sales, each member's month, every payout."""
    start, end = month_bounds(month)
    with db.Session() as session:
        coop, _ = _coop_for(session, coop_id, who, manage=True)
        own = _party_statement(session, domain.coop_held(coop_id), domain.coop_payable(coop_id), start, end)
        members = list(session.scalars(select(CoopPerson).where(CoopPerson.coop_id == coop_id,
                                                                 CoopPerson.role == domain.MEMBER)
                                       .order_by(CoopPerson.name, CoopPerson.person_id)))
        names = {m.person_id: m.name for m in members}
        payouts = [_payout_view(p, names) for p in session.scalars(
            select(CoopPayout).where(CoopPayout.coop_id == coop_id, CoopPayout.paid_at >= start,
                                     CoopPayout.paid_at < end).order_by(CoopPayout.paid_at, CoopPayout.id))]
        paid = {}
        for p in payouts:
            paid[p["member_id"]] = paid.get(p["member_id"], 0) + p["amount"]
        rows = []
        for m in members:
            party = _party_statement(session, domain.seller_held(m.person_id), domain.seller_payable(m.person_id),
                                     start, end)
            rows.append({"person_id": m.person_id, "name": m.name, "earned": party["earned"],
                         "released": party["released"], "paid_by_cooperative": paid.get(m.person_id, 0),
                         "closing_available": party["closing_available"], "closing_held": party["closing_held"]})
        return {"kind": "cooperative", "month": month, "cooperative": _coop_view(coop), **own,
                "members": rows, "payouts": payouts, "paid_to_members": sum(p["amount"] for p in payouts),
                "currency": "IDR"}


# -- complaints (issue 16): the decision's money ---------------------------------------------------------
def settle_complaint(uow: UnitOfWork, data: dict) -> int:
    """complaint.resolved: `refund_amount` goes back to the shopper — card: a partial refund through the
    payment's own provider, once per complaint (its idempotency key names the complaint); cash on delivery, or a
    rail that cannot refund by API: owed to the shopper by the platform (`shopper_refund_owed:<shopper>`), paid by
    hand.
    The seller's held share carries the refund first; what is left of it is released to the seller. A decision
    to release refunds nothing and releases it all. Idempotent per fulfillment (its share is released once).
    Returns the amount refunded or owed."""
    fulfillment_id, complaint_id = data["fulfillment_id"], data["complaint_id"]
    share = uow.session.get(PaymentShare, fulfillment_id, with_for_update=uow.db.is_postgres)
    if share is None or share.delivered_at is None:
        raise LookupError(f"complaint about fulfillment {fulfillment_id} settled before its delivery was")
    if share.released_at is not None:
        return 0
    payment = uow.session.get(Payment, share.payment_id)
    payout = uow.session.scalar(select(Payout).where(Payout.key == f"seller:{fulfillment_id}"))
    held = int(payout.amount) if payout is not None else 0
    wanted = int(data.get("refund_amount") or 0)
    refunded = 0
    if wanted > 0:
        # the same refund use case as a refused parcel's, told where the money comes from: after delivery the
        # seller's held share first, the platform's commission beyond it. An owed refund (cash on delivery, a
        # rail that cannot refund) emits no payment.refunded: the complaint's own message says how it comes.
        source = domain.from_held_share(share.seller_id, held)
        done = refund(uow, payment, wanted, f"complaint:{complaint_id}", reason="complaint",
                      fulfillment_id=fulfillment_id, source=source, provider_key=f"complaint-{complaint_id}",
                      event_extra={"complaint_id": complaint_id})
        refunded = done.amount
        if done.provider_ref:
            payment.refund_ref = done.provider_ref
        held -= source.from_first(refunded) if refunded > 0 else 0
        share.refunded = int(share.refunded or 0) + refunded
    post(uow, domain.released(fulfillment_id, share.order_id, share.seller_id, held))
    _release_split(uow, fulfillment_id)  # a cooperative's sale: the agent's and cooperative's parts are theirs now
    share.released_at = utcnow()
    if payout is not None:
        payout.amount = held
        payout.status = "owed" if held > 0 else "refunded"
        if held > 0:
            _transfer_to_connected_seller(uow, payment, payout)
            uow.emit("payout.released", {
                "payee_role": "seller", "payee_id": payout.payee_id, "order_id": payout.order_id,
                "fulfillment_id": fulfillment_id, "payout_id": payout.id, "amount": held, "fee": int(payout.fee),
                "status": payout.status, "received_by": "complaint", "complaint_id": complaint_id},
                correlation_id=payout.order_id)
    return refunded


def pay_return_trip(uow: UnitOfWork, data: dict) -> Payout | None:
    """return.delivered: the courier who took a return from the shopper back to the shop earns the trip's fee
    (ledger `return_trip:<return>`, borne by the platform's commission) and is owed it like a delivery's fee
    (payout.created). Once per trip."""
    fee, courier_id, return_id = int(data.get("delivery_fee") or 0), data.get("courier_id"), data["return_id"]
    if fee <= 0 or not courier_id:
        return None
    if not post(uow, domain.return_trip_paid(return_id, data["order_id"], courier_id, fee)):
        return None
    payout = Payout(id=new_id(), key=f"courier:return:{return_id}", order_id=data["order_id"],
                    fulfillment_id=data["fulfillment_id"], payee_role="courier", payee_id=courier_id, amount=fee,
                    fee=0, status="owed")
    uow.session.add(payout)
    uow.session.flush()
    payment = payment_for_order(uow, data["order_id"])
    uow.emit("payout.created", {
        "payee_role": "courier", "payee_id": courier_id, "order_id": payout.order_id,
        "fulfillment_id": payout.fulfillment_id, "payout_id": payout.id, "amount": fee, "fee": 0,
        "method": payment.method if payment else None, "status": payout.status, "return_id": return_id,
        "shopper_id": data.get("shopper_id")}, correlation_id=payout.order_id)
    return payout


def pay_owed_refund(work: UnitOfWork, complaint_id: str) -> dict:
    """Admin: a complaint refund the platform owed the shopper (cash on delivery, or a rail that cannot refund by
    API) was paid by hand. Recorded once: `shopper_refund_owed:<shopper>` goes back to zero against platform funds."""
    if not domain.is_plain_id(complaint_id):  # it goes into a LIKE pattern: no wildcards
        raise not_found("owed refund")
    with work:
        owed_tx = work.session.scalar(select(LedgerTransaction).where(
            # refund_owed:<payment>:complaint:<id>; before the one refund use case: refund:<payment>:complaint:<id>
            or_(LedgerTransaction.key.like(f"refund_owed:%:complaint:{complaint_id}"),
                LedgerTransaction.key.like(f"refund:%:complaint:{complaint_id}")),
            LedgerTransaction.kind == "refund_owed"))
        if owed_tx is None:
            raise not_found("owed refund")
        account, owed = work.session.execute(
            select(LedgerEntry.account, LedgerEntry.amount).where(
                LedgerEntry.transaction_id == owed_tx.id, LedgerEntry.account.like("shopper_refund_owed:%"))).one()
        shopper_id, amount = account.split(":", 1)[1], -int(owed)
        if not post(work, domain.owed_refund_paid(complaint_id, owed_tx.order_id, shopper_id, amount)):
            raise conflict("this refund was already recorded as paid", "already_paid")
        work.commit()
        return {"complaint_id": complaint_id, "order_id": owed_tx.order_id, "shopper_id": shopper_id,
                "amount": amount, "paid": True}


# -- the operator's desk: cash on delivery still with the couriers (issue 16) ------------------------------------
COD_HELD_PREFIX = domain.cod_cash_held("")


def _courier_cash(session, courier_id: str) -> domain.Outstanding:
    account = domain.cod_cash_held(courier_id)
    rows = session.execute(
        select(LedgerTransaction.key, LedgerTransaction.kind, LedgerTransaction.created_at, LedgerEntry.amount)
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerEntry.account == account)).all()
    collections = [domain.Collection(key.split(":", 1)[1], int(amount), _utc(at))
                   for key, kind, at, amount in rows if kind == "cod_collected" and amount > 0]
    handed = -sum(int(amount) for _, _, _, amount in rows if amount < 0)
    handed -= sum(int(amount) for _, kind, _, amount in rows if amount > 0 and kind != "cod_collected")
    return domain.outstanding_cash(collections, handed)


def _courier_view(courier_id: str, cash: domain.Outstanding) -> dict:
    return {"courier_id": courier_id, "amount": cash.amount, "parcels": len(cash.parcels),
            "oldest_collected_at": cash.oldest_at,
            "fulfillment_ids": [c.fulfillment_id for c in cash.parcels]}


def cod_outstanding(db: Database, courier_id: str | None = None) -> dict:
    """Every courier who still holds cash collected on delivery (amount, how many deliveries, the oldest
    collection), oldest first; with `courier_id`, that courier only (also at 0)."""
    with db.Session() as session:
        if courier_id:
            ids = [courier_id]
        else:
            ids = [account[len(COD_HELD_PREFIX):] for account, total in session.execute(
                select(LedgerEntry.account, func.sum(LedgerEntry.amount))
                .where(LedgerEntry.account.like(COD_HELD_PREFIX + "%"))
                .group_by(LedgerEntry.account)).all() if int(total) > 0]
        couriers = [_courier_view(cid, _courier_cash(session, cid)) for cid in ids]
    if not courier_id:
        couriers = [c for c in couriers if c["amount"] > 0]
    couriers.sort(key=lambda c: (c["oldest_collected_at"] is None, c["oldest_collected_at"] or utcnow(),
                                 c["courier_id"]))
    return {"couriers": couriers, "total": sum(c["amount"] for c in couriers), "currency": "IDR"}


def _handover_view(tx: LedgerTransaction, courier_id: str, amount: int, memo: dict) -> dict:
    return {"id": tx.id, "courier_id": courier_id, "amount": amount, "note": memo.get("note") or "",
            "recorded_by": memo.get("by") or "", "recorded_at": _utc(tx.created_at)}


def record_cod_handover(work: UnitOfWork, who: Identity, key: str | None, body: dict) -> tuple[dict, bool]:
    """The operator records cash a courier handed over (any number of deliveries at once). Once per
    Idempotency-Key: the same key again answers the first record (True = replayed), with a different amount or
    courier a 409; never more than the cash the courier still holds (409 more_than_outstanding). Who, when and
    why are kept with the ledger transaction."""
    if not key or len(key) > 128:
        raise ApiError(422, "some fields are not valid",
                       fields={"Idempotency-Key": ["send an Idempotency-Key header (a new UUID per hand-over)"]})
    courier_id, amount = body["courier_id"], body["amount"]
    note = (body.get("note") or "").strip()
    ledger_key = domain.cod_handover_key(courier_id, key)
    with work:
        if work.db.is_postgres:  # one hand-over of a courier at a time: the check below and the post are one step
            work.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                                 {"k": domain.cod_cash_held(courier_id)})
        earlier = work.session.scalar(select(LedgerTransaction).where(LedgerTransaction.key == ledger_key))
        if earlier is not None:
            memo = json.loads(earlier.memo or "{}")
            if int(memo.get("amount", -1)) != amount:
                raise conflict("this Idempotency-Key was already used for a different hand-over",
                               "idempotency_key_reused")
            return _handover_view(earlier, courier_id, amount, memo), True
        outstanding = _courier_cash(work.session, courier_id).amount
        problem = domain.handover_problem(amount, outstanding)
        if problem is not None:
            raise conflict(str(problem), problem.code)
        memo = {"courier_id": courier_id, "amount": amount, "by": who.user_id, "note": note}
        post(work, domain.cod_handed_over(courier_id, key, amount, json.dumps(memo)))
        tx = work.session.scalar(select(LedgerTransaction).where(LedgerTransaction.key == ledger_key))
        view = _handover_view(tx, courier_id, amount, memo)
        try:
            work.commit()
        except IntegrityError:  # the same key at the same moment (SQLite): the other request recorded it
            work.session.rollback()
            earlier = work.session.scalar(select(LedgerTransaction).where(LedgerTransaction.key == ledger_key))
            if earlier is None:
                raise
            return _handover_view(earlier, courier_id, amount, json.loads(earlier.memo or "{}")), True
        return view, False


def cod_handovers(db: Database, courier_id: str) -> list[dict]:
    """A courier's hand-overs recorded by the operator, newest first (who, when, why)."""
    with db.Session() as session:
        rows = session.execute(
            select(LedgerTransaction, LedgerEntry.amount)
            .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
            .where(LedgerEntry.account == domain.cod_cash_held(courier_id),
                   LedgerTransaction.kind.in_(("cod_handover", "cod_remitted")))
            .order_by(LedgerTransaction.created_at.desc()).limit(100)).all()
        out = []
        for tx, amount in rows:
            memo = json.loads(tx.memo) if tx.kind == "cod_handover" and tx.memo else {}
            out.append(_handover_view(tx, courier_id, -int(amount), memo))
        return out
