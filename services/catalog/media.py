"""Pictures: check an upload really is a small enough JPEG/PNG/WebP, re-encode it (which also drops
EXIF, GPS included), keep a small thumbnail for slow village links, and draw placeholders for demo data.

Files live under PASAR_VAR_DIR/media/<key>; keys are generated here, never taken from the client."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from pasar import config

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
FULL_SIZE = 1200      # longest side of the stored picture
THUMB_SIZE = 320      # longest side of the thumbnail lists use
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


def max_photo_bytes() -> int:
    return config.int_setting("CATALOG_MAX_PHOTO_BYTES", 2 * 1024 * 1024)


def media_root() -> Path:
    root = config.var_dir() / "media"
    root.mkdir(parents=True, exist_ok=True)
    return root


class BadImage(ValueError):
    pass


@dataclass(frozen=True)
class StoredImage:
    image_key: str
    thumb_key: str
    width: int
    height: int


def _open_checked(data: bytes) -> Image.Image:
    if len(data) > max_photo_bytes():
        raise BadImage(f"the picture is larger than {max_photo_bytes() // 1024} KB")
    if not data:
        raise BadImage("the file is empty")
    try:
        probe = Image.open(io.BytesIO(data))
        probe.verify()  # structure check without decoding everything
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # a small file claiming hundreds of megapixels
        raise BadImage("the picture has too many pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadImage("the file is not a picture we can read (JPEG, PNG or WebP)") from exc
    if image.format not in ALLOWED_FORMATS:
        raise BadImage("only JPEG, PNG and WebP pictures are accepted")
    if image.width * image.height > MAX_PIXELS:
        raise BadImage("the picture has too many pixels")
    try:  # verify() does not decode JPEG data: a photo cut off by a slow link only fails here
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadImage("the picture is damaged or incomplete; please send it again") from exc
    return image


def _jpeg(image: Image.Image, longest: int, quality: int) -> bytes:
    image = image.copy()
    image.thumbnail((longest, longest))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def store_image(data: bytes, folder: str, stem: str) -> StoredImage:
    """Validate and store `data` as <folder>/<stem>.jpg plus <folder>/<stem>-thumb.jpg."""
    image = _open_checked(data)
    image = ImageOps.exif_transpose(image).convert("RGB")  # phone photos come rotated by EXIF
    full, thumb = _jpeg(image, FULL_SIZE, 82), _jpeg(image, THUMB_SIZE, 70)
    directory = media_root() / folder
    directory.mkdir(parents=True, exist_ok=True)
    image_key, thumb_key = f"{folder}/{stem}.jpg", f"{folder}/{stem}-thumb.jpg"
    (media_root() / image_key).write_bytes(full)
    (media_root() / thumb_key).write_bytes(thumb)
    width, height = Image.open(io.BytesIO(full)).size
    return StoredImage(image_key, thumb_key, width, height)


def remove(*keys: str) -> None:
    for key in keys:
        if key:
            (media_root() / key).unlink(missing_ok=True)


def is_stored_picture(key: str) -> bool:
    """A key names a stored JPEG inside the media folder (never a path out of it)."""
    root = media_root()
    try:
        return ".." not in key and key.endswith(".jpg") and (root / key).is_file()
    except (OSError, ValueError):  # a name the file system cannot even look up
        return False


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
