"""Official regions for the pickers, saved addresses and shops: loading data/wilayah/wilayah.csv into the indexed
`regions` table, and the lookups (a parent's children, a code's whole chain, a name's type-ahead). Every lookup is
one indexed query; nothing reads the file per request."""
from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import delete, func, insert, select

from pasar.config import ROOT
from pasar.web import read_session, uow

from . import domain
from .models import Region

DATA = ROOT / "data" / "wilayah" / "wilayah.csv"
BATCH = 5000


def rows_of(path: Path = DATA):
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code, name = row["kode"].strip(), row["nama"].strip()
            level = domain.region_level(code)
            if level is None or not name:
                raise ValueError(f"{path}: not a region row: {row}")
            yield {"code": code, "name": name, "name_key": domain.region_key(name), "level": level,
                   "parent_code": domain.region_parent(code)}


def load(path: Path = DATA) -> int:
    """Replace the table's rows with the file's (idempotent: loading the same file twice changes nothing)."""
    rows = list(rows_of(path))
    with uow() as work:
        work.session.execute(delete(Region))
        for start in range(0, len(rows), BATCH):
            work.session.execute(insert(Region), rows[start:start + BATCH])
        work.commit()
    return len(rows)


def loaded() -> int:
    with read_session() as session:
        return session.scalar(select(func.count()).select_from(Region)) or 0


def _view(region: Region) -> dict:
    return {"code": region.code, "name": region.name, "level": domain.REGION_LEVELS[region.level]}


def children(parent: str | None) -> list[dict]:
    """The provinces (no parent), or a region's regencies / districts / villages, by name."""
    with read_session() as session:
        query = select(Region).where(Region.parent_code == parent if parent else Region.level == 1)
        return [_view(r) for r in session.scalars(query.order_by(Region.name))]


def chain(code: str) -> dict | None:
    """A code with every region above it: {"village": {...}, "district": {...}, "regency": ..., "province": ...}."""
    if domain.region_level(code) is None:
        return None
    codes, part = [], code
    while part:
        codes.append(part)
        part = domain.region_parent(part)
    with read_session() as session:
        found = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(codes)))}
    if code not in found:
        return None
    return {domain.REGION_LEVELS[found[c].level]: _view(found[c]) for c in codes if c in found}


def search(text: str, level: int = 4, limit: int = 10) -> list[dict]:
    """Type-ahead: regions of `level` whose name starts with what was typed, each with its chain's names."""
    key = domain.region_key(text or "")
    if len(key) < 2:
        return []
    with read_session() as session:
        rows = session.scalars(select(Region).where(Region.level == level, Region.name_key >= key,
                                                       Region.name_key < key + "\uffff")  # a range: the index serves it
                               .order_by(Region.name_key, Region.code).limit(limit)).all()
    return [{**_view(r), "chain": chain(r.code)} for r in rows]
