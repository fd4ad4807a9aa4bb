"""Issue 20: an access token stops working the moment its login ends (logout, password change, the operator's
sign-out-everywhere), at the gateway and at a service's own port (each service verifies tokens itself).

With REDIS_URL the gateway and every service read one denylist in Redis; without it the gateway keeps the
denylist in its own database and refuses revoked tokens at the door (the session-wide `stack` runs that way)."""
from __future__ import annotations

import subprocess
import uuid

import pytest
import requests

from tests.support.stack import BIN, Stack

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def redis_stack():
    prefix = f"pasar-test-{uuid.uuid4().hex[:8]}:revoked:"
    s = Stack(extra_env={"REDIS_URL": REDIS_URL, "TOKEN_DENYLIST_PREFIX": prefix})
    s.start()
    yield s
    s.stop()
    import redis
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(prefix + "*"))
    if keys:
        client.delete(*keys)


def sign_up(stack) -> dict:
    body = {"name": "Siti", "phone": "0857" + str(uuid.uuid4().int)[:8], "password": "rahasia-siti-1"}
    resp = requests.post(stack.url + "/api/v1/auth/register", json=body, timeout=15)
    assert resp.status_code == 201, resp.text
    return {**resp.json(), "sent": body}


def bearer(token: str) -> dict:
    return {"Authorization": "Bearer " + token}


def at_gateway(stack, token: str) -> requests.Response:
    return requests.get(stack.url + "/api/v1/auth/me", headers=bearer(token), timeout=15)


def at_services(stack, token: str) -> list[requests.Response]:
    """The same token straight at each service's port (not through the gateway)."""
    return [requests.get(stack.service_url("orders") + "/api/v1/orders", headers=bearer(token), timeout=15),
            requests.get(stack.service_url("notifications") + "/api/v1/notifications", headers=bearer(token),
                         timeout=15),
            requests.get(stack.service_url("gateway") + "/api/v1/orders", headers=bearer(token), timeout=15)]


def assert_revoked(resp):
    assert resp.status_code == 401, (resp.status_code, resp.text[:200])
    assert resp.json()["error"]["code"] == "token_revoked"


def test_a_logged_out_access_token_is_refused_at_once_at_the_gateway_and_at_a_service_port(redis_stack):
    account = sign_up(redis_stack)
    token = account["access_token"]
    assert at_gateway(redis_stack, token).status_code == 200
    assert [r.status_code for r in at_services(redis_stack, token)] == [200, 200, 200]

    out = requests.post(redis_stack.url + "/api/v1/auth/logout", json={"refresh_token": account["refresh_token"]},
                        headers=bearer(token), timeout=15)
    assert out.status_code == 204
    # the very next request, no waiting: refused at the door and at each service's own port
    assert_revoked(at_gateway(redis_stack, token))
    for resp in at_services(redis_stack, token):
        assert_revoked(resp)


def test_logging_out_by_refresh_token_alone_ends_the_access_tokens_of_that_login(redis_stack):
    account = sign_up(redis_stack)
    other_login = requests.post(redis_stack.url + "/api/v1/auth/login", timeout=15, json={
        "identifier": account["sent"]["phone"], "password": account["sent"]["password"]}).json()
    refreshed = requests.post(redis_stack.url + "/api/v1/auth/refresh", timeout=15,
                              json={"refresh_token": account["refresh_token"]}).json()
    out = requests.post(redis_stack.url + "/api/v1/auth/logout", timeout=15,
                        json={"refresh_token": refreshed["refresh_token"]})  # no bearer sent
    assert out.status_code == 204
    for token in (account["access_token"], refreshed["access_token"]):  # the same login, before and after refresh
        assert_revoked(at_gateway(redis_stack, token))
        assert_revoked(at_services(redis_stack, token)[0])
    assert at_gateway(redis_stack, other_login["access_token"]).status_code == 200  # another login goes on


def test_a_password_change_ends_every_other_access_token_and_keeps_the_new_one(redis_stack):
    account = sign_up(redis_stack)
    phone_login = requests.post(redis_stack.url + "/api/v1/auth/login", timeout=15, json={
        "identifier": account["sent"]["phone"], "password": account["sent"]["password"]}).json()
    changed = requests.post(redis_stack.url + "/api/v1/auth/password", headers=bearer(account["access_token"]),
                            timeout=15, json={"current_password": account["sent"]["password"],
                                              "new_password": "baru-rahasia-456"})
    assert changed.status_code == 200
    for token in (account["access_token"], phone_login["access_token"]):
        assert_revoked(at_gateway(redis_stack, token))
        assert_revoked(at_services(redis_stack, token)[0])
    fresh = changed.json()["access_token"]
    assert at_gateway(redis_stack, fresh).status_code == 200
    assert at_services(redis_stack, fresh)[0].status_code == 200


def test_the_operator_signs_an_account_out_everywhere(redis_stack):
    account = sign_up(redis_stack)
    done = subprocess.run([str(BIN / "pasar"), "gateway", "sign-out-everywhere", account["sent"]["phone"]],
                          env=redis_stack.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert_revoked(at_gateway(redis_stack, account["access_token"]))
    assert_revoked(at_services(redis_stack, account["access_token"])[0])
    assert requests.post(redis_stack.url + "/api/v1/auth/refresh", timeout=15,
                         json={"refresh_token": account["refresh_token"]}).status_code == 401


def test_without_redis_the_gateway_refuses_a_logged_out_token_from_its_own_database(stack):
    account = sign_up(stack)
    assert at_gateway(stack, account["access_token"]).status_code == 200
    out = requests.post(stack.url + "/api/v1/auth/logout", json={"refresh_token": account["refresh_token"]},
                        headers=bearer(account["access_token"]), timeout=15)
    assert out.status_code == 204
    assert_revoked(at_gateway(stack, account["access_token"]))
    proxied = requests.get(stack.url + "/api/v1/orders", headers=bearer(account["access_token"]), timeout=15)
    assert_revoked(proxied)


def test_logging_out_on_the_pages_ends_the_cookie_token_too(stack):
    import re
    account = sign_up(stack)
    browser = requests.Session()
    page = browser.get(stack.url + "/masuk", timeout=15).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    browser.post(stack.url + "/masuk", timeout=15, allow_redirects=False, data={
        "identifier": account["sent"]["phone"], "password": account["sent"]["password"], "csrf": csrf})
    token = browser.cookies.get("pd_at")
    assert token and at_gateway(stack, token).status_code == 200
    page = browser.get(stack.url + "/", timeout=15).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert browser.post(stack.url + "/keluar", data={"csrf": csrf}, timeout=15,
                        allow_redirects=False).status_code == 303
    assert_revoked(at_gateway(stack, token))
