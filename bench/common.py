"""Load generation and same-run baselines for `make bench`. Loopback only, bounded in time and count."""
from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.infra import free_port, wait_until


@dataclass
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    count: int

    def line(self, label: str) -> str:
        return f"{label:<44} {self.rps:9.1f} req/s   p50 {self.p50_ms:7.2f} ms   p99 {self.p99_ms:7.2f} ms   errors {self.errors}"


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def load(url: str, *, seconds: float = 5.0, concurrency: int = 8, headers: dict | None = None,
         method: str = "GET", body=None, max_requests: int = 200_000) -> LoadResult:
    """Closed-loop load: `concurrency` threads, each with a keep-alive session, for `seconds`."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    sent = [0]

    def worker():
        nonlocal errors
        session = requests.Session()
        mine, bad = [], 0
        while time.perf_counter() < deadline:
            with lock:
                if sent[0] >= max_requests:
                    break
                sent[0] += 1
            start = time.perf_counter()
            try:
                resp = session.request(method, url, headers=headers, json=body, timeout=10)
                resp.content
                if resp.status_code >= 400:
                    bad += 1
            except requests.RequestException:
                bad += 1
            mine.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(mine)
            errors += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return LoadResult(rps=len(latencies) / elapsed, p50_ms=statistics.median(latencies) if latencies else float("nan"),
                      p99_ms=percentile(latencies, 99), errors=errors, count=len(latencies))


_BARE_APP = textwrap.dedent('''
    import os
    from flask import Flask, Response, jsonify
    app = Flask("bare")
    ITEMS = [{"id": str(i), "title": "Tikar pandan %d" % i, "price": 25000 + i} for i in range(20)]
    PAYLOAD = open(os.environ["BARE_PAYLOAD"], "rb").read() if os.environ.get("BARE_PAYLOAD") else None
    @app.get("/items")
    def items():
        if PAYLOAD is not None:  # the very bytes the catalog answered
            return Response(PAYLOAD, mimetype="application/json")
        return jsonify({"items": ITEMS, "total": 20})
''')


@contextlib.contextmanager
def bare_flask_baseline(workers: int = 2, threads: int = 4, payload: bytes | None = None):
    """A bare Flask + gunicorn JSON endpoint (20 items, or exactly `payload`), same server settings as our
    apps: the baseline."""
    folder = Path(tempfile.mkdtemp(prefix="pasar-bare-"))
    (folder / "bare_app.py").write_text(_BARE_APP)
    extra = {}
    if payload is not None:
        (folder / "payload.json").write_bytes(payload)
        extra["BARE_PAYLOAD"] = str(folder / "payload.json")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "bare_app:app", "--bind", f"127.0.0.1:{port}",
                             "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
                             "--log-level", "warning", "--keep-alive", "75"], cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(folder), **extra})
    url = f"http://127.0.0.1:{port}/items"
    try:
        wait_until(lambda: requests.get(url, timeout=1).ok, timeout=20, message="bare flask baseline")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def ratio_line(label: str, ours: float, baseline: float) -> str:
    return f"{label:<44} {ours / baseline:6.2f}x of baseline ({ours:.1f} vs {baseline:.1f})"


def target_line(name: str, ours: float, baseline: float | None, *, at_least: float | None = None,
                below: float | None = None, unit: str = "", note: str = "") -> str:
    """One issue-14 target: the figure, its baseline and ratio, and PASS/FAIL beside it."""
    if baseline is not None:
        ratio = ours / baseline if baseline else float("nan")
        ok = at_least is None or ratio >= at_least
        text = f"{ours:.1f} vs baseline {baseline:.1f}{unit} = {ratio:.2f}x (target >= {at_least}x)"
    elif below is not None:
        ok = ours < below
        text = f"{ours:.1f}{unit} (target < {below}{unit})"
    else:
        ok = at_least is None or ours >= at_least
        text = f"{ours:.1f}{unit} (target >= {at_least}{unit})"
    return f"{'PASS' if ok else 'FAIL'}  {name:<38} {text}{'  ' + note if note else ''}"


def machine_load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores (shared machine)"
