"""Catalog read throughput: a 20-item listing page and a full-text search, through the gateway and straight
at the catalog, beside a bare Flask+gunicorn JSON endpoint (20 items) measured in the same run.

Every process runs for real (gunicorn, 2 workers x 4 threads each, like the baseline) on the seeded demo
market (65 products). SQLite by default, as `make run`; BENCH_CATALOG_PG=1 runs it on PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys

import requests

from bench.common import bare_flask_baseline, load, ratio_line
from tests.support.stack import Stack

SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))


def run() -> list[str]:
    postgres = os.environ.get("BENCH_CATALOG_PG") == "1"
    lines = [f"backend: {'PostgreSQL' if postgres else 'SQLite'}; {CONCURRENCY} concurrent clients, {SECONDS:.0f} s each"]
    # the gateway's per-client rate limit would otherwise be what we measure
    stack = Stack(postgres=postgres, workers=2, extra_env={"RATELIMIT_API": "10000000/minute"})
    with stack:
        subprocess.run([sys.executable, "-c", "from services.catalog.seed import seed; print(seed())"],
                       env=stack.env, check=True, stdout=subprocess.DEVNULL)
        page = f"{stack.url}/api/v1/products?per_page=20"
        search = f"{stack.url}/api/v1/products?q=kopi%20arabika&per_page=20&sort=price_asc"
        direct = f"{stack.service_url('catalog')}/api/v1/products?per_page=20"
        body = requests.get(page, timeout=10).json()
        assert len(body["items"]) == 20, body
        assert requests.get(search, timeout=10).json()["total"] > 0
        with bare_flask_baseline() as bare_url:
            load(bare_url, seconds=1, concurrency=CONCURRENCY)  # warm up both sides
            load(page, seconds=1, concurrency=CONCURRENCY)
            bare = load(bare_url, seconds=SECONDS, concurrency=CONCURRENCY)
            listing = load(page, seconds=SECONDS, concurrency=CONCURRENCY)
            searching = load(search, seconds=SECONDS, concurrency=CONCURRENCY)
            straight = load(direct, seconds=SECONDS, concurrency=CONCURRENCY)
    lines += [
        bare.line("bare Flask+gunicorn JSON (20 items)"),
        listing.line("listing page (20 items) via gateway"),
        searching.line("search 'kopi arabika' via gateway"),
        straight.line("listing page (20 items) catalog direct"),
        ratio_line("listing page via gateway / bare", listing.rps, bare.rps),
        ratio_line("search via gateway / bare", searching.rps, bare.rps),
        ratio_line("listing page catalog direct / bare", straight.rps, bare.rps),
    ]
    return lines


if __name__ == "__main__":
    for line in run():
        print(line)
