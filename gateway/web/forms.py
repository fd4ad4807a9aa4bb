"""What every page form shares: numbers typed by people, and a service's errors in the page's words."""
from __future__ import annotations

from . import i18n
from .reply import Reply


def to_int(text: str | None) -> int | None:
    digits = "".join(ch for ch in (text or "") if ch.isdigit())  # "Rp 25.000" -> 25000
    return int(digits) if digits and len(digits) <= 12 else None


def flatten_fields(fields: dict, code: str = "validation_error") -> dict:
    """A service's field errors, one line per form field, in the words and language of the page."""
    flat = {}
    for key, value in (fields or {}).items():
        if isinstance(value, dict):
            flat.update(flatten_fields(value, code))
        else:
            messages = value if isinstance(value, list) else [value]
            flat[key] = " ".join(dict.fromkeys(i18n.field_text(code, key, str(m)) for m in messages))
    return flat


def general_error(reply: Reply, fallback: str) -> str:
    return i18n.error_text(reply.code, reply.message, fallback) if reply.message else i18n.gettext(fallback)
