"""Search relevance and latency: precision@5 on the relevance set (tests/support/search_catalog.py) and the
time of one search at the service layer, on SQLite and PostgreSQL, beside the search the catalog had before
(every word as a substring of the lower-cased document, newest first) measured in the same run on the same data.

Precision is on the fixture market alone; latency is on it plus BENCH_SEARCH_FILLER generated listings
(default 5000) so the queries scan something like a real regency's market. BENCH_SEARCH_PG=0 skips PostgreSQL."""
from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import and_, func, select, text

from bench.common import percentile
from pasar import migrate
from pasar.db import Database
from services.catalog import service
from services.catalog.models import Base, Category, Listing, Shop
from tests.support import search_catalog
from tests.support.infra import postgres_database

FILLER = int(os.environ.get("BENCH_SEARCH_FILLER", "5000"))
ROUNDS = int(os.environ.get("BENCH_SEARCH_ROUNDS", "20"))
LATENCY_QUERIES = ["keranjang", "kopi arabika", "kopi arabica", "bendosari", "madu hutan sumbawa", "xylofon"]
FILLER_WORDS = ("sambal bawang kerupuk udang ikan asin teri jagung beras merah ketan kacang tanah minyak kelapa "
                "sabun sereh jahe kunyit temulawak kayu manis cengkeh pala lada vanili tenun songket batik tulis "
                "cap lurik sarung selendang piring mangkuk gelas vas lampu sapu lidi ijuk bakul tampah wakul "
                "kipas besek caping").split()


def old_search(session, q: str) -> list[str]:
    """The catalog's search before: each word a substring of title, description, shop, category, place."""
    terms = [t.lower() for t in q.split()]
    document = func.lower(Listing.title + " " + Listing.description + " " + Shop.name + " " + Shop.district
                          + " " + Shop.regency + " " + func.coalesce(Category.name_id, ""))
    query = (select(Listing.id).join(Shop, Shop.id == Listing.shop_id)
             .outerjoin(Category, Category.slug == Listing.category)
             .where(Listing.status == "published", and_(*[document.like(f"%{t}%") for t in terms]))
             .order_by(Listing.created_at.desc(), Listing.id).limit(20))
    return list(session.scalars(query))


def new_search(session, q: str) -> list[str]:
    return [item["id"] for item in service.browse(session, {"q": q, "page": 1, "per_page": 20})["items"]]


def add_filler(db: Database, count: int) -> None:
    rng = random.Random(18)
    with db.Session() as session:
        shops = list(session.scalars(select(Shop)))
        names = dict(session.execute(select(Category.slug, Category.name_id)).all())
        for n in range(count):
            shop = shops[n % len(shops)]
            title = " ".join(rng.sample(FILLER_WORDS, 3)).capitalize()
            listing = Listing(id=f"filler-{n}", shop_id=shop.id, seller_id=shop.seller_id, title=title,
                              description=" ".join(rng.sample(FILLER_WORDS, 12)), category="makanan-olahan",
                              unit="pcs", price=rng.randrange(5000, 500000), stock=3, status="published")
            service.refresh_search_text(session, listing, shop, names["makanan-olahan"])
            session.add(listing)
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))  # what autovacuum does after a load like this one
            session.commit()


def measure(db: Database, label: str) -> list[str]:
    lines = []
    with db.Session() as session:
        for name, engine in (("new", new_search), ("before", old_search)):
            scores = {q: search_catalog.precision_at_5(engine(session, q), first)
                      for q, first, _ in search_catalog.RELEVANCE}
            misses = [q for q, s in scores.items() if s < 1]
            lines.append(f"{label} {name:<6} precision@5 {statistics.mean(scores.values()):.2f} over "
                         f"{len(scores)} queries; below 1.0: {', '.join(misses) or 'none'}")
    add_filler(db, FILLER)
    with db.Session() as session:
        total = session.scalar(select(func.count()).select_from(Listing))
        for name, engine in (("new", new_search), ("before", old_search)):
            for q in LATENCY_QUERIES:
                engine(session, q)  # warm
            times = []
            for _ in range(ROUNDS):
                for q in LATENCY_QUERIES:
                    started = time.perf_counter()
                    engine(session, q)
                    times.append((time.perf_counter() - started) * 1000)
            lines.append(f"{label} {name:<6} one search over {total} listings: p50 {statistics.median(times):6.2f} ms"
                         f"   p95 {percentile(times, 95):6.2f} ms   ({len(times)} searches)")
    return lines


def _market(url: str) -> Database:
    migrate.upgrade("catalog", url)
    db = Database("catalog", Base.metadata, url)
    with db.Session() as session:
        search_catalog.build(session, service.refresh_search_text)
    return db


def run() -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        db = _market(f"sqlite:///{Path(tmp) / 'catalog.db'}")
        lines += measure(db, "SQLite    ")
        db.dispose()
    if os.environ.get("BENCH_SEARCH_PG", "1") != "0":
        with postgres_database("pasar_bench") as url:
            db = _market(url)
            lines += measure(db, "PostgreSQL")
            db.dispose()
    return lines


if __name__ == "__main__":
    for line in run():
        print(line)
