"""Where a page may send a person next: only a path on this site.

`next` comes from the address bar or a form, so anyone can write it. Browsers drop tab, CR and LF from a URL
and read `\\` as `/`, so `/\\t/evil.example` arrives as `//evil.example` (another site). The checks therefore
refuse any control character or backslash first, and only then look for `//` or a scheme."""
from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit


def _has_control_or_backslash(target: str) -> bool:
    return "\\" in target or any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in target)


def safe_target(target: str | None, default: str) -> str:
    """`target` when it is a same-site path ("/pesanan?x=1"), else `default`."""
    if not target or len(target) > 2048 or _has_control_or_backslash(target):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
