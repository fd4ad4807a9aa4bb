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


def match_villages(argv) -> int:
    """`pasar catalog match-villages [--csv PATH] [--dry-run]`: give shops opened before village codes (issue 18)
    the official village their typed names mean. A sure match sets `village_code` (the typed names stay); an unsure
    one sets only `village_suggestion` and `village_flag`, which the seller confirms on the shop's village page.
    Idempotent: shops with a code are left alone; flagged ones are tried again."""
    import argparse

    from pasar.region_match import DATA, RegionIndex

    from .models import Shop

    parser = argparse.ArgumentParser(prog="pasar catalog match-villages")
    parser.add_argument("--csv", default=str(DATA), help="the Kemendagri regions (default: data/wilayah/wilayah.csv)")
    parser.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    args = parser.parse_args(argv)
    index = RegionIndex.from_csv(args.csv)
    db = Database("catalog", Base.metadata)
    counts = {"sure": 0, "unsure": 0, "none": 0}
    with db.Session() as session:
        for shop in session.scalars(select(Shop).where(Shop.village_code.is_(None)).order_by(Shop.id)):
            match = index.best_match(shop.village, shop.district, shop.regency, shop.province)
            if match.sure:
                counts["sure"] += 1
                shop.village_code, shop.village_suggestion, shop.village_flag = match.village_code, None, None
                continue
            counts["unsure" if match.village_code else "none"] += 1
            shop.village_suggestion, shop.village_flag = match.village_code, match.reason[:80]
            print(f"UNSURE {shop.id} {shop.name!r}: {shop.village!r}, {shop.district!r}, {shop.regency!r} -> "
                  f"{match.village_code or '-'} ({match.reason})")
        if not args.dry_run:
            session.commit()
    print(f"{counts['sure']} shops matched for sure, {counts['unsure']} flagged with a guess, "
          f"{counts['none']} flagged without one{' (dry run: nothing changed)' if args.dry_run else ''}")
    return 0


COMMANDS = {"check-stock": check_stock, "match-villages": match_villages}
