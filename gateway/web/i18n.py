"""Bahasa Indonesia first: templates are written in Indonesian and `_()` gives the English when the
`lang` cookie (or the account's locale) says "en". A missing English text falls back to the Indonesian."""
from __future__ import annotations

from flask import g

LANGS = ("id", "en")

STATUS = {
    "PLACED": "Pesanan dibuat",
    "AWAITING_PAYMENT": "Menunggu pembayaran",
    "CONFIRMED": "Pesanan dikonfirmasi",
    "PENDING": "Disiapkan penjual",
    "READY_FOR_PICKUP": "Siap diambil",
    "ASSIGNED": "Kurir ditugaskan",
    "PICKED_UP": "Dibawa kurir",
    "DELIVERED": "Sudah sampai",
    "COMPLETED": "Selesai",
    "CANCELLED": "Dibatalkan",
    "REJECTED": "Ditolak (stok tidak cukup)",
    "OPEN": "Menunggu kurir",
}

EN = {
    # statuses
    "Pesanan dibuat": "Order placed", "Menunggu pembayaran": "Awaiting payment",
    "Pesanan dikonfirmasi": "Order confirmed", "Disiapkan penjual": "Being prepared by the seller",
    "Siap diambil": "Ready for pickup", "Kurir ditugaskan": "Courier assigned", "Dibawa kurir": "On its way",
    "Sudah sampai": "Delivered", "Selesai": "Completed", "Dibatalkan": "Cancelled",
    "Ditolak (stok tidak cukup)": "Rejected (not enough stock)", "Menunggu kurir": "Waiting for a courier",
    # frame
    "Langsung ke isi": "Skip to content", "Menu utama": "Main menu", "Cari": "Search", "Keranjang": "Cart",
    "Toko saya": "My shop", "Pengantaran": "Deliveries", "Pesanan": "Orders", "Kabar": "Updates",
    "Keluar": "Log out", "Masuk": "Log in", "Daftar": "Sign up", "Dari desa, untuk semua": "From the village, for everyone",
    "Ke beranda": "To the home page", "Beranda": "Home",
    # storefront
    "Belanja langsung dari desa": "Buy straight from the village", "Cari produk desa": "Search village products",
    "misalnya: kopi, tikar, madu": "for example: coffee, mats, honey",
    "Katalog sedang sibuk. Coba lagi sebentar lagi.": "The catalogue is busy. Please try again shortly.",
    "Kategori": "Categories", "Toko desa pilihan": "Featured village shops", "Produk terbaru": "Newest products",
    "Belum ada produk.": "No products yet.", "Cari produk": "Search products", "Kata kunci": "Keywords",
    "Saring": "Filters", "Semua kategori": "All categories", "Kecamatan": "District",
    "Harga terendah (Rp)": "Lowest price (Rp)", "Harga tertinggi (Rp)": "Highest price (Rp)", "Urutkan": "Sort by",
    "Terbaru": "Newest", "Harga termurah": "Cheapest first", "Harga termahal": "Most expensive first",
    "Hasil": "Results", "Tidak ada produk yang cocok.": "No matching products.", "Foto": "Photo", "Stok": "Stock",
    "Stok habis": "Sold out", "Jumlah": "Quantity", "Masukkan keranjang": "Add to cart",
    "Tentang produk": "About this product", "Penjual": "Seller", "Desa": "Village", "Kec.": "District",
    "Cerita kami": "Our story", "Produk": "Products", "Produk tidak ditemukan": "Product not found",
    "Produk ini sudah tidak dijual.": "This product is no longer for sale.", "Toko tidak ditemukan": "Shop not found",
    "Layanan sedang sibuk": "The service is busy", "Coba lagi sebentar lagi.": "Please try again shortly.",
    "Layanan sedang sibuk. Coba lagi sebentar lagi.": "The service is busy. Please try again shortly.",
    "Produk tidak tersedia": "Product not available", "Produk masuk keranjang.": "Added to your cart.",
    "Keranjang masih kosong.": "Your cart is empty.", "Mulai belanja": "Start shopping", "Toko": "Shop",
    "Ubah": "Update", "Total belanja": "Goods total",
    "Ongkos kirim dihitung per penjual saat pesanan dibuat.": "Delivery is charged per seller when the order is placed.",
    "Lanjut ke pembayaran": "Continue to checkout", "Alamat dan pembayaran": "Address and payment",
    "Alamat pengiriman": "Delivery address", "Nama penerima": "Recipient's name", "Nomor HP": "Mobile number",
    "Jalan, RT/RW, nomor rumah": "Street, RT/RW, house number", "Desa/Kelurahan": "Village",
    "Kabupaten/Kota": "Regency/City", "Provinsi": "Province",
    "Catatan untuk kurir (boleh kosong)": "Note for the courier (optional)", "Cara bayar": "Payment method",
    "Bayar tunai saat barang sampai (COD)": "Cash on delivery (COD)", "Kartu debit/kredit": "Debit/credit card",
    "Buat pesanan": "Place order", "Wajib diisi": "Required", "Pilih cara bayar": "Choose a payment method",
    "Pesanan gagal dibuat": "The order could not be placed", "Pesanan tidak ditemukan": "Order not found",
    "Bayar pesanan": "Pay for the order", "Status pesanan": "Order status", "Lihat pesanan": "View order",
    "Stok sedang diperiksa penjual. Halaman ini akan siap sebentar lagi.":
        "Stock is being checked. This page will be ready in a moment.",
    "Muat ulang": "Reload", "Bayar": "Pay",
    "MODE UJI COBA: tidak ada uang sungguhan. Pakai kartu 4242 4242 4242 4242.":
        "TEST MODE: no real money. Use card 4242 4242 4242 4242.",
    "Nama di kartu": "Name on card", "Nomor kartu": "Card number", "Berlaku sampai (BB/TT)": "Expiry (MM/YY)",
    "Pembayaran ditolak": "Payment declined", "Status": "Status", "Barang": "Items", "Harga": "Price",
    "Ongkos kirim": "Delivery", "Total": "Total", "Tunai (COD)": "Cash (COD)", "Kartu": "Card",
    "Bayar sekarang": "Pay now", "Batalkan pesanan": "Cancel order", "Muat ulang status": "Refresh status",
    "Terima kasih! Pembayaran diterima.": "Thank you! Payment received.", "Pesanan dibatalkan.": "Order cancelled.",
    "Pesanan tidak bisa dibatalkan lagi.": "The order can no longer be cancelled.", "Pesanan saya": "My orders",
    "Belum ada pesanan.": "No orders yet.", "Kabar terbaru": "Latest updates", "Belum ada kabar.": "No updates yet.",
    # accounts
    "Nomor HP atau email": "Mobile number or email", "Kata sandi": "Password",
    "Belum punya akun?": "No account yet?", "Daftar di sini": "Sign up here", "Nama": "Name",
    "Kata sandi (minimal 8 huruf)": "Password (at least 8 characters)", "Saya ingin": "I want to",
    "Belanja": "Shop", "Berjualan": "Sell", "Membantu perajin berjualan (pendamping)": "Help crafters sell (agent)",
    "Mengantar pesanan (kurir)": "Deliver orders (courier)", "Sudah punya akun?": "Already have an account?",
    "Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi.": "Too many attempts. Wait a moment and try again.",
    "Nomor HP/email atau kata sandi salah.": "Wrong mobile number/email or password.",
    "Pendaftaran gagal": "Sign-up failed", "Nomor HP/email ini sudah terdaftar": "This number/email is already registered",
    "Terlalu banyak percobaan": "Too many attempts", "Tunggu sebentar lalu coba lagi.": "Wait a moment and try again.",
    "Formulir kedaluwarsa": "The form expired", "Muat ulang halaman lalu coba lagi.": "Reload the page and try again.",
    "Halaman ini bukan untuk akun Anda": "This page is not for your account",
    "Masuk dengan akun yang sesuai untuk membuka halaman ini.": "Log in with the right account to open this page.",
    # seller dashboard
    "Menu toko": "Shop menu", "Pesanan masuk": "Incoming orders", "Saldo dan pencairan": "Balance and payouts",
    "Toko sudah dibuka!": "Your shop is open!", "Produk sudah dipasang.": "Your product is listed.",
    "Tersimpan.": "Saved.", "Belum tersimpan. Periksa angkanya.": "Not saved. Check the numbers.",
    "Toko perajin yang Anda kelola": "Crafters' shops you manage", "Buka": "Open",
    "Buka toko untuk perajin lain": "Open a shop for another crafter", "Buka toko": "Open the shop",
    "Buka toko untuk perajin": "Open a shop for a crafter", "Nama toko": "Shop name",
    "Nama pemilik/perajin": "Owner/crafter's name",
    "Alamat (jalan, RT/RW) untuk penjemputan": "Address (street, RT/RW) for pickups", "Kabupaten": "Regency",
    "Nomor WhatsApp (boleh kosong)": "WhatsApp number (optional)",
    "Cerita toko: siapa Anda, apa yang Anda buat": "Your shop's story: who you are, what you make",
    "Lihat toko seperti pembeli": "See the shop as a buyer sees it", "Tambah produk": "Add a product",
    "Dijual": "On sale", "Draf": "Draft", "Diarsipkan": "Archived", "Harga (Rp)": "Price (Rp)", "stok": "stock",
    "Simpan": "Save", "Ubah produk dan foto": "Edit product and photos", "Berhenti jual": "Stop selling",
    "Jual sekarang": "Sell now", "Ubah produk": "Edit product", "Foto produk (ambil dengan kamera)":
        "Product photo (take it with the camera)", "Nama produk": "Product name", "Pilih kategori": "Choose a category",
    "Per": "Per", "Cerita produk: bahan, cara membuat, ukuran": "About the product: materials, how it is made, size",
    "Pasang dan jual": "List and sell", "Simpan sebagai draf": "Save as draft", "Isi harga dengan angka":
        "Enter the price as a number", "Isi dengan angka": "Enter a number", "Produk gagal disimpan":
        "The product could not be saved", "Foto gagal diunggah": "The photo could not be uploaded",
    "Toko gagal dibuat": "The shop could not be opened",
    "Kurir sudah diberi tahu. Siapkan barangnya.": "A courier has been told. Have the parcel ready.",
    "Belum bisa ditandai siap.": "It cannot be marked ready yet.", "Perlu disiapkan": "To prepare",
    "Tidak ada pesanan baru.": "No new orders.", "Nilai barang": "Goods value",
    "Dibayar tunai ke kurir": "Paid in cash to the courier", "Lainnya": "Others", "Saldo Anda": "Your balance",
    "Uang penjualan dibayarkan setelah barang sampai ke pembeli, dikurangi komisi.":
        "Sales are paid out after the goods reach the buyer, less the commission.",
    "Pencairan": "Payouts", "Tanggal": "Date", "Biaya": "Fee", "Belum ada pencairan.": "No payouts yet.",
    # courier
    "Anda siap menerima antaran.": "You are on duty.", "Anda sedang tidak menerima antaran.": "You are off duty.",
    "Isi kecamatan Anda dulu.": "Fill in your district first.", "Antaran diterima.": "Delivery accepted.",
    "Antaran ditolak; diberikan ke kurir lain.": "Declined; it goes to another courier.",
    "Antaran menjadi tugas Anda.": "The delivery is yours.", "Barang sudah diambil. Selamat jalan!":
        "Picked up. Safe journey!", "Terima kasih! Barang sudah sampai.": "Thank you! Delivered.",
    "Jumlah uang tunai tidak sama dengan tagihan.": "The cash does not match the amount due.",
    "Isi uang tunai dengan angka.": "Enter the cash as a number.", "Tidak bisa dilakukan sekarang.":
        "That cannot be done now.", "Belum tersimpan.": "Not saved.", "Status saya": "My status",
    "Siap mengantar": "On duty", "Tidak bertugas": "Off duty", "Kecamatan tempat saya mengantar":
        "District I deliver in", "Berhenti bertugas": "Go off duty", "Mulai bertugas": "Go on duty",
    "Antaran saya": "My deliveries", "Belum ada antaran.": "No deliveries yet.", "Ambil di": "Pick up at",
    "Antar ke": "Deliver to", "Ongkos kirim untuk Anda": "Your delivery fee", "Tagih tunai": "Collect in cash",
    "Terima": "Accept", "Tolak": "Decline", "Sudah diambil": "Picked up",
    "Uang tunai yang diterima (Rp)": "Cash received (Rp)", "Antaran terbuka di kecamatan Anda":
        "Open deliveries in your district", "Tidak ada antaran terbuka.": "No open deliveries.",
    "Ambil tugas ini": "Take this delivery", "Tunai": "Cash", "HP": "Phone", "Catatan": "Note",
    "Halaman tidak ditemukan": "Page not found",
}


def gettext(text: str) -> str:
    if g.get("lang") == "en":
        return EN.get(text, text)
    return text


def status_label(status: str | None) -> str:
    return gettext(STATUS.get(status or "", status or ""))
