"""`make run` is `pasar up` after the install: migrate, seed, then every Procfile process under honcho.
Run for real here, in a private var dir, broker namespace and free ports."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from pasar import config
from pasar.demo import DEMO_AGENTS, DEMO_PASSWORD, DEMO_SELLERS
from tests.support.infra import BrokerNamespace, free_port, wait_until

BIN = Path(sys.executable).parent


def up_env(tmp_path, ns: BrokerNamespace) -> dict:
    env = {k: v for k, v in os.environ.items() if "DATABASE_URL" not in k}
    env.update(ns.env())
    env.update({"PASAR_VAR_DIR": str(tmp_path), "PATH": f"{BIN}:{env['PATH']}", "WEB_CONCURRENCY": "1"})
    for app in config.ALL_APPS:
        port = free_port()
        env[f"{app.upper()}_PORT"] = str(port)
        env[f"{app.upper()}_URL"] = f"http://127.0.0.1:{port}"
    return env


def test_pasar_up_starts_every_process_and_gateway_reports_all_healthy_within_60s(tmp_path, broker):
    env = up_env(tmp_path, broker)
    started = time.monotonic()
    proc = subprocess.Popen([str(BIN / "pasar"), "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=config.ROOT)
    try:
        gateway = env["GATEWAY_URL"]
        body = wait_until(lambda: (lambda r: r.json() if r.status_code == 200 else None)(
            requests.get(gateway + "/healthz", timeout=3)), timeout=60, interval=0.3,
            message="gateway healthy with every service behind it")
        assert time.monotonic() - started < 60
        assert body["checks"]["broker"]["ok"]
        assert all(body["checks"][s]["ok"] for s in config.SERVICES)
        for app in config.ALL_APPS:
            assert (tmp_path / f"{app}.db").exists()  # migrated SQLite files under the var dir
        # the demo data is there, and the demo people can log in to their own shops
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
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_pasar_up_without_rabbitmq_says_so_and_how_to_start_it(tmp_path):
    env = up_env(tmp_path, BrokerNamespace.new(amqp_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"))
    result = subprocess.run([str(BIN / "pasar"), "up"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "RabbitMQ is not reachable" in result.stderr
    assert "rabbitmq-server -detached" in result.stderr
