"""Catalog tables: the sellers directory (from account events), shops, categories, listings (the authority
for price and stock), their photos, stock reservations per order, the answer given to each order, and
the stock ledger that records every movement."""
from __future__ import annotations

from datetime import datetime

from datetime import date
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint,
                        false)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pasar.db import messaging_tables
from pasar.stamps import UtcDateTime, new_id, utcnow
from pasar.idempotency import idempotency_table


class Base(DeclarativeBase):
    pass


QTY = Numeric(14, 3)  # quantities: exact decimals in the listing's unit (SQLite and PostgreSQL alike)


class Seller(Base):
    """Sellers and agents as the gateway announced them (account.registered / account.updated)."""
    __tablename__ = "sellers"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    district: Mapped[str | None] = mapped_column(String(120), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Shop(Base):
    __tablename__ = "shops"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    seller_id: Mapped[str] = mapped_column(String(64), index=True)   # account id, or "shop:<id>" for a crafter
    agent_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    name: Mapped[str] = mapped_column(String(120))
    owner_name: Mapped[str] = mapped_column(String(120), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    village: Mapped[str] = mapped_column(String(120), default="")
    district: Mapped[str] = mapped_column(String(120), default="", index=True)
    regency: Mapped[str] = mapped_column(String(120), default="", index=True)
    province: Mapped[str] = mapped_column(String(120), default="")
    # issue 18: the official Kemendagri village code ("35.05.07.2004"); the district, regency and province codes
    # are its prefixes. None for shops opened before codes (they keep working by their typed names).
    village_code: Mapped[str | None] = mapped_column(String(13), nullable=True, index=True)
    # set by `pasar catalog match-villages` when a typed address fits no village for sure: the best guess (if any)
    # and why it is unsure, for the seller to confirm on the shop's village page (which clears both)
    village_suggestion: Mapped[str | None] = mapped_column(String(13), nullable=True)
    village_flag: Mapped[str | None] = mapped_column(String(80), nullable=True)
    story: Mapped[str] = mapped_column(Text, default="")
    photo_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    whatsapp: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # the seller lets shoppers open a WhatsApp chat to that number from the shop and product pages
    whatsapp_chat: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(20), default="active")
    # issue 16: stars from published shoppers' reviews (sum and count: exact), and the operator's moderation
    rating_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hidden_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    hidden_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Category(Base):
    __tablename__ = "categories"
    slug: Mapped[str] = mapped_column(String(60), primary_key=True)
    name_id: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=100)


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (Index("ix_listings_status_created", "status", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    shop_id: Mapped[str] = mapped_column(String(36), index=True)
    seller_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # server defaults keep rows written by older code (and the foundation's tests) valid
    category: Mapped[str | None] = mapped_column(String(60), index=True, nullable=True)
    unit: Mapped[str] = mapped_column(String(20), default="pcs", server_default="pcs")
    price: Mapped[int] = mapped_column(Integer)  # whole rupiah
    # available to order (reserved units are out), in the listing's unit: exact (1.5 kg), never a float
    stock: Mapped[Decimal] = mapped_column(QTY, default=0)
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    sold_count: Mapped[Decimal] = mapped_column(QTY, default=0, server_default="0")  # popularity
    # produce by weight (issue 17): bought from `min_qty` in steps of `qty_step` (pieces: from 1 in 1s)
    min_qty: Mapped[Decimal] = mapped_column(QTY, default=1, server_default="1")
    qty_step: Mapped[Decimal] = mapped_column(QTY, default=1, server_default="1")
    # perishables: harvested (or made) on, and good for so many days; past that it stops selling
    harvested_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    shelf_life_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # "" anywhere | "district" | "regency": delivered only that near the shop
    deliver_within: Mapped[str] = mapped_column(String(12), default="", server_default="")
    # the shopper picks a delivery window (day and part of it) at checkout (issue 17)
    delivery_window: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(20), default="draft")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")  # domain.search_document
    search_heading: Mapped[str] = mapped_column(Text, default="", server_default="")  # domain.search_heading
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow,
                                                        nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # issue 16: stars from published shoppers' reviews (sum and count: exact), and the operator's moderation
    rating_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hidden_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    hidden_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class SearchWord(Base):
    """Every word the listings are found by: what a misspelt query word is corrected to ("did you mean").
    Words are only added (a word no listing has any more corrects to a query that finds nothing, and the
    correction is only offered when it finds something)."""
    __tablename__ = "search_words"
    word: Mapped[str] = mapped_column(String(80), primary_key=True)


class Photo(Base):
    """An uploaded picture: the re-encoded full image and a small thumbnail, both under var/media."""
    __tablename__ = "photos"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    image_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Reservation(Base):
    """Stock held for an order, one row per listing; released on cancel/reject, committed on delivery."""
    __tablename__ = "reservations"
    __table_args__ = (UniqueConstraint("order_id", "listing_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"))
    seller_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    qty: Mapped[Decimal] = mapped_column(QTY)
    # held | released | committed; "promised" against an open harvest batch (no shelf stock yet)
    status: Mapped[str] = mapped_column(String(20), default="held")
    batch_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)  # a pre-order's batch
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class HarvestBatch(Base):
    """A coming harvest sold ahead (issue 17): orders are promised against `cap` until the seller records
    what was really harvested; then they are filled in the order they were placed (domain.fill_in_order)."""
    __tablename__ = "harvest_batches"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), index=True)
    shop_id: Mapped[str] = mapped_column(String(36))
    seller_id: Mapped[str] = mapped_column(String(64))
    expected_on: Mapped[date] = mapped_column(Date)
    cap: Mapped[Decimal] = mapped_column(QTY)             # in the listing's unit
    price: Mapped[int] = mapped_column(Integer)           # whole rupiah per unit
    pay_at: Mapped[str] = mapped_column(String(12), default="order")   # order | harvest
    status: Mapped[str] = mapped_column(String(12), default="open")    # open | harvested
    harvested_qty: Mapped[Decimal | None] = mapped_column(QTY, nullable=True)
    filled_qty: Mapped[Decimal | None] = mapped_column(QTY, nullable=True)
    opened_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    harvested_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # the expected day passed without a harvest: its shoppers were told once (harvest.late)
    late_told_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class StockAnswer(Base):
    """The one answer the catalog gave an order (reserved or rejected): a re-sent order.placed under a
    new event id is answered once. The primary key makes two racing copies collide instead of both acting."""
    __tablename__ = "stock_answers"
    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20))  # reserved | rejected
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class StockMovement(Base):
    """The stock ledger. `change` is what the movement did to available stock, so for every listing the
    sum of its changes equals its stock. A commit changes nothing available (the units were already
    out when reserved) and records that they left the shop with a courier."""
    __tablename__ = "stock_movements"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # initial | adjust | reserve | release | commit
    change: Mapped[Decimal] = mapped_column(QTY)
    qty: Mapped[Decimal] = mapped_column(QTY)      # units concerned (positive)
    stock_after: Mapped[Decimal] = mapped_column(QTY)
    order_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ReviewRating(Base):
    """A published shopper's review as counted into its listings' and shop's stars: counted once, taken back
    once when the operator hides it (whatever the order the two events arrive in)."""
    __tablename__ = "review_ratings"
    review_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rating: Mapped[int] = mapped_column(Integer)
    listing_ids: Mapped[list] = mapped_column(JSON, default=list)
    shop_ids: Mapped[list] = mapped_column(JSON, default=list)
    counted: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ModerationAction(Base):
    """Every operator action on a listing or shop: who, when, why (shown on the thing it changed)."""
    __tablename__ = "moderation_actions"
    __table_args__ = (Index("ix_moderation_target", "target", "target_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(String(16))      # listing | shop
    target_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(16))      # hide | unhide
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


messaging_tables(Base.metadata)
idempotency_table(Base.metadata)


# -- questions and conversations (issue 19) ----------------------------------------------------------------
class CsStaff(Base):
    """Customer-service staff (`cs` accounts) as the gateway announced them: who may be assigned to shops."""
    __tablename__ = "cs_staff"
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class CsAssignment(Base):
    """A cs staff member answers the questions of this shop (set by an admin)."""
    __tablename__ = "cs_assignments"
    __table_args__ = (UniqueConstraint("shop_id", "user_id", name="uq_cs_assignments_shop_user"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    assigned_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class OrderShopper(Base):
    """Who placed an order (from order.placed): a question about an order is the shopper's, to the shops that
    hold its reservations. Kept from the event, never asked of the orders service."""
    __tablename__ = "order_shoppers"
    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    shopper_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class QuestionThread(Base):
    """A shopper's question about a listing or an order, to one shop. status: open (waiting for the shop's
    side) -> answered -> (handed_over: cs passed it to the seller) -> resolved; a shopper's new message reopens."""
    __tablename__ = "question_threads"
    __table_args__ = (Index("ix_question_threads_shop_status", "shop_id", "status"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    shopper_id: Mapped[str] = mapped_column(String(64), index=True)
    shopper_name: Mapped[str] = mapped_column(String(200), default="")
    listing_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    first_answer_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    first_answer_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_answer_role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    handed_over_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class QuestionMessage(Base):
    __tablename__ = "question_messages"
    __table_args__ = (Index("ix_question_messages_author_time", "author_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    thread_id: Mapped[str] = mapped_column(ForeignKey("question_threads.id"), index=True)
    author_id: Mapped[str] = mapped_column(String(64))
    author_role: Mapped[str] = mapped_column(String(20))   # shopper | shop | cs | admin (the part in the thread)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
