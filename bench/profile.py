"""Where the time goes: py-spy samples of the gateway and the catalog service (gunicorn workers) while the
catalog read is loaded through the gateway, and of the orders worker while checkouts run. Prints, per
process kind, the share of samples spent in the functions that matter. Needs py-spy (pip install -e
'.[bench]') and ptrace rights; run with `python -m bench profile` (not part of the default `make bench`)."""
from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.common import load, machine_load
from bench.gateway import _products
from bench.orders import place, setup_listing
from tests.support.stack import BIN, Stack

SECONDS = int(os.environ.get("BENCH_PROFILE_SECONDS", "15"))
WATCH = ("verified_token", "verify_access_token", "jwt", "limits", "flask_limiter", "urlopen", "_send",
         "urllib3", "requests", "logging", "compress", "gzip", "sqlalchemy", "psycopg", "sqlite3", "json",
         "marshmallow", "pika", "apply_batch", "send_outbox_rows", "wait_for_confirms", "select", "poll")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def _record(pids: list[int], folder: Path, tag: str) -> list[Path]:
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    procs, files = [], []
    for pid in pids:
        out = folder / f"{tag}-{pid}.txt"
        procs.append(subprocess.Popen([spy, "record", "-d", str(SECONDS), "-r", "40", "-f", "raw", "-o", str(out),
                                       "--pid", str(pid), "--nonblocking", "--idle"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        files.append(out)
    for p in procs:
        p.wait(timeout=SECONDS + 60)
    return [f for f in files if f.exists()]


def _summary(files: list[Path], label: str) -> list[str]:
    total, busy = 0, 0
    inclusive: collections.Counter = collections.Counter()
    for path in files:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            n = int(count)
            total += n
            idle = any(w in stack.split(";")[-1] for w in ("select", "poll", "wait (threading", "accept", "_recv_into"))
            busy += 0 if idle else n
            for key in {w for w in WATCH if w in stack}:
                inclusive[key] += n
    lines = [f"{label}: {total} samples, {100 * busy / max(total, 1):.0f} % not idle-waiting (all threads)"]
    for key, n in inclusive.most_common(12):
        lines.append(f"    {key:<22} {100 * n / max(total, 1):5.1f} % of samples (inclusive)")
    return lines


def run() -> list[str]:
    lines = [machine_load()]
    folder = Path(tempfile.mkdtemp(prefix="pasar-profile-"))
    with Stack(workers=2, extra_env={"RATELIMIT_API": "1000000/minute"}) as stack:
        _products(stack)
        token = stack.token(f"shopper-{uuid.uuid4().hex[:6]}", "shopper")
        auth = {"Authorization": f"Bearer {token}"}
        url = stack.url + "/api/v1/products"
        loader = threading.Thread(target=load, args=(url,), kwargs={"seconds": SECONDS + 5, "concurrency": 8,
                                                                     "headers": auth})
        loader.start()
        time.sleep(2)
        gateway = _record(_children(stack.procs["gateway"].pid), folder, "gateway")
        loader.join()
        lines += _summary(gateway, "gateway under catalog reads")
        listing = setup_listing(stack)
        stop = time.monotonic() + SECONDS + 5

        def shopper():
            client = stack.client(f"p-{uuid.uuid4().hex[:6]}", "shopper")
            while time.monotonic() < stop:
                place(client, listing)
        shoppers = [threading.Thread(target=shopper) for _ in range(8)]
        for s in shoppers:
            s.start()
        time.sleep(2)
        catalog_pid = [stack.procs["catalog-worker"].pid]
        orders = _record(catalog_pid + _children(stack.procs["orders"].pid), folder, "saga")
        for s in shoppers:
            s.join()
        lines += _summary([f for f in orders if f.name.startswith(f"saga-{catalog_pid[0]}")], "catalog worker during checkouts")
        lines += _summary([f for f in orders if not f.name.startswith(f"saga-{catalog_pid[0]}")], "orders web during checkouts")
    lines.append(f"raw samples in {folder}")
    lines.append(machine_load())
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
