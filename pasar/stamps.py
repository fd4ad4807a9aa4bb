"""What every record is stamped with: a new id and the current time (timezone-aware UTC).

Its own module so that `db.py` and `events.py` can both use it without importing each other."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())
