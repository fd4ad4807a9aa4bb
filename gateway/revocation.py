"""The access-token denylist in the gateway's own database, for a deployment without Redis.

With REDIS_URL every verifier (the gateway and each service) reads the same Redis denylist. Without it, only
the gateway can see revocations: it keeps them here and refuses revoked tokens at the door, and the services'
ports must not be reachable from outside (they are not, behind the gateway; see docs/SECURITY.md)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from pasar.auth import Denylist
from pasar.db import Database
from pasar.stamps import utcnow

from .models import RevokedToken


class DatabaseDenylist(Denylist):
    def __init__(self, db: Database):
        self.db = db

    def put(self, entries: dict[str, int], ttl: int) -> None:
        now = utcnow()
        with self.db.WriteSession() as session, session.begin():
            session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))  # keep the table small
            for key, value in entries.items():
                row = session.get(RevokedToken, key)
                if row is None:
                    session.add(RevokedToken(key=key, value=value, expires_at=now + timedelta(seconds=ttl)))
                else:
                    row.value, row.expires_at = max(row.value, value), now + timedelta(seconds=ttl)

    def get(self, keys: list[str]) -> list[int | None]:
        """Asked on every authenticated request: one statement, outside a transaction on PostgreSQL (a
        session's BEGIN and ROLLBACK were two more round trips per request through the gateway, issue 14)."""
        query = (select(RevokedToken.key, RevokedToken.value)
                 .where(RevokedToken.key.in_(keys), RevokedToken.expires_at > utcnow()))
        with self.db.engine.connect() as conn:
            if self.db.is_postgres:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            found = dict(conn.execute(query).all())
        return [found.get(key) for key in keys]
