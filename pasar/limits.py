"""The kernel's limits on what a request may carry, checked before any view runs, for every app.

Why here and not in each schema: a number past 64 bits reaches SQLite/PostgreSQL as an overflow, a JSON
document nested a thousand deep blows Python's recursion limit in whichever parser or walker meets it first,
and a 5,000-digit number trips Python's integer-conversion limit. Each of those was a 500 somewhere. One
check at the door, for every app, answers them all with the same 4xx a wrong field gets:

- integers (query values, the `Last-Event-ID` header, JSON numbers) must fit a signed 64-bit column;
- JSON may nest at most `MAX_JSON_DEPTH` levels; a body that is not JSON at all is 400.
"""
from __future__ import annotations

import json
import re

from flask import jsonify, request

from .errors import error_body

INT_MIN, INT_MAX = -(2 ** 63), 2 ** 63 - 1
MAX_JSON_DEPTH = 32          # the deepest real body (an order: items → line → field) is 4
MAX_INTEGER_DIGITS = 19      # len(str(2**63 - 1))
INTEGER_HEADERS = ("Last-Event-ID",)
_INTEGER = re.compile(r"[+-]?\d+")
OUT_OF_RANGE = f"must be an integer between {INT_MIN} and {INT_MAX}"
TOO_DEEP = f"JSON may nest at most {MAX_JSON_DEPTH} levels"


def integer_text_out_of_range(text: str) -> bool:
    """`text` spells an integer (what a query value or header would be parsed to) outside 64 bits."""
    text = text.strip()
    if not _INTEGER.fullmatch(text):
        return False
    digits = text.lstrip("+-").lstrip("0")
    return len(digits) > MAX_INTEGER_DIGITS or not INT_MIN <= int(text) <= INT_MAX


class BodyProblem(ValueError):
    def __init__(self, status: int, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields or {}


def _parse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _bounded_int(text: str) -> int:
    """json's hook for every integer literal: refuse it before Python converts a 5,000-digit number."""
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS or not INT_MIN <= int(text) <= INT_MAX:
        raise _IntegerOutOfRange(text)
    return int(text)


class _IntegerOutOfRange(ValueError):
    pass


def _depth_problem(raw: str) -> bool:
    """Deeper than MAX_JSON_DEPTH, counted on the text (brackets outside strings) so no parser recurses first."""
    if raw.count("[") + raw.count("{") <= MAX_JSON_DEPTH:
        return False
    depth, in_string, escaped = 0, False, False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def check_json_body(raw: bytes):
    """Parse a JSON body within the limits; raise BodyProblem (400 not JSON, 422 a number out of range or
    too deep) or return the document."""
    try:
        text = raw.decode("utf-8-sig") if raw[:3] == b"\xef\xbb\xbf" else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyProblem(400, "the body is not valid UTF-8 JSON") from exc
    if _depth_problem(text):
        raise BodyProblem(422, "some fields are not valid", {"_": [TOO_DEEP]})
    try:
        return json.loads(text, parse_int=_bounded_int, parse_constant=_parse_constant)
    except _IntegerOutOfRange:
        raise BodyProblem(422, "some fields are not valid", {"_": [OUT_OF_RANGE]}) from None
    except (ValueError, RecursionError) as exc:
        raise BodyProblem(400, "the body is not valid JSON") from exc


def _refusal(status: int, message: str, fields: dict | None = None):
    return jsonify(error_body(status, message, fields=fields)), status


def refuse_out_of_range_input():
    """before_request for every app: query integers, integer headers, JSON depth and numbers."""
    bad = sorted({name for name, value in request.args.items(multi=True) if integer_text_out_of_range(value)})
    bad += [name for name in INTEGER_HEADERS if integer_text_out_of_range(request.headers.get(name, ""))]
    if bad:
        return _refusal(422, "some fields are not valid", {name: [OUT_OF_RANGE] for name in bad})
    if request.content_length == 0 or not request.is_json:
        return None
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        check_json_body(raw)
    except BodyProblem as problem:
        return _refusal(problem.status, problem.message, problem.fields)
    return None
