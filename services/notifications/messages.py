"""Jinja2 templates → the words a person receives, in their language.

Each kind has one template per locale (`templates/<locale>/<kind>.txt`) with three blocks: `title`
(inbox heading and email subject), `short` (WhatsApp/SMS and the inbox body) and `text` (email body).
The email's HTML part is the text body laid out by `templates/<locale>/email.html` (autoescaped)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import (ChainableUndefined, Environment, FileSystemLoader, TemplateNotFound, UndefinedError, pass_context,
                    select_autoescape)

from . import domain

TEMPLATES = Path(__file__).resolve().parent / "templates"
_SECTION = "~~"


@dataclass(frozen=True)
class Rendered:
    locale: str
    title: str
    short: str
    text: str
    html: str


def _address(value) -> str:
    if not isinstance(value, dict):
        return str(value or "")
    parts = [value.get(k) for k in ("street", "village", "district", "regency")]
    return ", ".join(str(p) for p in parts if p)


def _items_line(items) -> str:
    if not isinstance(items, (list, tuple)):
        return ""
    return "; ".join(f"{item.get('qty', 1)}× {item.get('title', '')}".strip() for item in items if isinstance(item, dict))


def _rupiah(value) -> str:
    try:
        return domain.format_rupiah(value)
    except (TypeError, ValueError, UndefinedError):  # a missing or odd amount leaves a gap, not a crash
        return ""


_CONTEXT = object()


@pass_context
def _when(context, value, province=_CONTEXT) -> str:
    """`{{ t|when }}` on the clock of the intent's `time_province`; `{{ t|when(f.time_province) }}` on another's."""
    where = context.get("time_province") if province is _CONTEXT else province
    return domain.format_when(value, context.get("locale", domain.DEFAULT_LOCALE),
                              where if isinstance(where, str) else None)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      undefined=ChainableUndefined,  # events may leave optional fields out
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(rupiah=_rupiah, when=_when, address=_address, items_line=_items_line)
    return env


ENV = _environment()


def _paragraphs(text: str) -> list[list[str]]:
    return [block.split("\n") for block in text.split("\n\n") if block.strip()]


def render(kind: str, locale: str, context: dict, name: str = "") -> Rendered:
    locale = locale if locale in domain.LOCALES else domain.DEFAULT_LOCALE
    try:
        template = ENV.get_template(f"{locale}/{kind}.txt")
    except TemplateNotFound:
        template = ENV.get_template(f"{domain.DEFAULT_LOCALE}/{kind}.txt")
    whole = template.render({**context, "name": name, "locale": locale})
    title, _, rest = whole.partition(f"{_SECTION}short{_SECTION}")
    short, _, text = rest.partition(f"{_SECTION}text{_SECTION}")
    title, short = " ".join(title.split()), " ".join(short.split())
    text = "\n\n".join("\n".join(line.rstrip() for line in block.strip().split("\n"))
                       for block in text.split("\n\n") if block.strip())
    html = ENV.get_template(f"{locale}/email.html").render(title=title, paragraphs=_paragraphs(text))
    return Rendered(locale=locale, title=title, short=short, text=text, html=html)


def kinds() -> list[str]:
    return sorted(p.stem for p in (TEMPLATES / domain.DEFAULT_LOCALE).glob("*.txt") if p.stem != "base")
