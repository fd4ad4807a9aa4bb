"""Hypothesis fuzz of the kernel's input guards (pasar/limits.py, the unstorable-text guard in pasar/web.py) and
the text policy (pasar/text.py): whatever bytes arrive, an app built on the kernel answers 2xx or a 4xx with
the one JSON error body, never a 500; the text policy never lets a refused character through."""
from __future__ import annotations

import json
import unicodedata

import pytest
from flask import request
from flask_smorest import Blueprint
from hypothesis import HealthCheck, example, given, settings, strategies as st
from marshmallow import Schema

from pasar import limits, text
from pasar.web import create_service_app

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)


class EchoIn(Schema):
    class Meta:
        unknown = "include"
    name = text.Name(1, 120)
    note = text.FreeText(0, 500)


@pytest.fixture(scope="module")
def client():
    blp = Blueprint("echo", __name__, url_prefix="/echo")

    @blp.route("", methods=["POST"])
    @blp.arguments(EchoIn)
    def echo(data):
        return {"keys": sorted(map(str, data)), "offset": request.args.get("offset", type=int)}

    app = create_service_app("fuzz", None, [blp], title="fuzz", publish=False)
    return app.test_client()


def assert_clear_answer(resp):
    assert resp.status_code < 500, resp.get_data(as_text=True)[:300]
    if resp.status_code >= 400:
        error = resp.get_json()["error"]
        assert set(error) == {"code", "message", "fields"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30)


@FUZZ
@given(body=st.binary(max_size=2000))
def test_any_bytes_as_a_json_body_get_a_clear_answer(client, body):
    assert_clear_answer(client.post("/echo", data=body, content_type="application/json"))


def nesting(value) -> int:
    """How many arrays/objects deep a JSON value goes (a scalar is 0, `[]` and `{}` are 1)."""
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    return 0


# The boundary, each side, explicitly: `depth` wrappers around {"name", "x": document} nest depth + 1 +
# nesting(document) levels. (The test once asserted 422 from `depth + 2 > 32`, which counted the document as
# one level: a scalar document 31 wrappers deep is exactly 32 levels, allowed, and answered 200 — a rare draw,
# so the test failed only now and then. The largest body this draws is a few tens of KB, far below 256 KB:
# 413 never came into it.)
@FUZZ
@example(document=None, depth=31, wrap="{")
@example(document=0, depth=31, wrap="[")
@example(document=[], depth=31, wrap="{")
@example(document={"k": "{[{["}, depth=30, wrap="{")
@example(document=2 ** 64, depth=0, wrap="[")  # within the depth limit, refused for the integer: not "too deep"
@given(document=json_values, depth=st.integers(0, 1200), wrap=st.sampled_from("[{"))
def test_any_json_document_however_deep_or_large_gets_a_clear_answer(client, document, depth, wrap):
    raw = json.dumps({"name": "Siti", "x": document})
    opener, closer = (("[", "]") if wrap == "[" else ('{"a":', "}"))
    raw = opener * depth + raw + closer * depth
    resp = client.post("/echo", data=raw, content_type="application/json")
    assert_clear_answer(resp)
    fields = resp.get_json()["error"]["fields"] if resp.status_code >= 400 else {}
    too_deep = depth_refusal(client)
    if depth + 1 + nesting(document) > limits.MAX_JSON_DEPTH:
        assert resp.status_code == 422 and fields == {"_": too_deep}, (depth, wrap, resp.get_json())
    else:  # within the limit: whatever else is said of it (the schema, an integer past 64 bits), never "too deep"
        assert fields.get("_") != too_deep, (depth, wrap, resp.get_json())


def depth_refusal(client) -> list[str]:
    """The depth refusal's field message, in whichever language the app answers."""
    over = limits.MAX_JSON_DEPTH + 1
    return client.post("/echo", data="[" * over + "]" * over, content_type="application/json").get_json()[
        "error"]["fields"]["_"]


def _within_64_bits(spelled: str) -> bool:
    digits = spelled.lstrip("-")
    return len(digits) <= 19 and limits.INT_MIN <= int(spelled) <= limits.INT_MAX


integer_spellings = (st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str)
                     | st.sampled_from([str(2 ** 63), str(-(2 ** 63) - 1), str(2 ** 63 - 1), str(-(2 ** 63))])
                     | st.builds(lambda sign, lead, n: sign + str(lead) + "7" * n,
                                 st.sampled_from(["", "-"]), st.integers(1, 9), st.integers(0, 6000)))


@FUZZ
@given(spelled=integer_spellings)
def test_integers_of_any_size_in_body_or_query_get_a_clear_answer(client, spelled):
    inside = _within_64_bits(spelled)
    body = client.post("/echo", data='{"name": "Siti", "n": %s}' % spelled, content_type="application/json")
    assert_clear_answer(body)
    assert (body.status_code == 200) == inside, (spelled[:40], body.get_json())
    query = client.post(f"/echo?offset={spelled}", json={"name": "Siti"})
    assert_clear_answer(query)
    assert (query.status_code == 200) == inside, (spelled[:40], query.get_json())


@FUZZ
@given(value=st.text(max_size=300))
def test_any_name_is_accepted_only_without_refused_characters(client, value):
    resp = client.post("/echo", json={"name": value})
    assert_clear_answer(resp)
    trimmed = text.trim(value)
    clean = 1 <= len(trimmed) <= 120 and all(
        unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"} for ch in trimmed)
    assert (resp.status_code == 200) == clean, (value, resp.get_json())


@FUZZ
@given(value=st.text(max_size=600))
def test_free_text_keeps_line_breaks_and_refuses_the_rest_of_the_invisible_set(value):
    problem = text.text_problem(value, max_length=500, free_text=True)
    refused = [ch for ch in text.trim(value) if ch not in "\n\r\t\u200d"
               and unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}]
    assert (problem is None) == (not refused and len(text.trim(value)) <= 500)


@pytest.mark.parametrize("name", ["Budi\u0085", "\ufeffBudi", "Budi\u202egnp.exe", "Bu\u200bdi", "Budi\u009b"])
def test_the_probes_names_are_refused_by_the_policy(name):
    assert text.text_problem(name, min_length=1, max_length=120) == text.NOT_ALLOWED


def test_limits_are_the_documented_ones():
    assert limits.INT_MAX == 9223372036854775807 and limits.MAX_JSON_DEPTH == 32
    assert text.STREET_MAX == 200 and text.PERSON_NAME_MAX == 120 and "STREET_MAX` = 200" in text.__doc__
