"""What one checkout costs the orders web process on PostgreSQL, in figures the machine's load barely moves:
round trips to the database per `POST /api/v1/orders` (statements, pings, transaction starts and ends,
counted by SQLAlchemy's events, the hand-off publisher's "sent" marks included) and the process's CPU time
per checkout, over sequential checkouts through the Flask app in this process (no gateway, no workers).

Wall time is printed too, but under a shared machine's load it mostly measures waiting for a core."""
from __future__ import annotations

import collections
import os
import subprocess
import sys
import time
import uuid

from bench.common import machine_load
from bench.orders import ADDRESS
from tests.support.infra import BrokerNamespace, postgres_database
from tests.support.stack import TEST_JWT_SECRET, Stack

CHECKOUTS = int(os.environ.get("BENCH_CHECKOUT_COST_COUNT", "150"))


def run() -> list[str]:
    from sqlalchemy import event

    lines = [machine_load()]
    ns = BrokerNamespace.new()
    saved = dict(os.environ)
    try:
        with postgres_database("pasar_bench_checkout_cost") as url:
            os.environ.update({"ORDERS_DATABASE_URL": url, "JWT_SECRET": TEST_JWT_SECRET, "PASAR_DOTENV": "0", "LOG_LEVEL": "WARNING",
                               **ns.env()})
            subprocess.run([sys.executable, "-m", "pasar.cli", "migrate", "orders"], check=True, env=os.environ,
                           stdout=subprocess.DEVNULL)
            from pasar import web
            from services.orders.app import create_app
            app = create_app()
            with app.app_context():
                engine = web.ctx().db.engine
            counts: collections.Counter = collections.Counter()
            real_ping = engine.dialect.do_ping
            engine.dialect.do_ping = lambda conn: counts.update(["ping"]) or real_ping(conn)
            event.listen(engine, "before_cursor_execute", lambda *a: counts.update([a[2].split()[0].upper()]))
            for name in ("begin", "commit", "rollback"):
                event.listen(engine, name, lambda conn, _n=name.upper(): counts.update([_n]))
            client = app.test_client()
            auth = {"Authorization": f"Bearer {Stack().token('bench-cost', 'shopper')}"}
            body = {"items": [{"listing_id": "bench-listing", "qty": 1}], "payment_method": "cod",
                    "delivery_address": ADDRESS}

            def checkout():
                answer = client.post("/api/v1/orders", json=body, headers={**auth, "Idempotency-Key": str(uuid.uuid4())})
                if answer.status_code != 201:
                    raise RuntimeError(f"{answer.status_code}: {answer.get_data(as_text=True)}")

            for _ in range(5):  # warm up
                checkout()
            time.sleep(1.5)  # the hand-off thread has sent the warm-up's events
            counts.clear()
            started, cpu = time.perf_counter(), time.process_time()
            for _ in range(CHECKOUTS):
                checkout()
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            time.sleep(1.5)  # ... and this run's, so their marks are counted
            per = {k: v / CHECKOUTS for k, v in sorted(counts.items())}
            lines.append(f"round trips per checkout {sum(per.values()):.1f}: "
                         + ", ".join(f"{k} {v:.1f}" for k, v in per.items()))
            lines.append(f"{CHECKOUTS} sequential checkouts: orders web process CPU {1000 * cpu / CHECKOUTS:.1f} ms "
                         f"each (request and hand-off thread), wall {1000 * wall / CHECKOUTS:.1f} ms each")
    finally:
        os.environ.clear()
        os.environ.update(saved)
        ns.cleanup()
    lines.append(machine_load())
    return lines
