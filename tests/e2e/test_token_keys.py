"""Production signing: with an Ed25519 key pair only the gateway can sign access tokens and every service verifies
them with the public key alone, so a service that is broken into cannot make itself an admin token. And no
process starts in production on the development secret."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pasar import config
from pasar.auth import Identity, issue_access_token
from tests.support.infra import wait_until
from tests.support.phones import prove_phone
from tests.support.stack import BIN, Stack


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(sub: str, role: str = "seller") -> dict:
    now = int(time.time())
    return {"sub": sub, "role": role, "name": "Penyusup", "iat": now, "nbf": now, "exp": now + 600,
            "iss": "pasar-desa", "aud": "pasar-desa-api", "typ": "access", "jti": uuid.uuid4().hex}


def hs256_by_hand(payload: dict, key: bytes) -> str:
    """The classic algorithm-confusion forgery: HMAC with the (public) verification key as the secret.
    Built by hand because PyJWT itself refuses to use a PEM key as an HMAC secret."""
    signing_input = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + _b64(json.dumps(payload).encode())
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    subprocess.run([str(BIN / "pasar"), "make-keys", "--dir", str(folder)], check=True, capture_output=True)
    assert oct((folder / "jwt_private.pem").stat().st_mode)[-3:] == "600"
    return folder


@pytest.fixture(scope="module")
def signed_stack(keys):
    stack = Stack(extra_env={"JWT_PUBLIC_KEY_FILE": str(keys / "jwt_public.pem"),
                             "JWT_PRIVATE_KEY_FILE": str(keys / "jwt_private.pem")})
    stack.start()
    # the catalog runs with the public key only, as in docker-compose.yml
    stack.stop_process("catalog")
    full_env = stack.env
    stack.env = {k: v for k, v in full_env.items() if k != "JWT_PRIVATE_KEY_FILE"}
    stack.start_process("catalog", ["web", "catalog"])
    stack.env = full_env
    wait_until(stack.healthy, timeout=30, interval=0.2, message="catalog back with the public key only")
    yield stack
    stack.stop()


def test_the_gateway_signs_with_eddsa_and_a_service_verifies_with_the_public_key_alone(signed_stack):
    phone = "0812" + str(uuid.uuid4().int)[:8]
    resp = requests.post(signed_stack.url + "/api/v1/auth/register", timeout=15, json={
        "name": "Bu Sari", "phone": phone, "password": "rahasia-desa-1", "role": "seller", "district": "Bendo"})
    assert resp.status_code == 201, resp.text
    token = prove_phone(signed_stack, resp.json())["access_token"]  # a seller sells once the phone is proven
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    shop = {"name": "Anyaman Bu Sari", "village": "Bendo", "district": "Bendo", "regency": "Blitar"}
    direct = requests.post(signed_stack.service_url("catalog") + "/api/v1/shops", json=shop, timeout=15,
                           headers={"Authorization": f"Bearer {token}"})
    assert direct.status_code == 201, direct.text
    mine = requests.get(signed_stack.url + "/api/v1/shops?mine=true", timeout=15,
                        headers={"Authorization": f"Bearer {token}"})
    assert [s["name"] for s in mine.json()["items"]] == ["Anyaman Bu Sari"]


def test_tokens_not_signed_by_the_gateways_private_key_are_refused_everywhere(signed_stack, keys):
    public_pem = (keys / "jwt_public.pem").read_bytes()
    stranger = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    forged = {
        "hmac with the public key": hs256_by_hand(claims("admin-" + uuid.uuid4().hex[:6], "admin"), public_pem),
        "the development secret": jwt.encode(claims("seller-x"), config.DEV_JWT_SECRET, algorithm="HS256"),
        "another key pair": jwt.encode(claims("seller-y"), stranger, algorithm="EdDSA"),
        "no signature": jwt.encode(claims("seller-z"), None, algorithm="none"),
    }
    doors = [signed_stack.url + "/api/v1/shops?mine=true", signed_stack.url + "/api/v1/auth/me",
             signed_stack.service_url("catalog") + "/api/v1/shops?mine=true",
             signed_stack.service_url("orders") + "/api/v1/orders"]
    for what, token in forged.items():
        for url in doors:
            resp = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=15)
            assert resp.status_code == 401, (what, url, resp.text)
            assert resp.json()["error"]["code"] == "invalid_token", (what, url)


def test_a_process_with_only_the_public_key_cannot_sign(keys, monkeypatch):
    monkeypatch.setenv("JWT_PUBLIC_KEY_FILE", str(keys / "jwt_public.pem"))
    monkeypatch.delenv("JWT_PRIVATE_KEY_FILE", raising=False)
    monkeypatch.delenv("JWT_PRIVATE_KEY", raising=False)
    with pytest.raises(RuntimeError, match="no key to sign"):
        issue_access_token(Identity(user_id="admin-1", role="admin"))


@pytest.mark.parametrize("command", [["worker", "catalog"], ["web", "orders"]])
def test_production_refuses_to_start_on_the_development_secret(command, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWT_")}
    env.update({"PASAR_ENV": "production", "PASAR_VAR_DIR": str(tmp_path)})
    result = subprocess.run([str(BIN / "pasar"), *command], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "PASAR_ENV=production needs JWT keys" in result.stderr
