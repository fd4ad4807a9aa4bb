"""Photos in an S3-compatible object store (CATALOG_MEDIA_STORE=s3): uploaded, served by the catalog's media route
and deleted, with nothing written to the pod's own folder, so every catalog pod on every host serves the same
pictures.

The store is an EMULATOR: moto's server mode (`moto_server`, from the moto[server] package on PyPI), started by
this test on a free local port. It speaks the S3 REST API that boto3 calls; it is not AWS, MinIO or Ceph, so
what this shows is that our calls are the right S3 calls, not how a particular store behaves under load."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import requests
from PIL import Image

from services.catalog import storage
from tests.integration.test_catalog_api import Catalog, make_listing, make_shop, png_bytes, seller
from tests.support.infra import free_port, wait_until

BUCKET = "pasar-media-test"


@pytest.fixture(scope="module")
def s3_emulator(tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "ab")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(url, timeout=2).status_code < 500, timeout=60, interval=0.2,
                   message="moto_server (S3 emulator) answering")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
def s3_catalog(s3_emulator, tmp_path, monkeypatch):
    for name, value in {"PASAR_VAR_DIR": str(tmp_path), "CATALOG_MEDIA_STORE": "s3", "S3_BUCKET": BUCKET,
                        "S3_ENDPOINT_URL": s3_emulator, "S3_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test",
                        "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(name, value)
    bucket = boto3.client("s3", endpoint_url=s3_emulator, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    bucket.create_bucket(Bucket=BUCKET)  # the operator makes the bucket; the app never does
    cat = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    yield cat, bucket, tmp_path
    cat.dispose()
    for item in bucket.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        bucket.delete_object(Bucket=BUCKET, Key=item["Key"])


def _objects(bucket) -> set[str]:
    return {item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_photos_upload_serve_and_delete_through_an_s3_compatible_store(s3_catalog):
    cat, bucket, var = s3_catalog
    sri = seller(cat)
    shop = make_shop(sri)
    lid = make_listing(sri, shop["id"])["id"]
    status, photo = sri.post(f"/api/v1/products/{lid}/photos",
                             data={"photo": (io.BytesIO(png_bytes((1600, 1000))), "t.png")},
                             content_type="multipart/form-data")
    assert status == 201, photo
    stored = _objects(bucket)
    assert len(stored) == 2 and all(key.startswith("media/") and key.endswith(".jpg") for key in stored), stored
    assert not list((var / "media").rglob("*.jpg")), "nothing kept on the pod's own disk"

    full, thumb = cat.http.get(photo["url"]), cat.http.get(photo["thumb_url"])
    assert full.status_code == 200 and full.mimetype == "image/jpeg" and "immutable" in full.headers["Cache-Control"]
    assert max(Image.open(io.BytesIO(full.data)).size) == 1200
    assert max(Image.open(io.BytesIO(thumb.data)).size) == 320
    key = photo["url"].removeprefix("/api/v1/media/")
    assert full.data == bucket.get_object(Bucket=BUCKET, Key=f"media/{key}")["Body"].read()
    assert cat.client().get(f"/api/v1/products/{lid}")[1]["thumb_url"] == photo["thumb_url"]

    status, with_photo = sri.post(f"/api/v1/shops/{shop['id']}/photo",
                                  data={"photo": (io.BytesIO(png_bytes((500, 500))), "s.png")},
                                  content_type="multipart/form-data")
    assert status in (200, 201), with_photo
    assert cat.http.get(with_photo["photo_url"]).status_code == 200 and len(_objects(bucket)) == 4

    assert sri.delete(f"/api/v1/products/{lid}/photos/{photo['id']}")[0] == 204
    assert cat.http.get(photo["url"]).status_code == 404 and cat.http.get(photo["thumb_url"]).status_code == 404
    assert len(_objects(bucket)) == 2 and not any(key in name for name in _objects(bucket))
    # a key that could leave its folder is never looked up, in the bucket or on disk
    assert cat.http.get("/api/v1/media/../catalog.db").status_code == 404
    assert cat.http.get("/api/v1/media/products/nothing-here.jpg").status_code == 404


def test_the_store_setting_is_checked_and_local_stays_the_default(monkeypatch):
    monkeypatch.delenv("CATALOG_MEDIA_STORE", raising=False)
    assert storage.store_kind() == "local" and isinstance(storage.store(), storage.LocalStore)
    monkeypatch.setenv("CATALOG_MEDIA_STORE", "ftp")
    with pytest.raises(ValueError, match="local or s3"):
        storage.store_kind()
    assert not storage.is_safe_key("../catalog.db") and not storage.is_safe_key("/etc/x.jpg")
    assert storage.is_safe_key("products/abc/def.jpg")


def test_complaint_photos_kept_in_the_same_kind_of_store_under_their_own_prefix(s3_catalog, monkeypatch):
    # orders keeps a shopper's evidence through the kernel's same S3 store (ORDERS_PHOTO_STORE=s3), so every orders
    # pod reads the photo another pod took in; nothing lands on the pod's own disk
    from services.orders import complaint_photos
    _, bucket, var = s3_catalog
    monkeypatch.setenv("ORDERS_PHOTO_STORE", "s3")
    key, thumb = complaint_photos.store("c-1", png_bytes())
    assert {f"complaint-photos/{key}", f"complaint-photos/{thumb}"} <= _objects(bucket)
    assert Image.open(io.BytesIO(complaint_photos.read(key))).format == "JPEG"
    assert complaint_photos.read("complaints/c-1/none.jpg") is None and complaint_photos.read("../x.jpg") is None
    assert not (var / "complaint-photos").exists()
    complaint_photos.remove(key, thumb)
    assert not {f"complaint-photos/{key}", f"complaint-photos/{thumb}"} & _objects(bucket)
