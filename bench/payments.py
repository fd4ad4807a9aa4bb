"""Payments: (1) a shopper polling their payment through the gateway (the card page does this) against a
bare Flask+gunicorn endpoint measured in the same run; (2) how fast the worker settles money — card
sagas (payment.requested → sandbox success → delivery.delivered, with ledger and payouts) per second,
against the same Worker.apply recording bare inbox rows with no handler (the floor of event handling)."""
from __future__ import annotations

import json
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import bare_flask_baseline, load, ratio_line
from pasar.db import Database
from pasar.events import make_envelope, parse_envelope
from pasar.messaging import Worker
from pasar.migrate import upgrade
from tests.support.stack import Stack

SAGAS = 150


def _event(kind: str, data: dict):
    return parse_envelope(json.loads(json.dumps(make_envelope(kind, data, source="bench",
                                                              correlation_id=data.get("order_id")))))


def _settle_sagas(n: int) -> tuple[float, float]:
    """(sagas per second with our handlers, events per second through a handler-less worker)."""
    import os
    os.environ.pop("STRIPE_SECRET_KEY", None)
    from services.payments import domain, service
    from services.payments.handlers import HANDLERS
    from services.payments.models import Base
    from pasar.db import UnitOfWork
    folder = Path(tempfile.mkdtemp(prefix="pasar-bench-payments-"))
    url = f"sqlite:///{folder / 'payments.db'}"
    upgrade("payments", url)
    db = Database("payments", Base.metadata, url)
    worker = Worker("payments", db, HANDLERS)
    bare = Worker("payments", db, {})
    started = time.perf_counter()
    for i in range(n):
        order, fid = str(uuid.uuid4()), str(uuid.uuid4())
        worker.apply(_event("payment.requested", {
            "order_id": order, "shopper_id": "s", "method": "card", "amount": 55_000, "currency": "IDR",
            "subtotals": [{"fulfillment_id": fid, "seller_id": f"seller-{i % 20}", "amount": 50_000,
                           "delivery_fee": 5_000}]}))
        with UnitOfWork(db) as uow:
            payment = service.payment_for_order(uow, order)
            service.apply_report(uow, domain.ProviderReport(f"sbx:{order}", "succeeded", payment.provider_ref,
                                                            55_000), "sandbox")
            uow.commit()
        worker.apply(_event("delivery.delivered", {"order_id": order, "fulfillment_id": fid,
                                                   "courier_id": f"courier-{i % 7}", "cod_amount_collected": None}))
    ours = n / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(n * 3):  # three transactions per saga, as above
        bare.apply(_event("order.rejected", {"order_id": str(uuid.uuid4())}))
    floor = n * 3 / (time.perf_counter() - started)
    with db.Session() as s:
        total = service.account_balance(s, domain.PLATFORM_FUNDS)
        owed = -sum(service.account_balance(s, domain.seller_payable(f"seller-{i}")) for i in range(20))
    db.dispose()
    assert total == 55_000 * n and owed == 47_500 * n, "bench sagas did not all settle"
    return ours, floor


def run() -> list[str]:
    lines = []
    with Stack(extra_env={"RATELIMIT_API": "1000000/minute"}) as stack:  # measure us, not the limiter
        order, shopper_id = str(uuid.uuid4()), "bench-shopper"
        from tests.e2e.test_payments_e2e import BrokerTap
        from tests.support.infra import wait_until
        tap = BrokerTap(stack, [])
        tap.publish("payment.requested", {"order_id": order, "shopper_id": shopper_id, "method": "card",
                                          "amount": 65_000, "currency": "IDR", "subtotals": [
                                              {"fulfillment_id": str(uuid.uuid4()), "seller_id": "bench-seller",
                                               "amount": 60_000, "delivery_fee": 5_000}]})
        tap.close()
        shopper = stack.client(shopper_id, "shopper")
        path = f"/api/v1/payments/orders/{order}"
        wait_until(lambda: shopper.get(path)[0] == 200, timeout=15, message="bench payment opened")
        headers = {"Authorization": f"Bearer {stack.token(shopper_id, 'shopper')}"}
        ours = load(stack.url + path, seconds=5, concurrency=8, headers=headers)
    with bare_flask_baseline() as base_url:
        base = load(base_url, seconds=5, concurrency=8)
    lines.append(ours.line("GET payment via gateway (8 conns)"))
    lines.append(base.line("bare flask baseline (8 conns)"))
    lines.append(ratio_line("payment poll throughput", ours.rps, base.rps))
    sagas_per_s, floor_events_per_s = _settle_sagas(SAGAS)
    lines.append(f"{'card sagas settled in-process (SQLite)':<44} {sagas_per_s:9.1f} sagas/s "
                 f"({sagas_per_s * 3:.1f} transactions/s)")
    lines.append(f"{'handler-less Worker.apply floor':<44} {floor_events_per_s:9.1f} events/s")
    lines.append(ratio_line("settlement transactions vs inbox-only floor", sagas_per_s * 3, floor_events_per_s))
    return lines
