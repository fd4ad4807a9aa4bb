"""Printable monthly statements of a cooperative and of its members (A4 PDF, Bahasa Indonesia), drawn with fpdf2 like
the posters (gateway/web/posters.py): a pure function of the statement payments answers, nothing here knows Flask."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF

from .posters import _latin1

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")
METHODS = {"cash": "Tunai", "bank": "Transfer bank", "ewallet": "Dompet digital"}
WIB = ZoneInfo("Asia/Jakarta")


def rupiah(amount) -> str:
    """Rp 10.000: the Indonesian thousands separator, whole rupiah (negative with a minus)."""
    value = int(amount or 0)
    return ("-" if value < 0 else "") + "Rp " + f"{abs(value):,}".replace(",", ".")


def month_name(month: str) -> str:
    """"2026-12" -> "Desember 2026"."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def day(moment: str) -> str:
    """An ISO timestamp (UTC) as its day in WIB: 4 Des 2026."""
    try:
        when = datetime.fromisoformat(str(moment)).astimezone(WIB)
    except ValueError:
        return str(moment)[:10]
    return f"{when.day} {MONTHS[when.month - 1][:3]} {when.year}"


class _Sheet(FPDF):
    def footer(self):
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"Pasar Desa - halaman {self.page_no()}/{{nb}}", align="C")


def _table(pdf: FPDF, head: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[float, ...],
           right: tuple[int, ...] = ()) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.set_fill_color(230, 240, 232)
    for i, text in enumerate(head):
        pdf.cell(widths[i], 7, _latin1(text), border=1, fill=True, align="R" if i in right else "L")
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for row in rows:
        for i, text in enumerate(row):
            pdf.cell(widths[i], 7, _latin1(text)[:60], border=1, align="R" if i in right else "L")
        pdf.ln()


def _line(pdf: FPDF, label: str, value: str, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 11)
    pdf.cell(110, 7, _latin1(label))
    pdf.cell(70, 7, _latin1(value), align="R", new_x="LMARGIN", new_y="NEXT")


def render(statement: dict) -> bytes:
    """The statement (payments' StatementOut) as an A4 PDF in Bahasa Indonesia."""
    coop = statement.get("cooperative") or {}
    member = statement.get("member") or {}
    is_member = statement.get("kind") == "member"
    pdf = _Sheet(orientation="P", unit="mm", format="A4")
    pdf.alias_nb_pages()
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    title = "Laporan Bulanan Anggota" if is_member else "Laporan Bulanan Koperasi"
    pdf.set_title(_latin1(f"{title} {coop.get('name', '')} {month_name(statement['month'])}"))
    pdf.set_creator("Pasar Desa")
    pdf.add_page()
    pdf.set_fill_color(11, 77, 28)
    pdf.rect(0, 0, 210, 12, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 13)
    pdf.set_xy(15, 2.5)
    pdf.cell(0, 7, "Pasar Desa")
    pdf.set_text_color(17, 17, 17)
    pdf.set_xy(15, 18)
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    place = ", ".join(p for p in (coop.get("village") and f"Desa {coop['village']}",
                                  coop.get("district") and f"Kec. {coop['district']}") if p)
    pdf.cell(0, 6, _latin1(coop.get("name", "") + (f" - {place}" if place else "")), new_x="LMARGIN", new_y="NEXT")
    if is_member:
        pdf.cell(0, 6, _latin1(f"Anggota: {member.get('name') or member.get('person_id', '')}"),
                 new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, _latin1(f"Bulan: {month_name(statement['month'])} (WIB)"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _line(pdf, "Saldo tersedia awal bulan", rupiah(statement.get("opening_available")))
    _line(pdf, "Bagian dari penjualan bulan ini", rupiah(statement.get("earned")))
    _line(pdf, "Sudah diterima pembeli (jadi tersedia)", rupiah(statement.get("released")))
    if is_member:
        _line(pdf, "Dibayarkan koperasi bulan ini", rupiah(statement.get("paid_by_cooperative")))
    else:
        _line(pdf, "Dibayarkan ke anggota bulan ini", rupiah(statement.get("paid_to_members")))
    _line(pdf, "Saldo tersedia akhir bulan", rupiah(statement.get("closing_available")), bold=True)
    _line(pdf, "Masih ditahan (menunggu pembeli menerima)", rupiah(statement.get("closing_held")))
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 13)
    if is_member:
        pdf.cell(0, 8, "Penjualan", new_x="LMARGIN", new_y="NEXT")
        sales = statement.get("sales") or []
        if sales:
            _table(pdf, ("Tanggal", "Pesanan", "Bagian Anda"),
                   [(day(s["at"]), "#" + str(s.get("order_id", ""))[:8], rupiah(s["amount"])) for s in sales],
                   (45, 70, 65), right=(2,))
        else:
            pdf.set_font("Helvetica", "", 11)
            pdf.cell(0, 7, "Belum ada penjualan bulan ini.", new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.cell(0, 8, "Anggota", new_x="LMARGIN", new_y="NEXT")
        _table(pdf, ("Nama", "Bagian penjualan", "Dibayarkan", "Saldo tersedia"),
               [(m.get("name") or m["person_id"], rupiah(m["earned"]), rupiah(m["paid_by_cooperative"]),
                 rupiah(m["closing_available"])) for m in statement.get("members") or []],
               (60, 40, 40, 40), right=(1, 2, 3))
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, "Pembayaran", new_x="LMARGIN", new_y="NEXT")
    payouts = statement.get("payouts") or []
    if payouts:
        head = ("Tanggal", "Cara", "Referensi", "Jumlah") if is_member else ("Tanggal", "Anggota", "Cara", "Jumlah")
        rows = [(day(p["paid_at"]), METHODS.get(p["method"], p["method"]), p.get("reference") or "-",
                 rupiah(p["amount"])) if is_member else
                (day(p["paid_at"]), p.get("member_name") or p["member_id"], METHODS.get(p["method"], p["method"]),
                 rupiah(p["amount"])) for p in payouts]
        _table(pdf, head, rows, (35, 55, 50, 40), right=(3,))
    else:
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(0, 7, "Belum ada pembayaran bulan ini.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(0, 5, "Bagian penjualan ditahan sampai pembeli menerima barangnya, lalu menjadi saldo tersedia. "
                         "Pembagian dihitung dalam rupiah bulat: tiap bagian dibulatkan ke bawah, sisa rupiah "
                         "diberikan ke pecahan terbesar, dan bila sama, perajin didahulukan.")
    return bytes(pdf.output())
