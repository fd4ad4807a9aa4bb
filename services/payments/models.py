"""Payments tables: payments, each fulfillment's share of one, the ledger, payouts, provider events seen, and
which agent manages which crafter payee."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pasar.db import messaging_tables
from pasar.stamps import UtcDateTime, new_id, utcnow


class Base(DeclarativeBase):
    pass


class Payment(Base):
    """One payment per order (card through stripe/sandbox, or cash on delivery)."""
    __tablename__ = "payments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(String(64), unique=True)
    shopper_id: Mapped[str] = mapped_column(String(64), index=True)
    method: Mapped[str] = mapped_column(String(8))            # card | cod
    provider: Mapped[str] = mapped_column(String(16))         # stripe | sandbox | cod
    status: Mapped[str] = mapped_column(String(16), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)           # whole rupiah
    currency: Mapped[str] = mapped_column(String(3), default="IDR")
    provider_ref: Mapped[str | None] = mapped_column(String(128), index=True, nullable=True)
    client_secret: Mapped[str | None] = mapped_column(String(255), nullable=True)
    refund_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)  # why it ended unpaid
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # declined card attempts
    last_decline: Mapped[str | None] = mapped_column(String(255), nullable=True)   # the latest decline's reason
    order_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)  # money arriving now goes back
    # local rails: the channel the shopper chose and what they do next to pay (domain.NextAction), whatever
    # the provider; the pay page renders these without knowing which provider it is
    channel: Mapped[str | None] = mapped_column(String(24), nullable=True)       # domain.CHANNELS
    next_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)     # domain.NEXT_*
    redirect_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    qr_string: Mapped[str | None] = mapped_column(Text, nullable=True)
    va_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    va_bank: Mapped[str | None] = mapped_column(String(32), nullable=True)
    deeplink: Mapped[str | None] = mapped_column(Text, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    split_rule_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # xenPlatform split rule
    attention: Mapped[str | None] = mapped_column(String(64), nullable=True)  # why the operator must act (flag)
    # xenPlatform: made on this seller's sub-account (`for-user-id`), not on the platform's master account
    for_user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    shares: Mapped[list["PaymentShare"]] = relationship(back_populates="payment", lazy="selectin",
                                                        order_by="PaymentShare.fulfillment_id")


class PaymentShare(Base):
    """A fulfillment's part of the payment: the seller's goods and the delivery fee."""
    __tablename__ = "payment_shares"
    fulfillment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    seller_id: Mapped[str] = mapped_column(String(64), index=True)
    goods_amount: Mapped[int] = mapped_column(BigInteger)
    delivery_fee: Mapped[int] = mapped_column(BigInteger)
    courier_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cod_collected: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)  # receipt
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)  # alone
    refunded: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # given back for it
    payment: Mapped[Payment] = relationship(back_populates="shares")


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(160), unique=True)   # the movement happens at most once
    kind: Mapped[str] = mapped_column(String(24))
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    memo: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    account: Mapped[str] = mapped_column(String(120), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # debit > 0, credit < 0


class Payout(Base):
    """Money earned by a seller or courier for a delivered fulfillment (announced as payout.created)."""
    __tablename__ = "payouts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    fulfillment_id: Mapped[str] = mapped_column(String(64))
    payee_role: Mapped[str] = mapped_column(String(8))    # seller | courier
    payee_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="owed")  # held | owed | transferred | paid
    transfer_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ConnectedAccount(Base):
    """A seller with a Stripe connected account is paid by transfer; everyone else from the ledger."""
    __tablename__ = "connected_accounts"
    seller_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    stripe_account_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ProviderEvent(Base):
    """Provider events already applied (webhook ids, sandbox attempts): the same event twice is applied once."""
    __tablename__ = "provider_events"
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    payment_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ManagedPayee(Base):
    """A crafter's shop without an account (payee "shop:<shop_id>") and the agent that manages it, learnt from
    orders' events (order.confirmed fulfillments, delivery.*). The latest event wins: `seen_at` is when it
    happened, so an old event redelivered late cannot hand the crafter back to a former agent."""
    __tablename__ = "managed_payees"
    payee_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    shop_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ChannelChoice(Base):
    """The channel a shopper chose at checkout (QRIS, a bank's VA, an e-wallet, card). The gateway may tell us
    before payment.requested arrives; the payment opens at that channel's provider when it does."""
    __tablename__ = "channel_choices"
    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    shopper_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SubAccount(Base):
    """A seller with a xenPlatform sub-account: their share is split to it at payment time (Xendit)."""
    __tablename__ = "sub_accounts"
    seller_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), default="xendit")
    account_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class PaymentSplit(Base):
    """One seller's route in a payment's split rule: paid straight to their sub-account when the shopper paid."""
    __tablename__ = "payment_splits"
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), primary_key=True)
    seller_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    destination_account_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    rule_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


messaging_tables(Base.metadata)
