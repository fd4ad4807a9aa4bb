"""Responsive picture variants: a stored photo at a few widths, in WebP and JPEG, made on first request and kept.

Pages ask for `/api/v1/media/<key>?w=<width>&f=<webp|jpeg>` through `srcset`, so a phone on a slow link fetches
the 320 px WebP (a few KB) instead of the 1200 px JPEG. Variants are made lazily (uploads stay as fast as
before, old photos get variants too) and cached next to the original under `<stem>-w<width>.<ext>`; the key never
changes content, so the variant never goes stale. Memory stays bounded: at most `MAX_PARALLEL` variants are drawn
at once, and a JPEG is decoded at reduced scale (`Image.draft`) when the target is much smaller than the file."""
from __future__ import annotations

import io
import os
import threading
from pathlib import Path

from PIL import Image

from . import media

WIDTHS = (320, 640, 1200)          # srcset steps: list thumbnails, a phone's full width, a big screen
FORMATS = {"webp": ("WEBP", "image/webp"), "jpeg": ("JPEG", "image/jpeg")}
QUALITY = {"webp": 70, "jpeg": 75}
MAX_PARALLEL = 2                   # two pictures decoded at a time at most (a 1200 px RGB image is ~4 MB)
_drawing = threading.BoundedSemaphore(MAX_PARALLEL)


class NoSuchVariant(ValueError):
    """A width or format the pages never ask for: refused so nobody can fill the disk with odd sizes."""


def variant_key(key: str, width: int, fmt: str) -> str:
    stem = key[:-len(".jpg")] if key.endswith(".jpg") else key
    return f"{stem}-w{width}.{'webp' if fmt == 'webp' else 'jpg'}"


def variant(key: str, width: int, fmt: str) -> tuple[Path, str]:
    """The file of `key` (a stored JPEG) at `width` in `fmt`, made now if it is not kept yet; (path, mimetype)."""
    if width not in WIDTHS or fmt not in FORMATS:
        raise NoSuchVariant(f"width must be one of {WIDTHS}, format webp or jpeg")
    root = media.media_root()
    target = root / variant_key(key, width, fmt)
    if not target.is_file():
        with _drawing:
            if not target.is_file():  # another request may have drawn it while this one waited
                _draw(root / key, target, width, fmt)
    return target, FORMATS[fmt][1]


def _draw(source: Path, target: Path, width: int, fmt: str) -> None:
    with Image.open(source) as image:
        if image.format == "JPEG":
            image.draft("RGB", (width, width))  # decode at 1/2, 1/4 or 1/8 scale: less memory, less time
        picture = image.convert("RGB")
    if picture.width > width:
        picture.thumbnail((width, width * 4))  # width decides; very tall pictures are not squeezed
    out = io.BytesIO()
    picture.save(out, FORMATS[fmt][0], quality=QUALITY[fmt], **({"method": 4} if fmt == "webp" else
                                                                    {"optimize": True, "progressive": True}))
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    partial.write_bytes(out.getvalue())
    os.replace(partial, target)  # readers never see half a file
