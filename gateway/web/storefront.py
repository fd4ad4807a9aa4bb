"""Storefront: home, search, listing, shop, cart, checkout, payment, orders and their live timeline."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from flask import Response, g, redirect, request, stream_with_context, url_for

from pasar import config, quantity

from . import accounts_bridge, complaint_pages, harvest_pages, i18n, rails, session, sharing
from . import cart as cart_store
from .pages import bp, flash_back, login_required, render, rupiah_text
from .forms import flatten_fields, general_error
from .reply import Reply
from .review_pages import reviews_of
from .session import call, get, get_all, post
from ..routes import upstream

SORTS = ("relevance", "newest", "popular", "rating", "price_asc", "price_desc")
PER_PAGE = 20  # a page of results stays light on a slow link; "next page" brings more
ADDRESS_FIELDS = ("name", "phone", "street", "village", "district", "regency", "province", "notes")
SAVED_ADDRESS_CODES = ("village_code", "district_code", "regency_code", "province_code")


def photo_of(item: dict) -> str | None:
    """The small picture of a listing or shop for lists (thumbnails keep pages light on slow links)."""
    if item.get("thumb_url") or item.get("photo_thumb_url"):
        return item.get("thumb_url") or item.get("photo_thumb_url")
    for key in ("photos", "images", "media"):
        value = item.get(key)
        if isinstance(value, list) and value:
            first = value[0]
            return first if isinstance(first, str) else (first or {}).get("url")
    return item.get("photo_url") or item.get("image_url") or item.get("photo") or None


def shops_by_id(ids) -> dict:
    found = {}
    for shop_id in list(dict.fromkeys(i for i in ids if i))[:20]:
        reply = get(f"/api/v1/shops/{shop_id}")
        if reply.ok and isinstance(reply.body, dict):
            found[shop_id] = reply.body
    return found


@bp.app_context_processor
def _storefront_helpers():
    return {"photo_of": photo_of}


def featured(shops: list[dict], how_many: int = 6) -> list[dict]:
    """Village shops worth a visit: ones with something on sale, those with a picture first."""
    selling = [s for s in shops if (s.get("listing_count") or 0) > 0]
    return sorted(selling, key=lambda s: (photo_of(s) is None, -(s.get("listing_count") or 0)))[:how_many]


@bp.route("/")
def home():
    categories, shops, products = get_all(
        ("/api/v1/categories", None), ("/api/v1/shops", {"per_page": 40}),
        ("/api/v1/products", {"per_page": 12, "sort": "newest", "in_stock": "true"}))
    return render("home.html", categories=categories.items(), shops=featured(shops.items()),
                  products=products.items()[:12], catalog_down=products.unavailable)


@bp.route("/cari")
def search():
    filters = {
        "q": request.args.get("q", "").strip()[:100],
        "category": request.args.get("kategori", "").strip()[:64],
        "district": request.args.get("kecamatan", "").strip()[:64],
        "min_price": request.args.get("harga_min", "").strip()[:12],
        "max_price": request.args.get("harga_maks", "").strip()[:12],
        "sort": request.args.get("urut") if request.args.get("urut") in SORTS else "relevance",
        "in_stock": "true" if request.args.get("ada_stok") else "",
    }
    for key in ("min_price", "max_price"):
        digits = "".join(ch for ch in filters[key] if ch.isdigit())[:12]  # "Rp 10.000" -> 10000
        filters[key] = digits
    page = request.args.get("halaman", "1")
    page = max(1, min(500, int(page))) if page.isdigit() else 1
    params = {k: v for k, v in filters.items() if v}
    params.update(per_page=PER_PAGE, page=page)
    products, categories = get_all(("/api/v1/products", params), ("/api/v1/categories", None))
    body = products.body if isinstance(products.body, dict) else {}
    wrong_range = products.status == 422 and "max_price" in products.fields
    # the links to the previous and next page keep every filter (they are plain links: no script needed)
    query = {k: v for k, v in request.args.items() if k != "halaman" and v}
    pages = int(body.get("pages") or 1)
    return render("search.html", filters=filters, products=products.items(), categories=categories.items(),
                  catalog_down=products.unavailable, total=body.get("total", len(products.items())),
                  page=page, pages=pages, wrong_range=wrong_range, did_you_mean=body.get("did_you_mean"),
                  did_you_mean_url=url_for("web.search", **{**query, "q": body["did_you_mean"]})
                  if body.get("did_you_mean") else None,
                  prev_url=url_for("web.search", **query, halaman=page - 1) if page > 1 else None,
                  next_url=url_for("web.search", **query, halaman=page + 1) if page < pages else None)


@bp.route("/produk/<listing_id>")
def listing(listing_id: str):
    reply = get(f"/api/v1/products/{listing_id}")
    if reply.status == 404:
        return render("message.html", 404, title=i18n.gettext("Produk tidak ditemukan"),
                      text=i18n.gettext("Produk ini sudah tidak dijual."))
    if not reply.ok:
        return unavailable()
    product = reply.body
    # the listing carries a brief of its shop; the seller's story and village come from the full profile
    shop = shops_by_id([product.get("shop_id")]).get(product.get("shop_id")) or product.get("shop")
    return render("listing.html", product=product, shop=shop or {}, share=sharing.product_share(product, shop or {}),
                  reviews=reviews_of(listing_id=product.get("id")), note=request.args.get("note"))


@bp.route("/toko/<shop_id>")
def shop(shop_id: str):
    page = request.args.get("halaman", "1")
    page = max(1, min(500, int(page))) if page.isdigit() else 1
    reply, products = get_all((f"/api/v1/shops/{shop_id}", None),
                              (f"/api/v1/shops/{shop_id}/products", {"per_page": PER_PAGE, "page": page}))
    if reply.status == 404:
        return render("message.html", 404, title=i18n.gettext("Toko tidak ditemukan"), text="")
    if not reply.ok:
        return unavailable()
    pages = int((products.body or {}).get("pages") or 1) if isinstance(products.body, dict) else 1
    return render("shop.html", shop=reply.body, products=products.items(), share=sharing.shop_share(reply.body),
                  reviews=reviews_of(seller_id=reply.body.get("seller_id")) if page == 1 else [],
                  note=request.args.get("note"),
                  page=page, pages=pages,  # a long shop is paged like search: light on a slow link
                  prev_url=url_for("web.shop", shop_id=shop_id, halaman=page - 1) if page > 1 else None,
                  next_url=url_for("web.shop", shop_id=shop_id, halaman=page + 1) if page < pages else None)


def unavailable():
    return render("message.html", 503, title=i18n.gettext("Layanan sedang sibuk"),
                  text=i18n.gettext("Coba lagi sebentar lagi."))


# -- cart ----------------------------------------------------------------------------------------------------
def form_qty(text: str | None, otherwise: Decimal) -> Decimal:
    """A quantity typed in a form: "2", "1.5" or "1,5" (kg), exact; anything else keeps `otherwise`."""
    try:
        return quantity.parse((text or "").strip())
    except quantity.NotAQuantity:
        return otherwise


def cart_lines() -> tuple[list[dict], int]:
    lines, total = [], 0
    for listing_id, qty in list(cart_store.items().items())[:30]:  # a few small cached reads; carts are short
        reply = get(f"/api/v1/products/{listing_id}")
        if reply.ok and isinstance(reply.body, dict):
            product = reply.body
            subtotal = quantity.line_total(qty, int(product.get("price") or 0))  # half-up, whole rupiah
            total += subtotal
            lines.append({"product": product, "qty": qty, "subtotal": subtotal})
        elif reply.status == 404:
            lines.append({"product": {"id": listing_id, "title": i18n.gettext("Produk tidak tersedia")},
                          "qty": qty, "subtotal": 0, "gone": True})
    return lines, total


@bp.route("/keranjang")
def cart():
    lines, total = cart_lines()
    by_shop: dict[str, list] = {}
    for line in lines:
        by_shop.setdefault(line["product"].get("shop_id") or "", []).append(line)
    shops = shops_by_id(by_shop)
    return render("cart.html", groups=[(shops.get(k, {"id": k}), v) for k, v in by_shop.items()], total=total,
                  note=request.args.get("note"))


@bp.route("/keranjang/tambah", methods=["POST"])
def cart_add():
    listing_id = request.form.get("listing_id", "")[:64]
    qty = form_qty(request.form.get("qty", "1"), Decimal(1))
    qty = min(Decimal(99), qty) if qty > 0 else Decimal(1)
    response = flash_back("web.cart", "added")
    taken = cart_store.add(response, listing_id, qty, session.idempotency("cart")) if listing_id else True
    if taken is not True:
        return flash_back("web.cart", taken or "full")
    return response


@bp.route("/keranjang/ubah", methods=["POST"])
def cart_update():
    items = cart_store.items()
    listing_id = request.form.get("listing_id", "")
    response = flash_back("web.cart")
    if listing_id in items:
        qty = Decimal(0) if request.form.get("hapus") else form_qty(request.form.get("qty", "0"), items[listing_id])
        cart_store.set_qty(response, listing_id, qty)
    return response


# -- checkout and payment ------------------------------------------------------------------------------------
@bp.route("/checkout", methods=["GET", "POST"])
@login_required("shopper")
def checkout():
    preorder = preorder_line()   # "Pra-pesan" on a product page: that harvest batch alone, not the cart
    if preorder is not None:
        lines, total = [preorder], preorder["subtotal"]
    else:
        lines, total = cart_lines()
        lines = [line for line in lines if not line.get("gone")]
    if not lines:
        return already_placed() or redirect(url_for("web.cart"))
    address = {k: request.form.get(k, "").strip()[:200] for k in ADDRESS_FIELDS}
    saved = accounts_bridge.saved_addresses(g.user.user_id)
    chosen_id = request.form.get("saved_address", saved[0]["id"] if saved and request.method == "GET" else "")
    chosen = next((a for a in saved if a["id"] == chosen_id), None)
    if request.method == "GET" and not chosen:
        address.update(last_address())
    if chosen:  # a saved address: its official names and codes, never retyped
        address = {**{k: chosen.get(k) or "" for k in ADDRESS_FIELDS},
                   **{k: chosen[k] for k in SAVED_ADDRESS_CODES if chosen.get(k)}}
    errors: dict = {}
    method = request.form.get("payment_method", "cod")
    days = harvest_pages.window_days(lines)   # perishables the seller limited to a delivery window (issue 17)
    window = {"date": request.form.get("window_date") if request.form.get("window_date") in days else
              (days[0] if days else ""), "slot": request.form.get("window_slot") or ""}
    if request.method == "POST":
        for required in ("name", "phone", "street", "district"):
            if not address[required]:
                errors[required] = i18n.gettext("Wajib diisi")
        channels = offered_channels()
        if method != "cod" and method not in channels:
            errors["payment_method"] = i18n.gettext("Pilih cara bayar")
        if days and window["slot"] not in harvest_pages.SLOTS:
            errors["delivery_window"] = i18n.gettext("Pilih waktu antar")
        if not errors:
            reply = post("/api/v1/orders", json_body={
                "items": [{"listing_id": line["product"]["id"], "qty": quantity.wire(line["qty"]),
                           **({"batch_id": line["batch_id"]} if line.get("batch_id") else {})} for line in lines],
                "payment_method": "cod" if method == "cod" else "card",  # orders: paid at the door, or online
                "delivery_address": {k: v for k, v in address.items() if v},
                **({"delivery_window": window} if days else {})},
                headers=session.idempotency("order"))  # a double tap on "Buat pesanan" places one order
            if reply.ok:
                order_id = reply.body["id"]
                if method not in ("cod", "card"):  # QRIS, a VA, an e-wallet: payments opens it there
                    call("PUT", f"/api/v1/payments/orders/{order_id}/channel", json_body={"channel": method})
                target = url_for("web.pay", order_id=order_id) if method != "cod" else url_for(
                    "web.order", order_id=order_id)
                response = redirect(target, code=303)
                if preorder is None:
                    cart_store.clear(response)
                return response
            errors = flatten_fields(reply.fields) or {"_": general_error(reply, "Pesanan gagal dibuat")}
            if errors and "_" not in errors:
                errors["_"] = i18n.gettext("Ada isian yang perlu diperbaiki.")
    return render("checkout.html", 422 if errors else 200, lines=lines, total=total, address=address,
                  preorder_args={"pra": preorder["product"]["id"], "jumlah": quantity.wire(preorder["qty"])}
                  if preorder else {}, window_days=days, window=window,
                  method=method, errors=errors, delivery=delivery_quote(lines, address.get("district"),
                                                                        address.get("district_code")),
                  saved=saved, chosen_id=chosen["id"] if chosen else "",
                  channels=offered_channels(), channel_label=rails.channel_label)


def preorder_line() -> dict | None:
    """The pre-order a product page's "Pra-pesan" form asks for (`pra` = the listing, `jumlah`): one line at the
    open harvest batch's price; None when there is none (or the batch closed meanwhile: the cart goes on)."""
    listing_id = (request.values.get("pra") or "")[:64]
    if not listing_id:
        return None
    reply = get(f"/api/v1/products/{listing_id}")
    product = reply.body if reply.ok and isinstance(reply.body, dict) else None
    batch = (product or {}).get("harvest")
    if not batch:
        return None
    qty = form_qty(request.values.get("jumlah", ""), quantity.parse(product.get("min_qty") or 1))
    qty = qty if qty > 0 else quantity.parse(product.get("min_qty") or 1)
    return {"product": product, "qty": qty, "subtotal": quantity.line_total(qty, int(batch["price"])),
            "batch_id": batch["id"]}


def already_placed():
    """A checkout resent after its answer was lost (a slow link: the phone sends the form again): the first one
    placed the order and emptied the cart, so the resend goes to that order's page instead of an empty cart."""
    key = session.idempotency("order") if request.method == "POST" else None
    if not key:
        return None
    reply = get(f"/api/v1/orders/by-key/{quote(key['Idempotency-Key'], safe='')}")
    if not reply.ok or not isinstance(reply.body, dict) or not reply.body.get("id"):
        return None
    order_id, paid_at_door = reply.body["id"], reply.body.get("payment_method") == "cod"
    return redirect(url_for("web.order", order_id=order_id) if paid_at_door else url_for("web.pay", order_id=order_id),
                    code=303)


def offered_channels() -> list[str]:
    """The online channels the operator turned on (payments says which); the card alone if it cannot say."""
    reply = get("/api/v1/payments/channels")
    found = [c.get("channel") for c in (reply.body or {}).get("channels") or []] if reply.ok and isinstance(
        reply.body, dict) else []
    return [c for c in found if isinstance(c, str)] or ["card"]


def delivery_quote(lines: list[dict], district: str | None, district_code: str | None = None) -> dict | None:
    """What delivery will add, before the order is placed: one fee per seller from the shop's district to the
    address' (orders' own tariff, the rule it charges with). Without a district yet: the tariff itself. A shop
    and a saved address that both have an official district code compare codes, as orders charges (issue 18)."""
    sellers: dict[str, tuple[str, str, bool]] = {}  # seller -> (shop name, district or district code, by code)
    for line in lines:
        product, shop = line["product"], line["product"].get("shop") or {}
        by_code = bool(district_code and shop.get("district_code"))
        sellers.setdefault(product.get("seller_id") or product.get("shop_id") or "",
                           (shop.get("name") or "", shop["district_code"] if by_code else
                            shop.get("district") or district or "", by_code))
    params: dict = {"from": [d for _, d, by_code in sellers.values() if d and not by_code]}
    if district:
        params["to"] = district
    reply = get("/api/v1/delivery-fees", params=params)
    if not reply.ok or not isinstance(reply.body, dict):
        return None
    same, other = reply.body["same_district"], reply.body["other_district"]
    fees = {f["from"]: f["fee"] for f in reply.body.get("fees") or []}
    per_seller = [(name, (same if d == district_code else other) if by_code else fees[d])
                  for name, d, by_code in sellers.values() if by_code or d in fees] if district else []
    return {"per_seller": per_seller, "total": sum(fee for _, fee in per_seller), "same": same, "other": other}


def last_address() -> dict:
    """The address of the shopper's last order, so a second order needs no typing; else name and district."""
    address = {"name": g.user.name or "", "district": g.user.district or ""}
    reply = get("/api/v1/orders", params={"limit": 1})
    previous = reply.items()[0].get("delivery_address") if reply.ok and reply.items() else None
    if isinstance(previous, dict):
        address.update({k: str(previous.get(k) or "")[:200] for k in ADDRESS_FIELDS if previous.get(k)})
    return address


def order_or_404(order_id: str) -> tuple[dict | None, object]:
    reply = get(f"/api/v1/orders/{order_id}")
    if reply.ok:
        return reply.body, None
    if reply.status in (401, 403, 404):
        return None, render("message.html", 404, title=i18n.gettext("Pesanan tidak ditemukan"), text="")
    return None, unavailable()


def payment_of(order_id: str) -> Reply:
    return get(f"/api/v1/payments/orders/{order_id}")


UNPAID_FOR_GOOD = ("failed", "cancelled")  # a payment that takes no more cards: the card attempts used up, or voided


def send_card(order_id: str, payment: Reply) -> tuple[bool, Reply, int, str | None]:
    """The card typed into the form, to payments' sandbox: (paid, the payment as it is now, the page's status,
    what to tell the shopper). Paid: 200 with the payment; declined: 402 with the payment as it is now (still
    pending while attempts are left); anything else is the form's error."""
    number = request.form.get("card_number", "").replace(" ", "")[:19]
    pid = payment.body.get("payment_id") if payment.ok else None
    reply = post(f"/api/v1/payments/{pid}/sandbox", json_body={"card_number": number}) if pid else Reply(409)
    now = reply.body if reply.ok else (reply.body or {}).get("payment") if reply.status == 402 \
        and isinstance(reply.body, dict) else None
    if isinstance(now, dict):
        return now.get("status") == "succeeded", Reply(200, now), 402, None
    return False, payment_of(order_id), 409 if reply.status == 409 else 422, card_error(reply)


def card_error(reply: Reply) -> str:
    card_problem = (reply.fields.get("card_number") or [None])[0]
    if card_problem:
        return i18n.field_text(reply.code, "card_number", card_problem, "Pembayaran ditolak")
    return i18n.error_text(reply.code, reply.message, "Pembayaran ditolak")


def pay_outcome(order: dict, shown: dict | None, status: int, error: str | None) -> dict:
    """What the pay page says about the payment as it is now: over for good (declined), or another card welcome."""
    # orders is about to cancel an order whose payment takes no more cards: say it now, not a form that cannot pay
    declined = bool(shown and shown.get("status") in UNPAID_FOR_GOOD
                    and order.get("status") in ("PLACED", "AWAITING_PAYMENT"))
    if shown and shown.get("status") == "failed" and shown.get("failure_reason") == "too_many_declines":
        declined, error = True, i18n.gettext("Kartu ditolak {n} kali, jadi pesanan ini dibatalkan.").format(
            n=int(shown.get("attempts") or 0))
    retry = bool(shown and shown.get("status") == "pending" and (shown.get("attempts") or 0) > 0
                 and order.get("status") == "AWAITING_PAYMENT")
    return {"declined": declined, "error": error,
            "retry": retry and status != 422}  # not a test card after a decline: one message is enough


@bp.route("/bayar/<order_id>", methods=["GET", "POST"])
@login_required("shopper")
def pay(order_id: str):
    """The card form. A declined card is one attempt: the same page says so, large, with the attempts left and the
    form again. Only a payment that is over (attempts used up, voided) leads to "put the things back in the cart"."""
    order, problem = order_or_404(order_id)
    if problem:
        return problem
    payment, status, error = payment_of(order_id), 200, None
    if request.method == "POST":
        paid, payment, status, error = send_card(order_id, payment)
        if paid:
            return redirect(url_for("web.order", order_id=order_id, note="paid"), code=303)
        order = order_or_404(order_id)[0] or order
    return pay_page(order, payment, status, error)


def pay_page(order: dict, payment: Reply, status: int, error: str | None):
    shown = payment.body if payment.ok and isinstance(payment.body, dict) else None
    stripe_key = (payment.body or {}).get("publishable_key") if payment.ok else None
    return render("pay.html", status, order=order, payment=shown,
                  stripe_key=stripe_key or config.setting("STRIPE_PUBLISHABLE_KEY"), rail=rail_view(shown),
                  attempts_left=int((shown or {}).get("attempts_left") or 0), **pay_outcome(order, shown, status, error))


def rail_view(payment: dict | None) -> dict | None:
    """A local rail's next action, ready to show: the QR drawn, the VA's steps, the time left."""
    action = (payment or {}).get("next_action") or {}
    if action.get("kind") not in ("qr", "va", "deeplink", "redirect") or payment.get("status") != "pending":
        return None
    return {**action, "label": rails.channel_label(payment.get("channel")),
            "qr_image": rails.qr_png_data_uri(action["qr_string"]) if action.get("qr_string") else None,
            "steps": rails.va_steps(action.get("va_bank")) if action.get("kind") == "va" else [],
            "left": rails.time_left(action.get("expires_at")), "amount_text": rupiah_text(payment.get("amount"))}


@bp.route("/bayar/<order_id>/cek", methods=["POST"])
@login_required("shopper")
def pay_check(order_id: str):
    """"Saya sudah bayar": payments asks the provider now; paid goes to the order, else the same page says so."""
    order, problem = order_or_404(order_id)
    if problem:
        return problem
    payment = payment_of(order_id)
    pid = payment.body.get("payment_id") if payment.ok and isinstance(payment.body, dict) else None
    checked = post(f"/api/v1/payments/{pid}/check") if pid else payment
    if checked.ok and (checked.body or {}).get("status") == "succeeded":
        return redirect(url_for("web.order", order_id=order_id, note="paid"), code=303)
    return pay_page(order_or_404(order_id)[0] or order, payment_of(order_id), 200,
                    i18n.gettext("Pembayaran belum kami terima. Kalau sudah membayar, tunggu sebentar lalu coba lagi."))


TIMELINE = ("PLACED", "AWAITING_PAYMENT", "AWAITING_HARVEST", "CONFIRMED", "READY_FOR_PICKUP", "ASSIGNED", "PICKED_UP", "DELIVERED",
            "COMPLETED")
FULFILLMENT_STEPS = ("PENDING", "READY_FOR_PICKUP", "ASSIGNED", "PICKED_UP", "DELIVERED")


def timeline(order: dict) -> list[dict]:
    """The order's steps for the shopper: done, current, or still to come; one delivery track per seller. A
    pre-order (issue 17) waits for its harvest, after its payment (paid at order) or before it (paid at harvest)."""
    status = order.get("status", "PLACED")
    card = order.get("payment_method") == "card"
    preorder = order.get("preorder") or None
    if preorder and preorder.get("pay_at") == "order" and card:
        steps = ["PLACED", "AWAITING_PAYMENT", "AWAITING_HARVEST", "CONFIRMED"]
    elif preorder:
        steps = ["PLACED", "AWAITING_HARVEST"] + (["AWAITING_PAYMENT"] if card else []) + ["CONFIRMED"]
    else:
        steps = ["PLACED"] + (["AWAITING_PAYMENT"] if card else []) + ["CONFIRMED"]
    if status in ("CANCELLED", "REJECTED"):
        reached = [s for s in steps if TIMELINE.index(s) <= TIMELINE.index("PLACED")]
        return [{"status": s, "state": "done"} for s in reached] + [{"status": status, "state": "stopped"}]
    order_rank = steps.index(status) if status in steps else (9 if status == "COMPLETED" else len(steps) - 1)
    out = []
    for rank, step in enumerate(steps):
        out.append({"status": step, "state": "done" if rank < order_rank or (rank == order_rank and step == "CONFIRMED")
                    else "current" if rank == order_rank else "todo"})
    if status == "COMPLETED":
        out.append({"status": "COMPLETED", "state": "done"})
    return out


def fulfillment_track(fulfillment: dict) -> list[dict]:
    status = fulfillment.get("status", "PENDING")
    rank = FULFILLMENT_STEPS.index(status) if status in FULFILLMENT_STEPS else 0
    return [{"status": s, "state": "done" if i < rank or (i == rank and s == "DELIVERED") else
             "current" if i == rank else "todo"} for i, s in enumerate(FULFILLMENT_STEPS)]


def times_of(order: dict) -> dict:
    """When each step happened: {(fulfillment_id or None, status): timestamp}, from the order's timeline."""
    times: dict = {}
    for entry in order.get("timeline") or []:
        if isinstance(entry, dict) and entry.get("status"):
            times.setdefault((entry.get("fulfillment_id"), entry["status"]), entry.get("at"))
    for f in order.get("fulfillments") or []:
        for status, key in (("READY_FOR_PICKUP", "ready_at"), ("PICKED_UP", "picked_up_at"),
                            ("DELIVERED", "delivered_at")):
            if f.get(key):
                times.setdefault((f.get("id"), status), f[key])
    return times


@bp.route("/pesanan/<order_id>")
@login_required()
def order(order_id: str):
    found, problem = order_or_404(order_id)
    if problem:
        return problem
    template = "order_live.html" if request.args.get("fragment") else "order.html"
    titles = {}
    if found.get("status") == "REJECTED":  # which product was short: its name, not its id
        for problem in (found.get("problems") or [])[:10]:
            reply = get(f"/api/v1/products/{problem.get('listing_id')}")
            if reply.ok and isinstance(reply.body, dict):
                titles[problem.get("listing_id")] = reply.body.get("title")
    return render(template, order=found, steps=timeline(found), track=fulfillment_track, times=times_of(found),
                  titles=titles,
                  reason=i18n.CANCEL_REASONS.get(found.get("cancel_reason") or "")
                  or (i18n.CANCEL_REASONS["stock"] if found.get("status") == "REJECTED" else None),
                  note=request.args.get("note"),
                  complaints={} if request.args.get("fragment") else complaint_pages.by_fulfillment({"order_id": order_id}))


@bp.route("/pesanan/<order_id>/beli-lagi", methods=["POST"])
@login_required("shopper")
def buy_again(order_id: str):
    """The things of an order (cancelled: the card attempts used up, say) back into the cart, in one tap."""
    found, problem = order_or_404(order_id)
    if problem:
        return problem
    items = cart_store.items()
    response = flash_back("web.cart", "again")
    for line in found.get("items") or found.get("lines") or []:
        listing_id, qty = str(line.get("listing_id") or "")[:64], form_qty(str(line.get("qty") or 0), Decimal(0))
        if listing_id and qty > items.get(listing_id, 0):  # up to the order's quantity, not on top of it
            cart_store.set_qty(response, listing_id, qty)
    return response


@bp.route("/pesanan/<order_id>/batal", methods=["POST"])
@login_required("shopper")
def cancel_order(order_id: str):
    reply = post(f"/api/v1/orders/{order_id}/cancel", json_body={})
    return flash_back("web.order", "cancelled" if reply.ok else "cancel_failed", order_id=order_id)


@bp.route("/pesanan/<order_id>/diterima/<fulfillment_id>", methods=["POST"])
@login_required("shopper")
def confirm_receipt(order_id: str, fulfillment_id: str):
    """"Pesanan diterima": the shopper says this seller's parcel arrived (the seller's money is released)."""
    reply = post(f"/api/v1/orders/{order_id}/fulfillments/{fulfillment_id}/receive", json_body={})
    return flash_back("web.order", "received" if reply.ok else "receive_failed", order_id=order_id)


@bp.route("/pesanan")
@login_required()
def orders():
    if g.user.role in ("seller", "agent"):  # their orders are the ones to prepare
        return redirect(url_for("web.seller_orders"))
    if g.user.role == "courier":
        return redirect(url_for("web.courier_home"))
    reply = get("/api/v1/orders", params={"limit": 50})  # {"orders": [...]}
    return render("orders.html", orders=reply.items(), down=reply.unavailable)


# -- notifications: inbox and the live feed (EventSource cannot send a bearer header; the cookie can) --------------
@bp.route("/notifikasi")
@login_required()
def notifications():
    reply = get("/api/v1/notifications", params={"limit": 30})
    return render("notifications.html", items=reply.items(), down=reply.unavailable)


@bp.route("/notifikasi/stream")
@login_required()
def notification_stream():
    headers = {"Authorization": f"Bearer {g.access_token}", "Accept": "text/event-stream"}
    if request.headers.get("Last-Event-ID"):
        headers["Last-Event-ID"] = request.headers["Last-Event-ID"]
    try:
        # short streams (the browser reconnects with Last-Event-ID): a gateway thread is not held for long
        upstream_resp = upstream().get(config.service_url("notifications") + "/api/v1/notifications/stream",
                                       params={"max_seconds": 25}, headers=headers, stream=True, timeout=(2, 40))
    except Exception:
        return Response("retry: 5000\n\n", status=200, mimetype="text/event-stream")
    if upstream_resp.status_code != 200:
        upstream_resp.close()
        return Response("retry: 10000\n\n", status=200, mimetype="text/event-stream")

    def relay():
        try:
            yield from upstream_resp.iter_content(chunk_size=None)
        finally:
            upstream_resp.close()

    return Response(stream_with_context(relay()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
