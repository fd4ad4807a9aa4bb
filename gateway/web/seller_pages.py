"""Seller dashboard (and the agent's view of the crafters' shops it manages): shop, listings with photos,
one-tap stock and price edits, incoming orders with "siap diambil", balance and payouts."""
from __future__ import annotations

from datetime import date

from flask import g, request

from pasar import quantity

from . import accounts_bridge, complaint_pages, i18n, session
from .forms import flatten_fields, general_error, to_int
from .pages import bp, flash_back, login_required, render
from .photo_upload import shrink_photo
from .reply import Reply
from .session import call, get, get_all, post

SHOP_FIELDS = ("name", "owner_name", "street", "village", "district", "regency", "province", "story", "whatsapp")
LISTING_FIELDS = ("title", "description", "category", "unit", "price", "stock", "min_qty", "qty_step",
                  "harvested_on", "shelf_life_days", "deliver_within", "delivery_window")
UNITS = ("pcs", "kg", "100g", "gram", "pack", "liter", "lembar", "ikat")
QUANTITY_FIELDS = ("stock", "min_qty", "qty_step")   # exact decimals: "1,5" or "1.5" (kg)


def my_shops() -> Reply:
    return get("/api/v1/shops", params={"mine": "true", "per_page": 100})


def chosen_shop(shops: list[dict]) -> dict | None:
    wanted = request.values.get("toko")
    for shop in shops:
        if shop.get("id") == wanted:
            return shop
    return shops[0] if shops else None


def upload_photo(listing_id: str, path: str | None = None) -> Reply | None:
    upload = request.files.get("photo")
    if not upload or not upload.filename:  # the camera's picture, else one chosen from the phone's gallery
        upload = request.files.get("photo_gallery")
    if not upload or not upload.filename:
        return None
    name, data, mimetype = shrink_photo(upload)
    return call("POST", path or f"/api/v1/products/{listing_id}/photos", files={"photo": (name, data, mimetype)},
                timeout=(2, 30), headers=session.idempotency("photo"))


def categories() -> list[dict]:
    return get("/api/v1/categories").items()


@bp.route("/penjual")
@login_required("seller", "agent")
def seller_home():
    shops_reply = my_shops()
    shops = shops_reply.items()
    shop = chosen_shop(shops)
    products = []
    if shop:
        products = get(f"/api/v1/shops/{shop['id']}/products", params={"status": "all", "per_page": 100}).items()
    return render("seller/home.html", shops=shops, shop=shop, products=products, down=shops_reply.unavailable,
                  note=request.args.get("note"), form={}, errors={})


@bp.route("/penjual/toko", methods=["POST"])
@login_required("seller", "agent")
def create_shop():
    form = {k: request.form.get(k, "").strip() for k in SHOP_FIELDS}
    body = {k: v for k, v in form.items() if v}
    reply = post("/api/v1/shops", json_body=body, headers=session.idempotency("shop"))
    if reply.ok:
        return flash_back("web.seller_home", "shop_created", toko=reply.body["id"])
    errors = flatten_fields(reply.fields) or {"_": general_error(reply, "Toko gagal dibuat")}
    shops = my_shops().items()
    return render("seller/home.html", 422, shops=shops, shop=None, products=[], down=False, note=None,
                  form=form, errors=errors, creating=True)


@bp.route("/penjual/toko/baru")
@login_required("agent")
def new_crafter_shop():
    return render("seller/home.html", shops=my_shops().items(), shop=None, products=[], down=False, note=None,
                  form={}, errors={}, creating=True)


@bp.route("/penjual/toko/<shop_id>/ubah", methods=["GET", "POST"])
@login_required("seller", "agent")
def edit_shop(shop_id: str):
    """The shop's story, address and photo, changed after opening (a crafter's story grows)."""
    shop = next((s for s in my_shops().items() if s.get("id") == shop_id), None)
    if shop is None:
        return render("message.html", 404, title=i18n.gettext("Toko tidak ditemukan"), text="")
    form, errors = {k: shop.get(k) or "" for k in SHOP_FIELDS}, {}
    form["whatsapp_chat"] = bool(shop.get("whatsapp_chat"))
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip() for k in SHOP_FIELDS}
        changes = {k: v for k, v in form.items() if v or k in ("story", "street", "province", "owner_name")}
        changes["whatsapp"] = form["whatsapp"] or None
        form["whatsapp_chat"] = changes["whatsapp_chat"] = bool(request.form.get("whatsapp_chat"))
        saved = call("PATCH", f"/api/v1/shops/{shop_id}", json_body=changes)
        if not saved.ok:
            errors = flatten_fields(saved.fields) or {"_": general_error(saved, "Belum tersimpan.")}
        else:
            photo = upload_photo(shop_id, f"/api/v1/shops/{shop_id}/photo")
            if photo is not None and not photo.ok:
                errors = {"photo": general_error(photo, "Foto gagal diunggah")}
        if not errors:
            return flash_back("web.seller_home", "saved", toko=shop_id)
    return render("seller/shop_form.html", 422 if errors else 200, shop=shop, form=form, errors=errors)


@bp.route("/penjual/toko/<shop_id>/desa", methods=["GET", "POST"])
@login_required("seller", "agent")
def shop_village(shop_id: str):
    """The shop's official village (issue 18), chosen step by step without JavaScript (province -> regency ->
    district -> village, each "Pilih" shows the next level), as the saved-address picker does. Saving sends the
    code with its official names: delivery fees and courier districts then come from the code."""
    from .account_pages import STEPS, picked_regions, region_options  # the same stepwise picker as addresses
    shop = next((s for s in my_shops().items() if s.get("id") == shop_id), None)
    if shop is None:
        return render("message.html", 404, title=i18n.gettext("Toko tidak ditemukan"), text="")
    picked = picked_regions()
    start = shop.get("village_code") or shop.get("village_suggestion")  # its village, or the migration's guess
    if request.method == "GET" and not picked and start:
        parts = start.split(".")
        picked = dict(zip(STEPS, (".".join(parts[:n]) for n in (1, 2, 3, 4))))
    errors: dict = {}
    if request.method == "POST" and not request.form.get("pilih"):
        places = accounts_bridge.region_chain(picked.get("village_code", ""))
        if places and "village" in places:
            changes = {"village_code": places["village"]["code"], "village": places["village"]["name"],
                       **{level: places[level]["name"] for level in ("district", "regency", "province")
                          if level in places}}
            saved = call("PATCH", f"/api/v1/shops/{shop_id}", json_body=changes)
            if saved.ok:
                return flash_back("web.seller_home", "saved", toko=shop_id)
            errors = {"_": general_error(saved, "Belum tersimpan.")}
        else:
            errors = {"village_code": i18n.gettext("Pilih provinsi, kabupaten/kota, kecamatan, lalu desa/kelurahan")}
    options = region_options(picked)
    return render("seller/shop_village.html", 422 if errors else 200, shop=shop, picked=picked, options=options,
                  errors=errors)


def listing_form_page(shop: dict, listing: dict | None, form: dict, errors: dict, status: int = 200,
                      note: str | None = None):
    return render("seller/listing_form.html", status, shop=shop, listing=listing, form=form, errors=errors,
                  categories=categories(), units=UNITS, note=note)


@bp.route("/penjual/produk/baru", methods=["GET", "POST"])
@login_required("seller", "agent")
def new_listing():
    shop = chosen_shop(my_shops().items())
    if shop is None:
        return flash_back("web.seller_home")
    form = {k: request.form.get(k, "").strip() for k in LISTING_FIELDS}
    if request.method == "GET":
        return listing_form_page(shop, None, {"unit": "pcs", "stock": "1"}, {})
    body = {"shop_id": shop["id"], "title": form["title"], "description": form["description"],
            "category": form["category"], "unit": form["unit"] or "pcs", "price": to_int(form["price"]),
            "stock": 0, "status": "draft" if request.form.get("draft") else "published"}
    produce, errors = produce_fields(form)
    body.update(produce)
    if body["price"] is None:
        errors["price"] = i18n.gettext("Isi harga dengan angka")
    if errors:
        return listing_form_page(shop, None, form, errors, 422)
    reply = post("/api/v1/products", json_body=body, headers=session.idempotency("listing"))
    if not reply.ok:
        errors = flatten_fields(reply.fields) or {"_": general_error(reply, "Produk gagal disimpan")}
        return listing_form_page(shop, None, form, errors, 422)
    listing_id = reply.body["id"]
    photo = upload_photo(listing_id)
    if photo is not None and not photo.ok:
        return flash_back("web.edit_listing", "photo_failed", listing_id=listing_id)
    return flash_back("web.seller_home", "draft_created" if body["status"] == "draft" else "listing_created",
                      toko=shop["id"])


def produce_fields(form) -> tuple[dict, dict]:
    """Stock, minimum and step as exact decimal strings ("1,5" typed is "1.5"), harvest date, shelf life and
    how near it delivers (issue 17); blank fields are left out (the catalog's defaults: from 1 in steps of 1).
    Returns the fields for the catalog and the ones that are not numbers or dates."""
    fields: dict = {}
    errors: dict = {}
    for key in QUANTITY_FIELDS:
        text = (form.get(key) or "").strip()
        if text:
            try:
                fields[key] = str(quantity.wire(quantity.parse(text)))
            except quantity.NotAQuantity:
                errors[key] = i18n.gettext("Isi dengan angka, misalnya 1,5")
    harvested = (form.get("harvested_on") or "").strip()
    if harvested:
        try:
            fields["harvested_on"] = date.fromisoformat(harvested).isoformat()
        except ValueError:
            errors["harvested_on"] = i18n.gettext("Isi tanggal seperti 2026-12-01")
    days = (form.get("shelf_life_days") or "").strip()
    if days:
        if days.isdigit() and len(days) <= 4:
            fields["shelf_life_days"] = int(days)
        else:
            errors["shelf_life_days"] = i18n.gettext("Isi dengan angka")
    if (form.get("deliver_within") or "") in ("", "district", "regency"):
        fields["deliver_within"] = form.get("deliver_within") or ""
    fields["delivery_window"] = form.get("delivery_window") == "1"   # a checkbox: absent when not ticked
    return fields, errors


def form_quantity(text: str | None):
    """A stock typed in a row ("12", "8,5"): exact, or None when it is not a number."""
    try:
        return quantity.parse((text or "").strip()) if (text or "").strip() else None
    except quantity.NotAQuantity:
        return None


def listing_changes(form) -> tuple[dict, dict]:
    """The edit form as the catalog's changes (a blank text field is left as it is, except the description,
    which may be emptied), and the numbers that are not numbers."""
    changes = {k: form.get(k, "").strip() for k in ("title", "description", "category", "unit")}
    changes = {k: v for k, v in changes.items() if v or k == "description"}
    produce, errors = produce_fields(form)
    changes.update(produce)
    for key in ("price",):
        if form.get(key, "").strip():
            value = to_int(form[key])
            if value is None:
                errors[key] = i18n.gettext("Isi dengan angka")
            else:
                changes[key] = value
    return changes, errors


def save_listing(listing_id: str, changes: dict) -> dict:
    """The changes, then a new photo if one came: the errors to show again (none: all saved)."""
    saved = call("PATCH", f"/api/v1/products/{listing_id}", json_body=changes)
    if not saved.ok:
        return flatten_fields(saved.fields) or {"_": general_error(saved, "Produk gagal disimpan")}
    photo = upload_photo(listing_id)
    if photo is not None and not photo.ok:
        return {"photo": general_error(photo, "Foto gagal diunggah")}
    return {}


@bp.route("/penjual/produk/<listing_id>", methods=["GET", "POST"])
@login_required("seller", "agent")
def edit_listing(listing_id: str):
    reply, mine = get_all((f"/api/v1/products/{listing_id}", None), ("/api/v1/shops", {"mine": "true", "per_page": 100}))
    # someone else's listing is "not found" here, as in the catalog's own answers
    if not reply.ok or (mine.ok and reply.body.get("shop_id") not in {s.get("id") for s in mine.items()}):
        return render("message.html", 404, title=i18n.gettext("Produk tidak ditemukan"), text="")
    listing = reply.body
    shop = {"id": listing.get("shop_id"), **(listing.get("shop") or {})}
    errors: dict = {}
    if request.method == "POST":
        changes, errors = listing_changes(request.form)
        errors = errors or save_listing(listing_id, changes)
        if not errors:
            return flash_back("web.seller_home", "saved", toko=shop["id"])
        listing = get(f"/api/v1/products/{listing_id}").body or listing
    form = {k: "" if listing.get(k) is None else listing.get(k) for k in LISTING_FIELDS}
    if request.args.get("note") == "photo_failed":
        errors.setdefault("photo", i18n.gettext("Foto gagal diunggah"))
    if request.args.get("note") == "photo_not_deleted":
        errors.setdefault("photo", i18n.gettext("Foto belum terhapus. Coba lagi."))
    return listing_form_page(shop, listing, form, errors, 422 if errors and request.method == "POST" else 200,
                             note=request.args.get("note"))


@bp.route("/penjual/produk/<listing_id>/foto/<photo_id>/hapus", methods=["POST"])
@login_required("seller", "agent")
def delete_photo(listing_id: str, photo_id: str):
    """A blurred or wrong picture taken away (the catalog keeps the others in their order)."""
    reply = call("DELETE", f"/api/v1/products/{listing_id}/photos/{photo_id}")
    return flash_back("web.edit_listing", "photo_deleted" if reply.ok else "photo_not_deleted", listing_id=listing_id)


@bp.route("/penjual/produk/<listing_id>/cepat", methods=["POST"])
@login_required("seller", "agent")
def quick_edit(listing_id: str):
    """One tap: +1 / -1 stock, or a new price or stock typed in the row.

    +1/-1 count from the stock the catalog holds now, not from the number printed on the page: a sale made
    while the page was open is not undone by the seller's tap."""
    changes = {}
    stock, step = form_quantity(request.form.get("stock")), request.form.get("step")
    price = to_int(request.form.get("price"))
    if step in ("+1", "-1"):
        current = get(f"/api/v1/products/{listing_id}")
        now = current.body if current.ok and isinstance(current.body, dict) else {}
        base = now.get("stock", stock)
        if base is not None:
            changes["stock"] = quantity.wire(max(0, quantity.parse(base) + int(step)))
        if price is not None and price != now.get("price"):  # a price typed before the tap is kept too
            changes["price"] = price
    else:
        if stock is not None:
            changes["stock"] = quantity.wire(stock)
        if price is not None:
            changes["price"] = price
    reply = call("PATCH", f"/api/v1/products/{listing_id}", json_body=changes) if changes else Reply(422)
    return flash_back("web.seller_home", "saved" if reply.ok else "not_saved", toko=request.form.get("toko"))


@bp.route("/penjual/produk/<listing_id>/status", methods=["POST"])
@login_required("seller", "agent")
def listing_status(listing_id: str):
    wanted = request.form.get("status")
    reply = post(f"/api/v1/products/{listing_id}/status", json_body={"status": wanted}) \
        if wanted in ("published", "draft", "archived") else Reply(422)
    return flash_back("web.seller_home", "saved" if reply.ok else "not_saved", toko=request.form.get("toko"))


@bp.route("/penjual/pesanan")
@login_required("seller", "agent")
def seller_orders():
    reply = get("/api/v1/fulfillments", params={"limit": 50})
    work = reply.items()
    waiting = [f for f in work if f.get("status") == "PENDING" and f.get("order_status") in (None, "CONFIRMED")]
    waiting.sort(key=lambda f: f.get("pickup_deadline") or "")  # the most urgent first
    others = [f for f in work if f not in waiting]
    complaints, _ = complaint_pages.complaints({})
    return render("seller/orders.html", waiting=waiting, others=others, down=reply.unavailable,
                  note=request.args.get("note"), complaints=complaints)


@bp.route("/penjual/pesanan/<fulfillment_id>/siap", methods=["POST"])
@login_required("seller", "agent")
def mark_ready(fulfillment_id: str):
    reply = post(f"/api/v1/fulfillments/{fulfillment_id}/ready", json_body={})
    return flash_back("web.seller_orders", "ready" if reply.ok else "not_ready")


@bp.route("/penjual/pesanan/<fulfillment_id>/tolak", methods=["POST"])
@login_required("seller", "agent")
def refuse_parcel(fulfillment_id: str):
    """The seller cannot fill this parcel: it alone is cancelled and the shopper refunded for it."""
    reason = request.form.get("reason") or "cannot_fill"
    reply = post(f"/api/v1/fulfillments/{fulfillment_id}/refuse", json_body={"reason": reason})
    return flash_back("web.seller_orders", "refused" if reply.ok else "not_refused")


@bp.route("/penjual/uang")
@login_required("seller", "agent")
def seller_money():
    if g.user.role == "agent":
        return agent_money()
    balance, payouts, work = get_all(("/api/v1/balances/me", None), ("/api/v1/payouts", None),
                                     ("/api/v1/fulfillments", {"limit": 100}))
    coming = sum(int(f.get("goods_amount") or 0) for f in work.items() if f.get("status") in ON_THE_WAY)
    return render("seller/money.html", balance=balance.body if balance.ok else None, payouts=payouts.items(),
                  coming=coming, payout_label=payout_label, down=payouts.unavailable)


ON_THE_WAY = ("PENDING", "READY_FOR_PICKUP", "ASSIGNED", "PICKED_UP")
CRAFTER = "shop:"  # a crafter without an account is paid through its shop: payee "shop:<shop_id>"


def agent_money():
    """Per crafter's shop the agent manages: what payments says the crafter is owed (goods less commission, less
    what was paid out), what was paid, and each payout with its status; plus the goods still on the way."""
    managed, payouts, work, shops = get_all(
        ("/api/v1/balances/managed", None), ("/api/v1/payouts", None), ("/api/v1/fulfillments", {"limit": 100}),
        ("/api/v1/shops", {"mine": "true", "per_page": 100}))
    crafters: dict[str, dict] = {}

    def crafter(payee_id: str, name: str | None) -> dict:
        return crafters.setdefault(payee_id, {"payee_id": payee_id, "name": name or "–", "payable": 0, "earned": 0,
                                              "commission": 0, "paid_out": 0, "coming": 0, "parcels": 0,
                                              "payouts": []})

    for shop in shops.items():  # the catalog's names first: a shop with no sale yet is listed too
        if shop.get("id"):
            crafter(shop.get("seller_id") or CRAFTER + shop["id"], shop.get("name"))
    money_known = managed.ok and isinstance(managed.body, dict)
    for row in (managed.body.get("managed") or []) if money_known else []:
        crafter(row["payee_id"], row.get("shop_name")).update(
            payable=int(row.get("seller_payable") or 0), earned=int(row.get("earned") or 0),
            commission=int(row.get("commission") or 0), paid_out=int(row.get("paid_out") or 0))
    for payout in payouts.items():
        if payout.get("payee_id"):
            crafter(payout["payee_id"], None)["payouts"].append(payout)
    for f in work.items():
        if f.get("status") in ON_THE_WAY and str(f.get("seller_id") or "").startswith(CRAFTER):
            row = crafter(f["seller_id"], f.get("shop_name"))
            row["coming"] += int(f.get("goods_amount") or 0)
            row["parcels"] += 1
    rows = sorted(crafters.values(), key=lambda c: (c["name"].casefold(), c["payee_id"]))
    own = managed.body if money_known else {}
    return render("seller/money.html", crafters=rows, money_known=money_known,
                  agent_held=int(own.get("agent_held") or 0), agent_available=int(own.get("agent_available") or 0),
                  total_payable=sum(c["payable"] for c in rows), payout_label=payout_label,
                  down=managed.unavailable or payouts.unavailable or shops.unavailable)


def payout_label(status: str | None) -> str:
    return i18n.gettext(i18n.PAYOUT_STATUS.get(status or "", status or ""))
