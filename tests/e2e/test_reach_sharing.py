"""Sharing where villagers already are: a product page's link preview (Open Graph / Twitter tags) names the
product, its price in rupiah and its village with a photo that loads; the WhatsApp links are well formed; the
printed poster's QR code opens the page; short links lead to the page; responsive photo variants are served."""
from __future__ import annotations

import io
import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests

pytestmark = pytest.mark.e2e


class Meta(HTMLParser):
    """The <meta property/name=… content=…> tags and the links of a page."""

    def __init__(self):
        super().__init__()
        self.tags: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            self.tags.setdefault(attrs.get("property") or attrs.get("name"), attrs.get("content") or "")
        if tag == "a":
            self._href = attrs.get("href")

    def handle_data(self, data):
        if self._href and data.strip():
            self.links.append((data.strip(), self._href))
            self._href = None


def parse(html: str) -> Meta:
    meta = Meta()
    meta.feed(html)
    return meta


def link(meta: Meta, text: str) -> str:
    found = [href for label, href in meta.links if label.startswith(text)]
    assert found, f"no link {text!r} among {meta.links}"
    return found[0]


def photo_png() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (900, 700), (150, 110, 60)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def listed(stack):
    tag = uuid.uuid4().hex[:6]
    seller = stack.client(f"seller-{tag}", "seller", name="Bu Sari")
    status, shop = seller.post("/api/v1/shops", json={
        "name": f"Madu Bu Sari {tag}", "village": "Sumberejo", "district": "Sanankulon", "regency": "Blitar",
        "whatsapp": "081234567890", "whatsapp_chat": True})
    assert status == 201, shop
    status, product = seller.post("/api/v1/products", json={
        "shop_id": shop["id"], "title": f"Madu randu & kopi {tag}", "category": "hasil-bumi", "price": 42000,
        "stock": 5, "status": "published"})
    assert status == 201, product
    status, photo = seller.post(f"/api/v1/media/products/{product['id']}/photos",
                                files={"photo": ("madu.png", photo_png(), "image/png")})
    assert status == 201, photo
    return shop, product


def test_product_page_preview_tags_name_price_village_and_a_photo_that_loads(stack, listed):
    shop, product = listed
    page = requests.get(f"{stack.url}/produk/{product['id']}", timeout=15)
    assert page.status_code == 200
    tags = parse(page.text).tags
    assert tags["og:title"] == f"{product['title']} · Rp 42.000"
    assert tags["twitter:title"] == tags["og:title"]
    assert "Rp 42.000" in tags["og:description"] and "Desa Sumberejo" in tags["og:description"]
    assert tags["product:price:amount"] == "42000" and tags["product:price:currency"] == "IDR"
    assert tags["og:url"] == f"{stack.url}/produk/{product['id']}"
    assert tags["twitter:card"] == "summary_large_image"
    image = tags["og:image"]
    assert image.startswith(stack.url + "/api/v1/media/"), image
    picture = requests.get(image, timeout=15)
    assert picture.status_code == 200 and picture.headers["Content-Type"] == "image/jpeg"
    assert picture.content[:3] == b"\xff\xd8\xff"
    assert tags["twitter:image"] == image

    shop_page = parse(requests.get(f"{stack.url}/toko/{shop['id']}", timeout=15).text).tags
    assert shop_page["og:title"] == shop["name"] and "Desa Sumberejo" in shop_page["og:description"]


def test_whatsapp_links_are_well_formed_and_url_encoded(stack, listed):
    shop, product = listed
    meta = parse(requests.get(f"{stack.url}/produk/{product['id']}", timeout=15).text)
    share = urlsplit(link(meta, "Bagikan ke WhatsApp"))
    assert (share.scheme, share.netloc, share.path) == ("https", "wa.me", "/")
    assert " " not in share.query and "&kopi" not in share.query  # the title's "&" and spaces are encoded
    text = parse_qs(share.query)["text"][0]
    assert product["title"] in text and "Rp 42.000" in text and "Sumberejo" in text
    short = text.rsplit("\n", 1)[-1]
    assert short.startswith(f"{stack.url}/p/")
    hop = requests.get(short, allow_redirects=False, timeout=15)
    assert hop.status_code == 301 and hop.headers["Location"].endswith(f"/produk/{product['id']}")

    chat = urlsplit(link(meta, "Tanya lewat WhatsApp"))
    assert (chat.scheme, chat.netloc, chat.path) == ("https", "wa.me", "/6281234567890")  # E.164 digits
    assert product["title"] in unquote(parse_qs(chat.query)["text"][0])


def test_no_whatsapp_chat_unless_the_seller_allows_it(stack):
    tag = uuid.uuid4().hex[:6]
    seller = stack.client(f"seller-{tag}", "seller", name="Pak Darto")
    status, shop = seller.post("/api/v1/shops", json={"name": f"Kebun {tag}", "village": "Kalipucung",
                                                      "district": "Sanankulon", "regency": "Blitar",
                                                      "whatsapp": "+6281200000009"})
    assert status == 201, shop
    status, public = stack.client().get(f"/api/v1/shops/{shop['id']}")
    assert status == 200 and public.get("chat_whatsapp") is None and "whatsapp" not in public
    meta = parse(requests.get(f"{stack.url}/toko/{shop['id']}", timeout=15).text)
    assert not [href for label, href in meta.links if label.startswith("Tanya lewat WhatsApp")]
    assert link(meta, "Bagikan ke WhatsApp").startswith("https://wa.me/?text=")


def qr_of_pdf(data: bytes) -> list[str]:
    import pypdfium2
    import zxingcpp
    pdf = pypdfium2.PdfDocument(data)
    assert len(pdf) == 1
    image = pdf[0].render(scale=3).to_pil()
    return [found.text for found in zxingcpp.read_barcodes(image)]


def test_posters_render_with_a_qr_code_that_opens_the_page(stack, listed):
    shop, product = listed
    poster = requests.get(f"{stack.url}/produk/{product['id']}/poster.pdf", timeout=30)
    assert poster.status_code == 200 and poster.headers["Content-Type"] == "application/pdf"
    assert poster.content.startswith(b"%PDF")
    assert qr_of_pdf(poster.content) == [f"{stack.url}/produk/{product['id']}"]
    import pypdfium2
    page = pypdfium2.PdfDocument(poster.content)[0]
    width_mm, height_mm = (round(v / 72 * 25.4) for v in page.get_size())
    assert (width_mm, height_mm) == (105, 148)  # A6
    text = page.get_textpage().get_text_range()
    assert "Rp 42.000" in text and "Sumberejo" in text

    shop_poster = requests.get(f"{stack.url}/toko/{shop['id']}/poster.pdf", timeout=30)
    assert shop_poster.status_code == 200
    assert qr_of_pdf(shop_poster.content) == [f"{stack.url}/toko/{shop['id']}"]
    assert requests.get(f"{stack.url}/produk/{uuid.uuid4()}/poster.pdf", timeout=15).status_code == 404


def test_short_links_and_responsive_photo_variants(stack, listed):
    shop, product = listed
    meta = parse(requests.get(f"{stack.url}/toko/{shop['id']}", timeout=15).text)
    short = link(meta, f"{stack.url}/t/")
    hop = requests.get(short, allow_redirects=False, timeout=15)
    assert hop.status_code == 301 and hop.headers["Location"].endswith(f"/toko/{shop['id']}")
    assert requests.get(f"{stack.url}/p/not-a-code!", timeout=15).status_code == 404

    page = requests.get(f"{stack.url}/produk/{product['id']}", timeout=15).text
    assert '<source type="image/webp" srcset="' in page and " 640w" in page and " 1200w" in page
    photo = product_photo(stack, product["id"])
    webp = requests.get(f"{stack.url}{photo}?w=320&f=webp", timeout=15)
    assert webp.status_code == 200 and webp.headers["Content-Type"] == "image/webp"
    assert webp.content[8:12] == b"WEBP"
    from PIL import Image
    assert Image.open(io.BytesIO(webp.content)).width == 320
    jpeg = requests.get(f"{stack.url}{photo}?w=640&f=jpeg", timeout=15)
    assert jpeg.status_code == 200 and Image.open(io.BytesIO(jpeg.content)).width == 640
    assert len(webp.content) < len(jpeg.content)
    assert requests.get(f"{stack.url}{photo}?w=777&f=webp", timeout=15).status_code == 404  # no odd sizes


def product_photo(stack, listing_id: str) -> str:
    status, body = stack.client().get(f"/api/v1/products/{listing_id}")
    assert status == 200
    return body["photos"][0]["url"]
