"""`pasar payments reconcile [--older-than SECONDS]`: settle card payments stuck in a non-final state
by asking their provider (a webhook that never arrived, a cancellation Stripe refused at the time)."""
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
    print(f"reconciled {len(stuck)} payment(s), {failures} error(s)")
    return 1 if failures else 0


COMMANDS = {"reconcile": reconcile}
