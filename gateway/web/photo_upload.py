"""Photos the pages send on to a service (a listing's or shop's photo to catalog, a complaint's evidence to
orders): a phone camera's picture is made small enough for the service's limit and a village uplink first."""
from __future__ import annotations

from pasar import images

PHOTO_TARGET_BYTES = 1_500_000  # phone photos are bigger than slow links and the catalog's limit like
MAX_PIXELS = 16_000_000         # what the services accept; a bigger claim is passed on for them to refuse


def shrink_photo(upload) -> tuple[str, bytes, str]:
    """A phone camera picture made small enough for the service (and a village uplink): longest side 1600 px,
    JPEG. Small pictures pass through untouched; the service checks and re-encodes every one. The shrinking uses
    the kernel's safe path (pixel count checked from the header before decoding, decoded memory-bounded)."""
    data = upload.read(20 * 1024 * 1024 + 1)
    if len(data) <= PHOTO_TARGET_BYTES:
        return upload.filename or "photo.jpg", data, upload.mimetype or "application/octet-stream"
    try:
        image = images.decode_bounded(images.open_checked(data, len(data), MAX_PIXELS), 1600)
        return "photo.jpg", images.jpeg(image, 1600, 82), "image/jpeg"
    except images.BadImage:  # not a picture we can read: let the service say so in its own words
        return upload.filename or "photo", data, upload.mimetype or "application/octet-stream"
