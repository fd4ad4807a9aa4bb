"""The one error shape every service answers with: {"error": {"code", "message", "fields"}}."""
from __future__ import annotations

CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 410: "gone", 412: "precondition_failed",
    413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type", 417: "expectation_failed",
    422: "validation_error", 431: "header_fields_too_large", 501: "not_implemented",
    429: "rate_limited", 500: "internal_error", 502: "bad_gateway", 503: "unavailable",
    504: "gateway_timeout",
}


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.fields = fields or {}


def error_body(status: int, message: str, code: str | None = None, fields: dict | None = None,
               locale: str | None = None) -> dict:
    """The body, its message and field messages in the caller's language (pasar.i18n: Accept-Language, the
    account's locale, else Bahasa Indonesia). The code stays as it is: clients and pages branch on it."""
    from .i18n import translate, translate_fields

    return {"error": {"code": code or CODES.get(status, "error"), "message": translate(message, locale),
                      "fields": translate_fields(fields or {}, locale)}}


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, f"{what} not found")


def forbidden(message: str = "you may not do this") -> ApiError:
    return ApiError(403, message)


def conflict(message: str, code: str = "conflict") -> ApiError:
    return ApiError(409, message, code)
