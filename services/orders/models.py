"""Orders tables."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pasar.db import messaging_tables, new_id, utcnow


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    shopper_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(24), default="PLACED")
    payment_method: Mapped[str] = mapped_column(String(8))
    items: Mapped[list] = mapped_column(JSON)
    delivery_address: Mapped[dict] = mapped_column(JSON)
    lines: Mapped[list] = mapped_column(JSON, default=list)       # priced by the catalog
    problems: Mapped[list] = mapped_column(JSON, default=list)    # why the catalog refused
    goods_total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


messaging_tables(Base.metadata)
