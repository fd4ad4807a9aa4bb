"""Catalog rules, free of Flask and SQLAlchemy: can an order's items be reserved, all or none?"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StockView:
    listing_id: str
    status: str
    stock: int


def reservation_problems(items: list[dict], listings: dict[str, StockView]) -> list[dict]:
    """Every reason the order cannot be reserved; empty means reserve everything.

    Quantities of the same listing on several lines are added up before comparing with stock."""
    wanted: dict[str, int] = {}
    for item in items:
        wanted[item["listing_id"]] = wanted.get(item["listing_id"], 0) + item["qty"]
    problems = []
    for listing_id, qty in wanted.items():
        view = listings.get(listing_id)
        if view is None:
            problems.append({"listing_id": listing_id, "requested": qty, "available": 0, "reason": "unknown"})
        elif view.status != "published":
            problems.append({"listing_id": listing_id, "requested": qty, "available": 0, "reason": "unpublished"})
        elif view.stock < qty:
            problems.append({"listing_id": listing_id, "requested": qty, "available": max(view.stock, 0),
                             "reason": "insufficient"})
    return problems
