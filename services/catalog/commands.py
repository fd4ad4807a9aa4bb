"""`pasar catalog <command>`: operator tools."""
from __future__ import annotations

from sqlalchemy import func, select

from pasar.db import Database

from .models import Base, Listing, Reservation, StockMovement


def ledger_mismatches(db: Database) -> list[tuple[str, str, int, int]]:
    """Listings whose stock differs from the sum of their ledger movements: (id, title, stock, ledger sum)."""
    with db.Session() as session:
        sums = select(StockMovement.listing_id, func.sum(StockMovement.change).label("total")) \
            .group_by(StockMovement.listing_id).subquery()
        rows = session.execute(select(Listing.id, Listing.title, Listing.stock, func.coalesce(sums.c.total, 0))
                               .outerjoin(sums, sums.c.listing_id == Listing.id)).all()
    return [tuple(r) for r in rows if r[2] != r[3]]


def check_stock(argv) -> int:
    """Compare every listing's stock with its ledger and report held reservations; exit 1 on a mismatch."""
    db = Database("catalog", Base.metadata)
    mismatches = ledger_mismatches(db)
    with db.Session() as session:
        held = session.scalar(select(func.coalesce(func.sum(Reservation.qty), 0)).where(Reservation.status == "held"))
        count = session.scalar(select(func.count()).select_from(Listing))
    for listing_id, title, stock, total in mismatches:
        print(f"MISMATCH {listing_id} {title!r}: stock {stock}, ledger says {total}")
    print(f"{count} listings checked, {len(mismatches)} mismatches, {held} units held for open orders")
    return 1 if mismatches else 0


COMMANDS = {"check-stock": check_stock}
