"""The pages shrink a big phone photo before sending it on (gateway/web/photo_upload.py), through the kernel's
safe path: a huge pixel claim is never decoded by the gateway, it goes on untouched for the service to refuse."""
from __future__ import annotations

import io
import random

from PIL import Image
from werkzeug.datastructures import FileStorage

from gateway.web.photo_upload import PHOTO_TARGET_BYTES, shrink_photo


def upload(data: bytes, name="kamera.jpg", mimetype="image/jpeg") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type=mimetype)


def test_a_big_camera_photo_is_shrunk_to_1600_px_jpeg():
    out = io.BytesIO()
    Image.frombytes("RGB", (2000, 1500), random.Random(3).randbytes(2000 * 1500 * 3)).save(out, "JPEG", quality=95)
    assert len(out.getvalue()) > PHOTO_TARGET_BYTES
    name, data, mimetype = shrink_photo(upload(out.getvalue()))
    assert (name, mimetype, Image.open(io.BytesIO(data)).size) == ("photo.jpg", "image/jpeg", (1600, 1200))


def test_a_small_photo_and_what_is_no_photo_go_on_untouched():
    small = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 30)).save(small, "JPEG")
    assert shrink_photo(upload(small.getvalue()))[1] == small.getvalue()
    junk = b"x" * (PHOTO_TARGET_BYTES + 10)
    assert shrink_photo(upload(junk, "surat.txt", "text/plain")) == ("surat.txt", junk, "text/plain")


def test_a_pixel_bomb_is_not_decoded_here_but_passed_on_for_the_service_to_refuse():
    bomb = io.BytesIO()
    Image.new("1", (5000, 5000)).save(bomb, "PNG")  # 25 megapixels (~100 MB as RGB) in a small file
    data = bomb.getvalue() + b"\0" * PHOTO_TARGET_BYTES  # big enough to be shrunk, were it a photo
    assert shrink_photo(upload(data, "bomb.png", "image/png"))[1] == data
