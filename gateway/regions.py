"""Official regions for the pickers, saved addresses and shops: loading data/wilayah/wilayah.csv into the indexed
`regions` table, and the lookups (a parent's children, a code's whole chain, a name's type-ahead). Every lookup is
one indexed query; nothing reads the file per request."""
from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import delete, func, insert, select

from pasar.config import ROOT
from pasar.errors import ApiError
from pasar.stamps import new_id, utcnow
from pasar.web import read_session, uow

from . import domain
from .models import Region, SavedAddress

DATA = ROOT / "data" / "wilayah" / "wilayah.csv"
BATCH = 5000


def rows_of(path: Path = DATA):
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code, name = row["kode"].strip(), row["nama"].strip()
            level = domain.region_level(code)
            if level is None or not name:
                raise RuntimeError(f"{path}: not a region row: {row}")
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


def _named(session, level: int, name: str | None, under: list[str] | None = None) -> list[Region]:
    key = domain.region_key(name or "")
    for prefix in ("kabupaten ", "kota ", "kecamatan ", "desa ", "kelurahan ", "provinsi "):
        key = key.removeprefix(prefix)
    if not key:
        return []
    query = select(Region).where(Region.level == level, Region.name_key == key)
    if level == 2:  # "Blitar" is both "Kabupaten Blitar" and "Kota Blitar"
        query = select(Region).where(Region.level == 2, Region.name_key.in_(
            [key, f"kabupaten {key}", f"kota {key}"]))
    rows = session.scalars(query).all()
    return [r for r in rows if under is None or r.parent_code in under]


def best_match(address: dict) -> dict:
    """The village code a free-text address most likely means (for migrating addresses typed before codes):
    {"village_code", "district_code", "sure"}; `sure` only when exactly one village fits every name given.
    Unsure answers are flagged for the person to confirm, never silently trusted."""
    with read_session() as session:
        provinces = [r.code for r in _named(session, 1, address.get("province"))] or None
        regencies = [r.code for r in _named(session, 2, address.get("regency"), provinces)] or None
        districts = [r.code for r in _named(session, 3, address.get("district"), regencies)]
        if not districts:
            return {"village_code": None, "district_code": None, "sure": False}
        villages = _named(session, 4, address.get("village"), districts)
    if len(villages) == 1:
        return {"village_code": villages[0].code, "district_code": villages[0].parent_code,
                "sure": len(districts) == 1 or regencies is not None}
    return {"village_code": None, "district_code": districts[0] if len(districts) == 1 else None, "sure": False}


# -- saved addresses ----------------------------------------------------------------------------------------
MAX_ADDRESSES = 10


def address_view(row: SavedAddress, places: dict | None) -> dict:
    """The saved address with its official names and codes: what the checkout sends as the delivery address."""
    places = places or {}
    named = {level: (places.get(level) or {}) for level in ("village", "district", "regency", "province")}
    return {"id": row.id, "label": row.label, "name": row.recipient, "recipient": row.recipient, "phone": row.phone,
            "street": row.street, "notes": row.notes, "village_code": row.village_code,
            **{level: place.get("name", "") for level, place in named.items()},
            **{f"{level}_code": place.get("code", "") for level, place in named.items() if level != "village"}}


def addresses(account_id: str) -> list[dict]:
    with read_session() as session:
        rows = session.scalars(select(SavedAddress).where(SavedAddress.account_id == account_id)
                               .order_by(SavedAddress.created_at, SavedAddress.id)).all()
    return [address_view(r, chain(r.village_code)) for r in rows]


def address(account_id: str, address_id: str) -> dict | None:
    with read_session() as session:
        row = session.scalar(select(SavedAddress).where(SavedAddress.id == address_id,
                                                        SavedAddress.account_id == account_id))
    return address_view(row, chain(row.village_code)) if row else None


def save_address(account_id: str, data: dict) -> dict:
    problems: dict = {}
    try:
        phone = domain.normalise_phone(data.get("phone") or "")
    except domain.InvalidPhone as exc:
        problems["phone"] = [str(exc)]
    places = chain(data.get("village_code") or "")
    if domain.region_level(data.get("village_code") or "") != 4 or places is None:
        problems["village_code"] = ["not a village code (e.g. 35.05.07.2004)"]
    for field in ("label", "recipient", "street", "notes"):
        if domain.has_control_characters(data.get(field) or ""):
            problems[field] = ["contains characters that are not allowed"]
    if problems:
        raise ApiError(422, "some fields are not valid", fields=problems)
    with uow(correlation_id=account_id) as work:
        count = work.session.scalar(select(func.count()).select_from(SavedAddress)
                                    .where(SavedAddress.account_id == account_id)) or 0
        if count >= MAX_ADDRESSES:
            raise ApiError(409, f"at most {MAX_ADDRESSES} saved addresses", "too_many_addresses")
        row = SavedAddress(id=new_id(), account_id=account_id, label=data["label"].strip(),
                           recipient=data["recipient"].strip(), phone=phone, street=data["street"].strip(),
                           village_code=data["village_code"], notes=(data.get("notes") or "").strip(),
                           created_at=utcnow())
        work.session.add(row)
        work.commit()
        return address_view(row, places)


def delete_address(account_id: str, address_id: str) -> None:
    with uow(correlation_id=account_id) as work:
        work.session.execute(delete(SavedAddress).where(SavedAddress.id == address_id,
                                                        SavedAddress.account_id == account_id))
        work.commit()
