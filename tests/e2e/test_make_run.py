"""`make run` is `pasar up` after the install: a broker, migrate, seed, then every Procfile process under
supervisord. Run for real here, in a private var dir, broker namespace and free ports, from a directory whose
`.env` is hostile (another database, other ports, another exchange, a dead broker): the harness's PASAR_DOTENV=0
must keep every process off it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

from pasar import config
from pasar.demo import DEMO_AGENTS, DEMO_PASSWORD, DEMO_SELLERS
from tests.support.infra import BrokerNamespace, free_port, wait_until

BIN = Path(sys.executable).parent

HOSTILE_DOTENV = """\
DATABASE_URL=postgresql+psycopg://nobody@127.0.0.1:1/not_a_test_database_{service}
GATEWAY_PORT=1
GATEWAY_URL=http://127.0.0.1:1
ORDERS_URL=http://127.0.0.1:1
AMQP_URL=amqp://guest:guest@127.0.0.1:1/%2F
EVENTS_EXCHANGE=someone.elses.exchange
QUEUE_PREFIX=someone.elses.
JWT_SECRET=not-the-harness-secret-0123456789abcdef
"""


def up_env(var: Path, ns: BrokerNamespace) -> dict:
    env = {k: v for k, v in os.environ.items() if "DATABASE_URL" not in k}
    env.update(ns.env())
    env.update({"PASAR_VAR_DIR": str(var), "PATH": f"{BIN}:{env['PATH']}", "WEB_CONCURRENCY": "1",
                "PASAR_DOTENV": "0"})
    for app in config.ALL_APPS:
        port = free_port()
        env[f"{app.upper()}_PORT"] = str(port)
        env[f"{app.upper()}_URL"] = f"http://127.0.0.1:{port}"
    return env


class Up:
    """A running `pasar up`, its output collected as it comes."""

    def __init__(self, env: dict, cwd: Path, command: list[str] | None = None):
        self.env, self.cwd = env, cwd
        self.output: list[str] = []
        self.started = time.monotonic()
        self.proc = subprocess.Popen(command or [str(BIN / "pasar"), "up"], env=env, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.output.append(line)

    @property
    def text(self) -> str:
        return "".join(self.output)

    def wait_healthy(self, timeout: float = 300) -> dict:
        gateway = self.env["GATEWAY_URL"]
        try:
            return wait_until(lambda: (lambda r: r.json() if r.status_code == 200 else None)(
                requests.get(gateway + "/healthz", timeout=30)), timeout=timeout, interval=0.3,
                message="gateway healthy with every service behind it")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n`pasar up` said:\n{self.text[-4000:]}") from None

    def ctl(self, *args) -> str:
        return subprocess.run([str(BIN / "pasar"), "ctl", *args], env=self.env, cwd=self.cwd, capture_output=True,
                              text=True, timeout=30).stdout

    def pids(self) -> dict[str, int]:
        out = {}
        for line in self.ctl("status").splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "RUNNING":
                out[parts[0]] = int(parts[3].rstrip(","))
        return out

    def stop(self):
        """SIGTERM to supervisord, which stops every process (each in its own process group) before it exits;
        whatever is still there after that is killed, so no test leaves a process behind."""
        children = list(self.pids().values()) if self.proc.poll() is None else []
        pidfile = Path(self.env["PASAR_VAR_DIR"]) / "supervisor" / "supervisord.pid"
        if self.proc.poll() is None:
            try:  # supervisord may run under make and a shell (the README's recipe)
                os.kill(int(pidfile.read_text()), signal.SIGTERM)
            except (OSError, ValueError):
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in children:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def hostile_checkout(tmp_path) -> Path:
    folder = tmp_path / "checkout"
    folder.mkdir()
    (folder / ".env").write_text(HOSTILE_DOTENV)
    return folder


@pytest.mark.timeout(900)
def test_pasar_up_starts_every_process_and_ignores_a_hostile_dotenv_under_the_harness(tmp_path, broker):
    env = up_env(tmp_path / "var", broker)
    up = Up(env, hostile_checkout(tmp_path))
    try:
        body = up.wait_healthy()
        print(f"pasar up healthy after {time.monotonic() - up.started:.1f} s")
        assert body["checks"]["broker"]["ok"]
        assert all(body["checks"][s]["ok"] for s in config.SERVICES)
        assert "RabbitMQ answers at" in up.text
        for app in config.ALL_APPS:
            assert (tmp_path / "var" / f"{app}.db").exists()  # migrated SQLite files, not the .env's PostgreSQL
        # the demo data is there, and the demo people can log in to their own shops
        gateway = env["GATEWAY_URL"]
        assert requests.get(gateway + "/api/v1/products", timeout=5).json()["total"] >= 60
        for person, shops in ((DEMO_SELLERS[0], ["Anyaman Pandan Bu Sri"]),
                              (DEMO_AGENTS[0], ["Gerabah Banyumulek Amaq Sahli", "Kelompok Tenun Sukarara",
                                                "Tenun Dusun Sade"])):
            login = requests.post(gateway + "/api/v1/auth/login", timeout=10,
                                  json={"identifier": person["phone"], "password": DEMO_PASSWORD})
            assert login.status_code == 200, login.text
            mine = requests.get(gateway + "/api/v1/shops?mine=true", timeout=5,
                                headers={"Authorization": f"Bearer {login.json()['access_token']}"})
            assert sorted(shop["name"] for shop in mine.json()["items"]) == shops

        # kill -9 a worker and a web process: each is back, every other process keeps its pid
        before = up.pids()
        assert set(before) == {*config.ALL_APPS, *(f"{app}-worker" for app in config.ALL_APPS)}, up.ctl("status")
        killed = ("orders-worker", "catalog")
        for name in killed:
            os.kill(before[name], signal.SIGKILL)
        killed_at = time.monotonic()
        after = wait_until(lambda: (lambda p: p if all(p.get(n) not in (None, before[n]) for n in killed) else None)(
            up.pids()), timeout=120, interval=0.3, message="killed processes running again under new pids")
        up.wait_healthy()
        print(f"killed {killed}: back and healthy after {time.monotonic() - killed_at:.1f} s")
        assert {n: p for n, p in after.items() if n not in killed} == {n: p for n, p in before.items()
                                                                      if n not in killed}
        assert up.proc.poll() is None  # supervisord itself never stopped

        # `make run` again while it runs: says so, changes nothing
        again = subprocess.run([str(BIN / "pasar"), "up"], env=env, cwd=up.cwd, capture_output=True, text=True,
                               timeout=60)
        assert again.returncode == 0 and "already running" in again.stdout, again.stdout + again.stderr
        assert up.pids() == after
    finally:
        up.stop()

    # and after a stop, `make run` on the same checkout starts again on the same data (idempotent)
    second = Up(env, up.cwd)
    try:
        second.wait_healthy()
        print(f"second pasar up healthy after {time.monotonic() - second.started:.1f} s")
        assert requests.get(env["GATEWAY_URL"] + "/api/v1/products", timeout=5).json()["total"] >= 60
    finally:
        second.stop()


def test_a_pasar_command_reads_dotenv_and_the_real_environment_wins(tmp_path):
    (tmp_path / ".env").write_text("EVENTS_EXCHANGE=from.the.file\nQUEUE_PREFIX=file.\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PASAR_DOTENV", "EVENTS_EXCHANGE", "QUEUE_PREFIX")}
    env["QUEUE_PREFIX"] = "from.the.environment."
    probe = ("import pasar.config as c; c.load_dotenv_file(); m = c.messaging(); print(m.exchange, m.queue_prefix)")
    read = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert read.stdout.split() == ["from.the.file", "from.the.environment."], read.stderr
    ignored = subprocess.run([sys.executable, "-c", probe], env={**env, "PASAR_DOTENV": "0"}, cwd=tmp_path,
                             capture_output=True, text=True)
    assert ignored.stdout.split() == ["pasar.events", "from.the.environment."], ignored.stderr


def test_the_harness_never_lets_a_dotenv_steer_a_test():
    from tests.support.stack import Stack
    stack = Stack()
    try:
        assert stack._build_env()["PASAR_DOTENV"] == "0"
    finally:
        stack._exit.close()
    assert os.environ.get("PASAR_DOTENV") == "0"  # and so every subprocess a test starts


@pytest.mark.timeout(600)
def test_pasar_up_without_a_broker_starts_a_private_node_of_its_own_and_says_so(broker):
    # The machine's RabbitMQ stays up for everyone else; AMQP_URL names a closed local port instead.
    var = Path(tempfile.mkdtemp(prefix="pasar-up-node-"))
    var.chmod(0o755)  # the node runs as the rabbitmq user
    port = free_port()
    ns = BrokerNamespace(exchange=broker.exchange, queue_prefix=broker.queue_prefix,
                         amqp_url=f"amqp://guest:guest@127.0.0.1:{port}/%2F")
    env = up_env(var, ns)
    up = Up(env, var)
    try:
        body = up.wait_healthy(timeout=300)
        print(f"pasar up on its own node healthy after {time.monotonic() - up.started:.1f} s")
        assert body["checks"]["broker"]["ok"]
        assert "starting a private RabbitMQ node" in up.text and f"127.0.0.1:{port}" in up.text, up.text[-2000:]
        assert (var / "rabbitmq" / "mnesia").is_dir()
    finally:
        up.stop()
        subprocess.run([str(BIN / "pasar"), "broker", "stop"], env=env, cwd=var, capture_output=True, timeout=120)
        import shutil
        shutil.rmtree(var, ignore_errors=True)


def test_pasar_up_told_not_to_start_a_broker_says_none_answers_and_how_to_start_one(tmp_path):
    env = up_env(tmp_path, BrokerNamespace.new(amqp_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"))
    env["PASAR_PRIVATE_BROKER"] = "0"
    result = subprocess.run([str(BIN / "pasar"), "up"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "RabbitMQ is not reachable" in result.stderr
    assert "rabbitmq-server -detached" in result.stderr


def readme_block(heading: str) -> str:
    text = (config.ROOT / "README.md").read_text()
    section = text.split(f"## {heading}\n", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


@pytest.mark.timeout(900)
def test_the_readme_postgresql_recipe_as_written_gives_a_healthy_stack_with_its_data_in_postgresql(tmp_path, broker):
    """The recipe's own lines, run by bash in a checkout of its own (the project's files, this venv); only the
    database names get this test's prefix, so it never touches a developer's pasar_* databases."""
    prefix = f"pasar_t{uuid.uuid4().hex[:8]}"
    recipe = readme_block("Running with PostgreSQL")
    assert "make run" in recipe and "pasar_" in recipe
    recipe = recipe.replace("pasar_", f"{prefix}_")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("Makefile", "pyproject.toml", "requirements.lock", "requirements-dev.lock", ".env.example", ".venv"):
        (checkout / name).symlink_to(config.ROOT / name)
    # this venv is installed for these very files, so `make run` here installs nothing (an install from this
    # checkout would point the editable package at it)
    assert subprocess.run(["make", "-q", "install"], cwd=checkout).returncode == 0, "run `make install` first"
    env = up_env(tmp_path / "var", broker)
    del env["PASAR_DOTENV"]  # the recipe configures through .env, as an operator does
    up = Up(env, checkout, ["bash", "-euc", recipe])
    try:
        body = up.wait_healthy()
        print(f"README PostgreSQL recipe healthy after {time.monotonic() - up.started:.1f} s")
        assert all(body["checks"][s]["ok"] for s in config.SERVICES)
        assert not list((tmp_path / "var").glob("*.db")), "nothing on SQLite"
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{prefix}_catalog") as conn:
            assert conn.execute("SELECT count(*) FROM listings").fetchone()[0] >= 60  # the demo data
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{prefix}_orders") as conn:
            assert conn.execute("SELECT count(*) FROM outbox").fetchone() is not None  # migrated
        products = requests.get(env["GATEWAY_URL"] + "/api/v1/products", timeout=10).json()
        assert products["total"] >= 60
    finally:
        up.stop()
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            for app in config.ALL_APPS:
                conn.execute(f'DROP DATABASE IF EXISTS "{prefix}_{app}" WITH (FORCE)')
