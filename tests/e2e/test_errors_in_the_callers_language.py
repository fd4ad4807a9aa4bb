"""Every error of every service, in Indonesian with `Accept-Language: id` and in English with `en`: a test
generated from the gateway's merged OpenAPI document. For each operation it sends what a careless client
would (unknown ids in the path, a body with wrong types and missing fields, no token, a bad token) through
the gateway, once per language, and checks that the two answers are the same error, the English one in
the code's words and the Indonesian one its translation from the catalog (message and every field message).
With neither header nor a token's locale the answer is Indonesian; a token's locale counts without a header."""
from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from pasar import i18n
from tests.support.stack import Stack

UNKNOWN = "no-such-" + uuid.uuid4().hex[:8]
# said the same in both languages (a header's name and a limit, or a provider's own words)
SAME_IN_BOTH = re.compile(r"^(Idempotency-Key|[A-Z_]+ )|^(smtp|whatsapp): ")


@pytest.fixture(scope="module")
def polyglot_stack():
    with Stack(extra_env={"RATELIMIT_API": "1000000/minute", "RATELIMIT_REGISTER": "100000/minute",
                          "RATELIMIT_LOGIN": "100000/minute", "RATELIMIT_LOGIN_PER_IP": "100000/minute",
                          "RATELIMIT_CODES_PER_IP": "100000/hour"}) as stack:
        yield stack


def _wrong(schema: dict, spec: dict):
    """A value of the wrong type for a property's schema."""
    if "$ref" in schema:
        schema = _resolve(spec, schema["$ref"])
    kind = schema.get("type")
    return {"string": 12345, "integer": "lots", "number": "lots", "boolean": "maybe", "array": "one",
            "object": ["not", "an", "object"]}.get(kind, [])


def _resolve(spec: dict, ref: str) -> dict:
    node = spec
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def _bodies(operation: dict, spec: dict):
    """Invalid bodies: an empty one (every required field missing) and one with every field the wrong type."""
    content = (operation.get("requestBody") or {}).get("content") or {}
    if "application/json" in content:
        schema = content["application/json"].get("schema") or {}
        if "$ref" in schema:
            schema = _resolve(spec, schema["$ref"])
        properties = schema.get("properties") or {}
        yield "json", {}
        if properties:
            yield "json", {name: _wrong(prop, spec) for name, prop in properties.items()} | {"surprise": 1}
    elif "multipart/form-data" in content:
        yield "multipart", None
    else:
        yield None, None


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        if path.startswith("/api/v1/webhooks/"):
            continue  # authenticated by the provider's signature, answered 503 while not configured
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def _english_and_indonesian(en: dict, id_: dict, where: str, problems: list[str]) -> None:
    """`id_` is the catalog's Indonesian of `en`, and a translation really happened."""
    if isinstance(en, dict):
        if set(en) != set(id_):
            problems.append(f"{where}: different fields {sorted(en)} / {sorted(id_)}")
            return
        for key in en:
            _english_and_indonesian(en[key], id_[key], f"{where}.{key}", problems)
    elif isinstance(en, list):
        for n, (a, b) in enumerate(zip(en, id_)):
            _english_and_indonesian(a, b, f"{where}[{n}]", problems)
    elif isinstance(en, str):
        if i18n.translate(en, "id") != id_:
            problems.append(f"{where}: Indonesian {id_!r} is not the catalog's for English {en!r}")
        elif id_ == en and not SAME_IN_BOTH.search(en):
            problems.append(f"{where}: not translated: {en!r}")
        elif i18n.translate(en, "en") != en:
            problems.append(f"{where}: English answer {en!r} is not in the code's words")


_sessions = threading.local()


def _send(stack, method, path, token, kind, body, language):
    headers = {"Accept-Language": language} if language else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    kw = {"json": body} if kind == "json" else {"files": {"nothing": ("x.txt", b"")}} if kind == "multipart" else {}
    if not hasattr(_sessions, "session"):  # one keep-alive connection per sending thread
        _sessions.session = requests.Session()
    resp = _sessions.session.request(method, stack.url + path, headers=headers, timeout=30, **kw)
    return resp.status_code, (resp.json() if resp.headers.get("Content-Type", "").startswith("application/json")
                              else None)


def test_every_error_of_every_service_in_indonesian_and_in_english(polyglot_stack):
    stack = polyglot_stack
    spec = requests.get(stack.url + "/api/v1/openapi.json", timeout=15).json()
    admin = stack.token("admin-" + uuid.uuid4().hex[:6], "admin")
    shopper = stack.token("shopper-" + uuid.uuid4().hex[:6], "shopper")
    problems: list[str] = []
    seen: dict[str, set] = {}
    compared = 0
    tries = []
    for path, method, operation in _operations(spec):
        concrete = re.sub(r"\{[^}]+\}", UNKNOWN, path)
        tries += [(path, method, concrete, admin, kind, body) for kind, body in _bodies(operation, spec)]
        if operation.get("security"):
            tries += [(path, method, concrete, token, None, None) for token in (None, "not-a-token", shopper)]

    def both_languages(attempt):
        path, method, concrete, token, kind, body = attempt
        return (_send(stack, method, concrete, token, kind, body, "en"),
                _send(stack, method, concrete, token, kind, body, "id"))

    # every answer is independent of the others (unknown ids, invalid bodies: nothing is written), so they are
    # asked a few at a time; the comparison below runs in the order of the document
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(both_languages, tries))
    for (path, method, _, token, kind, _), ((status_en, en), (status_id, id_)) in zip(tries, answers):
        who = {admin: "admin", shopper: "shopper"}.get(token, token or "no token")
        label = f"{method.upper()} {path} ({who}, {kind})"
        if status_en < 400 and status_id < 400:
            continue
        assert status_en == status_id, f"{label}: {status_en} in English, {status_id} in Indonesian"
        assert status_en < 500, f"{label}: {status_en} {en}"
        if not (isinstance(en, dict) and "error" in en):
            problems.append(f"{label}: no error body")
            continue
        assert en["error"]["code"] == id_["error"]["code"], label  # the code never changes
        _english_and_indonesian({"message": en["error"]["message"], "fields": en["error"]["fields"]},
                                {"message": id_["error"]["message"], "fields": id_["error"]["fields"]},
                                label, problems)
        seen.setdefault(path.split("/")[3], set()).add(en["error"]["code"])
        compared += 1
    assert not problems, f"{len(problems)} answers not in both languages:\n" + "\n".join(problems[:60])
    # every service's errors were met: the gateway's own (auth) and each service behind it
    for resource in ("auth", "products", "shops", "categories", "orders", "cart", "deliveries", "payments",
                     "payouts", "notifications"):
        assert resource in seen, f"no error met under /api/v1/{resource}: {sorted(seen)}"
    codes = set().union(*seen.values())
    assert {"validation_error", "not_found", "unauthorized", "invalid_token", "forbidden"} <= codes, codes
    assert compared >= 100, compared
    print(f"{compared} error answers compared in both languages; codes: {sorted(codes)}")


def test_without_a_header_indonesian_first_and_the_accounts_locale_counts(polyglot_stack):
    stack = polyglot_stack
    nobody = requests.get(f"{stack.url}/api/v1/products/{UNKNOWN}", timeout=10).json()
    assert nobody["error"] == {"code": "not_found", "message": "produk tidak ditemukan", "fields": {}}
    emma = {"Authorization": "Bearer " + stack.token("emma-" + uuid.uuid4().hex[:6], "shopper", locale="en")}
    mine = requests.get(f"{stack.url}/api/v1/orders/{UNKNOWN}", headers=emma, timeout=10).json()
    assert mine["error"]["message"] == "order not found"
    asked = requests.get(f"{stack.url}/api/v1/orders/{UNKNOWN}", timeout=10,
                         headers={**emma, "Accept-Language": "id-ID,id;q=0.9"}).json()
    assert asked["error"]["message"] == "pesanan tidak ditemukan"
    bad = requests.post(f"{stack.url}/api/v1/cart/lines", json={"qty": "lots"}, timeout=10,
                        headers={"Authorization": "Bearer " + stack.token("siti-1", "shopper")}).json()
    assert bad["error"]["fields"]["qty"] == ["Bukan angka yang sah."]  # a quantity may be 1.5 (kg): a number
    assert bad["error"]["fields"]["listing_id"] == ["Isian wajib ini belum diisi."]
