"""gunicorn settings every web process runs with (`pasar web`: `-c python:pasar.gunicorn_conf`).

Two answers never reach Flask, so two small adjustments to gunicorn itself, made when this file is loaded:
- gunicorn's own refusals (414 URI too long, 431 header fields too large, 400 malformed request, its 500) are
  written by `gunicorn.util.write_error` as an HTML page; here they get the one JSON error body every app
  answers with ({"error": {"code", "message", "fields"}}).
- gunicorn drops an application's `Connection` header (hop-by-hop) and answers `keep-alive`. When an app
  refuses a body without reading it (the gateway's 413) it says `Connection: close` so the unread bytes are
  never parsed as the next request: gunicorn now honours that and closes, telling the client so.
"""
from __future__ import annotations

import json

from gunicorn import util
from gunicorn.http import wsgi

from pasar.errors import error_body

# gunicorn's request limits (its defaults, written down): past them it answers 414 / 431 / 400 itself
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

_MESSAGES = {400: "the request is malformed", 414: "the address (request line) is too long",
             431: "the request's header fields are too large", 500: "something went wrong on our side"}


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    message = _MESSAGES.get(status_int, reason.lower())
    body = json.dumps(error_body(status_int, f"{message}: {mesg}" if mesg else message)).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + body)


util.write_error = write_json_error

_process_headers = wsgi.Response.process_headers


def _process_headers_honouring_close(self, headers):
    _process_headers(self, headers)
    if any(name.lower() == "connection" and "close" in str(value).lower() for name, value in headers):
        self.force_close()


wsgi.Response.process_headers = _process_headers_honouring_close
