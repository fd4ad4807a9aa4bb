"""What every record is stamped with: a new id and the current time (timezone-aware UTC).

Its own module so that `db.py` and `events.py` can both use it without importing each other."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


class UtcDateTime(TypeDecorator):
    """The one date-time column type of every model: stored as UTC, always read back timezone-aware.

    SQLite keeps no offset, so without this a value written aware comes back naive and answers would carry
    times without offset ("2026-11-01T19:10:12"); PostgreSQL returns the session's zone. Either way the
    application sees aware UTC, and every JSON answer says "+00:00". A naive value handed in is taken as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
