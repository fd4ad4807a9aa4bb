"""Pictures: check an upload really is a small enough JPEG/PNG/WebP, re-encode it (which also drops
EXIF, GPS included), keep a small thumbnail for slow village links, and draw placeholders for demo data.

Files live under PASAR_VAR_DIR/media/<key>, or in an S3-compatible bucket (storage.py); keys are generated
here, never taken from the client."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from pasar import config, images

from . import storage

ALLOWED_FORMATS = images.ALLOWED_FORMATS
FULL_SIZE = 1200      # longest side of the stored picture
THUMB_SIZE = 320      # longest side of the thumbnail lists use
# Decoded size, checked from the header before decoding: 16 megapixels is more than a phone's usual photo
# (12 MP, 4000×3000) and ~64 MB decoded at most; anything bigger is refused, whatever its file size.
MAX_PIXELS = config.int_setting("CATALOG_MAX_PHOTO_PIXELS", 16_000_000)
MAX_SIDE = images.MAX_SIDE
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own bomb check, at the same limit (it errors at twice that)


def max_photo_bytes() -> int:
    return config.int_setting("CATALOG_MAX_PHOTO_BYTES", 2 * 1024 * 1024)


def media_root() -> Path:
    root = config.var_dir() / "media"
    root.mkdir(parents=True, exist_ok=True)
    return root


BadImage = images.BadImage  # the kernel's: callers here catch media.BadImage as before


@dataclass(frozen=True)
class StoredImage:
    image_key: str
    thumb_key: str
    width: int
    height: int


def store_image(data: bytes, folder: str, stem: str) -> StoredImage:
    """Validate and store `data` as <folder>/<stem>.jpg plus <folder>/<stem>-thumb.jpg (checked and re-encoded by
    the kernel's pasar.images: decoded-pixel limit before decoding, memory-bounded decode, EXIF dropped)."""
    encoded = images.reencode(data, max_bytes=max_photo_bytes(), max_pixels=MAX_PIXELS, full_size=FULL_SIZE,
                              thumb_size=THUMB_SIZE)
    image_key, thumb_key = f"{folder}/{stem}.jpg", f"{folder}/{stem}-thumb.jpg"
    storage.store().put(image_key, encoded.full)
    storage.store().put(thumb_key, encoded.thumb)
    return StoredImage(image_key, thumb_key, encoded.width, encoded.height)


def remove(*keys: str) -> None:
    for key in keys:
        if key:
            storage.store().delete(key)


def is_stored_picture(key: str) -> bool:
    """A key names a stored JPEG inside the media folder or bucket (never a path out of it)."""
    return storage.store().exists(key)


def url_for_key(key: str | None) -> str | None:
    return f"/api/v1/media/{key}" if key else None


# -- placeholders for demo data --------------------------------------------------------------------
PALETTE = [(196, 120, 64), (98, 140, 84), (170, 70, 60), (70, 110, 150), (150, 120, 40), (120, 80, 130),
           (60, 130, 120), (180, 150, 100)]


def placeholder_png(label: str, size: tuple[int, int] = (640, 480)) -> bytes:
    """A calm coloured card with the product's name: colours derive from the text, so re-seeding
    draws the same picture."""
    digest = hashlib.sha256(label.encode()).digest()
    base = PALETTE[digest[0] % len(PALETTE)]
    accent = tuple(min(255, c + 50) for c in base)
    image = Image.new("RGB", size, base)
    draw = ImageDraw.Draw(image)
    w, h = size
    for i in range(6):  # a simple woven pattern, different per product
        offset = digest[i + 1] % 60
        draw.line([(0, offset + i * 80), (w, offset + i * 80 + 40)], fill=accent, width=10)
    draw.rectangle([(20, h - 110), (w - 20, h - 20)], fill=(250, 246, 238))
    try:  # Pillow's bundled font at a readable size (needs FreeType); the tiny bitmap font otherwise
        font = ImageFont.load_default(size=30)
    except (TypeError, OSError, ImportError):
        font = ImageFont.load_default()
    draw.text((40, h - 82), label[:36], fill=(40, 40, 40), font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
