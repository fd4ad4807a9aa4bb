"""The monolith checkout baseline for P2: the saga's three steps (place the order, reserve its stock,
confirm it) done in one process, one PostgreSQL transaction per order, by the same number of shoppers
at once, with the same hot listing. What a single-database shop would do; no HTTP, no broker."""
from __future__ import annotations

import json
import threading
import time
import uuid

from sqlalchemy import (JSON, Column, DateTime, Integer, MetaData, String, Table, create_engine, func, insert,
                        select, update)

from pasar.stamps import utcnow

metadata = MetaData()
listings = Table("listings", metadata, Column("id", String(36), primary_key=True),
                 Column("stock", Integer, nullable=False), Column("price", Integer, nullable=False))
orders = Table("orders", metadata, Column("id", String(36), primary_key=True),
               Column("status", String(24), nullable=False), Column("items", JSON, nullable=False),
               Column("total", Integer, nullable=False),
               Column("created_at", DateTime(timezone=True), nullable=False),
               Column("confirmed_at", DateTime(timezone=True)))
reservations = Table("reservations", metadata, Column("order_id", String(36), primary_key=True),
                     Column("listing_id", String(36), nullable=False), Column("qty", Integer, nullable=False))
timeline = Table("timeline", metadata, Column("id", String(36), primary_key=True),
                 Column("order_id", String(36), nullable=False), Column("event", String(40), nullable=False),
                 Column("at", DateTime(timezone=True), nullable=False))


def checkout(engine, listing_id: str) -> None:
    with engine.begin() as conn:
        order_id, now = str(uuid.uuid4()), utcnow()
        items = [{"listing_id": listing_id, "qty": 1}]
        conn.execute(insert(orders).values(id=order_id, status="PLACED", items=items, total=0, created_at=now))
        conn.execute(insert(timeline).values(id=str(uuid.uuid4()), order_id=order_id, event="placed", at=now))
        stock, price = conn.execute(select(listings.c.stock, listings.c.price).where(listings.c.id == listing_id)
                                    .with_for_update()).one()
        if stock < 1:
            raise RuntimeError("sold out")
        conn.execute(update(listings).where(listings.c.id == listing_id).values(stock=stock - 1))
        conn.execute(insert(reservations).values(order_id=order_id, listing_id=listing_id, qty=1))
        conn.execute(insert(timeline).values(id=str(uuid.uuid4()), order_id=order_id, event="reserved", at=utcnow()))
        conn.execute(update(orders).where(orders.c.id == order_id).values(
            status="CONFIRMED", total=price, confirmed_at=utcnow()))
        conn.execute(insert(timeline).values(id=str(uuid.uuid4()), order_id=order_id, event="confirmed", at=utcnow()))


def run_baseline(url: str, seconds: float, concurrency: int) -> tuple[float, list[float]]:
    """Orders/s confirmed and per-order latency (ms) at `concurrency` shoppers for `seconds`."""
    engine = create_engine(url, pool_size=concurrency, max_overflow=0)
    metadata.create_all(engine)
    listing_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(insert(listings).values(id=listing_id, stock=10_000_000, price=25000))
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def shopper():
        mine = []
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            checkout(engine, listing_id)
            mine.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=shopper) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    with engine.connect() as conn:
        confirmed = conn.execute(select(func.count()).select_from(orders).where(orders.c.status == "CONFIRMED")).scalar()
    engine.dispose()
    assert confirmed == len(latencies), json.dumps({"confirmed": confirmed, "timed": len(latencies)})
    return confirmed / elapsed, latencies
