"""Sharing helpers without a server: short codes, WhatsApp links, photo variant addresses, posters, image variants."""
from __future__ import annotations

import io
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, strategies as st

from gateway.web import posters, sharing


@given(st.uuids())
def test_short_codes_round_trip_and_stay_short(value):
    code = sharing.short_code(str(value))
    assert len(code) <= 22 and code.isalnum()
    assert sharing.from_short(code) == str(value)


@pytest.mark.parametrize("code", ["", "a" * 23, "abc-def", "../x", "z" * 22])
def test_bad_short_codes_name_nothing(code):
    assert sharing.from_short(code) is None  # 22 z's are more than 128 bits: no id


def test_whatsapp_links_are_encoded_and_take_e164_digits():
    link = sharing.wa_share("Madu & kopi — Rp 42.000\nhttps://x.example/p/abc?x=1")
    parts = urlsplit(link)
    assert (parts.netloc, parts.path) == ("wa.me", "/") and " " not in link and "&kopi" not in link
    assert parse_qs(parts.query)["text"] == ["Madu & kopi — Rp 42.000\nhttps://x.example/p/abc?x=1"]
    assert sharing.wa_chat("0812-3456-7890", "Halo").startswith("https://wa.me/6281234567890?text=Halo")
    assert sharing.wa_chat("+6281234567890", "a b") == "https://wa.me/6281234567890?text=a%20b"
    assert sharing.wa_chat(None, "x") is None and sharing.wa_chat("12", "x") is None


def test_photo_variants_only_for_stored_pictures():
    assert sharing.photo_variant("/api/v1/media/listings/a/b.jpg", 640, "webp") == \
        "/api/v1/media/listings/a/b.jpg?w=640&f=webp"
    # a list's thumbnail asked for wider than itself: the full picture's variant instead
    assert sharing.photo_variant("/api/v1/media/listings/a/b-thumb.jpg", 640, "jpeg") == \
        "/api/v1/media/listings/a/b.jpg?w=640&f=jpeg"
    assert sharing.photo_variant("https://cdn.example/x.png", 640, "webp") == "https://cdn.example/x.png"


def test_poster_pdf_carries_the_price_the_village_and_a_qr_code_to_the_page():
    import pypdfium2
    import zxingcpp
    url = f"https://pasar.example/produk/{uuid.uuid4()}"
    for size, mm in (("A6", (105, 148)), ("A5", (148, 210))):
        data = posters.render(posters.Poster(title="Tikar pandan 🌾 anyaman Bu Sari", url=url, price="Rp 42.000",
                                             place="Desa Sumberejo, Kec. Sanankulon", line="Anyaman Bu Sari",
                                             size=size))
        page = pypdfium2.PdfDocument(data)[0]
        assert tuple(round(v / 72 * 25.4) for v in page.get_size()) == mm
        text = page.get_textpage().get_text_range()
        assert "Rp 42.000" in text and "Desa Sumberejo" in text and "Tikar pandan" in text
        assert [r.text for r in zxingcpp.read_barcodes(page.render(scale=3).to_pil())] == [url]


def test_image_variants_are_made_once_at_the_asked_width(tmp_path, monkeypatch):
    from PIL import Image

    from services.catalog import images, media
    monkeypatch.setattr(media, "media_root", lambda: tmp_path)
    (tmp_path / "listings").mkdir()
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (120, 90, 40)).save(out, "JPEG")
    (tmp_path / "listings" / "p.jpg").write_bytes(out.getvalue())
    path, mimetype = images.variant("listings/p.jpg", 320, "webp")
    assert mimetype == "image/webp" and Image.open(path).size == (320, 240)
    made = path.stat().st_mtime_ns
    assert images.variant("listings/p.jpg", 320, "webp")[0].stat().st_mtime_ns == made  # kept, not redrawn
    assert Image.open(images.variant("listings/p.jpg", 640, "jpeg")[0]).format == "JPEG"
    with pytest.raises(images.NoSuchVariant):
        images.variant("listings/p.jpg", 500, "webp")
    with pytest.raises(images.NoSuchVariant):
        images.variant("listings/p.jpg", 320, "gif")
