"""Gateway overhead: the same catalog read straight from the catalog service and through the gateway
(token verified, rate limit counted, request id, pooled keep-alive proxying), in the same run.

The API rate limit is raised for the bench (RATELIMIT_API) so the limiter still counts every request
but never refuses one."""
from __future__ import annotations

import uuid

from bench.common import load
from tests.support.stack import Stack

SECONDS = 3.0
ROUNDS = 3
CONCURRENCY = 8


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


def run() -> list[str]:
    lines = []
    with Stack(workers=2, extra_env={"RATELIMIT_API": "1000000/minute"}) as stack:
        _products(stack)
        path = "/api/v1/products"
        token = stack.token(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
        auth = {"Authorization": f"Bearer {token}"}
        direct_url, gateway_url = stack.service_url("catalog") + path, stack.url + path
        load(direct_url, seconds=1, concurrency=2, headers=auth)  # warm both paths
        load(gateway_url, seconds=1, concurrency=2, headers=auth)
        # interleaved rounds: the machine is shared, so drift hits both sides alike
        rounds = []
        for _ in range(ROUNDS):
            direct = load(direct_url, seconds=SECONDS, concurrency=CONCURRENCY, headers=auth)
            through = load(gateway_url, seconds=SECONDS, concurrency=CONCURRENCY, headers=auth)
            rounds.append((direct, through))
            lines.append(direct.line(f"catalog GET {path} direct"))
            lines.append(through.line(f"catalog GET {path} via gateway"))
        ratios = sorted(t.rps / d.rps for d, t in rounds)
        added = sorted(t.p50_ms - d.p50_ms for d, t in rounds)
        lines.append(f"{'gateway throughput / direct (median)':<44} {ratios[len(ratios) // 2]:6.2f}x "
                     f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
        lines.append(f"{'gateway added latency p50 (median)':<44} {added[len(added) // 2]:+7.2f} ms")
    return lines
