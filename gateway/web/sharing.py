"""Reach: sharing where villagers already are (link previews, WhatsApp, printed posters, short links) and pages
light enough for a 2G link (responsive pictures, "Hemat kuota" / `Save-Data: on`).

Template helpers: `share` (the preview tags and links of a product or shop), `picture` (a responsive photo, or a
tiny placeholder with a "show the photo" link when data is being saved), `save_data` (is it, for this request)."""
from __future__ import annotations

import logging
import uuid
from urllib.parse import quote, urlencode

from flask import g, make_response, redirect, request, url_for
from markupsafe import Markup, escape

from pasar import config

from . import accounts_bridge, i18n
from .. import domain
from .pages import bp, render, rupiah_text
from .session import get

log = logging.getLogger("gateway.web")
SAVE_DATA_COOKIE = "hemat"
MEDIA_PREFIX = "/api/v1/media/"
WIDTHS = (320, 640, 1200)  # the catalog's variant widths (services/catalog/images.py)
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


# -- absolute addresses: previews and QR codes need them; PUBLIC_URL wins over the Host header (never trusted
#    for what is printed or cached by WhatsApp's preview robot) ----------------------------------------------------
def public_base() -> str:
    return (config.setting("PUBLIC_URL") or request.host_url).rstrip("/")


def absolute(path: str | None) -> str | None:
    if not path:
        return None
    return path if path.startswith(("http://", "https://")) else public_base() + "/" + path.lstrip("/")


# -- short links: the 128-bit id in base 62 (22 characters), so nothing is stored and nothing can be guessed that
#    the long address would not give away too ------------------------------------------------------------------
def short_code(entity_id: str) -> str | None:
    try:
        number = uuid.UUID(entity_id).int
    except (ValueError, TypeError, AttributeError):
        return None
    out = ""
    while number:
        number, digit = divmod(number, 62)
        out = BASE62[digit] + out
    return out or "0"


def from_short(code: str) -> str | None:
    if not code or len(code) > 22 or any(ch not in BASE62 for ch in code):
        return None
    number = 0
    for ch in code:
        number = number * 62 + BASE62.index(ch)
    return str(uuid.UUID(int=number)) if number < 2 ** 128 else None


# -- WhatsApp ------------------------------------------------------------------------------------------------------
def wa_share(text: str) -> str:
    """`https://wa.me/?text=…`: WhatsApp opens with the text (and link) ready to send to anyone."""
    return "https://wa.me/?text=" + quote(text, safe="")


def wa_chat(number: str | None, text: str) -> str | None:
    """Click-to-chat with the shop: wa.me/<country code and number, digits only>."""
    if not number:
        return None
    try:
        digits = domain.normalise_phone(number).lstrip("+")
    except ValueError:
        digits = "".join(ch for ch in number if ch.isdigit())
    if not 8 <= len(digits) <= 15:
        return None
    return f"https://wa.me/{digits}?text=" + quote(text, safe="")


def place_of(shop: dict) -> str:
    parts = []
    if shop.get("village"):
        parts.append(f"{i18n.gettext('Desa')} {shop['village']}")
    if shop.get("district"):
        parts.append(f"{i18n.gettext('Kec.')} {shop['district']}")
    if shop.get("regency"):
        parts.append(shop["regency"])
    return ", ".join(parts)


def first_photo(item: dict) -> str | None:
    photos = item.get("photos") or []
    if photos:
        first = photos[0]
        return first if isinstance(first, str) else (first or {}).get("url")
    return item.get("photo_url")


def product_share(product: dict, shop: dict) -> dict:
    page = absolute(url_for("web.listing", listing_id=product["id"]))
    short = absolute(url_for("web.short_product", code=short_code(product["id"]))) if short_code(product["id"]) else page
    price = rupiah_text(product.get("price"))
    place = place_of(shop)
    photo = first_photo(product)
    description = " · ".join(p for p in (price, shop.get("name"), place) if p)
    return {
        "title": product.get("title") or "", "price": price, "amount": product.get("price"), "place": place,
        "description": description, "url": page, "short_url": short, "type": "product",
        "image": absolute(photo_variant(photo, 640, "jpeg") if photo else None),
        "whatsapp_share": wa_share(f"{product.get('title')} — {price} ({place})\n{short}"),
        "whatsapp_chat": wa_chat(shop.get("chat_whatsapp"), i18n.gettext("Halo, saya mau tanya tentang {title}: {url}")
                                 .format(title=product.get("title"), url=short)),
        "poster": url_for("web.product_poster", listing_id=product["id"]),
    }


def shop_share(shop: dict) -> dict:
    page = absolute(url_for("web.shop", shop_id=shop["id"]))
    short = absolute(url_for("web.short_shop", code=short_code(shop["id"]))) if short_code(shop["id"]) else page
    place = place_of(shop)
    return {
        "title": shop.get("name") or "", "price": "", "amount": None, "place": place, "url": page, "short_url": short,
        "description": " · ".join(p for p in (place, (shop.get("story") or "")[:120]) if p), "type": "shop",
        "image": absolute(photo_variant(shop.get("photo_url"), 640, "jpeg") if shop.get("photo_url") else None),
        "whatsapp_share": wa_share(f"{shop.get('name')} — {place}\n{short}"),
        "whatsapp_chat": wa_chat(shop.get("chat_whatsapp"), i18n.gettext("Halo {name}, saya mau bertanya.")
                                 .format(name=shop.get("name"))),
        "poster": url_for("web.shop_poster", shop_id=shop["id"]),
    }


# -- Save-Data: the browser's `Save-Data: on`, or the person's own "Hemat kuota" switch -----------------------------
def save_data() -> bool:
    if "save_data" not in g:
        chosen = request.cookies.get(SAVE_DATA_COOKIE)
        if chosen in ("1", "0"):  # the person's own choice wins over the browser's default
            g.save_data = chosen == "1"
        elif g.get("user") is not None and account_saves_data(g.user.user_id):  # chosen on another phone
            g.save_data = True
        else:
            g.save_data = request.headers.get("Save-Data", "").strip().lower() == "on"
    return g.save_data


def show_photos() -> bool:
    """Photos are drawn unless data is saved and the person has not tapped "Tampilkan foto" (`?foto=1`)."""
    return not save_data() or request.args.get("foto") == "1"


def photo_variant(src: str, width: int, fmt: str) -> str:
    if not src or not src.startswith(MEDIA_PREFIX) or not src.endswith(".jpg"):
        return src
    if src.endswith("-thumb.jpg") and width > 320:
        src = src[:-len("-thumb.jpg")] + ".jpg"
    return f"{src}?{urlencode({'w': width, 'f': fmt})}"


def picture(src: str | None, alt: str, width: int, height: int, sizes: str = "(max-width: 40rem) 100vw, 40rem",
            lazy: bool = True, widths: tuple[int, ...] = WIDTHS, css: str = "photo") -> Markup:
    """A photo as <picture>: WebP at 2–3 widths with a JPEG fallback; the browser picks by `sizes` and the screen.
    While data is saved: a small labelled box and a plain link that shows the photos (no script needed)."""
    if not src:
        return Markup("")
    if not show_photos():
        args = dict(request.args)
        args["foto"] = "1"
        link = request.path + "?" + urlencode(args)
        return Markup('<a class="ph {css}" href="{link}" style="aspect-ratio:{w}/{h}">{text}</a>').format(
            css=css, link=link, w=width, h=height, text=i18n.gettext("Tampilkan foto"))
    if not src.startswith(MEDIA_PREFIX):  # a picture from elsewhere (seed data from a CDN): as it is
        return Markup('<img class="{c}" src="{s}" alt="{a}" width="{w}" height="{h}"{l}>').format(
            c=css, s=src, a=alt, w=width, h=height, l=Markup(' loading="lazy"') if lazy else "")
    webp = ", ".join(f"{escape(photo_variant(src, w, 'webp'))} {w}w" for w in widths)
    jpeg = ", ".join(f"{escape(photo_variant(src, w, 'jpeg'))} {w}w" for w in widths)
    return Markup('<picture><source type="image/webp" srcset="{webp}" sizes="{sizes}">'
                  '<img class="{c}" src="{fallback}" srcset="{jpeg}" sizes="{sizes}" alt="{a}" width="{w}" '
                  'height="{h}"{l}></picture>').format(
        webp=Markup(webp), jpeg=Markup(jpeg), sizes=sizes, c=css, fallback=photo_variant(src, widths[0], "jpeg"),
        a=alt, w=width, h=height, l=Markup(' loading="lazy"') if lazy else "")


@bp.app_context_processor
def _reach_helpers():
    return {"picture": picture, "save_data": save_data, "show_photos": show_photos}


@bp.after_app_request
def _vary_on_save_data(response):
    if request.endpoint and request.endpoint.startswith("web.") and request.endpoint != "web.static":
        response.vary.add("Save-Data")  # the same address answers lighter when data is saved
    return response


@bp.route("/hemat-kuota", methods=["POST"])
def toggle_save_data():
    """The "Hemat kuota" switch: a cookie for a year (visitors and signed-in people alike), back to the page."""
    target = request.form.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    on = request.form.get("on") == "1"
    response = redirect(target, code=303)
    response.set_cookie(SAVE_DATA_COOKIE, "1" if on else "0", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    if g.get("user") is not None:  # signed in: an account setting too, for the person's other devices
        accounts_bridge.set_save_data(g.user.user_id, on)
    return response


def account_saves_data(user_id: str) -> bool:
    try:
        return accounts_bridge.save_data_of(user_id)
    except Exception:  # the accounts database is busy: pages still show, with photos
        log.warning("could not read the account's Hemat kuota setting", exc_info=True)
        return False


# -- short links and posters -----------------------------------------------------------------------------------
@bp.route("/p/<code>")
def short_product(code: str):
    listing_id = from_short(code)
    if listing_id is None:
        return render("message.html", 404, title=i18n.gettext("Produk tidak ditemukan"), text="")
    return redirect(url_for("web.listing", listing_id=listing_id), code=301)


@bp.route("/t/<code>")
def short_shop(code: str):
    shop_id = from_short(code)
    if shop_id is None:
        return render("message.html", 404, title=i18n.gettext("Toko tidak ditemukan"), text="")
    return redirect(url_for("web.shop", shop_id=shop_id), code=301)


def pdf_answer(data: bytes, name: str):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.route("/produk/<listing_id>/poster.pdf")
def product_poster(listing_id: str):
    from . import posters
    reply = get(f"/api/v1/products/{listing_id}")
    if reply.status == 404 or (reply.ok and not isinstance(reply.body, dict)):
        return render("message.html", 404, title=i18n.gettext("Produk tidak ditemukan"), text="")
    if not reply.ok:
        return render("message.html", 503, title=i18n.gettext("Layanan sedang sibuk"), text="")
    product = reply.body
    shop_reply = get(f"/api/v1/shops/{product.get('shop_id')}")
    shop = shop_reply.body if shop_reply.ok and isinstance(shop_reply.body, dict) else (product.get("shop") or {})
    shared = product_share(product, shop)
    size = "A5" if request.args.get("ukuran") == "A5" else "A6"
    return pdf_answer(posters.render(posters.Poster(title=shared["title"], url=shared["url"],
                                                    price=shared["price"], place=shared["place"],
                                                    line=shop.get("name") or "", size=size)),
                      f"poster-{short_code(listing_id) or 'produk'}.pdf")


@bp.route("/toko/<shop_id>/poster.pdf")
def shop_poster(shop_id: str):
    from . import posters
    reply = get(f"/api/v1/shops/{shop_id}")
    if reply.status == 404 or (reply.ok and not isinstance(reply.body, dict)):
        return render("message.html", 404, title=i18n.gettext("Toko tidak ditemukan"), text="")
    if not reply.ok:
        return render("message.html", 503, title=i18n.gettext("Layanan sedang sibuk"), text="")
    shared = shop_share(reply.body)
    size = "A6" if request.args.get("ukuran") == "A6" else "A5"
    return pdf_answer(posters.render(posters.Poster(title=shared["title"], url=shared["url"],
                                                    place=shared["place"],
                                                    line=i18n.gettext("Belanja langsung dari desa"), size=size)),
                      f"poster-toko-{short_code(shop_id) or 'toko'}.pdf")


i18n.EN.update({
    "Tampilkan foto": "Show photo",
    "Hemat kuota": "Save data",
    "nyala": "on",
    "mati": "off",
    "Hemat kuota: foto disembunyikan": "Saving data: photos hidden",
    "Tampilkan semua foto": "Show all photos",
    "Matikan hemat kuota": "Turn off data saving",
    "Nyalakan hemat kuota": "Turn on data saving",
    "Bagikan": "Share",
    "Bagikan ke WhatsApp": "Share on WhatsApp",
    "Tanya lewat WhatsApp": "Ask on WhatsApp",
    "Cetak poster": "Print a poster",
    "Tautan pendek": "Short link",
    "Halo, saya mau tanya tentang {title}: {url}": "Hello, I would like to ask about {title}: {url}",
    "Halo {name}, saya mau bertanya.": "Hello {name}, I have a question.",
    "Pembeli boleh bertanya lewat WhatsApp ke nomor ini": "Shoppers may ask on WhatsApp at this number",
    "Belanja langsung dari desa": "Buy straight from the village",
})
