"""The photos a shopper uploads as evidence for a complaint: checked and re-encoded by the kernel's
`pasar.images` (pixel limit read from the header before decoding, memory-bounded decode, EXIF and GPS dropped),
then kept through the kernel's `pasar.storage`, like the catalog's media: orders' own folder,
PASAR_VAR_DIR/complaint-photos/<key> (ORDERS_PHOTO_DIR to put it elsewhere), or with ORDERS_PHOTO_STORE=s3 the
S3-compatible bucket every orders pod shares.

This is evidence, not a public picture: orders serves it only to the complaint's shopper, its seller (or agent)
and the operator. Keys are made here (`complaints/<complaint id>/<random>.jpg`), never taken from a client."""
from __future__ import annotations

import uuid
from functools import cache

from pasar import config, images, storage

FULL_SIZE = 1200
THUMB_SIZE = 320


def max_photo_bytes() -> int:
    return config.int_setting("ORDERS_MAX_PHOTO_BYTES", 5 * 1024 * 1024)  # a phone camera's JPEG, untouched


def max_photo_pixels() -> int:
    return config.int_setting("ORDERS_MAX_PHOTO_PIXELS", 16_000_000)  # 12 MP phones pass, 36 MP bombs do not


def _store() -> storage.LocalStore | storage.S3Store:
    """ORDERS_PHOTO_STORE=local (default: ORDERS_PHOTO_DIR, else PASAR_VAR_DIR/complaint-photos) or s3 (the same
    bucket settings as the catalog's, objects under `complaint-photos/`, cached privately: this is evidence)."""
    kind = (config.setting("ORDERS_PHOTO_STORE", "local") or "local").strip().lower()
    if kind == "s3":
        return _s3_store(config.setting("S3_BUCKET"), config.setting("S3_ENDPOINT_URL"))
    if kind != "local":
        raise ValueError(f"ORDERS_PHOTO_STORE must be local or s3, not {kind!r}")
    return storage.LocalStore("complaint-photos", root=config.setting("ORDERS_PHOTO_DIR") or None)


@cache
def _s3_store(bucket: str | None, endpoint: str | None) -> storage.S3Store:  # one client per process and setting
    return storage.S3Store(prefix="complaint-photos/", cache_control="private, max-age=86400")


def _is_safe_key(key: str) -> bool:
    return key.startswith("complaints/") and storage.is_safe_key(key)


def store(complaint_id: str, data: bytes) -> tuple[str, str]:
    """Check, re-encode and keep one upload; (key, thumb_key). Raises images.BadImage."""
    encoded = images.reencode(data, max_bytes=max_photo_bytes(), max_pixels=max_photo_pixels(),
                              full_size=FULL_SIZE, thumb_size=THUMB_SIZE)
    stem = f"complaints/{complaint_id}/{uuid.uuid4().hex}"
    key, thumb_key = f"{stem}.jpg", f"{stem}-thumb.jpg"
    _store().put(key, encoded.full)
    _store().put(thumb_key, encoded.thumb)
    return key, thumb_key


def read(key: str) -> bytes | None:
    return _store().read(key) if _is_safe_key(key) else None


def remove(*keys: str) -> None:
    for key in keys:
        if _is_safe_key(key):
            _store().delete(key)
