"""The photos a shopper uploads as evidence for a complaint: checked and re-encoded by the kernel's
`pasar.images` (pixel limit read from the header before decoding, memory-bounded decode, EXIF and GPS dropped),
then kept in orders' own folder, PASAR_VAR_DIR/complaint-photos/<key> (ORDERS_PHOTO_DIR to put it elsewhere,
e.g. a volume every orders pod mounts), the same local-folder approach as the catalog's media.

This is evidence, not a public picture: orders serves it only to the complaint's shopper, its seller (or agent)
and the operator. Keys are made here (`complaints/<complaint id>/<random>.jpg`), never taken from a client."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from pasar import config, images

FULL_SIZE = 1200
THUMB_SIZE = 320


def max_photo_bytes() -> int:
    return config.int_setting("ORDERS_MAX_PHOTO_BYTES", 5 * 1024 * 1024)  # a phone camera's JPEG, untouched


def max_photo_pixels() -> int:
    return config.int_setting("ORDERS_MAX_PHOTO_PIXELS", 16_000_000)  # 12 MP phones pass, 36 MP bombs do not


def root() -> Path:
    folder = Path(config.setting("ORDERS_PHOTO_DIR") or config.var_dir() / "complaint-photos")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _is_safe_key(key: str) -> bool:
    return (bool(key) and key.startswith("complaints/") and ".." not in key and "\\" not in key
            and key.endswith(".jpg"))


def store(complaint_id: str, data: bytes) -> tuple[str, str]:
    """Check, re-encode and keep one upload; (key, thumb_key). Raises images.BadImage."""
    encoded = images.reencode(data, max_bytes=max_photo_bytes(), max_pixels=max_photo_pixels(),
                              full_size=FULL_SIZE, thumb_size=THUMB_SIZE)
    stem = f"complaints/{complaint_id}/{uuid.uuid4().hex}"
    key, thumb_key = f"{stem}.jpg", f"{stem}-thumb.jpg"
    _put(key, encoded.full)
    _put(thumb_key, encoded.thumb)
    return key, thumb_key


def _put(key: str, data: bytes) -> None:
    path = root() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(data)
    os.replace(partial, path)  # readers never see half a file


def read(key: str) -> bytes | None:
    if not _is_safe_key(key):
        return None
    try:
        return (root() / key).read_bytes()
    except OSError:
        return None


def remove(*keys: str) -> None:
    for key in keys:
        if _is_safe_key(key):
            (root() / key).unlink(missing_ok=True)
