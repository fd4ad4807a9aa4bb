"""A tiny service used to prove the messaging layer: it applies `listing.updated` events by adding a row
per event to `applied`, so "applied once" is a row count. The event's title steers its behaviour:
"explode" raises, "slow" (with PROBE_SLOW_MARKER set) signals and then hangs before committing, and
"echo:<x>" emits a follow-up `listing.updated` titled "reply:<x>" (which this worker then applies too)."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from pasar.db import Database, messaging_tables

metadata = MetaData()
applied = Table("applied", metadata, Column("n", Integer, primary_key=True, autoincrement=True),
                Column("event_id", String(36), nullable=False), Column("title", String(200)))
messaging_tables(metadata)
attempts: list[float] = []  # in-process record of every handler call (survives rollbacks)


def apply_listing_update(event, uow) -> None:
    attempts.append(time.monotonic())
    uow.session.execute(applied.insert().values(event_id=event.id, title=event.data["title"]))
    if event.data["title"].startswith("echo:"):
        uow.emit("listing.updated", listing_event("reply:" + event.data["title"][len("echo:"):]))
    if event.data["title"] == "explode":
        raise RuntimeError("the village road is flooded")
    marker = os.environ.get("PROBE_SLOW_MARKER")
    if event.data["title"] == "slow" and marker:
        Path(marker).write_text("in handler")
        time.sleep(120)  # killed here, before commit and before ack


HANDLERS = {"listing.updated": [apply_listing_update]}


def make_db(url: str) -> Database:
    db = Database("probe", metadata, url=url)
    metadata.create_all(db.engine)
    return db


def applied_count(db: Database, event_id: str | None = None, title: str | None = None) -> int:
    query = select(func.count()).select_from(applied)
    if event_id:
        query = query.where(applied.c.event_id == event_id)
    if title:
        query = query.where(applied.c.title == title)
    with db.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def applied_counts_by_event(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return dict(conn.execute(select(applied.c.event_id, func.count()).group_by(applied.c.event_id)).all())


def listing_event(title: str) -> dict:
    return {"listing_id": "l-1", "shop_id": "s-1", "title": title, "price": 15000, "stock": 3}


if __name__ == "__main__":  # python -m tests.support.probe_service <db-url>: a worker process to kill
    from pasar.messaging import Worker
    worker = Worker("probe", make_db(sys.argv[1]), HANDLERS)
    worker.install_signal_handlers()
    worker.run()
