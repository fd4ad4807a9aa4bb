"""P2, the checkout saga on PostgreSQL: shoppers place cash-on-delivery orders through the gateway
(closed loop on POST /api/v1/orders) for a while; the saga (orders -> catalog reserves -> orders CONFIRMED)
runs behind. Throughput is orders confirmed per second from the first placement to the last confirmation,
latency is placed -> CONFIRMED from the orders service's own timestamps, beside the monolith baseline at the
same concurrency, in the same run. Then a burst: BURST shoppers check out at the same instant after an idle
pause longer than gunicorn's old keep-alive (2 s), counting 5xx answers (the target is none).

Then the workers alone (issue 13 "two workers per queue", issue 14 "two workers >= 1.8x one"): in the same
stack, every worker is stopped, DRAIN orders are placed (they wait in the queues), and 1 or 2 worker
processes per queue are started; the rate is orders confirmed per second from the moment every consumer is
attached to the last confirmation. The closed-loop run above cannot show this: its confirmed rate follows
the placement rate (the web tier), not the workers. Rounds alternate 1, 2, 1, 2 processes so a change in
the machine's load falls on both sides. DRAIN_LISTINGS spreads the orders over that many listings (one
listing: every reservation takes the same row lock, so the catalog's consumers run one after another)."""
from __future__ import annotations

import contextlib
import os
import statistics
import threading
import time
import uuid

from sqlalchemy import create_engine, text

from bench.common import machine_load, percentile, target_line
from bench.monolith import run_baseline
from tests.support.infra import postgres_database, wait_until
from tests.support.stack import Stack

SECONDS = float(os.environ.get("BENCH_ORDERS_SECONDS", "15"))
CONCURRENCY = int(os.environ.get("BENCH_ORDERS_CONCURRENCY", "16"))
BURST = int(os.environ.get("BENCH_BURST", "100"))
DRAIN = int(os.environ.get("BENCH_DRAIN_ORDERS", "400"))
DRAIN_LISTINGS = int(os.environ.get("BENCH_DRAIN_LISTINGS", "1"))
# BENCH_ORDERS_PARTS=drain runs only the workers' backlog rounds (no monolith, closed-loop saga or burst)
PARTS = set(os.environ.get("BENCH_ORDERS_PARTS", "saga,drain").split(","))
IDLE_SECONDS = 4.0
DRAIN_ROUNDS = [int(n) for n in os.environ.get("BENCH_DRAIN_ROUNDS", "1,2,1,2").split(",")]
ADDRESS = {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3", "district": "Sanankulon",
           "regency": "Blitar", "province": "Jawa Timur"}


def _ok(result, status=200):
    code, body = result
    if code != status:
        raise RuntimeError(f"{code}: {body}")
    return body


def setup_listing(stack, count: int = 1) -> str | list[str]:
    """One listing (its id), or `count` listings of one shop (their ids)."""
    admin = stack.client("bench-admin", "admin")
    _ok(admin.post("/api/v1/categories", json={"slug": "bench-orders", "name_id": "Bench", "name_en": "Bench"}), 201)
    seller = stack.client("bench-seller", "seller", name="Bu Bench")
    shop = _ok(seller.post("/api/v1/shops", json={"name": "Toko Bench", "street": "Jl. Desa 1", "district": "Sanankulon",
                                                  "regency": "Blitar", "whatsapp": "+6281100000000"}), 201)
    ids = [_ok(seller.post("/api/v1/products", json={"shop_id": shop["id"], "title": f"Tikar pandan {n}",
                                                     "category": "bench-orders", "price": 25000,
                                                     "stock": 1_000_000, "status": "published"}), 201)["id"]
           for n in range(count)]
    return ids[0] if count == 1 else ids


def place(client, listing: str) -> int:
    code, _ = client.post("/api/v1/orders", json={"items": [{"listing_id": listing, "qty": 1}],
                                                  "payment_method": "cod", "delivery_address": ADDRESS},
                          headers={"Idempotency-Key": str(uuid.uuid4())})
    return code


def _orders_db(stack):
    return create_engine(stack.env["ORDERS_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
                         if stack.env["ORDERS_DATABASE_URL"].startswith("postgresql://")
                         else stack.env["ORDERS_DATABASE_URL"])


def _status_counts(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT status, count(*) FROM orders GROUP BY status")).all())


def saga(stack, listing: str, engine) -> dict:
    """Place for SECONDS from CONCURRENCY shoppers, then wait for every order to settle."""
    placed, codes = [0], {}
    lock = threading.Lock()
    deadline = time.perf_counter() + SECONDS

    def shopper(i):
        client = stack.client(f"bench-shopper-{uuid.uuid4().hex[:6]}", "shopper")
        while time.perf_counter() < deadline:
            code = place(client, listing)
            with lock:
                codes[code] = codes.get(code, 0) + 1
                placed[0] += code == 201

    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    settle_by = time.monotonic() + 180
    while time.monotonic() < settle_by:
        counts = _status_counts(engine)
        if sum(v for k, v in counts.items() if k in ("CONFIRMED", "REJECTED", "CANCELLED")) >= placed[0]:
            break
        time.sleep(0.5)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT created_at, confirmed_at FROM orders WHERE status = 'CONFIRMED' "
                                 "AND created_at >= now() - interval '1 hour' ORDER BY created_at")).all()
    rows = [r for r in rows if r[1] is not None]
    first, last = rows[0][0], max(r[1] for r in rows)
    latencies = [(c - p).total_seconds() * 1000 for p, c in rows]
    return {"rate": len(rows) / (last - first).total_seconds(), "placed_rate": placed[0] / SECONDS,
            "n": len(rows), "placed": placed[0], "codes": codes, "p50": statistics.median(latencies),
            "p99": percentile(latencies, 99), "counts": _status_counts(engine)}


def burst(stack, listing: str) -> dict:
    clients = [stack.client(f"bench-burst-{uuid.uuid4().hex[:6]}", "shopper") for _ in range(BURST)]
    for c in clients[:8]:  # open pooled connections, then let them sit idle past gunicorn's old 2 s keep-alive
        c.get("/api/v1/cart")
    time.sleep(3)
    start = threading.Barrier(BURST)
    codes: dict = {}
    lock = threading.Lock()

    def go(client):
        start.wait()
        try:
            code = place(client, listing)
        except Exception as exc:  # no answer at all within the client's 15 s (a timeout), or refused
            code = type(exc).__name__
        with lock:
            codes[code] = codes.get(code, 0) + 1

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


# -- the workers alone: a backlog drained by 1 or 2 worker processes per queue -------------------------------
def _worker_names(stack) -> list[str]:
    return [name for name in stack.procs if "-worker" in name]


def _queue_state(stack, service: str) -> tuple[int, int]:
    """(messages ready, consumers attached) of a service's main queue."""
    import pika

    from pasar.messaging import QueueNames
    conn = pika.BlockingConnection(pika.URLParameters(stack.broker.amqp_url))
    try:
        ok = conn.channel().queue_declare(QueueNames.for_service(service, stack.broker.settings()).main,
                                          passive=True).method
        return ok.message_count, ok.consumer_count
    finally:
        conn.close()


def _unsent(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar()


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of every core since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def _commits(stack) -> dict[str, int]:
    """Transactions committed so far in the catalog's and orders' databases (pg_stat_database)."""
    found = {}
    for app in ("catalog", "orders"):
        engine = create_engine(stack.database_url(app).replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_stat_clear_snapshot()"))
                found[app] = conn.execute(text("SELECT xact_commit FROM pg_stat_database "
                                               "WHERE datname = current_database()")).scalar()
        finally:
            engine.dispose()
    return found


def drain(stack, listings: list[str], engine, processes: int) -> dict:
    """Stop every worker, place DRAIN orders (they wait in the catalog's queue), start `processes` worker
    processes per app (one consumer each), and time the backlog from the moment every consumer of the
    catalog's and orders' queues is attached to the last confirmation."""
    from pasar import config
    wait_until(lambda: set(_status_counts(engine)) <= {"CONFIRMED", "REJECTED", "CANCELLED"}, timeout=180,
               interval=0.5, message="every earlier order settled before the workers stop")
    for name in _worker_names(stack):
        stack.stop_process(name)
    before = _status_counts(engine).get("CONFIRMED", 0)
    clients = [stack.client(f"bench-drain-{uuid.uuid4().hex[:6]}", "shopper") for _ in range(CONCURRENCY)]
    codes: dict = {}
    lock = threading.Lock()

    def shopper(i):
        for n in range(i, DRAIN, CONCURRENCY):
            code = place(clients[i], listings[n % len(listings)])
            with lock:
                codes[code] = codes.get(code, 0) + 1

    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    placed = codes.get(201, 0)
    wait_until(lambda: _unsent(engine) == 0 and _queue_state(stack, "catalog")[0] >= placed, timeout=120,
               interval=0.2, message="the backlog waits in the catalog's queue")
    env = {**stack.env, "WORKER_CONCURRENCY": "1"}
    for app in config.ALL_APPS:
        for n in range(processes):
            # a second process of one kind must not share (and empty) the first one's metrics folder
            stack.start_process(f"{app}-worker" + (f"-{n + 1}" if n else ""), ["worker", app],
                                env={**env, "METRICS_DIR": str(stack.var / f"metrics-worker-{n + 1}")})
    wait_until(lambda: all(_queue_state(stack, s)[1] >= processes for s in ("catalog", "orders")), timeout=120,
               interval=0.1, message="every worker process consuming")
    with engine.connect() as conn:
        ready_at = conn.execute(text("SELECT now()")).scalar()
    at_ready = _status_counts(engine).get("CONFIRMED", 0)
    workers = [stack.procs[name].pid for name in _worker_names(stack)]
    cpu_before, machine_before, started_at = _cpu_seconds(workers), _machine_cpu(), time.monotonic()
    commits_before = _commits(stack)
    wait_until(lambda: _status_counts(engine).get("CONFIRMED", 0) >= before + placed, timeout=300, interval=0.25,
               message="the backlog confirmed")
    cpu, machine, wall = (_cpu_seconds(workers) - cpu_before, _machine_cpu(), time.monotonic() - started_at)
    time.sleep(1)  # PostgreSQL publishes a backend's counts within a second of its commits
    commits = {app: n - commits_before[app] for app, n in _commits(stack).items()}
    idle_from = _cpu_seconds(workers)
    time.sleep(IDLE_SECONDS)  # the same processes with nothing to do: sweeps, periodic jobs, heartbeats
    idle_cores = (_cpu_seconds(workers) - idle_from) / IDLE_SECONDS
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(confirmed_at) FROM orders")).scalar()
    seconds = (last - ready_at).total_seconds()
    done = before + placed - at_ready
    return {"processes": processes, "placed": placed, "codes": codes, "after_ready": done, "seconds": seconds,
            "rate": done / seconds, "load": os.getloadavg()[0],
            # the workers' own CPU per order, and how busy the whole machine was meanwhile (everyone's work)
            "worker_cpu_ms": 1000 * cpu / max(done, 1), "worker_cores": cpu / wall, "idle_cores": idle_cores,
            "commits_per_order": {app: n / max(done, 1) for app, n in commits.items()},
            "machine_busy": (machine[0] - machine_before[0]) / max(machine[1] - machine_before[1], 1)}


def _drain_line(r: dict) -> str:
    return (f"{'drain, ' + str(r['processes']) + ' worker process' + ('es' if r['processes'] > 1 else '') + ' per queue':<34} "
            f"{r['rate']:7.1f} orders/s confirmed ({r['after_ready']} of {r['placed']} after every consumer was "
            f"attached, in {r['seconds']:.1f} s; workers {r['worker_cpu_ms']:.0f} ms CPU per order, "
            f"{r['worker_cores']:.2f} cores (idle afterwards: {r['idle_cores']:.2f}); machine "
            f"{100 * r['machine_busy']:.0f} % busy; commits per order "
            + ", ".join(f"{app} {n:.2f}" for app, n in r["commits_per_order"].items())
            + f"; load {r['load']:.1f})")


@contextlib.contextmanager
def started(stack: Stack):
    """Stack.start, with more patience for the health check on a loaded machine, and stopped either way
    (a failed start would otherwise leave its processes running)."""
    try:
        try:
            stack.start()
        except AssertionError:
            wait_until(stack.healthy, timeout=180, interval=1, message="every service healthy (second wait)")
        yield stack
    finally:
        stack.stop()


def run_stack() -> tuple[dict, dict, list[dict]]:
    """One PostgreSQL stack (default worker settings): the closed-loop saga, the burst, then the drains."""
    with started(Stack(postgres=True, workers=2, extra_env={"RATELIMIT_API": "1000000/minute"})) as stack:
        listings = setup_listing(stack, max(1, DRAIN_LISTINGS))
        listings = listings if isinstance(listings, list) else [listings]
        listing = listings[0]
        client = stack.client("bench-warm", "shopper")
        place(client, listing)  # warm every process up once
        engine = _orders_db(stack)
        time.sleep(2)
        result = saga(stack, listing, engine) if "saga" in PARTS else None
        codes = burst(stack, listing) if "saga" in PARTS else None
        drains = [drain(stack, listings, engine, processes) for processes in DRAIN_ROUNDS] if "drain" in PARTS else []
        engine.dispose()
        return result, codes, drains


def _line(label: str, r: dict) -> str:
    return (f"{label:<34} {r['rate']:7.1f} orders/s confirmed (placed {r['placed_rate']:.1f}/s, n={r['n']}) "
            f"p50 {r['p50']:7.1f} ms  p99 {r['p99']:7.1f} ms  answers {r['codes']}  final {r['counts']}")


def run() -> list[str]:
    lines = [machine_load(), f"{CONCURRENCY} shoppers, {SECONDS:.0f} s of placing, PostgreSQL"]
    if "saga" in PARTS:
        with postgres_database("pasar_bench_monolith") as url:
            mono_rate, mono_lat = run_baseline(url.replace("postgresql://", "postgresql+psycopg://", 1)
                                               if url.startswith("postgresql://") else url, SECONDS, CONCURRENCY)
        lines.append(f"{'monolith baseline (one transaction)':<34} {mono_rate:7.1f} orders/s  "
                     f"p50 {statistics.median(mono_lat):7.1f} ms  p99 {percentile(mono_lat, 99):7.1f} ms")
    two, codes, drains = run_stack()
    if two is not None:
        lines.append(_line(f"saga, {os.environ.get('WORKER_CONCURRENCY', '2')} consumers per worker", two))
        lines.append(target_line("P2 saga vs monolith", two["rate"], mono_rate, at_least=0.5, unit=" /s"))
        lines.append(target_line("P2 saga absolute", two["rate"], None, at_least=100, unit=" /s",
                                 note="(target set for a quiet machine)"))
        lines.append(target_line("P2 placed->CONFIRMED p99", two["p99"], None, below=1000, unit=" ms"))
    if drains:
        lines.append(f"backlog of {DRAIN} orders over {max(1, DRAIN_LISTINGS)} listing(s), drained by worker "
                     f"processes of one consumer each (rounds {DRAIN_ROUNDS}):")
        lines += [_drain_line(r) for r in drains]
        one_rate = statistics.median(r["rate"] for r in drains if r["processes"] == 1)
        two_rate = statistics.median(r["rate"] for r in drains if r["processes"] == 2)
        lines.append(target_line("P2 two workers per queue vs one", two_rate, one_rate, at_least=1.8, unit=" /s",
                                 note="(issue 13: must rise; issue 14: >= 1.8x; medians of the rounds)"))
        pairs = [b["rate"] / a["rate"] for a, b in zip(drains, drains[1:]) if (a["processes"], b["processes"]) == (1, 2)]
        lines.append(f"      two vs one per adjacent pair of rounds: {', '.join(f'{p:.2f}x' for p in pairs)}")
    if codes is not None:
        fives = sum(v for k, v in codes.items() if isinstance(k, int) and k >= 500)
        unanswered = sum(v for k, v in codes.items() if not isinstance(k, int))
        lines.append(f"burst of {BURST} simultaneous checkouts after 3 s idle: answers {codes}")
        lines.append(f"{'PASS' if fives == 0 else 'FAIL'}  {'burst: no 5xx':<38} {fives} answers 5xx")
        lines.append(f"{'PASS' if unanswered == 0 else 'FAIL'}  {'burst: every checkout answered':<38} "
                     f"{unanswered} got no answer within the client's 15 s")
    lines.append(machine_load())
    return lines
