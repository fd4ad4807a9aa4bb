"""Every process of Pasar Desa, started for real by the test harness (and by `make bench`):
gunicorn for the gateway and each service, plus one worker per app, on free ports, in a private var/
directory and a private broker namespace. SQLite by default; PostgreSQL with `postgres=True`.

`replicas=2` starts every process twice, as two hosts would run them: a second web process of every app on
ports of its own (the second gateway talks to the second web process of each service, so a client that
alternates between `stack.urls` goes through both replicas of everything) and a second worker per app
competing on the same queue (each worker also relays its outbox and runs its periodic sweeps)."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from pasar import config
from pasar.auth import Identity, issue_access_token

from .infra import BrokerNamespace, free_port, postgres_database, wait_until

BIN = Path(sys.executable).parent
# Every process a test starts reads this environment and nothing else: no `.env` (a developer's file could
# name other ports, their real databases or another exchange).
NO_DOTENV = {"PASAR_DOTENV": "0"}
TEST_JWT_SECRET = "test-secret-for-the-harness-only-0123456789abcdef"


class Stack:
    def __init__(self, *, postgres: bool = False, extra_env: dict | None = None, workers: int = 1,
                 replicas: int = 1):
        self.postgres = postgres
        self.replicas = replicas
        self.replica_ports = [{app: free_port() for app in config.ALL_APPS} for _ in range(replicas - 1)]
        self.extra_env = extra_env or {}
        self.web_workers = workers
        self.var = Path(tempfile.mkdtemp(prefix="pasar-stack-"))
        self.broker = BrokerNamespace.new()
        self.ports = {app: free_port() for app in config.ALL_APPS}
        self.procs: dict[str, subprocess.Popen] = {}
        self._exit = contextlib.ExitStack()
        self.env: dict = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def urls(self) -> list[str]:
        """Every gateway process: the first one, then one per further replica."""
        return [self.url] + [f"http://127.0.0.1:{ports['gateway']}" for ports in self.replica_ports]

    def replica_env(self, n: int) -> dict:
        """The environment of replica n (1-based beyond the first): its own ports, metrics folder and log."""
        env = dict(self.env)
        for app, port in self.replica_ports[n - 1].items():
            env[f"{app.upper()}_PORT"] = str(port)
            env[f"{app.upper()}_URL"] = f"http://127.0.0.1:{port}"
        # two processes of one kind on one host would empty each other's metrics folder (pasar/metrics.py)
        env["METRICS_DIR"] = str(self.var / f"metrics-{n + 1}")
        return env

    def service_url(self, app: str) -> str:
        return f"http://127.0.0.1:{self.ports[app]}"

    def _build_env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL") and k != "DATABASE_URL"}
        env.update(self.broker.env())
        env.update(NO_DOTENV)
        env.update({
            "PASAR_VAR_DIR": str(self.var), "JWT_SECRET": TEST_JWT_SECRET, "WEB_CONCURRENCY": str(self.web_workers),
            "PATH": f"{BIN}:{env.get('PATH', '')}", "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING",
        })
        for app, port in self.ports.items():
            env[f"{app.upper()}_PORT"] = str(port)
            env[f"{app.upper()}_URL"] = f"http://127.0.0.1:{port}"
        if self.postgres:
            for app in config.ALL_APPS:
                env[f"{app.upper()}_DATABASE_URL"] = self._exit.enter_context(postgres_database(f"pasar_{app}"))
        env.update(self.extra_env)
        return env

    def start(self, seed: bool = False) -> "Stack":
        self.env = self._build_env()
        subprocess.run([str(BIN / "pasar"), "migrate", "all"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if seed:
            subprocess.run([str(BIN / "pasar"), "seed"], env=self.env, check=True, stdout=subprocess.DEVNULL)
        for app in config.ALL_APPS:
            self.start_process(f"{app}-worker", ["worker", app])
            self.start_process(app, ["web", app])
            for n in range(1, self.replicas):
                self.start_process(f"{app}-worker-{n + 1}", ["worker", app], env=self.replica_env(n))
                self.start_process(f"{app}-{n + 1}", ["web", app], env=self.replica_env(n))
        timeout = 60 * self.replicas
        for url in self.urls:
            wait_until(lambda: self.healthy(url), timeout=timeout, interval=0.2,
                       message=f"every service healthy behind the gateway at {url}")
        return self

    def start_process(self, name: str, args: list[str], env: dict | None = None) -> None:
        log = open(self.var / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen([str(BIN / "pasar"), *args], env=env or self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def stop_process(self, name: str, sig=signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def database_url(self, app: str) -> str:
        """Where `app` keeps its data in this stack: its PostgreSQL database, or its SQLite file."""
        return self.env.get(f"{app.upper()}_DATABASE_URL") or f"sqlite:///{self.var / (app + '.db')}"

    def healthy(self, url: str | None = None) -> bool:
        resp = requests.get((url or self.url) + "/healthz", timeout=5)
        return resp.status_code == 200

    def logs(self, name: str) -> str:
        path = self.var / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        # every process told at once, then waited for: one by one, 20 processes (replicas=2) at up to 15 s each
        # under this machine's load outlast a test's timeout
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for name in list(self.procs):
            self.stop_process(name)
        self.broker.cleanup()
        self._exit.close()

    # -- conveniences for tests -------------------------------------------------------------------
    def token(self, user_id: str, role: str, **kw) -> str:
        """A token as the gateway would sign it. Its phone counts as proven (issue 18: selling and deliveries need
        that) unless the test says otherwise: `claims={"phone_verified": False}`."""
        from pasar.config import AuthSettings
        kw["claims"] = {"phone_verified": True, **(kw.get("claims") or {})}
        settings = AuthSettings(secret=TEST_JWT_SECRET, algorithm="HS256", issuer="pasar-desa",
                                audience="pasar-desa-api", access_ttl_seconds=900, refresh_ttl_seconds=3600)
        return issue_access_token(Identity(user_id=user_id, role=role, **kw), settings=settings)

    def client(self, user_id: str | None = None, role: str | None = None, *, via: int = 0, **kw) -> "ApiClient":
        """A client of gateway `via` (0 = the first; see `urls`)."""
        return ApiClient(self.urls[via], self.token(user_id, role, **kw) if user_id else None)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class ApiClient:
    """requests against the gateway with a bearer token; returns (status, json)."""

    def __init__(self, base: str, token: str | None = None):
        self.base = base
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kw):
        resp = self.session.request(method, self.base + path, timeout=15, **kw)
        try:
            body = resp.json()
        except ValueError:
            body = resp.text
        return resp.status_code, body

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def patch(self, path, **kw):
        return self.call("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.call("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)
