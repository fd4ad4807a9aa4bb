"""What a freshly started web worker meets on its first requests, each in a new Python process (the state under
test is built once per process): the fuzz run found two 500s that only a fresh worker gives. The other one, two
first requests building the metrics twice, is proved deterministically in test_metrics_series_once.py."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PASAR_DOTENV": "0", "PATH": "/usr/bin:/bin"})


def test_a_couriers_delivery_list_works_as_a_workers_first_query():
    # `joinedload(Fulfillment.order)` names a backref, which exists only once the mappers are configured
    done = run_fresh("""
        from services.orders import models
        print(models.Fulfillment.order.property.mapper.class_.__name__)
    """)
    assert done.stdout.strip() == "Order", done.stderr[-2000:]
