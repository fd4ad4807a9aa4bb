"""Cooperative pages: the officers' page of a cooperative (members and what each is owed, split settings, the
cooperative's balance, recording a payout, monthly statements as a page and a printable PDF) and a member's
"Pembayaran saya". No JavaScript; every action is a form."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import g, request, url_for

from . import i18n, session
from .forms import flatten_fields, general_error, to_int
from .pages import bp, flash_back, login_required, render
from .session import call, get
from .sharing import pdf_answer

METHODS = {"cash": "Tunai", "bank": "Transfer bank", "ewallet": "Dompet digital"}
ROLES = {"member": "Anggota", "officer": "Pengurus", "agent": "Agen"}
PARTIES = (("crafter_bp", "Perajin"), ("agent_bp", "Agen"), ("cooperative_bp", "Koperasi"),
           ("platform_bp", "Pasar Desa"))

_EN = {  # these pages' words in English (the pages' words are Indonesian first); never overrides i18n.EN
    "Koperasi": "Cooperative", "Koperasi saya": "My cooperatives", "Pembayaran saya": "My payments",
    "Anggota": "Member", "Pengurus": "Officer", "Agen": "Agent", "Perajin": "Crafter",
    "Tunai": "Cash", "Transfer bank": "Bank transfer", "Dompet digital": "E-wallet",
    "Saldo koperasi": "Cooperative's balance", "Tersedia": "Available", "Ditahan": "Held",
    "Hak anggota yang belum dibayar": "Owed to members, not yet paid", "Anggota koperasi": "Members",
    "Sudah dibayar": "Paid", "Catat pembayaran ke anggota": "Record a payment to a member",
    "Jumlah (Rp)": "Amount (Rp)", "Cara pembayaran": "How it was paid", "Nomor referensi transfer": "Transfer reference",
    "Catatan": "Note", "Catat pembayaran": "Record the payment", "Pembagian hasil penjualan": "How sales are shared",
    "Atur pembagian": "Set the shares", "Berlaku untuk": "Applies to", "Simpan pembagian": "Save the shares",
    "Persen": "Percent", "Laporan bulanan": "Monthly statement", "Bulan": "Month", "Lihat laporan": "See the statement",
    "Cetak (PDF)": "Print (PDF)", "Tambah orang": "Add someone", "Peran": "Role", "Nama": "Name",
    "ID akun atau toko (shop:...)": "Account or shop id (shop:...)", "Tambah": "Add",
    "Pembayaran terakhir": "Latest payments", "Belum ada pembayaran.": "No payments yet.",
    "Pembayaran dicatat.": "The payment is recorded.", "Pembagian disimpan.": "The shares are saved.",
    "Sudah ditambahkan.": "Added.", "Belum bisa dicatat.": "Could not be recorded.",
    "Uang yang dibayarkan koperasi kepada Anda.": "Money your cooperative paid you.",
    "Total dibayarkan": "Paid in all", "Tanggal": "Date", "Cara": "How", "Referensi": "Reference",
    "Jumlah uang": "Amount", "Saldo Anda": "Your balance", "Anda belum menjadi anggota koperasi.":
    "You are not a member of a cooperative yet.", "Laporan bulan ini": "This month's statement",
    "Bagian dari penjualan": "Share of sales", "Sudah diterima pembeli": "Received by the buyer",
    "Dibayarkan": "Paid out", "Saldo tersedia akhir bulan": "Available at the month's end",
    "Saldo tersedia awal bulan": "Available at the month's start", "Masih ditahan": "Still held",
    "Penjualan": "Sales", "Laporan Bulanan Koperasi": "Cooperative's monthly statement",
    "Laporan Bulanan Anggota": "Member's monthly statement", "Kelola": "Manage",
    "Hanya pengurus koperasi yang bisa membuka halaman ini.": "Only the cooperative's officers can open this page.",
    "Koperasi tidak ditemukan": "Cooperative not found", "Laporan tidak ditemukan": "Statement not found",
    "Saldo anggota tidak cukup.": "The member's available balance is not enough.",
    "Bagian tiap pihak dalam persen; jumlahnya harus 100.": "Each party's share in percent; they must add up to 100.",
    "Agen dari toko": "Agent of the shop", "Bagian Anda sebagai agen koperasi": "Your part as the cooperative's agent", "Toko anggota": "Member's shop",
}
for _words, _english in _EN.items():
    i18n.EN.setdefault(_words, _english)


def this_month() -> str:
    return datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m")


def percent_to_bp(text: str | None) -> int | None:
    """"70" or "12,5" percent -> 7000 / 1250 basis points; None when it is not a percent with at most 2 decimals."""
    try:
        value = Decimal((text or "").strip().replace(",", ".")) * 100
    except InvalidOperation:
        return None
    return int(value) if value == value.to_integral_value() else None


def _coop_page(coop_id: str, status: int = 200, **extra):
    reply = get(f"/api/v1/cooperatives/{coop_id}")
    if reply.status in (403, 404):
        title = "Koperasi tidak ditemukan" if reply.status == 404 else "Koperasi"
        return render("message.html", reply.status, title=i18n.gettext(title),
                      text=i18n.gettext("Hanya pengurus koperasi yang bisa membuka halaman ini.")
                      if reply.status == 403 else "")
    if not reply.ok:
        return render("message.html", 503, title=i18n.gettext("Layanan sedang sibuk"), text="")
    return render("coop/officer.html", status, coop=reply.body, month=this_month(), methods=METHODS, roles=ROLES,
                  parties=PARTIES, note=request.args.get("note"), form=extra.pop("form", {}),
                  errors=extra.pop("errors", {}), **extra)


@bp.route("/koperasi")
@login_required()
def my_cooperatives():
    reply = get("/api/v1/cooperatives/mine")
    return render("coop/mine.html", coops=reply.body if reply.ok and isinstance(reply.body, list) else [],
                  roles=ROLES, down=reply.unavailable)


@bp.route("/koperasi/<coop_id>")
@login_required()
def coop_officer(coop_id: str):
    return _coop_page(coop_id)


@bp.route("/koperasi/<coop_id>/bayar", methods=["POST"])
@login_required()
def coop_record_payout(coop_id: str):
    form = request.form
    body = {"member_id": form.get("member_id") or "", "amount": to_int(form.get("amount")),
            "method": form.get("method") or "", "reference": (form.get("reference") or "").strip() or None,
            "note": (form.get("note") or "").strip() or None}
    reply = call("POST", f"/api/v1/cooperatives/{coop_id}/payouts", json_body=body,
                 headers=session.idempotency("coop-payout") or {"Idempotency-Key": ""})
    if reply.ok:
        return flash_back("web.coop_officer", "paid", coop_id=coop_id)
    errors = flatten_fields(reply.fields, reply.code)
    if reply.code == "insufficient_balance":
        errors["amount"] = i18n.gettext("Saldo anggota tidak cukup.")
    elif not errors:
        errors["general"] = general_error(reply, "Belum bisa dicatat.")
    return _coop_page(coop_id, 422 if reply.status in (409, 422) else 400, form=form, errors=errors)


@bp.route("/koperasi/<coop_id>/bagi-hasil", methods=["POST"])
@login_required()
def coop_set_split(coop_id: str):
    form = request.form
    scope, _, subject = (form.get("subject") or "").partition("|")
    body = {"scope": scope, "subject_id": subject, **{name: percent_to_bp(form.get(name)) for name, _ in PARTIES}}
    reply = call("PUT", f"/api/v1/cooperatives/{coop_id}/splits", json_body=body)
    if reply.ok:
        return flash_back("web.coop_officer", "split", coop_id=coop_id)
    errors = {f"split_{k}": v for k, v in flatten_fields(reply.fields, reply.code).items()}
    if not errors:
        errors["split_general"] = general_error(reply, "Belum bisa dicatat.")
    return _coop_page(coop_id, 422 if reply.status in (409, 422) else 400, form=form, errors=errors)


@bp.route("/koperasi/<coop_id>/orang", methods=["POST"])
@login_required()
def coop_add_person(coop_id: str):
    form = request.form
    reply = call("POST", f"/api/v1/cooperatives/{coop_id}/people", json_body={
        "person_id": (form.get("person_id") or "").strip(), "role": form.get("role") or "",
        "name": (form.get("name") or "").strip()})
    if reply.ok:
        return flash_back("web.coop_officer", "added", coop_id=coop_id)
    errors = {f"person_{k}": v for k, v in flatten_fields(reply.fields, reply.code).items()}
    if not errors:
        errors["person_general"] = general_error(reply, "Belum bisa dicatat.")
    return _coop_page(coop_id, 422 if reply.status in (409, 422) else 400, form=form, errors=errors)


def _statement(path: str):
    reply = get(path)
    if reply.status in (403, 404, 422) or (reply.ok and not isinstance(reply.body, dict)):
        return None, render("message.html", 404, title=i18n.gettext("Laporan tidak ditemukan"), text="")
    if not reply.ok:
        return None, render("message.html", 503, title=i18n.gettext("Layanan sedang sibuk"), text="")
    return reply.body, None


@bp.route("/koperasi/<coop_id>/laporan")
@login_required()
def coop_statement_pick(coop_id: str):
    """The month form's target (no JavaScript): on to that month's page or PDF."""
    month = (request.args.get("bulan") or this_month())[:7]
    member = request.args.get("anggota")
    pdf = request.args.get("pdf") == "1"
    if member:
        endpoint = "web.member_statement_pdf" if pdf else "web.member_statement_page"
        return flash_back(endpoint, None, coop_id=coop_id, member_id=member, month=month)
    return flash_back("web.coop_statement_pdf" if pdf else "web.coop_statement_page", None, coop_id=coop_id,
                      month=month)


@bp.route("/koperasi/<coop_id>/laporan/<month>")
@login_required()
def coop_statement_page(coop_id: str, month: str):
    statement, refused = _statement(f"/api/v1/cooperatives/{coop_id}/statements/{month}")
    return refused or render("coop/statement.html", s=statement, methods=METHODS,
                             pdf=url_for("web.coop_statement_pdf", coop_id=coop_id, month=month))


@bp.route("/koperasi/<coop_id>/laporan/<month>.pdf")
@login_required()
def coop_statement_pdf(coop_id: str, month: str):
    from . import statements
    statement, refused = _statement(f"/api/v1/cooperatives/{coop_id}/statements/{month}")
    return refused or pdf_answer(statements.render(statement), f"laporan-koperasi-{month}.pdf")


@bp.route("/koperasi/<coop_id>/anggota/<member_id>/laporan/<month>")
@login_required()
def member_statement_page(coop_id: str, member_id: str, month: str):
    statement, refused = _statement(f"/api/v1/cooperatives/{coop_id}/members/{member_id}/statements/{month}")
    return refused or render("coop/statement.html", s=statement, methods=METHODS,
                             pdf=url_for("web.member_statement_pdf", coop_id=coop_id, member_id=member_id,
                                         month=month))


@bp.route("/koperasi/<coop_id>/anggota/<member_id>/laporan/<month>.pdf")
@login_required()
def member_statement_pdf(coop_id: str, member_id: str, month: str):
    from . import statements
    statement, refused = _statement(f"/api/v1/cooperatives/{coop_id}/members/{member_id}/statements/{month}")
    return refused or pdf_answer(statements.render(statement), f"laporan-anggota-{month}.pdf")


@bp.route("/pembayaran-saya")
@login_required()
def my_coop_payments():
    reply = get("/api/v1/cooperatives/payouts/mine")
    return render("coop/my_payments.html", mine=reply.body if reply.ok and isinstance(reply.body, dict) else None,
                  methods=METHODS, month=this_month(), me_id=g.user.user_id, down=reply.unavailable)
