"""Catalog tables: the sellers directory (from account events), shops, categories, listings (the authority
for price and stock), their photos, stock reservations per order, the answer given to each order, and
the stock ledger that records every movement."""
from __future__ import annotations

from datetime import datetime

from datetime import date
from decimal import Decimal

from sqlalchemy import (Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint,
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
    story: Mapped[str] = mapped_column(Text, default="")
    photo_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    whatsapp: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # the seller lets shoppers open a WhatsApp chat to that number from the shop and product pages
    whatsapp_chat: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(20), default="active")
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
    status: Mapped[str] = mapped_column(String(20), default="draft")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")  # domain.search_document
    search_heading: Mapped[str] = mapped_column(Text, default="", server_default="")  # domain.search_heading
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow,
                                                        nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


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
    status: Mapped[str] = mapped_column(String(20), default="held")  # held | released | committed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


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


messaging_tables(Base.metadata)
idempotency_table(Base.metadata)
