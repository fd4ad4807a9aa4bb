"""What a freshly started web worker meets on its first requests, each in a new Python process (the state under
test is built once per process): the fuzz run found two 500s that only a fresh worker gives."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PASAR_DOTENV": "0", "PATH": "/usr/bin:/bin"})


def test_two_first_requests_at_once_share_one_set_of_metrics():
    # gunicorn's threads: the first two requests of a worker (two health checks) built the series twice and the
    # second registration raised DuplicateTimeseries, a 500
    done = run_fresh("""
        import threading
        from pasar import metrics
        start, built, errors = threading.Barrier(8), [], []
        def first_request():
            start.wait()
            try:
                built.append(metrics.series())
            except Exception as exc:
                errors.append(repr(exc))
        threads = [threading.Thread(target=first_request) for _ in range(8)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert not errors, errors
        assert len(built) == 8 and len({id(s) for s in built}) == 1
        print("ok")
    """)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def test_a_couriers_delivery_list_works_as_a_workers_first_query():
    # `joinedload(Fulfillment.order)` names a backref, which exists only once the mappers are configured
    done = run_fresh("""
        from services.orders import models
        print(models.Fulfillment.order.property.mapper.class_.__name__)
    """)
    assert done.stdout.strip() == "Order", done.stderr[-2000:]
