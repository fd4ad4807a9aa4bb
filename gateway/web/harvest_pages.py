"""Harvest pre-orders on the seller's side (issue 17): open a harvest batch on a listing (the day it is expected,
how much may be pre-ordered, the price, when shoppers pay) and, when the harvest is in, record how much came:
the catalog fills the pre-orders in the order they were placed and the rest are refunded. No JavaScript; large
controls; every action is a form (post, then redirect)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import request

from pasar import quantity

from . import i18n, session
from .forms import flatten_fields, general_error, to_int
from .pages import bp, flash_back, login_required, render
from .session import call, get, get_all

_EN = {  # this page's words in English (Indonesian first); never overrides i18n.EN
    "Pra-pesan panen": "Harvest pre-orders", "Buka pra-pesan panen": "Open harvest pre-orders",
    "Perkiraan tanggal panen": "Expected harvest day", "Paling banyak dipesan": "At most pre-ordered",
    "Harga per satuan (Rp)": "Price per unit (Rp)", "Kapan pembeli membayar?": "When do shoppers pay?",
    "Saat memesan": "When they order", "Saat panen tiba": "When the harvest is in",
    "Bayar tunai saat barang tiba (COD) selalu boleh.": "Cash on delivery is always allowed.",
    "Buka pra-pesan": "Open pre-orders", "Sedang dibuka": "Open", "Sudah panen": "Harvested",
    "Sudah dipesan": "Pre-ordered", "Sisa": "Left", "Catat hasil panen": "Record the harvest",
    "Hasil panen": "Harvested", "Terisi untuk pesanan": "Went to pre-orders",
    "Pesanan diisi sesuai urutan pemesanan. Pesanan yang tidak kebagian dibatalkan dan uangnya dikembalikan; "
    "sisa panen masuk ke stok.": "Pre-orders are filled in the order they were placed. Those that do not fit are "
    "cancelled and refunded; what is left goes into the stock.",
    "Pra-pesan panen dibuka.": "Harvest pre-orders are open.", "Hasil panen dicatat.": "The harvest is recorded.",
    "Belum bisa disimpan.": "Could not be saved.", "Belum ada pra-pesan panen.": "No harvest pre-orders yet.",
    "Panen ±": "Harvest ±", "Produk tidak ditemukan": "Product not found", "Bayar": "Pay",
    "Pra-pesan, panen ±": "Pre-order, harvest ±", "Pra-pesan": "Pre-order", "Jumlah pra-pesan": "Quantity to pre-order",
    "Pesanan diisi sesuai urutan pemesanan; bila panen kurang, pesanan yang tidak kebagian dibatalkan dan uangnya "
    "dikembalikan.": "Orders are filled in the order they were placed; if the harvest is short, the orders that do "
    "not fit are cancelled and refunded.",
    "Isi dengan angka, misalnya 25 atau 12,5.": "Write a number, for example 25 or 12.5.",
    "Pembeli memilih hari dan jam antar": "The shopper picks the delivery day and time",
    "Waktu antar": "Delivery time", "Waktu antar (hasil bumi segar)": "Delivery time (fresh produce)",
    "Hari antar": "Delivery day", "pagi": "morning", "siang": "midday", "sore": "afternoon",
    "Pilih waktu antar": "Choose a delivery time",
    "Isi dengan angka, misalnya 42000.": "Write a number, for example 42000.",
}
for _words, _english in _EN.items():
    i18n.EN.setdefault(_words, _english)


def _batches_page(listing: dict, batches: list[dict], form: dict, errors: dict, status: int = 200,
                  note: str | None = None, harvest_errors: dict | None = None):
    return render("seller/harvest.html", status, listing=listing, batches=batches, form=form, errors=errors,
                  harvest_errors=harvest_errors or {}, note=note,
                  has_open=any(b.get("status") == "open" for b in batches))


def _listing_and_batches(listing_id: str):
    reply, batches = get_all((f"/api/v1/products/{listing_id}", None), (f"/api/v1/products/{listing_id}/harvests", None))
    if not reply.ok or not batches.ok:   # not theirs (the catalog answers 404 to anyone else)
        return None, []
    return reply.body, batches.body if isinstance(batches.body, list) else []


@bp.route("/penjual/produk/<listing_id>/panen", methods=["GET", "POST"])
@login_required("seller", "agent")
def harvest_batches(listing_id: str):
    listing, batches = _listing_and_batches(listing_id)
    if listing is None:
        return render("message.html", 404, title=i18n.gettext("Produk tidak ditemukan"), text="")
    form = {"expected_on": (date.today() + timedelta(days=7)).isoformat(), "cap": "", "price": listing.get("price"),
            "pay_at": "order"}
    errors: dict = {}
    if request.method == "POST":
        form = {k: (request.form.get(k) or "").strip() for k in ("expected_on", "cap", "price", "pay_at")}
        body: dict = {"expected_on": form["expected_on"], "pay_at": form["pay_at"] if form["pay_at"] in ("order", "harvest") else "order"}
        try:
            body["cap"] = quantity.wire(quantity.parse(form["cap"]))
        except quantity.NotAQuantity:
            errors["cap"] = i18n.gettext("Isi dengan angka, misalnya 25 atau 12,5.")
        price = to_int(form["price"])
        if price is None:
            errors["price"] = i18n.gettext("Isi dengan angka, misalnya 42000.")
        else:
            body["price"] = price
        if not errors:
            reply = call("POST", f"/api/v1/products/{listing_id}/harvests", json_body=body,
                         headers=session.idempotency("harvest-batch"))
            if reply.ok:
                return flash_back("web.harvest_batches", "opened", listing_id=listing_id)
            errors = flatten_fields(reply.fields) if reply.fields else {}
            errors.setdefault("_", general_error(reply, "Belum bisa disimpan."))
        listing, batches = _listing_and_batches(listing_id)
    return _batches_page(listing, batches, form, errors, 422 if errors else 200, note=request.args.get("note"))


@bp.route("/penjual/panen/<batch_id>/catat", methods=["POST"])
@login_required("seller", "agent")
def record_harvest(batch_id: str):
    listing_id = (request.form.get("listing_id") or "")[:64]
    try:
        harvested = quantity.wire(quantity.parse((request.form.get("harvested_qty") or "").strip()))
    except quantity.NotAQuantity:
        harvested = None
    reply = call("POST", f"/api/v1/products/harvests/{batch_id}/harvest", json_body={"harvested_qty": harvested}) \
        if harvested is not None else None
    if reply is not None and reply.ok:
        return flash_back("web.harvest_batches", "harvested", listing_id=listing_id)
    listing, batches = _listing_and_batches(listing_id)
    if listing is None:
        return render("message.html", 404, title=i18n.gettext("Produk tidak ditemukan"), text="")
    problem = (flatten_fields(reply.fields).get("harvested_qty") if reply is not None and reply.fields else None) \
        or (general_error(reply, "Belum bisa disimpan.") if reply is not None
            else i18n.gettext("Isi dengan angka, misalnya 25 atau 12,5."))
    form = {"expected_on": "", "cap": "", "price": listing.get("price"), "pay_at": "order"}
    return _batches_page(listing, batches, form, {}, 422, harvest_errors={batch_id: problem})


SLOTS = {"pagi": ("06.00", "10.00"), "siang": ("10.00", "14.00"), "sore": ("14.00", "18.00")}  # orders' own


@bp.app_template_global("window_slot")
def window_slot(slot: str | None) -> str:
    """"sore (14.00–18.00)": a part of the day as the page's language says it, with its hours."""
    start, end = SLOTS.get(slot or "", ("", ""))
    return f"{i18n.gettext(slot or '')} ({start}–{end})" if start else (slot or "")


def window_days(lines: list[dict]) -> list[str]:
    """The days a delivery window may be picked for these lines (none: no line asks for a window): today until the
    earliest last selling day of those that ask, at most three days ahead (orders' rule)."""
    asking = [line["product"] for line in lines if not line.get("batch_id") and line["product"].get("delivery_window")]
    if not asking:
        return []
    today = date.today()
    last = today + timedelta(days=3)
    for product in asking:
        if product.get("sellable_until"):
            last = min(last, date.fromisoformat(str(product["sellable_until"])[:10]))
    return [(today + timedelta(days=n)).isoformat() for n in range((last - today).days + 1)]


@bp.app_template_filter("tanggal")
def tanggal(day) -> str:
    """An ISO day ("2026-12-11") as people write it: 11 Des 2026 (the page's language)."""
    from flask import g

    from .pages import MONTHS
    try:
        when = date.fromisoformat(str(day)[:10])
    except ValueError:
        return str(day or "")
    return f"{when.day} {MONTHS.get(g.get('lang', 'id'), MONTHS['id'])[when.month - 1]} {when.year}"
