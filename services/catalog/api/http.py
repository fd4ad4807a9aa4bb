"""What every catalog blueprint shares on the HTTP side: caching of reads, refusing impossible ids, the
acting person, the photo upload and fast JSON for the hot public reads."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

from flask import current_app, request

from pasar.auth import bearer_token, current_identity
from pasar import quantity
from pasar.errors import not_found

from .. import media
from ..domain import Actor

BEARER = [{"bearerAuth": []}]
PUBLIC_MAX_AGE = 30  # seconds a browser or proxy may reuse a public read without asking
MAX_PATH_ID = 250  # ids are 36 characters, media keys at most 200


def conditional_get(response):
    """ETag on every successful read, 304 when the client already has it. Anonymous reads are public
    for a short while; reads with a token may differ per person, so they are private and revalidated."""
    if request.method != "GET" or response.status_code != 200 or response.direct_passthrough:
        return response
    if bearer_token() is None:
        response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Authorization")
    response.add_etag()
    return response.make_conditional(request)


def refuse_impossible_ids():
    """An id in the path longer than any key is simply not found, before it reaches the database (a NUL is
    refused for every app by the kernel's `refuse_unstorable_text`)."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and len(value) > MAX_PATH_ID:
            raise not_found()


def _json_default(value):
    if isinstance(value, datetime):  # SQLite hands back naive UTC datetimes
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, Decimal):  # a quantity: an int when whole, else a decimal string ("1.5")
        return quantity.wire(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def plain_json(payload):
    """Hot public reads: the views are already plain dicts shaped like their documented schema, and
    dumping 20 listings through marshmallow again cost about a third of a page's time."""
    body = json.dumps(payload, ensure_ascii=False, default=_json_default, separators=(",", ":"))
    return current_app.response_class(body, mimetype="application/json")


def actor() -> Actor:
    ident = current_identity()
    return Actor(ident.user_id, ident.role)


def optional_actor() -> Actor | None:
    ident = current_identity(optional=True)
    return Actor(ident.user_id, ident.role) if ident else None


def actor_name() -> str:
    return current_identity().name


def uploaded_photo() -> bytes:
    """The `photo` part, read to one byte past the limit so the use case can tell "too large" apart."""
    upload = request.files.get("photo")
    return upload.read(media.max_photo_bytes() + 1) if upload else b""
