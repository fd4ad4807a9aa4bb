"""Answers in the caller's language: every error message and field message an app sends is English in the
code (the msgid) and is translated when the answer is made, from gettext catalogs kept with Babel's tooling
(`pasar/translations/<locale>/LC_MESSAGES/messages.po`, compiled to `.mo` by `make translations`).

Whose language: `Accept-Language` when it names one we speak (the request's own choice), else the account's
locale from its verified token, else Bahasa Indonesia. English is the msgid itself, so it needs no catalog.

Messages built with values ("stock for listing 12 is 3") are found by their template: the catalog holds
"stock for listing {listing} is {stock}", and a message matching that shape is translated with its values
(themselves translated when the catalog knows them, e.g. "product" in "{what} not found")."""
from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

log = logging.getLogger("pasar.i18n")

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
SOURCE_LOCALE = "en"  # the language of the msgids in the code
TRANSLATIONS = Path(__file__).with_name("translations")
DOMAIN = "messages"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


# -- whose language --------------------------------------------------------------------------------
def best_locale(accept_language: str | None, account_locale: str | None = None) -> str:
    """id or en: the first of `Accept-Language` we speak (q-values honoured, "id-ID" is id), else the
    account's locale, else Bahasa Indonesia."""
    if accept_language:
        from werkzeug.datastructures import LanguageAccept
        from werkzeug.http import parse_accept_header

        chosen = parse_accept_header(accept_language, LanguageAccept).best_match(LOCALES)
        if chosen:
            return chosen
    return account_locale if account_locale in LOCALES else DEFAULT_LOCALE


def request_locale() -> str:
    """The locale of the request being answered (Bahasa Indonesia outside a request)."""
    from flask import g, has_request_context, request

    if not has_request_context():
        return DEFAULT_LOCALE
    if "locale" in g:
        return g.locale
    g.locale = best_locale(request.headers.get("Accept-Language"), _account_locale())
    return g.locale


def _account_locale() -> str | None:
    from flask import g

    identity = g.get("identity")
    if identity is None:
        try:  # an error answer may come before the route looked at the token (a 404, a 422 from the schema)
            from .auth import current_identity
            identity = current_identity(optional=True)
        except Exception:  # an invalid or expired token has no locale we can trust
            return None
    return getattr(identity, "locale", None)


# -- catalogs --------------------------------------------------------------------------------------
def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"


@functools.lru_cache(maxsize=None)
def catalog(locale: str) -> dict[str, str]:
    """msgid -> translation for a locale. The compiled .mo when it is at least as new as the .po; else the .po
    itself (a checkout where `make translations` has not run yet still answers in Indonesian)."""
    po, mo = po_path(locale), mo_path(locale)
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            messages = read_mo(handle)
    elif po.exists():
        with po.open("rb") as handle:
            messages = read_po(handle, locale=locale)
        log.info("translations for %s read from the .po (run `make translations` to compile)", locale)
    else:
        return {}
    return {m.id: m.string for m in messages if m.id and m.string and not m.fuzzy}


@functools.lru_cache(maxsize=None)
def _templates(locale: str) -> list[tuple[re.Pattern, str, tuple[str, ...]]]:
    """The catalog's messages with {placeholders}, as patterns that match a message built from them."""
    found = []
    for msgid, translated in catalog(locale).items():
        names = tuple(_PLACEHOLDER.findall(msgid))
        if not names:
            continue
        pattern, seen = "", set()
        for piece in _PLACEHOLDER.split(msgid)[::2]:
            pattern += re.escape(piece)
            if len(seen) < len(names):
                name = names[len(seen)]
                pattern += f"(?P={name})" if name in seen else f"(?P<{name}>.+?)"
                seen.add(name)
        found.append((len(_PLACEHOLDER.sub("", msgid)), re.compile(pattern + r"\Z", re.S), translated, names))
    # the most specific (longest fixed text) first, so "{what} not found" does not swallow longer ones
    found.sort(key=lambda t: -t[0])
    return [t[1:] for t in found]


def translate(message, locale: str | None = None, depth: int = 0):
    """The message in `locale` (default: the request's). Unknown messages are returned as they are."""
    if not isinstance(message, str) or not message:
        return message
    locale = locale or request_locale()
    if locale == SOURCE_LOCALE:
        return message
    known = catalog(locale)
    if message in known:
        return known[message]
    for pattern, translated, names in _templates(locale):
        match = pattern.match(message)
        if match:
            values = {name: known.get(match.group(name), match.group(name)) for name in names}
            if "message" in values:  # "{HEADER} {message}": the message part is a message of its own
                values["message"] = _translate_inner(values["message"], locale, depth) if depth < 2 else values["message"]
            return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), translated)
    return message


def _translate_inner(message: str, locale: str, depth: int) -> str:
    return translate(message, locale, depth + 1)


def translate_fields(fields, locale: str | None = None):
    """A `fields` object ({"name": ["message", ...], "items": {"0": {...}}}) with every message translated."""
    locale = locale or request_locale()
    if isinstance(fields, dict):
        return {key: translate_fields(value, locale) for key, value in fields.items()}
    if isinstance(fields, (list, tuple)):
        return [translate_fields(value, locale) for value in fields]
    return translate(fields, locale)


def clear_cache() -> None:
    catalog.cache_clear()
    _templates.cache_clear()
