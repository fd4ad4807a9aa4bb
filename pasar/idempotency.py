"""`Idempotency-Key` for write routes: a client on a bad link may send the same request again without
the work being done twice. The first answer (2xx only) is kept per caller and key and given back as it was.

    @blp.route("", methods=["POST"])
    @idempotent                       # outermost under the route: it must see the final response
    @blp.arguments(ThingIn)
    @blp.response(201, ThingOut)
    @require_roles("seller")
    def create_thing(data): ...

The service's models call `idempotency_table(Base.metadata)` and a migration calls
`create_idempotency_table(op)`. The key is claimed in its own short transaction before the view runs, so
unlike a claim made inside the business transaction (checkout does that) a process that dies between the
view's commit and storing its answer leaves a claim that is taken over after `STALE_AFTER`, and the work
can then run twice. That window is small and the alternative is every view knowing about keys."""
from __future__ import annotations

import functools
import hashlib
import logging
from copy import deepcopy
from datetime import datetime, timedelta, timezone

from flask import current_app, jsonify, request
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, select, update
from sqlalchemy.exc import IntegrityError

from .auth import current_identity
from .stamps import UtcDateTime, utcnow
from .errors import ApiError, error_body
from .web import ErrorOut, ctx

log = logging.getLogger("pasar.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TABLE = "idempotent_requests"
MAX_KEY_LENGTH = 128
# Longer than any request should take (the gateway gives up after 15 s), short enough that a retry after
# a crash is not refused for long.
STALE_AFTER = timedelta(seconds=60)

# A retry comes within minutes; a day (as Stripe keeps keys) covers a phone that was off overnight.
KEEP_ANSWERS = timedelta(hours=24)
PRUNE_EVERY_SECONDS = 3600

KEY_PARAMETER = {
    "in": "header", "name": HEADER, "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": "Any unique string (a UUID) per intended action. Sending the same request again with the "
                   "same key returns the first answer (header `Idempotent-Replayed: true`) instead of doing "
                   "it twice; the same key with a different request is 409 `idempotency_key_reused`, and "
                   "while the first is still running 409 `idempotency_key_busy` (retry after `Retry-After`).",
}


def _columns() -> list[Column]:
    return [
        Column("caller_id", String(64), primary_key=True),  # keys are per caller: two users may pick "1"
        Column("key", String(MAX_KEY_LENGTH), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status", Integer, nullable=True),  # null: claimed, the view is still running
        Column("content_type", String(200), nullable=True),
        Column("body", Text, nullable=True),
        Column("created_at", UtcDateTime(), nullable=False),  # also the claim's token, see _owned
    ]


def idempotency_table(metadata: MetaData) -> Table:
    """The table on a service's own metadata (one definition, every service)."""
    table = metadata.tables.get(TABLE)
    return table if table is not None else Table(TABLE, metadata, *_columns())


def prune(db, keep: timedelta = KEEP_ANSWERS) -> None:
    """Forget answers older than `keep`: run by the worker of every app that has the table."""
    table = db.metadata.tables[TABLE]
    with db.WriteSession() as session:
        session.execute(delete(table).where(table.c.created_at < utcnow() - keep))
        session.commit()


def periodic_jobs(metadata: MetaData) -> list:
    return [(PRUNE_EVERY_SECONDS, prune)] if TABLE in metadata.tables else []


def create_idempotency_table(op) -> None:
    op.create_table(TABLE, *_columns())


def drop_idempotency_table(op) -> None:
    op.drop_table(TABLE)


def idempotency_key() -> str | None:
    """The request's key, or None without the header; 422 for one no table could hold."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        message = f"must be 1 to {MAX_KEY_LENGTH} characters, without control characters"
        raise ApiError(422, f"{HEADER} {message}", fields={HEADER: [message]})
    return key


def required_idempotency_key() -> str:
    """The request's key where a write must carry one (a message, a payout, a cash hand-over: a resend after a
    lost answer must not record it twice); 422 `idempotency_key_required` without it."""
    key = idempotency_key()
    if key is None:
        raise ApiError(422, "an Idempotency-Key header is required (a new UUID for each write)",
                       "idempotency_key_required", {HEADER: ["required"]})
    return key


def request_hash() -> str:
    """What makes two requests "the same": method, path (and query), and the body.

    A multipart body is hashed by its parts, not its bytes: every client picks a new random boundary
    each time it sends, so a faithful retry of a photo upload never has the same bytes."""
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b"\n" + request.path.encode("utf-8", "surrogatepass"))
    if request.query_string:
        digest.update(b"?" + request.query_string)
    digest.update(b"\n")
    if request.mimetype == "multipart/form-data":
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"form:{name}={value}\n".encode("utf-8", "surrogatepass"))
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: (item[0], item[1].filename or "")):
            content = upload.stream.read()
            upload.stream.seek(0)  # the view reads it again
            digest.update(f"file:{name}:{upload.filename}:".encode("utf-8", "surrogatepass"))
            digest.update(hashlib.sha256(content).digest() + b"\n")
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _table():
    db = ctx().db
    table = db.metadata.tables.get(TABLE)
    if table is None:  # failing here beats a "no such table" deep inside a request
        raise RuntimeError(f"{db.service}: call pasar.idempotency.idempotency_table(Base.metadata) in models.py "
                           f"and add a migration with create_idempotency_table(op)")
    return db, table


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # SQLite gives naive UTC back


def _owned(table, caller: str, key: str, token: datetime):
    # Only the claim this request made (or took over): a request that outlived STALE_AFTER must not
    # overwrite or delete the claim of the one that took over from it.
    return (table.c.caller_id == caller, table.c.key == key, table.c.status.is_(None), table.c.created_at == token)


def _replay(row) -> object:
    response = current_app.response_class(row["body"], status=row["status"], content_type=row["content_type"])
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _busy():
    response = jsonify(error_body(409, "a request with this Idempotency-Key is still being handled; retry in a "
                                       "moment", "idempotency_key_busy"))
    response.status_code = 409
    response.headers["Retry-After"] = "1"
    return response


def _claim(db, table, caller: str, key: str, fingerprint: str):
    """(token, None): the claim is ours, run the view. (None, answer): give that back instead (the stored
    answer, or busy). A key used for another request raises 409."""
    for _attempt in range(3):  # a claim can vanish (released) or be taken over between two looks
        now = utcnow()
        try:
            with db.WriteSession() as session, session.begin():
                session.execute(table.insert().values(caller_id=caller, key=key, request_hash=fingerprint,
                                                      status=None, created_at=now))
            return now, None
        except IntegrityError:
            pass
        with db.Session() as session:
            row = session.execute(select(table).where(table.c.caller_id == caller, table.c.key == key)).first()
        if row is None:
            continue
        row = row._mapping
        if row["request_hash"] != fingerprint:
            raise ApiError(409, "this Idempotency-Key was already used for a different request",
                           "idempotency_key_reused")
        if row["status"] is not None:
            return None, _replay(row)
        if now - _aware(row["created_at"]) <= STALE_AFTER:
            return None, _busy()
        # the request holding it died without answering: this retry takes its place
        with db.WriteSession() as session, session.begin():
            taken = session.execute(update(table).where(*_owned(table, caller, key, row["created_at"]))
                                    .values(created_at=now)).rowcount
        if taken:
            return now, None
    return None, _busy()


def _release(db, table, caller: str, key: str, token: datetime) -> None:
    try:
        with db.WriteSession() as session, session.begin():
            session.execute(delete(table).where(*_owned(table, caller, key, token)))
    except Exception:  # the view's own outcome matters more; a leftover claim goes stale and is taken over
        log.exception("could not release an idempotency claim")


def _store(db, table, caller: str, key: str, token: datetime, response) -> None:
    body = response.get_data()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:  # a Text column keeps text; such an answer is simply not replayable
        log.warning("answer is not UTF-8 text; Idempotency-Key released", extra={"path": request.path})
        _release(db, table, caller, key, token)
        return
    with db.WriteSession() as session, session.begin():
        session.execute(update(table).where(*_owned(table, caller, key, token)).values(
            status=response.status_code, content_type=response.content_type, body=text))


def _document(apidoc: dict) -> dict:
    """The header and the answers it adds, merged into whatever the inner decorators documented."""
    apidoc = deepcopy(apidoc)
    manual = apidoc.get("manual_doc", {})
    # flask-smorest lets manual_doc["parameters"] replace the generated list, so join whichever one wins
    target = manual["parameters"] if "parameters" in manual else \
        apidoc.setdefault("arguments", {}).setdefault("parameters", [])
    if not any(isinstance(p, dict) and p.get("in") == "header" and p.get("name") == HEADER for p in target):
        target.append(dict(KEY_PARAMETER))
    responses = apidoc.setdefault("response", {}).setdefault("responses", {})
    already = {str(code) for code in (*responses, *apidoc.get("arguments", {}).get("responses", {}))}
    for code, text in ((409, "the Idempotency-Key was used for a different request, or is still in use"),
                       (422, "some input is not valid (also an Idempotency-Key that is empty or too long)")):
        if str(code) not in already:
            responses[code] = [{"schema": ErrorOut(), "description": text, "content_type": None}]
    return apidoc


def idempotent(view):
    """Honour an optional Idempotency-Key on this route (see the module docstring)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if HEADER not in request.headers:
            return view(*args, **kwargs)
        caller = current_identity().user_id  # keys are per caller, so the caller must be known first
        key = idempotency_key()
        fingerprint = request_hash()
        db, table = _table()
        token, answer = _claim(db, table, caller, key, fingerprint)
        if answer is not None:
            return answer
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            _release(db, table, caller, key, token)  # nothing was answered: a corrected retry may use the key
            raise
        if 200 <= response.status_code < 300:
            try:
                _store(db, table, caller, key, token, response)
            except Exception:  # the work is done and committed: answering 500 now would invite a retry
                log.exception("could not store an idempotent answer; the claim goes stale and may be taken over")
        else:
            _release(db, table, caller, key, token)
        return response

    wrapper._apidoc = _document(getattr(view, "_apidoc", {}))
    return wrapper
