"""Complaint photos uploaded from the phone (issue 16), through orders' service layer: up to 3 per complaint
(addresses given on opening count too), only the complaint's shopper adds them, bad files are refused before
anything is kept, and a photo is readable only by the shopper, the parcel's seller (or agent) and the operator."""
from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from pasar.db import UnitOfWork
from services.orders import domain, service

from .test_orders_complaints import delivered_order  # noqa: F401
from .test_orders_after_sale import parcel_of
from .test_orders_service import SHOPPER, courier, db, refused  # noqa: F401


def photo(size=(800, 600), fmt="JPEG", colour=(180, 60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def noisy_photo() -> bytes:
    """A photo whose pixel data is well past its header (a real photo is noise to a compressor)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (800, 600), random.Random(16).randbytes(800 * 600 * 3)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def photo_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERS_PHOTO_DIR", str(tmp_path / "complaint-photos"))
    return tmp_path / "complaint-photos"


def open_complaint(db, order, photos=()):
    f = parcel_of(order, "seller-1")
    c, _ = service.open_complaint(UnitOfWork(db), order.id, f.id, SHOPPER, "damaged", "Sobek", list(photos))
    return c


def add(db, complaint_id, data, viewer=SHOPPER, role="shopper"):
    return service.add_complaint_photo(UnitOfWork(db), complaint_id, viewer, role, False, data)


def read(db, complaint_id, n, viewer, role, thumb=False):
    with db.Session() as session:
        return service.complaint_photo(session, complaint_id, n, viewer, role, role == "admin", thumb)


def files_in(folder) -> list:
    return sorted(p.name for p in folder.rglob("*.jpg")) if folder.exists() else []


def test_the_shopper_uploads_photos_and_only_the_parties_see_them(db, delivered_order, photo_dir):
    c = open_complaint(db, delivered_order)
    add(db, c.id, photo(fmt="PNG"))
    after = add(db, c.id, photo((4000, 3000)))  # a 12-megapixel phone photo
    assert [u["n"] for u in after.uploads] == [1, 2]
    assert after.actions[-1]["action"] == "photo_added"
    full = Image.open(io.BytesIO(read(db, c.id, 2, SHOPPER, "shopper")))
    thumb = Image.open(io.BytesIO(read(db, c.id, 2, SHOPPER, "shopper", thumb=True)))
    assert (full.format, full.size, max(thumb.size)) == ("JPEG", (1200, 900), 320)  # re-encoded, reduced
    for viewer, role in (("seller-1", "seller"), ("agent-1", "agent"), ("admin-1", "admin")):
        assert read(db, c.id, 1, viewer, role)[:2] == b"\xff\xd8"
    for viewer, role in (("shopper-2", "shopper"), ("seller-2", "seller"), ("courier-1", "courier")):
        assert refused(read, db, c.id, 1, viewer, role).status == 404
    assert refused(read, db, c.id, 3, SHOPPER, "shopper").status == 404  # no third photo yet
    assert refused(add, db, c.id, photo(), "shopper-2", "shopper").status == 404
    assert refused(add, db, c.id, photo(), "seller-1", "seller").status == 404
    assert len(files_in(photo_dir)) == 4  # two photos, two thumbnails


def test_a_fourth_photo_is_refused_and_addresses_given_on_opening_count(db, delivered_order, photo_dir):
    c = open_complaint(db, delivered_order, ["https://example.com/sobek.jpg"])
    add(db, c.id, photo())
    add(db, c.id, photo())
    with pytest.raises(domain.ComplaintInvalid) as fourth:
        add(db, c.id, photo())
    assert (fourth.value.code, fourth.value.field) == ("too_many_photos", "photo")
    assert len(files_in(photo_dir)) == 4  # nothing kept for the refused one


@pytest.mark.parametrize("data, status, words", [
    (b"not a picture at all", 422, "not a picture"),
    (b"", 422, "empty"),
    (photo((5000, 4000), fmt="PNG"), 422, "too many pixels"),  # 20 MP: refused from the header, not decoded
    (photo(fmt="GIF"), 422, "not a picture"),
    (noisy_photo()[:100_000], 422, "damaged"),  # cut off by a slow link
])
def test_bad_files_are_refused_and_nothing_is_kept(db, delivered_order, photo_dir, data, status, words):
    c = open_complaint(db, delivered_order)
    err = refused(add, db, c.id, data)
    assert (err.status, err.code) == (status, "bad_photo")
    assert words in err.message and "photo" in err.fields
    assert files_in(photo_dir) == []


def test_too_large_a_file_is_a_413(db, delivered_order, monkeypatch):
    monkeypatch.setenv("ORDERS_MAX_PHOTO_BYTES", "1024")
    c = open_complaint(db, delivered_order)
    err = refused(add, db, c.id, photo((1000, 1000), colour=(1, 2, 3)) + b"\0" * 2048)
    assert err.status == 413 and "larger than 1 KB" in err.message
