"""The door's defences: tokens that must not work, brute force slowed, oversized bodies refused,
headers on every answer, and honest 502/504 answers when a room behind the door is down or slow."""
from __future__ import annotations

import base64
import http.server
import json
import re
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
# one read per service that needs a verified token (a good shopper token may still get 403 from some)
PROTECTED_READS = {"orders": "/api/v1/cart", "catalog": "/api/v1/products/any-listing/stock-ledger",
                   "payments": "/api/v1/balances/me", "notifications": "/api/v1/notifications"}


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
def test_bad_tokens_are_refused_by_the_gateway_and_by_every_service_directly(stack, kind):
    token = _bad_tokens()[kind]
    auth = {"Authorization": f"Bearer {token}"}
    for service, path in PROTECTED_READS.items():
        for base in (stack.url, stack.service_url(service)):
            resp = requests.get(base + path, headers=auth, timeout=10)
            assert resp.status_code == 401, (kind, base, path, resp.text)
            assert resp.json()["error"]["code"] in ("invalid_token", "token_expired")
    me = requests.get(stack.url + "/api/v1/auth/me", headers=auth, timeout=10)
    assert me.status_code == 401


def test_a_good_token_works_both_ways_so_the_refusals_mean_something(stack):
    auth = {"Authorization": "Bearer " + jwt.encode(_claims(), TEST_JWT_SECRET, algorithm="HS256")}
    for base in (stack.url, stack.service_url("orders")):
        assert requests.get(base + PROTECTED_READ, headers=auth, timeout=10).status_code == 200
    for service, path in PROTECTED_READS.items():  # past the token check: 200, or 403/404 for this shopper
        for base in (stack.url, stack.service_url(service)):
            assert requests.get(base + path, headers=auth, timeout=10).status_code in (200, 403, 404), (base, path)


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


def test_the_login_form_and_the_api_share_one_allowance_and_the_page_says_so_in_words(stack):
    phone = "0857" + str(uuid.uuid4().int)[:8]
    requests.post(stack.url + "/api/v1/auth/register", timeout=10,
                  json={"name": "Budi", "phone": phone, "password": "benar-sekali-1"}).raise_for_status()
    page = requests.Session()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get(stack.url + "/masuk", timeout=10).text).group(1)

    def by_form(password: str):
        return page.post(stack.url + "/masuk", data={"csrf": csrf, "identifier": phone, "password": password},
                         timeout=10)
    assert [by_form(f"tebakan-{i}").status_code for i in range(6)] == [401] * 6
    by_api = [requests.post(stack.url + "/api/v1/auth/login", json={"identifier": phone, "password": f"api-{i}"},
                            timeout=10).status_code for i in range(5)]
    assert by_api == [401] * 4 + [429]  # ten guesses in all, whichever door they came through
    refused = by_form("benar-sekali-1")
    assert refused.status_code == 429 and refused.headers["Content-Type"].startswith("text/html")
    assert "Terlalu banyak percobaan" in refused.text and int(refused.headers["Retry-After"]) > 0


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/orders"])
def test_a_one_megabyte_json_body_is_refused_cleanly(stack, path, chunked):
    big = json.dumps({"identifier": "x" * (1024 * 1024), "password": "y"}).encode()
    # a generator body makes requests send Transfer-Encoding: chunked, with no Content-Length to check
    body = (big[i:i + 65536] for i in range(0, len(big), 65536)) if chunked else big
    resp = requests.post(stack.url + path, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "payload_too_large"
    assert "256 KB" in resp.json()["error"]["message"]  # the gateway's answer, not a service's
    assert requests.get(stack.url + "/healthz", timeout=5).status_code == 200  # and the door still works


def test_a_chunked_body_under_the_limit_still_gets_through(stack):
    body = json.dumps({"identifier": "chunk@example.id", "password": "p" * 200}).encode()
    resp = requests.post(stack.url + "/api/v1/auth/login", data=iter([body[:10], body[10:]]),
                         headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_credentials"  # read and judged


@pytest.mark.parametrize("method,path", [("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/refresh"),
                                         ("PATCH", "/api/v1/auth/me"),
                                         ("POST", "/api/v1/cart/lines"), ("PUT", "/api/v1/couriers/me")])
@pytest.mark.parametrize("text", ["\\ud800", "abc\\udfff", "a\\u0000b"], ids=["high", "low", "nul"])
def test_text_no_database_can_store_is_a_field_error_not_a_server_error(stack, method, path, text):
    # the raw JSON carries the escape itself: json.dumps would not let a lone surrogate through
    fields = ("identifier", "password", "refresh_token", "name", "email", "listing_id", "district")
    raw = "{" + ", ".join(f'"{f}": "{text}"' for f in fields) + ', "qty": 1, "available": true}'
    role = "courier" if "couriers" in path else "shopper"
    auth = {"Authorization": "Bearer " + jwt.encode(_claims(role=role), TEST_JWT_SECRET, algorithm="HS256")}
    owner = {"cart": "orders", "couriers": "orders"}.get(path.split("/")[3])
    for base in [stack.url] + ([stack.service_url(owner)] if owner else []):  # the kernel guards every service too
        resp = requests.request(method, base + path, data=raw.encode(), timeout=10,
                                headers={"Content-Type": "application/json", **auth})
        assert resp.status_code == 422, (base, resp.text)
        error = resp.json()["error"]
        assert error["code"] == "validation_error" and set(error["fields"]) <= set(fields) and error["fields"]


def test_a_nul_in_the_address_is_refused_and_real_unicode_is_welcome(stack):
    nul_query = requests.get(stack.url + "/api/v1/products?q=%00", timeout=10)
    assert nul_query.status_code == 422 and list(nul_query.json()["error"]["fields"]) == ["q"]
    assert requests.get(stack.url + "/api/v1/products/a%00b", timeout=10).status_code == 404
    phone = "0857" + str(uuid.uuid4().int)[:8]
    resp = requests.post(stack.url + "/api/v1/auth/register", timeout=10,  # a surrogate *pair* is an emoji
                         data='{"name": "Sri \\ud83c\\udf3e", "phone": "%s", "password": "rahasia-123"}' % phone,
                         headers={"Content-Type": "application/json"})
    assert resp.status_code == 201 and resp.json()["account"]["name"] == "Sri \U0001f33e"


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


def test_health_reports_every_service_and_the_broker(stack):
    resp = requests.get(stack.url + "/healthz", timeout=10)
    assert resp.status_code == 200 and resp.json()["status"] == "ok"
    checks = resp.json()["checks"]
    assert {"broker", "database", "catalog", "orders", "payments", "notifications"} <= set(checks)
    assert all(checks[name]["ok"] for name in ("catalog", "orders", "payments", "notifications"))
    assert all(checks[name]["checks"]["broker"]["ok"] for name in ("catalog", "orders", "payments", "notifications"))
    assert all(checks[name]["checks"]["worker"]["consumers"] >= 1
               for name in ("catalog", "orders", "payments", "notifications"))
    assert checks["worker"]["ok"] is True  # the gateway's own worker relays its outbox


def test_health_says_which_worker_is_missing_and_recovers_when_it_is_back(stack):
    stack.stop_process("orders-worker")
    try:
        def orders_worker_reported_missing():
            resp = requests.get(stack.url + "/healthz", timeout=10)
            worker = resp.json()["checks"]["orders"].get("checks", {}).get("worker", {})
            return resp.json() if resp.status_code == 503 and worker.get("ok") is False else None
        health = wait_until(orders_worker_reported_missing, timeout=20, interval=0.3,
                            message="the gateway's health reporting the stopped orders worker")
        worker = health["checks"]["orders"]["checks"]["worker"]
        assert worker["consumers"] == 0 and "pasar worker orders" in worker["error"]
        assert health["status"] == "unavailable" and health["checks"]["catalog"]["ok"] is True
    finally:
        stack.start_process("orders-worker", ["worker", "orders"])
    wait_until(stack.healthy, timeout=30, interval=0.3, message="everything healthy again with the worker back")


def test_the_api_docs_page_works_offline(stack):
    """No CDN: the page, its script and its style come from the gateway itself, and the CSP allows nothing else."""
    page = requests.get(stack.url + "/api/docs", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:
        assert requests.get(stack.url + asset, timeout=10).status_code == 200, asset
    script = requests.get(stack.url + "/api/docs/docs.js", timeout=10).text
    assert "openapi.json" in script and not re.search(r"https?://", script)
    assert "http" not in page.headers["Content-Security-Policy"]
    spec = requests.get(stack.url + "/api/v1/openapi.json", timeout=15).json()
    assert {"/api/v1/auth/login", "/api/v1/products", "/api/v1/orders", "/api/v1/payouts",
            "/api/v1/notifications"} <= set(spec["paths"])


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


DOOR_API_LIMIT = 40  # per client per minute on the second gateway; the real default is 1200


@pytest.fixture(scope="module")
def door(stack):
    """A second gateway on the stack's database: catalog → a recording fake, orders → a dead port,
    payments → a service that hangs up, CORS for one origin, 1 s read timeout, a low API rate limit,
    behind one trusted proxy (X-Forwarded-For names the client)."""
    recorder = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=recorder.serve_forever, daemon=True).start()
    hangup = _Hangup()
    port = free_port()
    env = {**stack.env, "GATEWAY_PORT": str(port), "WEB_CONCURRENCY": "1", "UPSTREAM_READ_TIMEOUT": "1",
           "CATALOG_URL": f"http://127.0.0.1:{recorder.server_port}", "ORDERS_URL": f"http://127.0.0.1:{free_port()}",
           "PAYMENTS_URL": f"http://127.0.0.1:{hangup.port}", "CORS_ORIGINS": "https://toko.example",
           "RATELIMIT_API": f"{DOOR_API_LIMIT}/minute", "TRUSTED_PROXY_HOPS": "1"}
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


def test_a_write_with_an_idempotency_key_is_retried_once_when_the_connection_fails(door):
    before = door.hangup.accepted
    resp = requests.post(door.url + "/api/v1/payments/x", json={}, timeout=10,
                         headers={"Idempotency-Key": str(uuid.uuid4())})
    assert resp.status_code == 502 and resp.json()["error"]["code"] == "bad_gateway"
    assert door.hangup.accepted - before == 2  # the service replays a keyed write, so a second try is safe


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


def _seen_by_catalog(rid: str) -> list:
    return [s for s in door_seen() if s["headers"].get("X-Request-ID") == rid]


def door_seen() -> list:
    return list(_Recorder.seen)


def test_only_a_verified_identity_reaches_a_service(door):
    """Identity-looking headers a client makes up are dropped; a bearer token goes on only once verified."""
    made_up = {"X-User-Id": "admin-1", "X-User-Role": "admin", "X-Authenticated-User": "admin-1",
               "X-Forwarded-User": "admin-1", "Remote-User": "admin-1"}
    rid = "req-" + uuid.uuid4().hex
    resp = requests.get(door.url + "/api/v1/products/echo", timeout=10,
                        headers={**made_up, "Authorization": "Basic YWRtaW46YWRtaW4=", "X-Request-ID": rid})
    assert resp.status_code == 200
    (seen,) = _seen_by_catalog(rid)
    assert not set(made_up) & set(seen["headers"]) and "Authorization" not in seen["headers"], seen["headers"]

    good = jwt.encode(_claims(), TEST_JWT_SECRET, algorithm="HS256")
    rid = "req-" + uuid.uuid4().hex
    requests.get(door.url + "/api/v1/products/echo", headers={"Authorization": f"Bearer {good}", "X-Request-ID": rid},
                 timeout=10).raise_for_status()
    assert _seen_by_catalog(rid)[0]["headers"]["Authorization"] == f"Bearer {good}"

    for kind, token in _bad_tokens().items():  # refused at the door: the service never hears of it
        rid = "req-" + uuid.uuid4().hex
        resp = requests.get(door.url + "/api/v1/products/echo", timeout=10,
                            headers={"Authorization": f"Bearer {token}", "X-Request-ID": rid})
        assert resp.status_code == 401 and not _seen_by_catalog(rid), kind


@pytest.mark.parametrize("raw_path", ["/api/v1/products/..%2F..%2F..%2Fhealthz", "/api/v1/products/%2e%2e/orders",
                                      "/api/v1/payments/..%2F..%2F..%2Fopenapi.json", "/api/v1/products/./x"])
def test_a_path_cannot_climb_out_of_the_routing_table(door, raw_path):
    before = len(door_seen())
    with socket.create_connection(("127.0.0.1", int(door.url.rsplit(":", 1)[1])), timeout=10) as conn:
        # sent byte for byte: a client library would tidy the dots away before we could test them
        conn.sendall(f"GET {raw_path} HTTP/1.1\r\nHost: door\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split()[1] == b"404", answer[:300]
    assert json.loads(body)["error"]["code"] == "not_found"
    assert len(door_seen()) == before  # nothing reached a service


def test_an_escaped_question_mark_stays_in_the_path(door):
    rid = "req-" + uuid.uuid4().hex
    requests.get(door.url + "/api/v1/products/tikar%3Fstock=0%23x?q=1", headers={"X-Request-ID": rid},
                 timeout=10).raise_for_status()
    assert _seen_by_catalog(rid)[0]["path"] == "/api/v1/products/tikar%3Fstock=0%23x?q=1"


def test_each_client_has_one_budget_for_the_whole_api(door):
    greedy = {"Authorization": "Bearer " + jwt.encode(_claims(sub="greedy-" + uuid.uuid4().hex[:6]),
                                                        TEST_JWT_SECRET, algorithm="HS256")}
    statuses = []
    for _ in range(2 * DOOR_API_LIMIT + 1):  # enough to cross the limit even if a minute window turns over
        statuses.append(requests.get(door.url + "/api/v1/products/echo", headers=greedy, timeout=10).status_code)
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}, statuses
    # the gateway's own endpoints draw on the same budget
    assert requests.get(door.url + "/api/v1/auth/me", headers=greedy, timeout=10).status_code == 429
    other = {"Authorization": "Bearer " + jwt.encode(_claims(), TEST_JWT_SECRET, algorithm="HS256")}
    assert requests.get(door.url + "/api/v1/products/echo", headers=other, timeout=10).status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(door):
    """Behind nginx every request comes from the proxy's address: without trusting its X-Forwarded-For one
    greedy visitor would use up the whole village's budget."""
    greedy, neighbour = {"X-Forwarded-For": "198.51.100.7"}, {"X-Forwarded-For": "198.51.100.8"}
    statuses = []
    for _ in range(2 * DOOR_API_LIMIT + 1):
        statuses.append(requests.get(door.url + "/api/v1/products/echo", headers=greedy, timeout=10).status_code)
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}, statuses
    rid = "req-" + uuid.uuid4().hex
    resp = requests.get(door.url + "/api/v1/products/echo", headers={**neighbour, "X-Request-ID": rid}, timeout=10)
    assert resp.status_code == 200
    assert _seen_by_catalog(rid)[0]["headers"]["X-Forwarded-For"] == "198.51.100.8, 127.0.0.1"
