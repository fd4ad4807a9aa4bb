"""RATELIMIT_STORAGE_URI=redis://...: two gateway processes (as two hosts behind a load balancer would be) count
one client's attempts in one place, so the client gets one allowance, not one per process. Uses the machine's
Redis with a key prefix of this test's own, deleted afterwards."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
import requests

from tests.support.infra import free_port, wait_until

BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LOGIN_LIMIT = 4


@pytest.fixture
def two_gateways(tmp_path):
    prefix = f"pasar-test-{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if "DATABASE_URL" not in k}
    env.update({"PASAR_DOTENV": "0", "PASAR_VAR_DIR": str(tmp_path), "WEB_CONCURRENCY": "1",
                "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix,
                "RATELIMIT_LOGIN": f"{LOGIN_LIMIT}/minute", "PATH": f"{BIN}:{env['PATH']}"})
    subprocess.run([str(BIN / "pasar"), "migrate", "gateway"], env=env, check=True, capture_output=True)
    procs, urls = [], []
    for n in range(2):
        port = free_port()
        log = open(tmp_path / f"gateway-{n}.log", "ab")
        procs.append(subprocess.Popen([str(BIN / "pasar"), "web", "gateway", "--port", str(port)], env=env,
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_until(lambda: requests.get(url + "/masuk", timeout=5).status_code == 200, timeout=90,
                       interval=0.3, message=f"gateway at {url} up")
        yield urls, prefix
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(match=f"*{prefix}*"):
            store.delete(key)


def test_two_gateway_processes_share_one_login_allowance_through_redis(two_gateways):
    urls, prefix = two_gateways
    identifier = f"08{uuid.uuid4().int % 10**10:010d}"
    answers = []
    for attempt in range(2 * LOGIN_LIMIT + 2):  # alternate between the two processes
        resp = requests.post(urls[attempt % 2] + "/api/v1/auth/login", timeout=15,
                             json={"identifier": identifier, "password": "wrong-password-123"})
        answers.append(resp.status_code)
    assert answers[:LOGIN_LIMIT] == [401] * LOGIN_LIMIT, answers  # wrong password, counted
    assert answers[LOGIN_LIMIT:] == [429] * (LOGIN_LIMIT + 2), answers  # one allowance for both processes
    assert any(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"*{prefix}*")), "counted in Redis under the prefix"
