"""Which bodies the gateway lets through at the upload size: multipart photos from a phone's camera (the media
API, complaint photos, and a seller's listing and shop forms, which shrink the photo before the catalog sees
it); every other body keeps the small JSON limit."""
from __future__ import annotations

import pytest
from flask import Flask

from gateway import protection

app = Flask(__name__)


def limit_for(path: str, mimetype: str) -> int:
    with app.test_request_context(path, method="POST", content_type=mimetype):
        return protection._body_limit()


@pytest.mark.parametrize("path", ["/api/v1/media", "/api/v1/complaints/c1/photos", "/penjual/produk/baru",
                                  "/penjual/produk/l1", "/penjual/toko/s1/ubah", "/pesanan/o1/komplain/f1"])
def test_a_camera_photo_in_a_multipart_form_gets_the_upload_limit(path):
    assert limit_for(path, "multipart/form-data; boundary=x") == protection.UPLOAD_BODY_LIMIT


@pytest.mark.parametrize("path,mimetype", [("/penjual/produk/baru", "application/x-www-form-urlencoded"),
                                           ("/penjual/produk/l1", "application/json"),
                                           ("/api/v1/orders", "multipart/form-data; boundary=x"),
                                           ("/masuk", "multipart/form-data; boundary=x")])
def test_everything_else_keeps_the_small_limit(path, mimetype):
    assert limit_for(path, mimetype) == protection.JSON_BODY_LIMIT
