"""The one text policy for what people type: names (of people, shops, products) and free text (a street, a
description, a note to the courier). Pure: the gateway's domain and every service's schemas use it.

Names are shown to other people, on pages, in WhatsApp messages and on receipts. A right-to-left override
(U+202E) makes "Budi\u202egnp.exe" read as something else, zero-width and BOM characters make two names that
look the same differ (impersonating a seller), C0/C1 control characters break terminals, CSV exports and SMS
gateways. So a name refuses every control (Cc), format (Cf: bidi controls, zero-width, BOM, soft hyphen),
line/paragraph separator, private-use and unassigned character. Free text allows line breaks and tabs (an
address has lines) and the zero-width joiner inside emoji sequences, but refuses the rest of the same set.

Maximum lengths (characters, after trimming surrounding space):
"""
from __future__ import annotations

import unicodedata

from marshmallow import ValidationError, fields

PERSON_NAME_MAX = 120     # an account's name, an address's recipient
TITLE_MAX = 120           # a shop's name, a product's title
PLACE_MAX = 120           # village, district, regency, province
STREET_MAX = 200          # a street line (with house number, RT/RW)
NOTE_MAX = 500            # a note to the courier
DESCRIPTION_MAX = 5000    # a product's description

__doc__ += "".join(f"- `{name}` = {value}\n" for name, value in (
    ("PERSON_NAME_MAX", PERSON_NAME_MAX), ("TITLE_MAX", TITLE_MAX), ("PLACE_MAX", PLACE_MAX),
    ("STREET_MAX", STREET_MAX), ("NOTE_MAX", NOTE_MAX), ("DESCRIPTION_MAX", DESCRIPTION_MAX)))

_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_FREE_TEXT_ALLOWED = {"\n", "\r", "\t", "\u200d"}  # line breaks, tab, zero-width joiner (emoji sequences)
NOT_ALLOWED = "contains characters that are not allowed (control, invisible or direction-changing characters)"


_TRIMMED = " \t\r\n"  # what trimming removes: str.strip() would also drop U+0085 and friends unseen


def trim(text: str) -> str:
    """Surrounding spaces and line breaks off; nothing else (a C1 control at the end is refused, not hidden)."""
    return text.strip(_TRIMMED)


def refused_character(text: str, *, free_text: bool = False) -> str | None:
    """The first character the policy refuses in `text`, or None."""
    for ch in text:
        if free_text and ch in _FREE_TEXT_ALLOWED:
            continue
        if unicodedata.category(ch) in _REFUSED_CATEGORIES:
            return ch
    return None


def text_problem(value, *, min_length: int = 0, max_length: int, free_text: bool = False) -> str | None:
    """Why `value` is not acceptable text (None if it is). Length counts after trimming surrounding space."""
    if not isinstance(value, str):
        return "must be text"
    trimmed = trim(value)
    if not min_length <= len(trimmed) <= max_length:
        return f"{min_length} to {max_length} characters" if min_length else f"at most {max_length} characters"
    if refused_character(trimmed, free_text=free_text) is not None:
        return NOT_ALLOWED
    return None


class PolicyText(fields.String):
    """A marshmallow string under the text policy: trimmed, length-checked, refused characters refused.
    `Name(1, 120)` for names, `FreeText(0, 200)` for free text; the limits appear in the OpenAPI document."""

    free_text = False

    def __init__(self, min_length: int = 0, max_length: int = PERSON_NAME_MAX, **kwargs):
        self.min_length, self.max_length = min_length, max_length
        kwargs.setdefault("metadata", {})
        super().__init__(**kwargs)
        self.metadata.setdefault("minLength", min_length)
        self.metadata.setdefault("maxLength", max_length)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text, min_length=self.min_length, max_length=self.max_length,
                               free_text=self.free_text)
        if problem:
            raise ValidationError(problem)
        return trim(text)


class Name(PolicyText):
    free_text = False


class FreeText(PolicyText):
    free_text = True
