"""Printable posters for the village stall, warung or noticeboard: an A5 (shop) or A6 (listing) PDF with the name,
the price, the village and a QR code to the page. fpdf2 draws the page, segno the QR code (kept libraries);
nothing here knows Flask, so a poster is a pure function of what it shows."""
from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from fpdf import FPDF

SIZES = {"A5": (148, 210), "A6": (105, 148)}  # millimetres, portrait


@dataclass(frozen=True)
class Poster:
    title: str
    url: str             # the page the QR code opens (absolute)
    price: str = ""      # "Rp 42.000" (already written the Indonesian way), empty for a shop
    place: str = ""      # "Desa Sumberejo, Kec. Sanankulon"
    line: str = ""       # one more line: the shop's name under a product, a call to action under a shop
    size: str = "A6"


def _latin1(text: str) -> str:
    """The core PDF fonts hold Latin-1 only: other characters are left out, never an error (names may hold emoji)."""
    return " ".join(text.encode("latin-1", "ignore").decode("latin-1").split())


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    # error level M survives a crease or a smudge on a printed sheet; a 4-module quiet zone scanners need
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def render(poster: Poster) -> bytes:
    width, height = SIZES.get(poster.size, SIZES["A6"])
    big = poster.size == "A5"
    pdf = FPDF(orientation="P", unit="mm", format=(width, height))
    pdf.set_auto_page_break(False)
    pdf.set_margins(8, 8, 8)
    pdf.set_title(_latin1(poster.title))
    pdf.set_creator("Pasar Desa")
    pdf.add_page()
    inner = width - 16
    pdf.set_fill_color(11, 77, 28)
    pdf.rect(0, 0, width, 14 if big else 11, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 16 if big else 12)
    pdf.set_xy(8, 3 if big else 2.5)
    pdf.cell(inner, 8 if big else 6, "Pasar Desa", align="L")
    pdf.set_text_color(17, 17, 17)
    pdf.set_xy(8, 20 if big else 15)
    pdf.set_font("Helvetica", "B", 22 if big else 15)
    pdf.multi_cell(inner, 9 if big else 6.5, _latin1(poster.title), align="C", new_x="LMARGIN", new_y="NEXT")
    if poster.price:
        pdf.set_font("Helvetica", "B", 26 if big else 18)
        pdf.cell(inner, 12 if big else 9, _latin1(poster.price), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 13 if big else 10)
    for text in (poster.place, poster.line):
        if text:
            pdf.multi_cell(inner, 6 if big else 4.8, _latin1(text), align="C", new_x="LMARGIN", new_y="NEXT")
    side = min(inner * 0.75, height - pdf.get_y() - 24)
    top = pdf.get_y() + 3
    pdf.image(io.BytesIO(qr_png(poster.url)), x=(width - side) / 2, y=top, w=side, h=side)
    pdf.set_xy(8, top + side + 2)
    pdf.set_font("Helvetica", "B", 12 if big else 9)
    pdf.cell(inner, 6 if big else 4.5, "Pindai untuk membuka dan memesan", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10 if big else 7.5)
    pdf.cell(inner, 5 if big else 4, _latin1(poster.url), align="C")
    return bytes(pdf.output())
