"""Storefront: home, search, listing, shop, cart, checkout, payment, orders and their live timeline."""
from __future__ import annotations

import secrets

from flask import Response, g, redirect, request, stream_with_context, url_for

from pasar import config

from . import i18n, session
from .pages import bp, flash_back, login_required, render
from .session import Reply, get, get_all, post
from ..routes import upstream

SORTS = ("newest", "price_asc", "price_desc")
ADDRESS_FIELDS = ("name", "phone", "street", "village", "district", "regency", "province", "notes")


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


@bp.route("/")
def home():
    categories, shops, products = get_all(
        ("/api/v1/categories", None), ("/api/v1/shops", {"per_page": 6}),
        ("/api/v1/products", {"per_page": 12, "sort": "newest", "in_stock": "true"}))
    return render("home.html", categories=categories.items(), shops=shops.items()[:6],
                  products=products.items()[:12], catalog_down=products.unavailable)


@bp.route("/cari")
def search():
    filters = {
        "q": request.args.get("q", "").strip()[:100],
        "category": request.args.get("kategori", "").strip()[:64],
        "district": request.args.get("kecamatan", "").strip()[:64],
        "min_price": request.args.get("harga_min", "").strip()[:12],
        "max_price": request.args.get("harga_maks", "").strip()[:12],
        "sort": request.args.get("urut", "newest") if request.args.get("urut") in SORTS else "newest",
    }
    for key in ("min_price", "max_price"):
        digits = "".join(ch for ch in filters[key] if ch.isdigit())  # "Rp 10.000" -> 10000
        filters[key] = digits
    params = {k: v for k, v in filters.items() if v}
    params["per_page"] = 40
    products, categories = get_all(("/api/v1/products", params), ("/api/v1/categories", None))
    return render("search.html", filters=filters, products=products.items(), categories=categories.items(),
                  catalog_down=products.unavailable)


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
    return render("listing.html", product=product, shop=shop or {})


@bp.route("/toko/<shop_id>")
def shop(shop_id: str):
    reply, products = get_all((f"/api/v1/shops/{shop_id}", None),
                              (f"/api/v1/shops/{shop_id}/products", {"per_page": 60}))
    if reply.status == 404:
        return render("message.html", 404, title=i18n.gettext("Toko tidak ditemukan"), text="")
    if not reply.ok:
        return unavailable()
    return render("shop.html", shop=reply.body, products=products.items())


def unavailable():
    return render("message.html", 503, title=i18n.gettext("Layanan sedang sibuk"),
                  text=i18n.gettext("Coba lagi sebentar lagi."))


# -- cart ----------------------------------------------------------------------------------------------------
def cart_lines() -> tuple[list[dict], int]:
    lines, total = [], 0
    for listing_id, qty in list(session.cart().items())[:30]:  # a few small cached reads; carts are short
        reply = get(f"/api/v1/products/{listing_id}")
        if reply.ok and isinstance(reply.body, dict):
            product = reply.body
            subtotal = int(product.get("price") or 0) * qty
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
    try:
        qty = max(1, min(99, int(request.form.get("qty", "1"))))
    except ValueError:
        qty = 1
    items = dict(session.cart())
    if listing_id:
        items[listing_id] = min(99, items.get(listing_id, 0) + qty)
    response = flash_back("web.cart", "added")
    session.save_cart(response, items)
    return response


@bp.route("/keranjang/ubah", methods=["POST"])
def cart_update():
    items = dict(session.cart())
    listing_id = request.form.get("listing_id", "")
    if listing_id in items:
        try:
            qty = int(request.form.get("qty", "0"))
        except ValueError:
            qty = items[listing_id]
        if qty <= 0:
            items.pop(listing_id)
        else:
            items[listing_id] = min(99, qty)
    response = flash_back("web.cart")
    session.save_cart(response, items)
    return response


# -- checkout and payment ------------------------------------------------------------------------------------
@bp.route("/checkout", methods=["GET", "POST"])
@login_required("shopper")
def checkout():
    lines, total = cart_lines()
    lines = [line for line in lines if not line.get("gone")]
    if not lines:
        return redirect(url_for("web.cart"))
    address = {k: request.form.get(k, "").strip()[:200] for k in ADDRESS_FIELDS}
    if request.method == "GET":
        address.update({"name": g.user.name or "", "district": g.user.district or ""})
    errors: dict = {}
    method = request.form.get("payment_method", "cod")
    if request.method == "POST":
        for required in ("name", "phone", "street", "district"):
            if not address[required]:
                errors[required] = i18n.gettext("Wajib diisi")
        if method not in ("card", "cod"):
            errors["payment_method"] = i18n.gettext("Pilih cara bayar")
        if not errors:
            # the form's one-time key: a double tap on "Buat pesanan" places one order, not two
            key = request.form.get("checkout_key", "")[:100] or None
            reply = post("/api/v1/orders", json_body={
                "items": [{"listing_id": line["product"]["id"], "qty": line["qty"]} for line in lines],
                "payment_method": method, "delivery_address": {k: v for k, v in address.items() if v}},
                headers={"Idempotency-Key": f"web-{g.user.user_id}-{key}"} if key else None)
            if reply.ok:
                order_id = reply.body["id"]
                target = url_for("web.pay", order_id=order_id) if method == "card" else url_for(
                    "web.order", order_id=order_id)
                response = redirect(target, code=303)
                session.save_cart(response, {})
                return response
            errors = flatten_fields(reply.fields) or {"_": reply.message or i18n.gettext("Pesanan gagal dibuat")}
    checkout_key = request.form.get("checkout_key") or secrets.token_urlsafe(12)
    return render("checkout.html", 422 if errors else 200, lines=lines, total=total, address=address,
                  method=method, errors=errors, checkout_key=checkout_key)


def flatten_fields(fields: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in (fields or {}).items():
        if isinstance(value, dict):
            flat.update(flatten_fields(value, ""))
        else:
            flat[key] = " ".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else str(value)
    return flat


def order_or_404(order_id: str) -> tuple[dict | None, object]:
    reply = get(f"/api/v1/orders/{order_id}")
    if reply.ok:
        return reply.body, None
    if reply.status in (401, 403, 404):
        return None, render("message.html", 404, title=i18n.gettext("Pesanan tidak ditemukan"), text="")
    return None, unavailable()


def payment_of(order_id: str) -> Reply:
    return get(f"/api/v1/payments/orders/{order_id}")


@bp.route("/bayar/<order_id>", methods=["GET", "POST"])
@login_required("shopper")
def pay(order_id: str):
    order, problem = order_or_404(order_id)
    if problem:
        return problem
    payment = payment_of(order_id)
    error = None
    if request.method == "POST":
        card = {"number": request.form.get("card_number", "").replace(" ", "")[:19],
                "exp": request.form.get("card_exp", "")[:7], "cvc": request.form.get("card_cvc", "")[:4],
                "name": request.form.get("card_name", "")[:100]}
        pid = payment.body.get("payment_id") if payment.ok else None
        reply = post(f"/api/v1/payments/{pid}/sandbox", json_body={"card_number": card["number"]}) if pid \
            else Reply(409)
        if reply.ok and reply.body.get("status") not in ("failed", "declined", "FAILED"):
            return redirect(url_for("web.order", order_id=order_id, note="paid"), code=303)
        error = (reply.body or {}).get("failure_reason") if reply.ok else reply.message
        error = error or i18n.gettext("Pembayaran ditolak")
        payment = payment_of(order_id)
    stripe_key = (payment.body or {}).get("publishable_key") if payment.ok else None
    stripe_key = stripe_key or config.setting("STRIPE_PUBLISHABLE_KEY")
    return render("pay.html", 402 if error else 200, order=order, payment=payment.body if payment.ok else None,
                  stripe_key=stripe_key, error=error)


TIMELINE = ("PLACED", "AWAITING_PAYMENT", "CONFIRMED", "READY_FOR_PICKUP", "ASSIGNED", "PICKED_UP", "DELIVERED",
            "COMPLETED")
FULFILLMENT_STEPS = ("PENDING", "READY_FOR_PICKUP", "ASSIGNED", "PICKED_UP", "DELIVERED")


def timeline(order: dict) -> list[dict]:
    """The order's steps for the shopper: done, current, or still to come; one delivery track per seller."""
    status = order.get("status", "PLACED")
    steps = ["PLACED"] + (["AWAITING_PAYMENT"] if order.get("payment_method") == "card" else []) + ["CONFIRMED"]
    if status in ("CANCELLED", "REJECTED"):
        reached = [s for s in steps if TIMELINE.index(s) <= TIMELINE.index("PLACED")]
        return [{"status": s, "state": "done"} for s in reached] + [{"status": status, "state": "stopped"}]
    order_rank = {"PLACED": 0, "AWAITING_PAYMENT": 1, "CONFIRMED": 2, "COMPLETED": 9}.get(status, 2)
    out = []
    for step in steps:
        rank = {"PLACED": 0, "AWAITING_PAYMENT": 1, "CONFIRMED": 2}[step]
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


@bp.route("/pesanan/<order_id>")
@login_required()
def order(order_id: str):
    found, problem = order_or_404(order_id)
    if problem:
        return problem
    template = "order_live.html" if request.args.get("fragment") else "order.html"
    return render(template, order=found, steps=timeline(found), track=fulfillment_track,
                  note=request.args.get("note"))


@bp.route("/pesanan/<order_id>/batal", methods=["POST"])
@login_required("shopper")
def cancel_order(order_id: str):
    reply = post(f"/api/v1/orders/{order_id}/cancel", json_body={})
    return flash_back("web.order", "cancelled" if reply.ok else "cancel_failed", order_id=order_id)


@bp.route("/pesanan")
@login_required()
def orders():
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
