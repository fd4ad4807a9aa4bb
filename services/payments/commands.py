"""`pasar payments reconcile [--older-than SECONDS] [--recent SECONDS] [--repair]`:

- payments stuck open at a remote provider (Stripe, Xendit, Midtrans) are settled by asking it (a webhook that
  never arrived, a cancellation the provider refused at the time), as a late webhook would;
- payments that ended lately (--recent, default two days) are compared with the provider's word and the
  ledger; differences are reported, and applied only with --repair. Flagged payments (a refund the operator
  must make by hand) are listed every time."""
from __future__ import annotations

import argparse
import logging

from pasar.db import Database, UnitOfWork
from pasar.messaging import Publisher
from pasar.migrate import metadata_of

from . import service

log = logging.getLogger("payments.reconcile")


def reconcile(argv: list[str], db: Database | None = None, publisher=None) -> int:
    parser = argparse.ArgumentParser(prog="pasar payments reconcile")
    parser.add_argument("--older-than", type=float, default=600.0,
                        help="only payments untouched for this many seconds (default 600)")
    parser.add_argument("--recent", type=float, default=172800.0,
                        help="also compare payments that ended within this many seconds (default two days)")
    parser.add_argument("--repair", action="store_true", help="apply the provider's word where it differs")
    args = parser.parse_args(argv)
    db = db or Database("payments", metadata_of("payments"))
    publisher = publisher if publisher is not None else Publisher()
    with db.Session() as session:
        stuck = [p.id for p in service.stuck_payments(session, args.older_than)]
    failures = 0
    for payment_id in stuck:  # one transaction each: one provider error does not hold back the rest
        try:
            with UnitOfWork(db, publisher=publisher, source="payments") as uow:
                result = service.reconcile_payment(uow, payment_id)
                uow.commit()
            print(f"{payment_id}: {result}")
        except Exception as exc:
            failures += 1
            log.exception("reconcile failed", extra={"payment_id": payment_id})
            print(f"{payment_id}: error {type(exc).__name__}: {exc}")
    with db.Session() as session:
        ended = [p.id for p in service.recent_settled_payments(session, args.recent) if p.id not in stuck]
    differences = 0
    for payment_id in ended:
        try:
            with UnitOfWork(db, publisher=publisher, source="payments") as uow:
                difference = service.ledger_difference(uow, payment_id, args.repair)
                uow.commit()
        except Exception as exc:
            failures += 1
            log.exception("reconcile check failed", extra={"payment_id": payment_id})
            print(f"{payment_id}: error {type(exc).__name__}: {exc}")
            continue
        if difference:
            differences += 1
            print(f"{payment_id}: DIFFERENCE {difference}")
    print(f"reconciled {len(stuck)} payment(s), {failures} error(s)")
    print(f"checked {len(ended)} ended payment(s), {differences} difference(s)"
          + ("" if args.repair or not differences else " (run with --repair to apply the provider's word)"))
    return 1 if failures else 0


COMMANDS = {"reconcile": reconcile}
