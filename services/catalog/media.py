"""Pictures: check an upload really is a small enough JPEG/PNG/WebP, re-encode it (which also drops
EXIF, GPS included), keep a small thumbnail for slow village links, and draw placeholders for demo data.

Files live under PASAR_VAR_DIR/media/<key>; keys are generated here, never taken from the client."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, ImageDraw, ImageFont, UnidentifiedImageError

from pasar import config

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
FULL_SIZE = 1200      # longest side of the stored picture
THUMB_SIZE = 320      # longest side of the thumbnail lists use
# Decoded size, checked from the header before decoding: 16 megapixels is more than a phone's usual photo
# (12 MP, 4000×3000) and ~64 MB decoded at most; anything bigger is refused, whatever its file size.
MAX_PIXELS = config.int_setting("CATALOG_MAX_PHOTO_PIXELS", 16_000_000)
MAX_SIDE = 10_000  # a 1×16,000,000 strip is within the pixel count but no photo
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own bomb check, at the same limit (it errors at twice that)


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
    """The upload opened and checked, its pixels not yet decoded: Image.open reads only the header, and the
    decoded size (width × height, what decoding would cost in memory) is checked there, before any decoding.
    A 105 KB PNG can claim 6000×6000 (36 megapixels, ~140 MB decoded): it is refused here."""
    if len(data) > max_photo_bytes():
        raise BadImage(f"the picture is larger than {max_photo_bytes() // 1024} KB")
    if not data:
        raise BadImage("the file is empty")
    try:
        image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
        if image.width * image.height > MAX_PIXELS or max(image.size) > MAX_SIDE:
            raise BadImage(f"the picture has too many pixels (at most {MAX_PIXELS // 1_000_000} megapixels)")
        probe = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
        probe.verify()  # structure check (chunks, checksums) without decoding the pixels
    except Image.DecompressionBombError as exc:  # Pillow's own guard, should ours ever be looser
        raise BadImage("the picture has too many pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, BadImage):
            raise
        raise BadImage("the file is not a picture we can read (JPEG, PNG or WebP)") from exc
    if image.format not in ALLOWED_FORMATS:
        raise BadImage("only JPEG, PNG and WebP pictures are accepted")
    return image


_EXIF_TURNS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
               5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
               8: Image.Transpose.ROTATE_90}  # what ImageOps.exif_transpose does, on the reduced picture


def _decode_bounded(image: Image.Image, longest: int) -> Image.Image:
    """Decode at the smallest size that still gives `longest` pixels on the long side: a JPEG is decoded
    scaled down by the decoder itself (draft: 1/2, 1/4, 1/8), so a 12-megapixel photo never exists in memory
    at full size; other formats decode once and are reduced in place (no full-size copies)."""
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)  # read before reduce() drops the EXIF
    if image.format == "JPEG":
        image.draft("RGB", (longest, longest))
    try:  # verify() does not decode JPEG data: a photo cut off by a slow link only fails here
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadImage("the picture is damaged or incomplete; please send it again") from exc
    factor = max(image.size) // (longest * 2)
    if factor > 1:
        image = image.reduce(factor)  # integer box reduction: cheap, bounded, before the quality resize
    if orientation in _EXIF_TURNS:  # phone photos come rotated by EXIF
        image = image.transpose(_EXIF_TURNS[orientation])
    if image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail((longest, longest))
    return image


def _jpeg(image: Image.Image, longest: int, quality: int) -> bytes:
    if max(image.size) > longest:
        image = image.copy()
        image.thumbnail((longest, longest))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def store_image(data: bytes, folder: str, stem: str) -> StoredImage:
    """Validate and store `data` as <folder>/<stem>.jpg plus <folder>/<stem>-thumb.jpg."""
    image = _decode_bounded(_open_checked(data), FULL_SIZE)
    full, thumb = _jpeg(image, FULL_SIZE, 82), _jpeg(image, THUMB_SIZE, 70)
    width, height = image.size
    image.close()
    directory = media_root() / folder
    directory.mkdir(parents=True, exist_ok=True)
    image_key, thumb_key = f"{folder}/{stem}.jpg", f"{folder}/{stem}-thumb.jpg"
    (media_root() / image_key).write_bytes(full)
    (media_root() / thumb_key).write_bytes(thumb)
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
