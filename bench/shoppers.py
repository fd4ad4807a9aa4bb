"""Users held: the locust profile of bench/locustfile.py against the whole stack on PostgreSQL, stepping
the number of simultaneous shoppers up; reports the most users held with p99 < 1 s and no failures.
Behind a flag (BENCH_LOCUST=1) because it takes minutes and needs locust (`pip install locust`)."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from bench.common import machine_load
from bench.orders import setup_listing
from tests.support.stack import BIN, Stack

STEPS = tuple(int(x) for x in os.environ.get("BENCH_LOCUST_USERS", "25,50,100,200").split(","))
STEP_SECONDS = int(os.environ.get("BENCH_LOCUST_SECONDS", "60"))


def _step(stack: Stack, users: int, folder: Path, env: dict) -> dict:
    prefix = folder / f"u{users}"
    subprocess.run([str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
                    "-u", str(users), "-r", str(max(1, users // 5)), "-t", f"{STEP_SECONDS}s", "--host", stack.url,
                    "--csv", str(prefix), "--only-summary"], env=env, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=STEP_SECONDS + 120)
    with open(f"{prefix}_stats.csv") as handle:
        total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    return {"requests": int(total["Request Count"]), "failures": int(total["Failure Count"]),
            "p99": float(total["99%"]), "rps": float(total["Requests/s"])}


def run() -> list[str]:
    if os.environ.get("BENCH_LOCUST") != "1":
        return ["skipped (BENCH_LOCUST=1 runs it; needs locust)"]
    if not (BIN / "locust").exists():
        return ["FAIL  locust is not installed in this venv (pip install locust)"]
    lines = [machine_load()]
    folder = Path(tempfile.mkdtemp(prefix="pasar-locust-"))
    with Stack(postgres=True, workers=2) as stack:
        listings = [setup_listing(stack)]
        tokens = folder / "tokens.txt"
        tokens.write_text("\n".join(stack.token(f"locust-{uuid.uuid4().hex[:8]}", "shopper")
                                    for _ in range(max(STEPS))))
        env = {**os.environ, "BENCH_TOKENS": str(tokens), "BENCH_LISTINGS": ",".join(listings),
               "PYTHONPATH": os.pathsep.join(sys.path)}
        held = 0
        for users in STEPS:
            result = _step(stack, users, folder, env)
            ok = result["p99"] < 1000 and result["failures"] == 0
            lines.append(f"{users:4d} shoppers: {result['rps']:6.1f} req/s  p99 {result['p99']:7.0f} ms  "
                         f"failures {result['failures']} of {result['requests']}  {'held' if ok else 'NOT held'}")
            if not ok:
                break
            held = users
    lines.append(f"users held with p99 < 1 s: {held} (steps {', '.join(map(str, STEPS))}, {STEP_SECONDS} s each)")
    lines.append(machine_load())
    return lines
