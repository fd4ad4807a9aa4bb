"""The door's defences: tokens that must not work, brute force slowed, oversized bodies refused,
headers on every answer, and honest 502/504 answers when a room behind the door is down or slow."""
from __future__ import annotations

import base64
import http.server
import json
import socket
import subprocess
import threading
import time
import uuid
import warnings

import jwt
import pytest
import requests

from tests.support.infra import free_port, wait_until
from tests.support.stack import BIN, TEST_JWT_SECRET

PROTECTED_READ = "/api/v1/cart"  # the orders service answers it for a shopper token only


def _claims(**over):
    now = int(time.time())
    claims = {"sub": f"shopper-{uuid.uuid4().hex[:6]}", "role": "shopper", "name": "", "district": None,
              "locale": "id", "iat": now, "nbf": now, "exp": now + 600, "iss": "pasar-desa",
              "aud": "pasar-desa-api", "typ": "access", "jti": uuid.uuid4().hex}
    claims.update(over)
    return claims


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _hs512(claims: dict) -> str:
    with warnings.catch_warnings():  # PyJWT warns the test secret is short for SHA-512: that is not the point here
        warnings.simplefilter("ignore")
        return jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS512")


def _bad_tokens() -> dict[str, str]:
    valid = jwt.encode(_claims(), TEST_JWT_SECRET, algorithm="HS256")
    header, payload, signature = valid.split(".")
    now = int(time.time())
    return {
        "forged (other secret)": jwt.encode(_claims(), "someone-elses-secret-0123456789abcdef", algorithm="HS256"),
        "expired": jwt.encode(_claims(iat=now - 3600, nbf=now - 3600, exp=now - 600), TEST_JWT_SECRET,
                              algorithm="HS256"),
        "HS512 with the same secret": _hs512(_claims()),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}.",
        "payload swapped to admin": f"{header}.{_b64(_claims(role='admin'))}.{signature}",
        "wrong audience": jwt.encode(_claims(aud="someone-else"), TEST_JWT_SECRET, algorithm="HS256"),
        "refresh-type token": jwt.encode(_claims(typ="refresh"), TEST_JWT_SECRET, algorithm="HS256"),
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize("kind", list(_bad_tokens()))
def test_bad_tokens_are_refused_by_the_gateway_and_by_the_service_directly(stack, kind):
    token = _bad_tokens()[kind]
    auth = {"Authorization": f"Bearer {token}"}
    for base in (stack.url, stack.service_url("orders")):
        resp = requests.get(base + PROTECTED_READ, headers=auth, timeout=10)
        assert resp.status_code == 401, (kind, base, resp.text)
        assert resp.json()["error"]["code"] in ("invalid_token", "token_expired")
    me = requests.get(stack.url + "/api/v1/auth/me", headers=auth, timeout=10)
    assert me.status_code == 401


def test_a_good_token_works_both_ways_so_the_refusals_mean_something(stack):
    auth = {"Authorization": "Bearer " + jwt.encode(_claims(), TEST_JWT_SECRET, algorithm="HS256")}
    for base in (stack.url, stack.service_url("orders")):
        assert requests.get(base + PROTECTED_READ, headers=auth, timeout=10).status_code == 200


def test_guessing_passwords_is_slowed_to_a_crawl_without_locking_out_everyone(stack):
    phone = "0857" + str(uuid.uuid4().int)[:8]
    requests.post(stack.url + "/api/v1/auth/register", timeout=10,
                  json={"name": "Budi", "phone": phone, "password": "benar-sekali-1"}).raise_for_status()
    session = requests.Session()
    statuses = [session.post(stack.url + "/api/v1/auth/login", timeout=10,
                             json={"identifier": phone, "password": f"tebakan-{i}"}).status_code for i in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]  # 10/minute per IP + identifier
    blocked = session.post(stack.url + "/api/v1/auth/login", timeout=10,
                           json={"identifier": "+62" + phone[1:], "password": "benar-sekali-1"})
    assert blocked.status_code == 429  # same person however the number is spelled, even with the right password
    assert blocked.json()["error"]["code"] == "rate_limited" and int(blocked.headers["Retry-After"]) > 0
    other = session.post(stack.url + "/api/v1/auth/login", timeout=10,
                         json={"identifier": "0857" + str(uuid.uuid4().int)[:8], "password": "x"})
    assert other.status_code == 401  # a different account is not locked out by the attack


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/orders"])
def test_a_one_megabyte_json_body_is_refused_cleanly(stack, path):
    big = json.dumps({"identifier": "x" * (1024 * 1024), "password": "y"})
    resp = requests.post(stack.url + path, data=big, headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "payload_too_large"
    assert requests.get(stack.url + "/healthz", timeout=5).status_code == 200  # and the door still works


def test_every_answer_carries_security_headers_and_a_request_id(stack):
    for path in ("/api/v1/products", "/api/v1/auth/me", "/api/v1/nothing-here", "/api/docs"):
        resp = requests.get(stack.url + path, timeout=10)
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        assert resp.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"], path
        assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert resp.headers["X-Request-ID"], path
    unknown = requests.get(stack.url + "/api/v1/nothing-here", timeout=10)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


# -- routing against fake and dead upstreams ----------------------------------------------------------

class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        _Recorder.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers)})
        if self.path.startswith("/api/v1/products/slow"):
            time.sleep(3)
        body = json.dumps({"ok": True, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


class _Hangup:
    """Accepts connections and closes them without a word: a service dying mid-request."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.recv(65536)
            conn.close()


@pytest.fixture(scope="module")
def door(stack):
    """A second gateway on the stack's database: catalog → a recording fake, orders → a dead port,
    payments → a service that hangs up, CORS for one origin, 1 s read timeout."""
    recorder = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=recorder.serve_forever, daemon=True).start()
    hangup = _Hangup()
    port = free_port()
    env = {**stack.env, "GATEWAY_PORT": str(port), "WEB_CONCURRENCY": "1", "UPSTREAM_READ_TIMEOUT": "1",
           "CATALOG_URL": f"http://127.0.0.1:{recorder.server_port}", "ORDERS_URL": f"http://127.0.0.1:{free_port()}",
           "PAYMENTS_URL": f"http://127.0.0.1:{hangup.port}", "CORS_ORIGINS": "https://toko.example"}
    log = open(stack.var / "gateway-door.log", "ab")
    proc = subprocess.Popen([str(BIN / "pasar"), "web", "gateway", "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(url + "/api/v1/openapi.json", timeout=5).status_code == 200, timeout=30,
                   message="second gateway up")
        yield type("Door", (), {"url": url, "recorder": recorder, "hangup": hangup})
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        recorder.shutdown()
        hangup.sock.close()


def test_request_id_and_caller_are_carried_to_the_service(door):
    rid = "req-" + uuid.uuid4().hex
    resp = requests.get(door.url + "/api/v1/products/echo?q=tikar&tag=a&tag=b", headers={"X-Request-ID": rid},
                        timeout=10)
    assert resp.status_code == 200 and resp.headers["X-Request-ID"] == rid
    seen = [s for s in door.recorder.RequestHandlerClass.seen if s["headers"].get("X-Request-ID") == rid]
    assert seen and seen[0]["path"] == "/api/v1/products/echo?q=tikar&tag=a&tag=b"
    assert seen[0]["headers"]["X-Forwarded-For"] == "127.0.0.1"


def test_a_stopped_service_is_a_502_with_the_standard_body(door):
    resp = requests.get(door.url + "/api/v1/orders", timeout=10)
    assert resp.status_code == 502
    assert resp.json()["error"]["code"] == "bad_gateway" and "orders" in resp.json()["error"]["message"]
    health = requests.get(door.url + "/healthz", timeout=10)
    assert health.status_code == 503 and health.json()["checks"]["orders"]["ok"] is False


def test_a_slow_service_is_a_504_with_the_standard_body(door):
    started = time.monotonic()
    resp = requests.get(door.url + "/api/v1/products/slow", timeout=10)
    assert resp.status_code == 504 and resp.json()["error"]["code"] == "gateway_timeout"
    assert time.monotonic() - started < 2.5  # one read timeout: a slow service is not asked twice


def test_only_reads_are_retried_when_the_connection_fails(door):
    before = door.hangup.accepted
    assert requests.get(door.url + "/api/v1/payments/x", timeout=10).status_code == 502
    assert door.hangup.accepted - before == 2
    before = door.hangup.accepted
    assert requests.post(door.url + "/api/v1/payments/x", json={}, timeout=10).status_code == 502
    assert door.hangup.accepted - before == 1  # a POST that may have landed is never sent twice


def test_cors_answers_configured_origins_only(door):
    pre = requests.options(door.url + "/api/v1/products", timeout=10, headers={
        "Origin": "https://toko.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "https://toko.example"
    assert "Authorization" in pre.headers["Access-Control-Allow-Headers"]
    simple = requests.get(door.url + "/api/v1/products/echo", headers={"Origin": "https://toko.example"}, timeout=10)
    assert simple.headers["Access-Control-Allow-Origin"] == "https://toko.example"
    evil = requests.options(door.url + "/api/v1/products", timeout=10, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil.headers
    other = requests.get(door.url + "/api/v1/products/echo", headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers
