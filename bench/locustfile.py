"""The reference shop's shopper, for locust: browse 10, view 3, add to cart 2, check out 1, waiting 1-10 s
between steps. Run by bench/shoppers.py (BENCH_LOCUST=1 make bench), which gives it the stack's URL, a
file of shopper tokens (BENCH_TOKENS) and the listings to buy (BENCH_LISTINGS)."""
from __future__ import annotations

import itertools
import os
import random
import uuid

from locust import HttpUser, between, task

TOKENS = itertools.cycle(open(os.environ["BENCH_TOKENS"]).read().split())
LISTINGS = os.environ["BENCH_LISTINGS"].split(",")
ADDRESS = {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3", "district": "Sanankulon",
           "regency": "Blitar", "province": "Jawa Timur"}


class Shopper(HttpUser):
    wait_time = between(1, 10)

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {next(TOKENS)}"

    @task(10)
    def browse(self):
        self.client.get("/api/v1/products", name="browse")

    @task(3)
    def view(self):
        self.client.get(f"/api/v1/products/{random.choice(LISTINGS)}", name="view")

    @task(2)
    def add_to_cart(self):
        self.client.post("/api/v1/cart/lines", json={"listing_id": random.choice(LISTINGS), "qty": 1},
                         headers={"Idempotency-Key": str(uuid.uuid4())}, name="add to cart")

    @task(1)
    def checkout(self):
        self.client.post("/api/v1/orders", json={"items": [{"listing_id": random.choice(LISTINGS), "qty": 1}],
                                                 "payment_method": "cod", "delivery_address": ADDRESS},
                         headers={"Idempotency-Key": str(uuid.uuid4())}, name="checkout")
