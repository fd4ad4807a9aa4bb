"""Orders tables. `Order` and `Fulfillment` are the domain's own classes, mapped imperatively onto their
tables (domain.py stays free of SQLAlchemy); carts, idempotency keys, couriers and the timeline are
plain declarative rows."""
from __future__ import annotations

from datetime import datetime

from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Column, ForeignKey, Index, Integer, Numeric, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pasar.db import messaging_tables
from pasar.stamps import UtcDateTime, new_id, utcnow
from pasar.idempotency import idempotency_table

from . import domain


class Base(DeclarativeBase):
    pass


orders = Table(
    "orders", Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("shopper_id", String(64), nullable=False, index=True),
    Column("status", String(24), nullable=False),
    Column("payment_method", String(8), nullable=False),
    Column("items", JSON, nullable=False),
    Column("delivery_address", JSON, nullable=False),
    Column("lines", JSON, nullable=False),          # priced by the catalog
    Column("problems", JSON, nullable=False),       # why the catalog refused
    Column("goods_total", Integer, nullable=False),
    Column("delivery_total", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("paid", Boolean, nullable=False),
    Column("payment_id", String(64), nullable=True),
    Column("payment_due_at", UtcDateTime(), nullable=True),
    Column("cancel_reason", String(32), nullable=True),
    Column("confirmed_at", UtcDateTime(), nullable=True),
    Column("closed_at", UtcDateTime(), nullable=True),
    Column("preorder", JSON, nullable=True),        # a pre-order's batch, expected day, pay_at, harvest outcome
    Column("delivery_window", JSON, nullable=True),  # perishables: {date, slot} the shopper picked
    Column("created_at", UtcDateTime(), nullable=False, default=utcnow),
    Column("updated_at", UtcDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    Index("ix_orders_awaiting_payment", "status", "payment_due_at"),  # the timeout sweeper's scan
)

fulfillments = Table(
    "fulfillments", Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), ForeignKey("orders.id"), nullable=False, index=True),
    Column("seller_id", String(64), nullable=False, index=True),
    Column("agent_id", String(64), nullable=True, index=True),
    Column("shop_id", String(64), nullable=True),   # one parcel per shop (issue 17)
    Column("shop_name", String(200), nullable=False),
    Column("pickup", JSON, nullable=False),
    Column("district", String(120), nullable=True),
    # issue 18: the official district code of the pickup (a shop with a village code), else None (typed names)
    Column("district_code", String(8), nullable=True, index=True),
    Column("items", JSON, nullable=False),
    Column("goods_amount", Integer, nullable=False),
    Column("delivery_fee", Integer, nullable=False),
    Column("cod_amount_due", Integer, nullable=False),
    Column("status", String(24), nullable=False),
    Column("courier_id", String(64), nullable=True, index=True),
    Column("accepted", Boolean, nullable=False),
    Column("declined_by", JSON, nullable=False),
    Column("cod_amount_collected", Integer, nullable=True),
    Column("pickup_deadline", UtcDateTime(), nullable=True),
    Column("ready_at", UtcDateTime(), nullable=True),
    Column("picked_up_at", UtcDateTime(), nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    # after the sale (issue 16): the two timers' deadlines, the receipt, a cancellation of this parcel alone
    Column("ship_by", UtcDateTime(), nullable=True),
    Column("receipt_due_at", UtcDateTime(), nullable=True),
    Column("received_at", UtcDateTime(), nullable=True),
    Column("received_by", String(16), nullable=True),
    Column("cancel_reason", String(32), nullable=True),
    Column("cancelled_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False, default=utcnow),
    Column("updated_at", UtcDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    Index("ix_fulfillments_board", "district", "status"),  # couriers' open board
    Index("ix_fulfillments_receipt_due", "status", "receipt_due_at"),  # the auto-confirm sweep's scan
    Index("ix_fulfillments_ship_by", "status", "ship_by"),  # the unshipped sweep's scan
)

complaints = Table(
    "complaints", Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), ForeignKey("orders.id"), nullable=False, index=True),
    Column("fulfillment_id", String(36), ForeignKey("fulfillments.id"), nullable=False, unique=True),
    Column("shopper_id", String(64), nullable=False, index=True),
    Column("seller_id", String(64), nullable=False, index=True),
    Column("agent_id", String(64), nullable=True, index=True),
    Column("shop_name", String(200), nullable=False),
    Column("payment_method", String(8), nullable=False),
    Column("parcel_total", Integer, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("text", String(2000), nullable=False),
    Column("photos", JSON, nullable=False),
    # photos the shopper uploaded: [{"n", "key", "thumb_key", "at"}] (files in complaint_photos' store)
    Column("uploads", JSON, nullable=True),
    Column("status", String(24), nullable=False),
    Column("respond_by", UtcDateTime(), nullable=True),
    Column("answer", String(16), nullable=True),
    Column("answer_reason", String(500), nullable=True),
    Column("refund_amount", Integer, nullable=True),
    Column("resolution", String(16), nullable=True),
    Column("resolved_by", String(16), nullable=True),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Column("escalated_at", UtcDateTime(), nullable=True),
    Column("actions", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, default=utcnow),
    Column("updated_at", UtcDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    Index("ix_complaints_due", "status", "respond_by"),  # the escalation sweep's scan
)

# a return's courier trip from the shopper back to the shop (issue 16); one live trip per complaint at a time
return_pickups = Table(
    "return_pickups", Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("complaint_id", String(36), ForeignKey("complaints.id"), nullable=False, index=True),
    Column("order_id", String(36), ForeignKey("orders.id"), nullable=False, index=True),
    Column("fulfillment_id", String(36), ForeignKey("fulfillments.id"), nullable=False),
    Column("shopper_id", String(64), nullable=False),
    Column("seller_id", String(64), nullable=False),
    Column("agent_id", String(64), nullable=True),
    Column("shop_id", String(64), nullable=True),
    Column("shop_name", String(200), nullable=False),
    Column("pickup", JSON, nullable=False),     # the shopper's address
    Column("dropoff", JSON, nullable=False),    # the shop's address
    Column("district", String(120), nullable=True),
    Column("items", JSON, nullable=False),
    Column("goods_amount", Integer, nullable=False),
    Column("delivery_fee", Integer, nullable=False),
    Column("status", String(24), nullable=False),
    Column("courier_id", String(64), nullable=True, index=True),
    Column("accepted", Boolean, nullable=False),
    Column("declined_by", JSON, nullable=False),
    Column("ready_at", UtcDateTime(), nullable=True),
    Column("picked_up_at", UtcDateTime(), nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Column("cancel_reason", String(32), nullable=True),
    Column("cancelled_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False, default=utcnow),
    Column("updated_at", UtcDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    Index("ix_return_pickups_board", "district", "status"),  # couriers' open board
)

Base.registry.map_imperatively(domain.Fulfillment, fulfillments)
Base.registry.map_imperatively(domain.ReturnPickup, return_pickups, properties={
    "order": relationship(domain.Order, viewonly=True, lazy="joined"),
})
Base.registry.map_imperatively(domain.Complaint, complaints, properties={
    "return_trips": relationship(domain.ReturnPickup, viewonly=True, lazy="selectin",
                                 order_by=return_pickups.c.created_at),
})
Base.registry.map_imperatively(domain.Order, orders, properties={
    "fulfillments": relationship(domain.Fulfillment, backref="order", order_by=(fulfillments.c.seller_id, fulfillments.c.shop_id),
                                 lazy="selectin", cascade="all, delete-orphan"),
})
Order, Fulfillment, Complaint, ReturnPickup = domain.Order, domain.Fulfillment, domain.Complaint, domain.ReturnPickup


class CartLine(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (UniqueConstraint("shopper_id", "listing_id", name="uq_cart_line"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    shopper_id: Mapped[str] = mapped_column(String(64), index=True)
    listing_id: Mapped[str] = mapped_column(String(64))
    qty: Mapped[Decimal] = mapped_column(Numeric(14, 3))   # exact, in the listing's unit (1.5 kg)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ListingTerms(Base):
    """How a listing is bought, as the catalog announced it (listing.published / listing.updated): so a
    quantity off its step, under its minimum, a perishable past its shelf life or too far to deliver is a
    422 at once. The catalog still decides at reservation (a listing not heard of yet is checked there)."""
    __tablename__ = "listing_terms"
    listing_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit: Mapped[str] = mapped_column(String(20), default="pcs")
    min_qty: Mapped[Decimal] = mapped_column(Numeric(14, 3), default=1)
    qty_step: Mapped[Decimal] = mapped_column(Numeric(14, 3), default=1)
    sellable_until: Mapped[str | None] = mapped_column(String(10), nullable=True)  # ISO date
    deliver_within: Mapped[str] = mapped_column(String(12), default="")
    delivery_window: Mapped[bool] = mapped_column(Boolean, default=False)   # the shopper picks a window
    shop_district: Mapped[str] = mapped_column(String(120), default="")
    shop_regency: Mapped[str] = mapped_column(String(120), default="")
    # the version of the terms kept: the listing event's `as_of` (else its occurred_at); older ones are ignored
    as_of: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class IdempotencyKey(Base):
    """A checkout's Idempotency-Key, per shopper, with the hash of the body it was first used with."""
    __tablename__ = "idempotency_keys"
    shopper_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Courier(Base):
    """Couriers known from the gateway's account events (or their own first visit), with availability."""
    __tablename__ = "couriers"
    __table_args__ = (Index("ix_couriers_dispatch", "district", "available"),)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    district: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # issue 18: the official district code when the courier chose the district from the official list
    district_code: Mapped[str | None] = mapped_column(String(8), nullable=True)
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    available_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class TimelineEntry(Base):
    """Every event an order caused, in order: the shopper's timeline."""
    __tablename__ = "order_timeline"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(36), index=True)
    fulfillment_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    event: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(24))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Review(Base):
    """One side's review of one received parcel (issue 16): the shopper rates the shop and its listings, the
    seller rates the shopper. A draft is its author's alone until both are in or the window closes."""
    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("fulfillment_id", "side", name="uq_review_per_side"),
                      Index("ix_reviews_status", "status"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    fulfillment_id: Mapped[str] = mapped_column(String(36), ForeignKey("fulfillments.id"), index=True)
    order_id: Mapped[str] = mapped_column(String(36), index=True)
    side: Mapped[str] = mapped_column(String(8))             # reviews_domain.SHOPPER | SELLER: who writes
    author_id: Mapped[str] = mapped_column(String(64), index=True)
    subject_id: Mapped[str] = mapped_column(String(64), index=True)  # the seller, or the shopper, reviewed
    seller_id: Mapped[str] = mapped_column(String(64), index=True)   # the parcel's shop (its seller account)
    shop_name: Mapped[str] = mapped_column(String(200), default="")
    author_name: Mapped[str] = mapped_column(String(200), default="")
    listing_ids: Mapped[list] = mapped_column(JSON, default=list)
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # the operator's moderation: who hid it, when, why (shown on the review)
    hidden_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    hidden_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    report_count: Mapped[int] = mapped_column(Integer, default=0)


class ReviewReport(Base):
    """Someone (the reviewed party or any signed-in user) asked the operator to look at a review; once each."""
    __tablename__ = "review_reports"
    __table_args__ = (UniqueConstraint("review_id", "reporter_id", name="uq_review_report"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    review_id: Mapped[str] = mapped_column(String(36), ForeignKey("reviews.id"), index=True)
    reporter_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


messaging_tables(Base.metadata)
idempotency_table(Base.metadata)


# The backref `Fulfillment.order` exists only once the mappers are configured, which SQLAlchemy does lazily on
# the first query that needs it: a fresh web worker whose first request was a courier's delivery list
# (`joinedload(Fulfillment.order)`, evaluated before any query) answered 500 (found by the fuzz run).
Base.registry.configure()
