"""Accounts through the gateway: sign up and log in by phone or email, tokens that rotate and can be
revoked, the profile, and the account events other services rely on."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pika
import pytest
import requests

from tests.support.infra import wait_until
from tests.support.stack import BIN


def unique_phone() -> str:
    return "0857" + str(uuid.uuid4().int)[:8]


def register(stack, **extra):
    body = {"name": "Siti", "phone": unique_phone(), "password": "rahasia-123", **extra}
    resp = requests.post(stack.url + "/api/v1/auth/register", json=body, timeout=10)
    return resp.status_code, resp.json(), body


@pytest.fixture
def account_events(stack):
    """A private queue on the stack's exchange that sees every account.* event."""
    conn = pika.BlockingConnection(pika.URLParameters(stack.broker.amqp_url))
    channel = conn.channel()
    queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
    channel.queue_bind(queue, stack.broker.exchange, routing_key="account.*")

    def received(event_type: str, user_id: str):
        def seen():
            while True:
                method, _, body = channel.basic_get(queue, auto_ack=True)
                if method is None:
                    return None
                envelope = json.loads(body)
                if envelope["type"] == event_type and envelope["data"]["user_id"] == user_id:
                    return envelope
        return wait_until(seen, timeout=10, message=f"{event_type} for {user_id}")
    yield received
    conn.close()


def test_sign_up_by_phone_logs_in_with_any_spelling_and_publishes_the_account(stack, account_events):
    local = "0857" + str(uuid.uuid4().int)[:8]  # 0857xxxxxxxx
    status, body, _ = register(stack, phone=local, role="courier", district="Sanankulon", locale="en")
    assert status == 201, body
    e164 = "+62" + local[1:]
    assert body["account"]["phone"] == e164 and body["account"]["role"] == "courier"
    event = account_events("account.registered", body["account"]["id"])
    assert event["data"]["phone"] == e164 and event["data"]["district"] == "Sanankulon"
    assert event["data"]["locale"] == "en" and "whatsapp" in event["data"]["channels"]
    for spelling in (local, "62" + local[1:], "+62 " + local[1:4] + "-" + local[4:], local[1:]):
        resp = requests.post(stack.url + "/api/v1/auth/login", json={"identifier": spelling, "password": "rahasia-123"},
                             timeout=10)
        assert resp.status_code == 200, (spelling, resp.text)
        me = requests.get(stack.url + "/api/v1/auth/me", timeout=10,
                          headers={"Authorization": "Bearer " + resp.json()["access_token"]})
        assert me.json()["id"] == body["account"]["id"]


def test_sign_up_by_email_and_duplicate_contact_is_a_conflict(stack):
    email = f"Sari.{uuid.uuid4().hex[:8]}@Example.id"
    status, body, _ = register(stack, phone=None, email=email)
    assert status == 201, body
    assert body["account"]["email"] == email.lower() and body["account"]["channels"] == ["inapp", "email"]
    status, again, _ = register(stack, phone=None, email=email.upper())
    # without Accept-Language the answer is in Bahasa Indonesia (issue 18): "already registered"
    assert status == 409 and again["error"]["fields"] == {"email": ["sudah terdaftar"]}


def test_public_sign_up_cannot_make_an_admin_or_a_weak_password(stack):
    status, body, _ = register(stack, role="admin", password="short")
    assert status == 422
    assert set(body["error"]["fields"]) == {"role", "password"}


def test_wrong_password_and_unknown_account_look_the_same(stack):
    _, _, sent = register(stack)
    wrong = requests.post(stack.url + "/api/v1/auth/login", timeout=10,
                          json={"identifier": sent["phone"], "password": "not-the-password"})
    unknown = requests.post(stack.url + "/api/v1/auth/login", timeout=10,
                            json={"identifier": unique_phone(), "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def spent_a_minute_ago(stack, refresh_token: str) -> None:
    """The thief comes back later than any simultaneous request of the owner could: past the reuse grace."""
    from gateway import domain
    with sqlite3.connect(stack.var / "gateway.db") as db:
        db.execute("UPDATE refresh_tokens SET rotated_at = datetime('now', '-60 seconds') WHERE token_hash = ?",
                   (domain.hash_refresh_secret(refresh_token),))


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_whole_login(stack):
    _, first, _ = register(stack)
    r1 = requests.post(stack.url + "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}, timeout=10)
    assert r1.status_code == 200 and r1.json()["refresh_token"] != first["refresh_token"]
    spent_a_minute_ago(stack, first["refresh_token"])
    stolen = requests.post(stack.url + "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]},
                           timeout=10)
    assert stolen.status_code == 401 and stolen.json()["error"]["code"] == "invalid_refresh_token"
    # the legitimate holder's newer token dies too: someone else had a copy
    r2 = requests.post(stack.url + "/api/v1/auth/refresh", json={"refresh_token": r1.json()["refresh_token"]},
                       timeout=10)
    assert r2.status_code == 401


def test_a_page_and_its_live_feed_refreshing_at_once_keep_the_person_signed_in(stack):
    _, pair, _ = register(stack)
    barrier = threading.Barrier(3)

    def refresh():
        barrier.wait(timeout=10)
        return requests.post(stack.url + "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]},
                             timeout=10)
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: refresh(), range(3)))
    assert [a.status_code for a in answers] == [200, 200, 200]
    for answer in answers:  # every tab's new pair works
        me = requests.get(stack.url + "/api/v1/auth/me", timeout=10,
                          headers={"Authorization": f"Bearer {answer.json()['access_token']}"})
        assert me.status_code == 200
        again = requests.post(stack.url + "/api/v1/auth/refresh", timeout=10,
                              json={"refresh_token": answer.json()["refresh_token"]})
        assert again.status_code == 200


def test_logout_revokes_the_refresh_token(stack):
    _, pair, _ = register(stack)
    out = requests.post(stack.url + "/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}, timeout=10)
    assert out.status_code == 204
    after = requests.post(stack.url + "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}, timeout=10)
    assert after.status_code == 401


def test_profile_change_is_saved_and_published(stack, account_events):
    _, pair, _ = register(stack)
    auth = {"Authorization": "Bearer " + pair["access_token"]}
    resp = requests.patch(stack.url + "/api/v1/auth/me", headers=auth, timeout=10,
                          json={"locale": "en", "district": "Kademangan", "channels": ["inapp"], "name": "Siti R."})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["locale"], resp.json()["district"], resp.json()["channels"]) == ("en", "Kademangan", ["inapp"])
    event = account_events("account.updated", pair["account"]["id"])
    assert event["data"]["name"] == "Siti R." and event["data"]["channels"] == ["inapp"]
    bad = requests.patch(stack.url + "/api/v1/auth/me", headers=auth, json={"channels": ["email"]}, timeout=10)
    assert bad.status_code == 422 and "channels" in bad.json()["error"]["fields"]
    role = requests.patch(stack.url + "/api/v1/auth/me", headers=auth, json={"role": "admin"}, timeout=10)
    assert role.status_code == 422
    assert requests.get(stack.url + "/api/v1/auth/me", headers=auth, timeout=10).json()["role"] == "shopper"


def test_changing_password_ends_other_logins(stack):
    _, pair, sent = register(stack)
    other = requests.post(stack.url + "/api/v1/auth/login", timeout=10,
                          json={"identifier": sent["phone"], "password": sent["password"]}).json()
    auth = {"Authorization": "Bearer " + pair["access_token"]}
    wrong = requests.post(stack.url + "/api/v1/auth/password", headers=auth, timeout=10,
                          json={"current_password": "nope-nope", "new_password": "baru-rahasia-456"})
    assert wrong.status_code == 403
    ok = requests.post(stack.url + "/api/v1/auth/password", headers=auth, timeout=10,
                       json={"current_password": sent["password"], "new_password": "baru-rahasia-456"})
    assert ok.status_code == 200
    assert requests.post(stack.url + "/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]},
                         timeout=10).status_code == 401
    assert requests.post(stack.url + "/api/v1/auth/refresh", json={"refresh_token": ok.json()["refresh_token"]},
                         timeout=10).status_code == 200
    assert requests.post(stack.url + "/api/v1/auth/login", timeout=10, json={
        "identifier": sent["phone"], "password": "baru-rahasia-456"}).status_code == 200


def test_an_admin_is_made_only_by_the_operator_command(stack, account_events):
    email = f"operator.{uuid.uuid4().hex[:8]}@pasardesa.id"
    command = [str(BIN / "pasar"), "gateway", "create-admin", "--name", "Operator", "--email", email]
    env = {**stack.env, "ADMIN_PASSWORD": "operator-rahasia-1"}
    made = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    login = requests.post(stack.url + "/api/v1/auth/login", timeout=10,
                          json={"identifier": email.upper(), "password": "operator-rahasia-1"})
    assert login.status_code == 200 and login.json()["account"]["role"] == "admin"
    assert account_events("account.registered", login.json()["account"]["id"])["data"]["role"] == "admin"
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "already registered" in again.stderr
    # and an admin cannot make themself a different role, nor anyone become admin through the profile
    auth = {"Authorization": "Bearer " + login.json()["access_token"]}
    assert requests.patch(stack.url + "/api/v1/auth/me", headers=auth, json={"role": "shopper"},
                          timeout=10).status_code == 422
