"""Complaint photos from the phone (issue 16), with every real process behind the gateway: the shopper uploads two
photos to their complaint (multipart through the gateway to orders), the parcel's seller sees them, another shopper
and another seller get a 404, a file that is no picture and a 4th photo are refused with a clear message."""
from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from tests.e2e.test_complaints_e2e import delivered_parcel, open_complaint
from tests.e2e.test_orders_e2e import _ok
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def stack():
    s = Stack()
    s.start()
    yield s
    s.stop()


def camera_photo(colour) -> bytes:
    """A phone photo as it leaves the camera: a JPEG of 12 megapixels (4000×3000)."""
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def upload(client, complaint_id: str, data: bytes, name="foto.jpg", **headers):
    return client.post(f"/api/v1/complaints/{complaint_id}/photos", files={"photo": (name, data, "image/jpeg")},
                       headers={"Idempotency-Key": str(uuid.uuid4()), **headers})


def test_the_shopper_uploads_photos_the_seller_sees_them_nobody_else_does(stack):
    shopper, order, parcel, seller_id = delivered_parcel(stack, "cod")
    complaint = open_complaint(shopper, order, parcel)  # one photo address given on opening (the old way)
    cid = complaint["id"]
    first = _ok(upload(shopper, cid, camera_photo((200, 40, 40))), 201)
    second = _ok(upload(shopper, cid, camera_photo((40, 200, 40))), 201)
    assert [p["n"] for p in second["uploaded_photos"]] == [1, 2] and len(first["uploaded_photos"]) == 1
    assert second["photos"] == ["https://example.id/foto/1.jpg"]  # the address still counts and shows

    seller = stack.client(seller_id, "seller")
    seen = _ok(seller.get(f"/api/v1/complaints/{cid}"))
    assert [p["url"] for p in seen["uploaded_photos"]] == [f"/api/v1/complaints/{cid}/photos/1",
                                                            f"/api/v1/complaints/{cid}/photos/2"]
    resp = seller.session.get(stack.url + seen["uploaded_photos"][1]["url"], timeout=15)
    picture = Image.open(io.BytesIO(resp.content))
    assert (resp.status_code, resp.headers["Content-Type"], picture.format, picture.size) == (
        200, "image/jpeg", "JPEG", (1200, 900))  # re-encoded and reduced, not the camera's 12 MP
    assert picture.getpixel((600, 450))[1] > 150  # the green one
    thumb = seller.session.get(stack.url + seen["uploaded_photos"][0]["thumb_url"], timeout=15)
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 320

    for intruder in (stack.client(f"shopper-{uuid.uuid4().hex[:6]}", "shopper"),
                     stack.client(f"seller-{uuid.uuid4().hex[:6]}", "seller")):
        assert intruder.get(f"/api/v1/complaints/{cid}/photos/1")[0] == 404
        assert upload(intruder, cid, camera_photo((0, 0, 200)))[0] in (403, 404)

    code, body = upload(shopper, cid, b"<html>not a picture</html>", name="foto.jpg")
    assert code == 422 and body["error"]["fields"]["photo"]
    code, body = upload(shopper, cid, camera_photo((0, 0, 200)), **{"Accept-Language": "en"})
    assert (code, body["error"]["message"]) == (422, "at most 3 photos")  # the address + two uploads
    code, body = upload(shopper, cid, camera_photo((0, 0, 200)), **{"Accept-Language": "id"})
    assert (code, body["error"]["message"]) == (422, "paling banyak 3 foto")
    assert len(_ok(shopper.get(f"/api/v1/complaints/{cid}"))["uploaded_photos"]) == 2
