"""What the pay page shows for a local rail, from the payment's provider-neutral next action (payments'
`next_action`: qr_string, va_number + va_bank, deeplink, redirect_url, expires_at). No JavaScript: the QR is
drawn here as a PNG (segno, a kept library), the time left is worked out on the server."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import segno

# The channels' names as the shopper knows them (checkout's choice and the pay page)
CHANNEL_LABELS = {
    "card": "Kartu debit/kredit",
    "qris": "QRIS (semua aplikasi bank dan e-wallet)",
    "va_bca": "Transfer ke Virtual Account BCA",
    "va_bni": "Transfer ke Virtual Account BNI",
    "va_bri": "Transfer ke Virtual Account BRI",
    "va_mandiri": "Transfer ke Virtual Account Mandiri",
    "va_permata": "Transfer ke Virtual Account Permata",
    "ewallet_ovo": "OVO",
    "ewallet_dana": "DANA",
    "ewallet_shopeepay": "ShopeePay",
    "ewallet_linkaja": "LinkAja",
    "gopay": "GoPay",
    "snap": "Halaman pembayaran Midtrans (pilih sendiri)",
}

# How to pay into a virtual account, bank by bank, as the banks' own apps and ATMs word it (Bahasa Indonesia)
VA_STEPS = {
    "BCA": ["Buka BCA mobile lalu pilih m-BCA, atau datang ke ATM BCA.",
            "Pilih m-Transfer, lalu BCA Virtual Account.",
            "Masukkan nomor Virtual Account di atas.",
            "Periksa nama dan jumlah tagihan, lalu masukkan PIN."],
    "BNI": ["Buka BNI Mobile Banking, atau datang ke ATM BNI.",
            "Pilih Transfer, lalu Virtual Account Billing.",
            "Masukkan nomor Virtual Account di atas.",
            "Periksa tagihan, lalu masukkan password transaksi."],
    "BRI": ["Buka BRImo, atau datang ke ATM BRI.",
            "Pilih Pembayaran, lalu BRIVA.",
            "Masukkan nomor BRIVA (Virtual Account) di atas.",
            "Periksa tagihan, lalu masukkan PIN."],
    "MANDIRI": ["Buka Livin' by Mandiri, atau datang ke ATM Mandiri.",
                "Pilih Bayar, lalu cari penyedia jasa dengan kode di depan nomor di atas.",
                "Masukkan nomor tagihan (angka setelah kode).",
                "Periksa tagihan, lalu masukkan PIN."],
    "PERMATA": ["Buka PermataMobile X, atau datang ke ATM Permata.",
                "Pilih Bayar Tagihan, lalu Virtual Account.",
                "Masukkan nomor Virtual Account di atas.",
                "Periksa tagihan, lalu masukkan PIN."],
}
VA_STEPS_ANY_BANK = ["Buka aplikasi bank Anda atau datang ke ATM.", "Pilih transfer ke Virtual Account.",
                     "Masukkan nomor Virtual Account di atas dan jumlah yang tepat.", "Periksa, lalu konfirmasi."]


def qr_png_data_uri(qr_string: str) -> str:
    """The QRIS payload as a PNG image inline in the page (one request less on a slow link)."""
    return segno.make(qr_string, error="m").png_data_uri(scale=6, border=4)


def time_left(expires_at: str | None, now: datetime | None = None) -> dict | None:
    """{"minutes", "seconds", "until" (HH:MM WIB), "over"} for the countdown the server writes into the page."""
    if not expires_at:
        return None
    try:
        ends = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if ends.tzinfo is None:
        ends = ends.replace(tzinfo=timezone.utc)
    left = max(0, int((ends - (now or datetime.now(timezone.utc))).total_seconds()))
    wib = ends.astimezone(timezone(timedelta(hours=7)))
    return {"minutes": left // 60, "seconds": left % 60, "until": wib.strftime("%H:%M"), "over": left == 0}


def va_steps(bank: str | None) -> list[str]:
    return VA_STEPS.get((bank or "").upper(), VA_STEPS_ANY_BANK)


def channel_label(channel: str | None) -> str:
    return CHANNEL_LABELS.get(channel or "", channel or "")
