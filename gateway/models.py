"""Gateway tables: accounts and their refresh tokens (plus the outbox every app shares)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pasar.db import messaging_tables
from pasar.stamps import UtcDateTime, new_id, utcnow


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)  # E.164
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(2), default="id")
    district: Mapped[str | None] = mapped_column(String(80), nullable=True)
    channels: Mapped[list] = mapped_column(JSON, default=list)
    # proven by a code sent to the phone; sellers, agents and couriers need it to sell or take deliveries
    phone_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    save_data: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # "Hemat kuota"
    # the operator's suspension (issue 16): a suspended account cannot log in; who, when, why
    suspended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    suspended_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    suspended_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class AccountAction(Base):
    """Every operator action on an account (suspend, reinstate): who, when, why; shown on the account."""
    __tablename__ = "account_actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(36), ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # suspend | reinstate
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RefreshToken(Base):
    """Only the SHA-256 of the opaque token is kept. A family is one login; rotation keeps the family."""
    __tablename__ = "refresh_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(String(36), ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class RevokedToken(Base):
    """The access-token denylist when there is no Redis (pasar/auth.py: jti:/fam:/user: keys); rows expire
    once no token they refuse can still be valid."""
    __tablename__ = "revoked_tokens"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class OneTimeCode(Base):
    """A code sent to an account's phone or email (password reset, phone verification). Only its HMAC is kept;
    it works once, until `expires_at`, and stops after `attempts` reaches the limit (domain.CODE_MAX_ATTEMPTS)."""
    __tablename__ = "one_time_codes"
    __table_args__ = (Index("ix_one_time_codes_account_purpose", "account_id", "purpose", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(String(36), ForeignKey("accounts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))  # domain.RESET_PASSWORD | domain.VERIFY_PHONE
    channel: Mapped[str] = mapped_column(String(16))  # whatsapp | email
    address: Mapped[str] = mapped_column(String(254))  # where it was sent (a phone being verified may change)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Region(Base):
    """The Kemendagri regions (data/wilayah/wilayah.csv, loaded by `pasar gateway load-regions`): province (level 1,
    "35"), regency/city (2, "35.05"), district (3, "35.05.07"), village (4, "35.05.07.2004"). Pickers read a
    parent's children (ix_regions_parent) and type-ahead reads name prefixes (ix_regions_level_name_key)."""
    __tablename__ = "regions"
    __table_args__ = (Index("ix_regions_parent", "parent_code", "name"),
                      Index("ix_regions_level_name_key", "level", "name_key"))
    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))  # lower case, for prefix search
    level: Mapped[int] = mapped_column(Integer)
    parent_code: Mapped[str | None] = mapped_column(String(13), nullable=True)


class SavedAddress(Base):
    """A shopper's delivery address, its place given by an official village code (regions)."""
    __tablename__ = "saved_addresses"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(String(36), ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(40))          # "Rumah", "Toko ibu"
    recipient: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))           # E.164
    street: Mapped[str] = mapped_column(String(200))
    village_code: Mapped[str] = mapped_column(String(13))
    notes: Mapped[str] = mapped_column(String(300), default="")  # for the courier: "rumah cat hijau, depan masjid"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


messaging_tables(Base.metadata)


class QueueReplay(Base):
    """The operator moved parked events back to their queue (issue 16's desk): who, when, why, and which events
    (`asked_event_id` None: every parked message of the queue). Shown on /operator/antrian."""
    __tablename__ = "queue_replays"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(120), index=True)
    asked_event_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    event_ids: Mapped[str] = mapped_column(Text, default="")  # space-separated, what was actually moved
    moved: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
