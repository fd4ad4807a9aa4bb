"""`make bench`: every area's benchmark, each against a baseline measured in the same run.

Run one area: `python -m bench catalog`."""
from __future__ import annotations

import importlib
import sys
import time
import traceback

AREAS = ("messaging", "catalog", "search", "gateway", "orders", "checkout_cost", "payments", "notifications", "pages", "shoppers")


def main(argv: list[str]) -> int:
    chosen = argv or list(AREAS)
    failed = 0
    for area in chosen:
        try:
            module = importlib.import_module(f"bench.{area}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{area}":
                print(f"== {area}: no benchmark yet")
                continue
            raise
        print(f"== {area}", flush=True)
        started = time.perf_counter()
        try:
            for line in module.run():
                print("  " + line, flush=True)
        except Exception:
            failed += 1
            traceback.print_exc()
        print(f"  ({time.perf_counter() - started:.0f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
