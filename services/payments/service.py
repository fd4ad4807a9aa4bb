"""Payments use cases, shared by the event handlers, the HTTP API and the reconcile command.

Every function takes the caller's UnitOfWork and never commits: a change to a payment, its ledger
movements and the events it causes commit together (or not at all)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select

from pasar.config import setting
from pasar.db import UnitOfWork
from pasar.stamps import new_id, utcnow

from . import domain, providers
from .models import (ConnectedAccount, LedgerEntry, LedgerTransaction, ManagedPayee, Payment, PaymentShare,
                     Payout, ProviderEvent)

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
    """Idempotent per order: a card payment opens at the card provider (Stripe or the sandbox);
    cash on delivery is only recorded."""
    payment = payment_for_order(uow, order_id)
    if payment is None:
        provider_name = "cod" if method == "cod" else providers.card_provider_name()
        payment = Payment(id=new_id(), order_id=order_id, shopper_id=shopper_id, method=method,
                          provider=provider_name, amount=amount, currency="IDR",
                          status=domain.COD_PENDING if method == "cod" else domain.PENDING)
        started = providers.get_provider(provider_name).start(
            payment_id=payment.id, order_id=order_id, shopper_id=shopper_id, amount=amount)
        payment.provider_ref = started.provider_ref
        payment.client_secret = started.client_secret
        uow.session.add(payment)
        uow.session.flush()
        if sum(int(s["goods_amount"]) + int(s["delivery_fee"]) for s in shares) != amount:
            log.warning("payment amount differs from its fulfillments' sum", extra={"order_id": order_id})
    _add_missing_shares(uow, payment, shares)
    uow.session.flush()
    return payment


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
        # a failed payment (card attempts used up) is voided too: at Stripe its intent would still take a card
        failed = payment.status == domain.FAILED
        if failed and already_cancelled:
            return payment  # voided when the order was first cancelled
        paid_after_all = providers.get_provider(payment.provider).cancel(
            provider_ref=payment.provider_ref, order_id=order_id)
        if paid_after_all is not None:
            apply_outcome(uow, payment, paid_after_all)  # captures, then refunds (order_cancelled)
        elif not failed:
            payment.status = domain.CANCELLED
            payment.failure_reason = reason
    elif payment.status == domain.SUCCEEDED:
        refund_payment(uow, payment, reason or "order_cancelled")
    return payment


def refund_payment(uow: UnitOfWork, payment: Payment, reason: str) -> None:
    if payment.status != domain.SUCCEEDED:
        return
    amount = captured_amount(uow.session, payment)
    payment.refund_ref = providers.get_provider(payment.provider).refund(
        provider_ref=payment.provider_ref, order_id=payment.order_id, amount=amount)
    _record_refund(uow, payment, amount, reason)


def _record_refund(uow: UnitOfWork, payment: Payment, amount: int, reason: str) -> None:
    post(uow, domain.refund(payment.id, payment.order_id, amount))
    payment.status = domain.REFUNDED
    uow.emit("payment.refunded", _event(payment, amount=amount, reason=reason), correlation_id=payment.order_id)


def apply_outcome(uow: UnitOfWork, payment: Payment, report: domain.ProviderReport) -> bool:
    """Move a card payment by what its provider reports. Late, repeated and out-of-order reports are
    harmless (domain.next_status). Returns whether anything changed."""
    new_status = domain.next_status(payment.status, report.outcome)
    if new_status is None:
        return False
    if report.outcome == domain.OUTCOME_SUCCEEDED:
        received = report.amount if report.amount is not None else int(payment.amount)
        if received != payment.amount:
            log.warning("provider captured a different amount", extra={"order_id": payment.order_id})
        post(uow, domain.capture(payment.id, payment.order_id, received))
        payment.status = domain.SUCCEEDED
        payment.failure_reason = None
        uow.emit("payment.succeeded", _event(payment, amount=received), correlation_id=payment.order_id)
        if payment.order_cancelled:  # the order is gone (timed out, cancelled): the money goes back
            refund_payment(uow, payment, "order_cancelled")
    elif report.outcome == domain.OUTCOME_FAILED:
        # a decline is one failed attempt: the payment stays pending (orders hears nothing and keeps waiting)
        # until the attempts are used up, which is final
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
    elif report.outcome == domain.OUTCOME_CANCELLED:
        previous = payment.status
        payment.status = domain.CANCELLED
        if domain.orders_must_hear_failure(previous, payment.order_cancelled):
            # voided at the provider, not by us: final at once, the order must hear it
            payment.failure_reason = report.reason or "cancelled_at_provider"
            uow.emit("payment.failed", _event(payment, reason=payment.failure_reason),
                     correlation_id=payment.order_id)
    elif report.outcome == domain.OUTCOME_REFUNDED:
        if captured_amount(uow.session, payment) == 0:
            # the refund overtook the success report: the money had been taken, record that first
            post(uow, domain.capture(payment.id, payment.order_id,
                                     report.amount if report.amount else int(payment.amount)))
        payment.status = domain.SUCCEEDED
        _record_refund(uow, payment, captured_amount(uow.session, payment), report.reason or "refunded")
    return True


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
    share = uow.session.get(PaymentShare, fulfillment_id)
    if share is None:
        if data.get("seller_id") is None or data.get("goods_amount") is None:
            raise LookupError(f"fulfillment {fulfillment_id} is unknown to payments and the event lacks its amounts")
        _add_missing_shares(uow, payment, [{"fulfillment_id": fulfillment_id, "seller_id": data["seller_id"],
                                            "goods_amount": data["goods_amount"],
                                            "delivery_fee": data.get("delivery_fee") or 0}])
        uow.session.flush()
        share = uow.session.get(PaymentShare, fulfillment_id)
    if share.delivered_at is not None:
        return []
    goods, fee = int(share.goods_amount), int(share.delivery_fee)
    if payment.method == "cod":
        if payment.status not in (domain.COD_PENDING, domain.COD_COLLECTED):
            raise ValueError(f"cash on delivery for order {order_id} in state {payment.status}")
        collected = data.get("cod_amount_collected")
        if collected is None:  # the courier's report carries no figure: the amount due is what was owed
            collected = data.get("cod_amount_due") if data.get("cod_amount_due") is not None else goods + fee
        post(uow, domain.cod_collected(fulfillment_id, order_id, courier_id, int(collected)))
        share.cod_collected = int(collected)
    elif payment.status != domain.SUCCEEDED:
        raise ValueError(f"card order {order_id} delivered but its payment is {payment.status}")
    parts = domain.split(goods, fee, rate)
    post(uow, domain.delivered(fulfillment_id, order_id, share.seller_id, courier_id, parts))
    share.delivered_at = utcnow()
    share.courier_id = courier_id
    payouts = [
        Payout(id=new_id(), key=f"seller:{fulfillment_id}", order_id=order_id, fulfillment_id=fulfillment_id,
               payee_role="seller", payee_id=share.seller_id, amount=parts.seller, fee=parts.commission),
        Payout(id=new_id(), key=f"courier:{fulfillment_id}", order_id=order_id, fulfillment_id=fulfillment_id,
               payee_role="courier", payee_id=courier_id, amount=parts.courier, fee=0),
    ]
    for payout in payouts:
        uow.session.add(payout)
    uow.session.flush()
    _transfer_to_connected_seller(uow, payment, payouts[0])
    for payout in payouts:
        uow.emit("payout.created", {
            "payee_role": payout.payee_role, "payee_id": payout.payee_id, "order_id": order_id,
            "fulfillment_id": fulfillment_id, "payout_id": payout.id, "amount": int(payout.amount),
            "fee": int(payout.fee), "method": payment.method, "status": payout.status,
            "shopper_id": payment.shopper_id}, correlation_id=order_id)
    if payment.method == "cod" and all(s.delivered_at is not None for s in payment.shares):
        payment.status = domain.COD_COLLECTED
    return payouts


def _transfer_to_connected_seller(uow: UnitOfWork, payment: Payment, payout: Payout) -> None:
    """Stripe Connect transfer for a seller with a connected account, grouped by the order. Card money
    only: cash on delivery is held by the courier, not at Stripe."""
    if payment.provider != "stripe" or payout.amount <= 0:
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
    if not (isinstance(payee_id, str) and isinstance(agent_id, str) and len(payee_id) <= 64 and len(agent_id) <= 64
            and domain.agent_manages(payee_id, agent_id)):
        return False
    name = (shop_name.strip()[:200] or None) if isinstance(shop_name, str) else None
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


def managed_payee_ids(agent_id: str):
    """The payees an agent manages, as a subquery for `in_`."""
    return select(ManagedPayee.payee_id).where(ManagedPayee.agent_id == agent_id)


def managed_balances(session, agent_id: str) -> dict:
    """What every crafter an agent manages is owed (goods less commission, less what was paid out) and has
    earned and been paid, from the ledger and the payouts. Three reads whatever the number of crafters."""
    payees = list(session.scalars(select(ManagedPayee).where(ManagedPayee.agent_id == agent_id)
                                  .order_by(ManagedPayee.shop_name, ManagedPayee.payee_id)))
    ids = [p.payee_id for p in payees]
    ledger: dict[str, int] = {}
    payouts: dict[str, dict] = {pid: {"earned": 0, "commission": 0, "paid_out": 0, "payouts": 0, "owed_payouts": 0}
                                for pid in ids}
    if ids:
        accounts = {domain.seller_payable(pid): pid for pid in ids}
        for account, total in session.execute(select(LedgerEntry.account, func.sum(LedgerEntry.amount))
                                              .where(LedgerEntry.account.in_(list(accounts)))
                                              .group_by(LedgerEntry.account)):
            ledger[accounts[account]] = int(total or 0)
        rows = session.execute(select(Payout.payee_id, Payout.status, func.count(), func.sum(Payout.amount),
                                      func.sum(Payout.fee))
                               .where(Payout.payee_role == "seller", Payout.payee_id.in_(ids))
                               .group_by(Payout.payee_id, Payout.status))
        for payee_id, status, count, amount, fee in rows:
            row = payouts[payee_id]
            row["earned"] += int(amount or 0)
            row["commission"] += int(fee or 0)
            row["payouts"] += int(count)
            if status in PAID_OUT:
                row["paid_out"] += int(amount or 0)
            elif status == "owed":
                row["owed_payouts"] += int(count)
    managed = [{"payee_id": p.payee_id, "shop_id": p.payee_id[len(domain.CRAFTER_PREFIX):], "shop_name": p.shop_name,
                "seller_payable": -ledger.get(p.payee_id, 0), **payouts[p.payee_id]} for p in payees]
    return {"user_id": agent_id, "managed": managed, "total_payable": sum(m["seller_payable"] for m in managed),
            "currency": "IDR"}


# -- reconciliation ---------------------------------------------------------------------------------
def stuck_payments(session, older_than_seconds: float) -> list[Payment]:
    from datetime import timedelta
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(session.scalars(select(Payment).where(
        Payment.status == domain.PENDING, Payment.provider == "stripe", Payment.updated_at <= cutoff)))


def reconcile_payment(uow: UnitOfWork, payment_id: str) -> str:
    payment = uow.session.get(Payment, payment_id, with_for_update=uow.db.is_postgres)
    if payment is None or payment.status != domain.PENDING:
        return "unchanged"
    provider = providers.get_provider(payment.provider)
    if payment.order_cancelled:  # a cancellation that could not void it at the time: try again
        cancel_for_order(uow, order_id=payment.order_id, shopper_id=payment.shopper_id, method=payment.method,
                         reason="order_cancelled")
        return payment.status
    report = provider.lookup(provider_ref=payment.provider_ref)
    if report is None:
        return "still open"
    return apply_report(uow, report, payment.provider)
