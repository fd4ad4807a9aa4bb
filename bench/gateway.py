"""P1, the gateway hop: the same catalog read straight from the catalog service and through the gateway
(token verified, rate limit counted, request id, pooled keep-alive proxying), and a bare Flask app
serving the very bytes the catalog answered, at 32 connections, in interleaved rounds of the same run.

The API rate limit is raised for the bench (RATELIMIT_API) so the limiter still counts every request
but never refuses one."""
from __future__ import annotations

import os
import uuid

import requests

from bench.common import bare_flask_baseline, load, machine_load, target_line
from tests.support.stack import Stack

SECONDS = float(os.environ.get("BENCH_GATEWAY_SECONDS", "4"))
ROUNDS = 3
CONCURRENCY = int(os.environ.get("BENCH_GATEWAY_CONCURRENCY", "32"))
# BENCH_GATEWAY_POSTGRES=1: every service (and the gateway's token denylist) on PostgreSQL instead of SQLite
POSTGRES = os.environ.get("BENCH_GATEWAY_POSTGRES", "") == "1"


def _products(stack: Stack, count: int = 20) -> None:
    tag = uuid.uuid4().hex[:6]
    admin = stack.client(f"admin-{tag}", "admin")
    seller = stack.client(f"seller-{tag}", "seller")
    admin.post("/api/v1/categories", json={"slug": f"bench-{tag}", "name_id": "Tikar", "name_en": "Mats"})
    status, shop = seller.post("/api/v1/shops", json={"name": "Toko Bench", "district": "Sanankulon",
                                                      "regency": "Blitar"})
    if status != 201:
        raise RuntimeError(f"could not create a shop for the bench: {status} {shop}")
    for i in range(count):
        seller.post("/api/v1/products", json={"shop_id": shop["id"], "title": f"Tikar pandan {i}",
                                              "category": f"bench-{tag}", "price": 25000 + i, "stock": 10,
                                              "status": "published"})


def _median(values):
    values = sorted(values)
    return values[len(values) // 2]


def run() -> list[str]:
    lines = [machine_load(), "PostgreSQL" if POSTGRES else "SQLite"]
    with Stack(workers=2, postgres=POSTGRES, extra_env={"RATELIMIT_API": "1000000/minute"}) as stack:
        _products(stack)
        path = "/api/v1/products"
        token = stack.token(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
        auth = {"Authorization": f"Bearer {token}"}
        direct_url, gateway_url = stack.service_url("catalog") + path, stack.url + path
        payload = requests.get(direct_url, headers=auth, timeout=10).content
        with bare_flask_baseline(payload=payload) as bare_url:
            for url in (bare_url, direct_url, gateway_url):  # warm every path
                load(url, seconds=1, concurrency=4, headers=auth)
            rounds = []
            for _ in range(ROUNDS):  # interleaved: the machine is shared, so drift hits every side alike
                bare = load(bare_url, seconds=SECONDS, concurrency=CONCURRENCY, headers=auth)
                direct = load(direct_url, seconds=SECONDS, concurrency=CONCURRENCY, headers=auth)
                through = load(gateway_url, seconds=SECONDS, concurrency=CONCURRENCY, headers=auth)
                rounds.append((bare, direct, through))
                lines.append(bare.line(f"bare Flask, same {len(payload)} bytes"))
                lines.append(direct.line(f"catalog GET {path} direct"))
                lines.append(through.line(f"catalog GET {path} via gateway"))
    gateway_rps, direct_rps = _median([t.rps for _, _, t in rounds]), _median([d.rps for _, d, _ in rounds])
    bare_rps = _median([b.rps for b, _, _ in rounds])
    lines.append(f"gateway / direct per round: {', '.join(f'{t.rps / d.rps:.2f}' for _, d, t in rounds)}; "
                 f"added p50 {_median([t.p50_ms - d.p50_ms for _, d, t in rounds]):+.1f} ms")
    lines.append(target_line("P1 gateway vs direct", gateway_rps, direct_rps, at_least=0.8, unit=" req/s"))
    lines.append(target_line("P1 direct vs bare Flask", direct_rps, bare_rps, at_least=0.5, unit=" req/s"))
    lines.append(target_line(f"P1 gateway p99 at {CONCURRENCY} conns", _median([t.p99_ms for _, _, t in rounds]),
                             None, below=50, unit=" ms"))
    errors = sum(t.errors + d.errors for _, d, t in rounds)
    lines.append(f"{'PASS' if errors == 0 else 'FAIL'}  {'P1 no errors':<38} {errors} errors")
    lines.append(machine_load())
    return lines
