"""Safe handling of an uploaded picture, shared by every service that takes photos (catalog listings and shops,
orders' complaint evidence): check it really is a small enough JPEG/PNG/WebP *before* decoding its pixels, then
decode it memory-bounded and re-encode it as JPEG (which also drops EXIF, GPS included) with a thumbnail.

Pure: bytes in, bytes out. Where the result is kept (a folder, a bucket) and which limits apply are the
calling service's business."""
from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import ExifTags, Image, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_SIDE = 10_000  # a 1×16,000,000 strip is within a pixel count but no photo


class BadImage(ValueError):
    """Not a picture we accept; `too_large` tells a file over the byte limit (413) apart from the rest (422)."""

    def __init__(self, message: str, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class Encoded:
    full: bytes
    thumb: bytes
    width: int
    height: int


def open_checked(data: bytes, max_bytes: int, max_pixels: int) -> Image.Image:
    """The upload opened and checked, its pixels not yet decoded: Image.open reads only the header, and the
    decoded size (width × height, what decoding would cost in memory) is checked there, before any decoding.
    A 105 KB PNG can claim 6000×6000 (36 megapixels, ~140 MB decoded): it is refused here."""
    if len(data) > max_bytes:
        raise BadImage(f"the picture is larger than {max_bytes // 1024} KB", too_large=True)
    if not data:
        raise BadImage("the file is empty")
    try:
        image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
        if image.width * image.height > max_pixels or max(image.size) > MAX_SIDE:
            raise BadImage(f"the picture has too many pixels (at most {max_pixels // 1_000_000} megapixels)")
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


def decode_bounded(image: Image.Image, longest: int) -> Image.Image:
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


def jpeg(image: Image.Image, longest: int, quality: int) -> bytes:
    if max(image.size) > longest:
        image = image.copy()
        image.thumbnail((longest, longest))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def reencode(data: bytes, *, max_bytes: int, max_pixels: int, full_size: int = 1200,
             thumb_size: int = 320) -> Encoded:
    """`data` checked, decoded memory-bounded and re-encoded: a JPEG of at most `full_size` px on the long side
    and a thumbnail of `thumb_size` px. Raises BadImage for anything we do not accept."""
    image = decode_bounded(open_checked(data, max_bytes, max_pixels), full_size)
    try:
        full, thumb = jpeg(image, full_size, 82), jpeg(image, thumb_size, 70)
        width, height = image.size
    finally:
        image.close()
    return Encoded(full, thumb, width, height)
