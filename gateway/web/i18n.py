"""Bahasa Indonesia first: templates are written in Indonesian and `_()` gives the English when the
`lang` cookie (or the account's locale) says "en". A missing English text falls back to the Indonesian."""
from __future__ import annotations

import re

from flask import g

LANGS = ("id", "en")

# the catalog's units, as a buyer says them (the catalog stores short codes)
UNITS = {"pcs": "buah", "kg": "kg", "100g": "100 gram", "gram": "gram", "pack": "bungkus", "liter": "liter", "lembar": "lembar",
         "ikat": "ikat"}

CANCEL_REASONS = {
    "payment_failed": "Pembayaran kartu gagal, jadi pesanan dibatalkan dan stok dikembalikan.",
    "payment_timeout": "Pembayaran tidak selesai tepat waktu, jadi pesanan dibatalkan.",
    "shopper_cancelled": "Anda membatalkan pesanan ini.",
    "harvest_short": "Hasil panen tidak cukup untuk pra-pesanan ini (pesanan diisi sesuai urutan pemesanan), jadi "
                     "pesanan dibatalkan dan uang yang sudah dibayar dikembalikan.",
    "stock": "Stok penjual tidak cukup untuk pesanan ini.",
}

# why one parcel of an order was cancelled on its own (orders' FULFILLMENT_CANCEL_REASONS)
PARCEL_REASONS = {
    "out_of_stock": "stok penjual habis.",
    "harvest_failed": "panen penjual gagal.",
    "cannot_fill": "penjual tidak bisa memenuhi pesanan ini.",
    "not_shipped": "penjual tidak menyerahkannya ke kurir tepat waktu.",
}


def parcel_reason(code: str | None) -> str:
    return PARCEL_REASONS.get(code or "", "penjual tidak bisa memenuhi pesanan ini.")


PAYOUT_STATUS = {"held": "Ditahan", "owed": "Belum dibayar", "transferred": "Sudah ditransfer", "paid": "Sudah dibayar"}

STATUS = {
    "PLACED": "Pesanan dibuat",
    "AWAITING_PAYMENT": "Menunggu pembayaran",
    "AWAITING_HARVEST": "Menunggu panen",
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
    "Menunggu panen": "Waiting for the harvest",
    "Hasil panen tidak cukup untuk pra-pesanan ini (pesanan diisi sesuai urutan pemesanan), jadi pesanan dibatalkan "
    "dan uang yang sudah dibayar dikembalikan.": "The harvest was not enough for this pre-order (orders are filled in "
    "the order they were placed), so the order is cancelled and any money paid is refunded.",
    # after the sale
    "Pesanan diterima": "Order received", "Terima kasih! Penerimaan paket dicatat.": "Thank you! Receipt recorded.",
    "Penerimaan belum bisa dicatat.": "Receipt could not be recorded yet.",
    "Tanpa kabar dari Anda, penerimaan dicatat otomatis pada": "Without a word from you, receipt is recorded on",
    "Paket ini dibatalkan": "This parcel was cancelled", "Uangnya dikembalikan ke kartu Anda.":
    "The money goes back to your card.", "stok penjual habis.": "the seller ran out of stock.",
    "panen penjual gagal.": "the seller's harvest failed.",
    "penjual tidak bisa memenuhi pesanan ini.": "the seller could not fill this order.",
    "penjual tidak menyerahkannya ke kurir tepat waktu.": "the seller did not hand it to a courier in time.",
    "Kurir": "Courier", "Tolak paket": "Refuse parcel", "Alasan": "Reason",
    "Paket ditolak; pembeli mendapat uangnya kembali untuk bagian ini.":
    "Parcel refused; the shopper gets the money back for this part.",
    "Paket tidak bisa ditolak lagi.": "The parcel can no longer be refused.",
    "Ditahan": "Held", "Tersedia": "Available", "Panen gagal": "Harvest failed",
    "Tidak bisa dipenuhi": "Cannot fill it",
    "tersedia setelah pembeli menerima pesanan atau masa penerimaan berakhir":
    "available once the shopper confirms receipt or the receipt window closes",
    "Uang penjualan dibayarkan setelah pembeli menerima barangnya, dikurangi komisi.":
    "Sales money is paid once the shopper has received the goods, less commission.",
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
    "Paling cocok": "Best match",
    "Tidak ada yang cocok dengan kata Anda; hasil ini untuk:": "Nothing matched your words; these results are for:",
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
    "Ongkos kirim dari {shop}": "Delivery from {shop}", "Total bayar": "Total to pay",
    "Ongkos kirim per toko: {same} bila toko satu kecamatan dengan alamat Anda, {other} bila beda kecamatan.":
        "Delivery per shop: {same} when the shop is in your district, {other} otherwise.",
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
    "Menunggu kurir menjemput barang retur": "Waiting for a courier to pick up the return",
    "Kurir akan datang menjemput barang retur": "A courier is coming to pick up the return",
    "Barang retur sedang dibawa kurir ke penjual": "The courier is taking the return to the seller",
    "Barang retur sudah diserahkan kurir kepada penjual": "The courier handed the return to the seller",
    "Penjemputan retur": "Return pickup",
    "Kurir Pasar Desa akan menjemput barang di alamat Anda. Jika Anda mengantarnya sendiri ke penjual, tandai di sini.":
        "A Pasar Desa courier will pick up the goods at your address. If you take them to the seller yourself, mark it here.",
    "Dana dikembalikan ke pembeli saat kurir menyerahkan barang kepada Anda. Jika barang sampai tanpa kurir, tandai di sini.":
        "The refund goes to the shopper when the courier hands you the goods. If they reach you without a courier, mark it here.",
    "Ambil tugas ini": "Take this delivery", "Retur: jemput di pembeli": "Return: pick up at the shopper's", "Tunai": "Cash", "HP": "Phone", "Catatan": "Note",
    "Nama dan alamat lengkap muncul setelah Anda mengambil tugas ini.":
        "The name and full address appear once you take this delivery.",
    "Halaman tidak ditemukan": "Page not found",
    # units
    "buah": "piece", "bungkus": "pack", "lembar": "sheet", "ikat": "bunch",
    # reasons and payouts
    "Pembayaran kartu gagal, jadi pesanan dibatalkan dan stok dikembalikan.":
        "The card payment failed, so the order was cancelled and the stock put back.",
    "Pembayaran tidak selesai tepat waktu, jadi pesanan dibatalkan.":
        "The payment was not finished in time, so the order was cancelled.",
    "Anda membatalkan pesanan ini.": "You cancelled this order.",
    "Stok penjual tidak cukup untuk pesanan ini.": "The seller did not have enough stock for this order.",
    "Belum dibayar": "Not paid yet", "Sudah ditransfer": "Transferred", "Sudah dibayar": "Paid",
    # messages from the services, in the words of the pages
    "Wajib diisi.": "Required.", "Isi dengan angka.": "Enter a number.",
    "Panjangnya {lo} sampai {hi} huruf.": "Between {lo} and {hi} characters.",
    "Isi angka dari {lo} sampai {hi}.": "Enter a number from {lo} to {hi}.",
    "Nomor HP seperti +6281234567890.": "A phone number like +6281234567890.",
    "Kategori ini tidak dikenal.": "This category is not known.", "Periksa isian ini.": "Check this field.",
    "Ada isian yang perlu diperbaiki.": "Some fields need fixing.",
    "Ada yang belum benar. Periksa lagi.": "Something is not right. Please check again.",
    "Kartu ditolak oleh bank.": "The card was declined by the bank.",
    # a declined card is one attempt: the same page, the form again, and how many tries are left
    "Kartu ditolak.": "Card declined.",
    "Periksa nomor kartu atau pakai kartu lain.": "Check the card number or use another card.",
    "Sisa percobaan: {n}": "Attempts left: {n}",
    "Kartu ditolak {n} kali, jadi pesanan ini dibatalkan.":
        "The card was declined {n} times, so this order is cancelled.",
    "Di mode uji coba hanya kartu uji yang diterima: 4242 4242 4242 4242.":
        "In test mode only the test cards are accepted: 4242 4242 4242 4242.",
    "Pembayaran ini sudah selesai.": "This payment is already finished.",
    "Minimal {n} huruf.": "At least {n} characters.", "Maksimal {n} huruf.": "At most {n} characters.",
    "Nomor HP Indonesia seperti 0812-3456-7890.": "An Indonesian mobile number like 0812-3456-7890.",
    "Alamat email tidak benar.": "This email address is not valid.",
    "Ada huruf yang tidak boleh dipakai.": "Some characters are not allowed.", "Sudah terdaftar.": "Already registered.",
    # audit additions: pages, payment, order, seller and courier
    "Akan masuk setelah barang sampai": "Coming in once the goods arrive",
    "Atau pilih foto yang sudah ada di HP": "Or choose a photo already on the phone",
    "Barang pesanan tadi sudah masuk keranjang lagi.": "The order's items are back in your cart.",
    "Barangnya bisa dimasukkan lagi ke keranjang, lalu bayar dengan kartu lain atau tunai (COD).":
        "You can put the items back in the cart, then pay with another card or in cash (COD).",
    "Belum ada penjualan.": "No sales yet.", "Belum ada pesanan lain.": "No other orders yet.",
    "Berikutnya": "Next", "Sebelumnya": "Previous", "Halaman": "Page", "Halaman hasil": "Result pages",
    "Dikirim ke": "Delivered to", "Dipesan": "Ordered", "Rincian": "Details",
    "Hanya yang ada stoknya": "Only items in stock", "Hapus": "Remove", "Paling laku": "Best selling",
    "Harga tertinggi harus lebih besar dari harga terendah.": "The highest price must be above the lowest price.",
    "Kartu 4000 0000 0000 0002 selalu ditolak (untuk mencoba).": "Card 4000 0000 0000 0002 is always declined (to try it).",
    "Kembali ke daftar produk": "Back to the product list",
    "Ketuk untuk membuka kamera. Foto yang terang dan dekat paling laku.":
        "Tap to open the camera. Bright, close-up photos sell best.",
    "Masih di jalan": "Still on the way", "Masukkan lagi ke keranjang": "Put back in the cart",
    "Pembayaran kartu perlu JavaScript. Nyalakan JavaScript, atau batalkan pesanan ini dan pilih bayar tunai (COD).":
        "Card payment needs JavaScript. Turn JavaScript on, or cancel this order and choose cash on delivery (COD).",
    "Penghasilan ongkos kirim": "Delivery fees earned",
    # the agent's money page: each crafter's shop
    "Uang tiap toko perajin yang Anda kelola, sudah dipotong komisi. Pengelola Pasar Desa atau koperasi membayarkan pencairannya; Anda yang menyerahkan uangnya ke perajin.":
        "The money of each crafter's shop you manage, after the commission. The Pasar Desa operator or the "
        "cooperative pays the payouts; you hand the money to the crafter.",
    "Total yang belum dibayar ke perajin": "Total not yet paid to the crafters",
    "Hak perajin yang belum dibayar": "Owed to the crafter, not yet paid",
    "Sudah dibayarkan": "Already paid out", "Komisi Pasar Desa": "Pasar Desa commission", "Komisi": "Commission",
    "Masih di jalan (nilai barang)": "Still on the way (goods value)",
    "Produk disimpan sebagai draf. Pembeli belum melihatnya.": "Saved as a draft. Buyers do not see it yet.",
    "Siapkan sebelum": "Prepare by", "Stok hampir habis": "Almost sold out", "Tagihan": "Amount due",
    "Tawaran baru: terima atau tolak": "New offer: accept or decline",
    "Uang tunai COD yang Anda pegang (setor ke pengelola)": "COD cash you hold (hand it to the operator)",
    "Untuk": "For", "Ya, batalkan pesanan": "Yes, cancel the order",
    "Yakin ingin membatalkan? Pesanan yang sudah diambil kurir tidak bisa dibatalkan.":
        "Cancel this order? An order a courier has picked up cannot be cancelled.",
    "Yang harus dibayar": "Amount to pay", "diminta": "requested", "tersedia": "available", "paket": "parcels",
    "siapkan uang tunai untuk kurir": "have the cash ready for the courier",
    "Ubah toko": "Edit the shop", "Hapus foto": "Remove photo", "Foto sudah dihapus.": "The photo is removed.",
    "Foto belum terhapus. Coba lagi.": "The photo was not removed. Try again.", "Foto toko (ambil dengan kamera)": "Shop photo (take it with the camera)",
    "Ubah cerita, alamat dan foto toko": "Edit the shop's story, address and photo",
    "Formulir kartu tidak bisa dimuat. Periksa sinyal lalu muat ulang halaman ini.":
        "The card form could not be loaded. Check the signal, then reload this page.",
    # questions and conversations (issue 19)
    "Tanya penjual": "Ask the seller", "Tentang": "About", "Tentang barang": "About the item",
    "Pertanyaan": "Question", "Kirim pertanyaan": "Send the question", "Kembali": "Back",
    "Pertanyaan Anda dibaca penjual dan layanan pelanggan tokonya. Jawaban muncul di Pertanyaan saya dan di Kabar.":
        "The seller and the shop's customer service read your question. Answers appear in My questions and in News.",
    "Pertanyaan tidak ditemukan": "Question not found",
    "Terlalu banyak pesan dalam satu jam. Coba lagi nanti.": "Too many messages in an hour. Try again later.",
    "Pesan belum terkirim. Coba lagi.": "The message was not sent. Try again.",
    "Pertanyaan saya": "My questions", "Pertanyaan pembeli": "Shoppers' questions",
    "Antrian pertanyaan": "Question queue", "Pembeli": "Shopper",
    "Layanan pelanggan": "Customer service", "Pengelola": "Operator",
    "Menunggu jawaban": "Waiting for an answer", "Dijawab": "Answered", "Diteruskan ke penjual": "Handed to the seller",
    "Sudah selesai": "Resolved", "Lihat produk": "See the product", "Pesan terkirim.": "Message sent.",
    "Pertanyaan diteruskan ke penjual.": "The question was handed to the seller.",
    "Pertanyaan ditandai selesai.": "The question is marked resolved.", "Belum bisa dilakukan.": "That cannot be done yet.",
    "Balas": "Reply", "Kirim": "Send", "Serahkan ke penjual": "Hand over to the seller", "Tandai selesai": "Mark resolved",
    "Semua pertanyaan": "All questions", "Belum ada pertanyaan.": "No questions yet.",
    "Tanya penjual dari halaman produk atau pesanan Anda.": "Ask a seller from a product page or one of your orders.",
    "Toko yang Anda layani": "Shops you serve", "Belum selesai": "Not resolved", "Semua": "All",
    "Pertanyaan dan layanan pelanggan": "Questions and customer service",
    "Akun layanan pelanggan dibuat.": "The customer-service account is created.", "Toko ditambahkan.": "Shop added.",
    "Toko dilepas.": "Shop removed.", "Belum bisa diubah.": "That could not be changed.",
    "Waktu tanggapan pertama": "Time to the first answer", "Menunggu": "Waiting", "terlama": "longest",
    "Median": "Median", "90% dijawab dalam": "90% answered within", "Rata-rata": "Mean", "Per petugas": "Per staff member",
    "Petugas": "Staff member", "Dijawab pertama": "Answered first", "Per toko": "Per shop",
    "Petugas layanan pelanggan": "Customer-service staff", "belum ada toko": "no shop yet",
    "Lepas dari toko ini": "Remove from this shop",
    "Buat akun layanan pelanggan": "Create a customer-service account", "Buat akun": "Create the account",
    "Akun belum dibuat.": "The account was not created.",
    "Email": "Email", "Buka pertanyaan": "Open the question",
    "Tulis pertanyaan Anda untuk penjual…": "Write your question for the seller…",
    "Masuk untuk bertanya kepada penjual": "Log in to ask the seller", "Tanya tentang pesanan ini": "Ask about this order",
    "%(n)s dtk": "%(n)s s", "%(n)s mnt": "%(n)s min", "%(h)s jam %(m)s mnt": "%(h)s h %(m)s min", "%(n)s hari": "%(n)s days",
    # reviews and the operator's desk (issue 16)
    "Tulis ulasan": "Write a review", "Nilai pembeli": "Rate the shopper", "%s dari 5": "%s of 5",
    "%s ulasan": "%s reviews", "%s bintang": "%s stars", "ulasan": "reviews", "Belum ada ulasan": "No reviews yet",
    "Belum ada ulasan.": "No reviews yet.", "Ulasan pembeli": "Shoppers' reviews", "Laporkan ulasan": "Report this review",
    "Laporkan": "Report", "Pilih 1 sampai 5 bintang.": "Choose 1 to 5 stars.",
    "Ulasan belum bisa dikirim.": "The review could not be sent.",
    "Terima kasih! Ulasan Anda tersimpan.": "Thank you! Your review is saved.",
    "Anda sudah mengulas paket ini.": "You have already reviewed this parcel.",
    "Waktu untuk mengulas paket ini sudah lewat.": "The time to review this parcel has passed.",
    "Ulasan bisa ditulis setelah paket diterima.": "A review can be written once the parcel is received.",
    "Kembali ke pesanan": "Back to the order", "Kembali ke pesanan masuk": "Back to incoming orders",
    "Ulasan Anda dan ulasan pihak lain baru terlihat setelah keduanya masuk, atau setelah waktu ulasan berakhir.":
        "Your review and the other side's become visible once both are in, or when the review time ends.",
    "Waktu ulasan berakhir": "Review time ends", "Ulasan Anda": "Your review",
    "Menunggu ulasan pihak lain": "Waiting for the other side's review", "Sudah terbit": "Published",
    "Disembunyikan operator": "Hidden by the operator", "Berapa bintang untuk toko ini?": "How many stars for this shop?",
    "Berapa bintang untuk pembeli ini?": "How many stars for this shopper?",
    "Ceritakan pengalaman Anda (boleh kosong)": "Tell about your experience (optional)", "Kirim ulasan": "Send the review",
    "Paket ini tidak bisa diulas lagi.": "This parcel can no longer be reviewed.",
    "Ulasan penjual tentang Anda": "The seller's review of you", "Belum terlihat.": "Not visible yet.",
    "Terima kasih, laporan Anda sampai ke operator.": "Thank you, your report reached the operator.",
    "Laporan belum bisa dikirim.": "The report could not be sent.", "Tindakan operator dicatat.": "The operator's action is recorded.",
    "Tindakan operator belum bisa dicatat.": "The operator's action could not be recorded.",
    "Disembunyikan oleh operator": "Hidden by the operator", "Rating tertinggi": "Best rated",
    "Moderasi operator": "Operator moderation", "Disembunyikan": "Hidden", "Ditampilkan lagi": "Shown again", "oleh": "by",
    "Belum ada tindakan operator.": "No operator action yet.", "Tampilkan lagi": "Show again", "Sembunyikan": "Hide",
    "Meja operator": "Operator's desk", "Ulasan dilaporkan": "Reported reviews",
    "Produk & toko disembunyikan": "Hidden products & shops", "Akun": "Accounts",
    "Ulasan disembunyikan; penulisnya diberi tahu.": "The review is hidden; its author is told.",
    "Ulasan belum bisa disembunyikan.": "The review could not be hidden.",
    "Tidak ada ulasan yang dilaporkan.": "No reported reviews.", "pembeli": "shopper", "Tampil": "Shown",
    "Laporan": "Reports", "(tanpa alasan)": "(no reason)", "Sembunyikan ulasan": "Hide the review",
    "Untuk menyembunyikan produk atau toko, buka halamannya: bagian \"Moderasi operator\" ada di bawah.":
        "To hide a product or shop, open its page: the \"Operator moderation\" part is at the bottom.",
    "Tidak ada produk yang disembunyikan.": "No hidden products.",
    "Tidak ada toko yang disembunyikan.": "No hidden shops.",
    "Akun dibekukan; semua sesinya berakhir.": "The account is suspended; all its sessions ended.",
    "Akun dipulihkan.": "The account is reinstated.", "Tindakan belum bisa dicatat.": "The action could not be recorded.",
    "Cari nama, email, nomor HP atau ID": "Search name, email, phone or ID", "Hanya yang dibekukan": "Suspended only",
    "akun": "accounts", "Dibekukan": "Suspended", "Dipulihkan": "Reinstated",
    "Riwayat tindakan operator": "Operator actions", "Pulihkan akun": "Reinstate the account",
    "Bekukan akun": "Suspend the account",
    # issue 17: produce by weight, perishables
    "Tidak dijual lagi: sudah lewat masa simpannya.": "No longer sold: past its shelf life.",
    "Dipanen": "Harvested", "Dijual sampai": "Sold until", "Paling sedikit": "At least", "kelipatan": "in steps of",
    "Hanya dikirim di kecamatan yang sama dengan toko.": "Delivered only within the shop's district.",
    "Hanya dikirim di kabupaten yang sama dengan toko.": "Delivered only within the shop's regency.",
    "Beli paling sedikit": "Least a shopper buys", "Kelipatan beli": "Bought in steps of",
    "Hasil panen / mudah basi": "Harvest / perishable", "Tanggal panen atau dibuat": "Harvested or made on",
    "Tahan berapa hari": "Keeps for how many days",
    "Ke mana saja": "Anywhere", "Kecamatan yang sama saja": "The same district only",
    "Kabupaten yang sama saja": "The same regency only",
    "Untuk dijual per kg, isi misalnya 0,5 dan 0,5: pembeli membeli 0,5 kg, 1 kg, 1,5 kg ...":
        "Sold per kg: fill in for example 0.5 and 0.5, and shoppers buy 0.5 kg, 1 kg, 1.5 kg ...",
    "Isi dengan angka, misalnya 1,5": "Fill in a number, for example 1.5",
    "Isi tanggal seperti 2026-12-01": "Fill in a date like 2026-12-01",
    "Jumlah itu tidak bisa dibeli: lihat batas paling sedikit dan kelipatannya, atau produk ini sudah lewat masa simpannya.":
        "That quantity cannot be bought: see the least amount and the steps, or the product is past its shelf life.",
}


def gettext(text: str) -> str:
    if g.get("lang") == "en":
        return EN.get(text, text)
    return text


def status_label(status: str | None) -> str:
    return gettext(STATUS.get(status or "", status or ""))


def unit_label(unit: str | None) -> str:
    return gettext(UNITS.get(unit or "", unit or ""))


# Errors the pages meet, by the error's `code` (the contract: codes are stable, messages are for developers).
ERROR_TEXT = {
    "validation_error": "Ada isian yang perlu diperbaiki.",   # 422: the fields say what
    "payment_final": "Pembayaran ini sudah selesai.",         # payments: paid (or failed) already
    "card_declined": "Kartu ditolak oleh bank.",              # payments: 402, attempts left
    "too_many_declines": "Kartu ditolak oleh bank.",          # payments: 402, the last attempt
    "already_registered": "Sudah terdaftar.",                 # gateway accounts: 409
}

# A field's message carries no code of its own today (`fields` is {"name": ["marshmallow's words"]}, and the
# services' own field checks write in the same habit): each is known by the field it is said of, then by its
# wording. Card and category words are only believed of their own fields. When the services send a code per
# field, this table becomes a dict like ERROR_TEXT.
_ANY = None
_FIELD_TEXT = [  # (fields it is said of, or _ANY; the wording; the pages' words; format numbers as rupiah)
    (_ANY, re.compile(r"^Missing data for required field\.?$"), "Wajib diisi.", False),
    (_ANY, re.compile(r"^Field may not be null\.?$"), "Wajib diisi.", False),
    (_ANY, re.compile(r"^Not a valid (integer|number)\.?$"), "Isi dengan angka.", False),
    (_ANY, re.compile(r"^Length must be between (?P<lo>\d+) and (?P<hi>\d+)\.?$"), "Panjangnya {lo} sampai {hi} huruf.",
     False),
    (_ANY, re.compile(r"^Must be greater than or equal to (?P<lo>\d+) and less than or equal to (?P<hi>\d+)\.?$"),
     "Isi angka dari {lo} sampai {hi}.", True),
    (_ANY, re.compile(r"phone number like"), "Nomor HP seperti +6281234567890.", False),
    (("category",), re.compile(r"^unknown category"), "Kategori ini tidak dikenal.", False),
    (("card_number",), re.compile(r"^(card_)?declined$|^insufficient_funds$|^do_not_honor$"),
     "Kartu ditolak oleh bank.", False),
    (("card_number",), re.compile(r"sandbox accepts only the test cards"),
     "Di mode uji coba hanya kartu uji yang diterima: 4242 4242 4242 4242.", False),
    (_ANY, re.compile(r"^at least (?P<n>\d+) characters$"), "Minimal {n} huruf.", False),
    (_ANY, re.compile(r"^at most (?P<n>\d+) characters$"), "Maksimal {n} huruf.", False),
    (_ANY, re.compile(r"^(?P<lo>\d+) to (?P<hi>\d+) characters$"), "Panjangnya {lo} sampai {hi} huruf.", False),
    (_ANY, re.compile(r"Indonesian (mobile )?number|phone number has only digits|phone number must be"),
     "Nomor HP Indonesia seperti 0812-3456-7890.", False),
    (_ANY, re.compile(r"not a valid email"), "Alamat email tidak benar.", False),
    (_ANY, re.compile(r"characters that are not allowed"), "Ada huruf yang tidak boleh dipakai.", False),
    (_ANY, re.compile(r"^already registered$"), "Sudah terdaftar.", False),
]


def _unknown(message: str, fallback: str) -> str:
    """An untranslated message is kept in English pages and replaced by `fallback` in Indonesian ones."""
    if message and g.get("lang") == "en":
        return message
    return gettext(fallback)


def error_text(code: str | None, message: str | None, fallback: str = "Periksa isian ini.") -> str:
    """A service's error (its `code`, then its developer's `message`) as the page's reader should see it."""
    if code in ERROR_TEXT:
        return gettext(ERROR_TEXT[code])
    return _unknown((message or "").strip(), fallback)


def field_text(code: str | None, field: str, message: str | None, fallback: str = "Periksa isian ini.") -> str:
    """One field's error (`fields[field]` of an error with `code`) in the page's words and the reader's language."""
    text = (message or "").strip()
    for said_of, pattern, words, numbers in _FIELD_TEXT:
        found = (said_of is _ANY or field in said_of) and pattern.search(text)
        if found:
            values = {k: (f"{int(v):,}".replace(",", ".") if numbers else v) for k, v in found.groupdict().items()}
            return gettext(words).format(**values)
    return _unknown(text, fallback)


# -- complaints and returns (issue 16) ---------------------------------------------------------------
COMPLAINT_REASONS = {
    "not_arrived": "Paket tidak sampai",
    "damaged": "Barang rusak",
    "not_as_described": "Tidak sesuai foto/keterangan",
    "wrong_item": "Barang salah",
    "incomplete": "Barang kurang",
}
COMPLAINT_STATUS = {
    "open": "Menunggu jawaban penjual",
    "rejected": "Ditolak penjual",
    "return_requested": "Barang perlu dikembalikan",
    "return_sent": "Barang dikirim balik",
    "escalated": "Ditangani pengelola",
    "resolved": "Selesai",
}
COMPLAINT_ACTIONS = {
    "opened": "Komplain diajukan",
    "rejected": "Ditolak",
    "return_requested": "Barang diminta kembali",
    "return_sent": "Barang dikirim balik",
    "return_received": "Barang diterima kembali",
    "escalated": "Diteruskan ke pengelola",
    "accepted": "Pembeli menerima jawaban",
    "refunded": "Dana dikembalikan",
    "released": "Dana diteruskan ke penjual",
}
EN.update({
    "Paket tidak sampai": "Parcel did not arrive", "Barang rusak": "Damaged", "Barang salah": "Wrong item",
    "Tidak sesuai foto/keterangan": "Not as described", "Barang kurang": "Incomplete",
    "Menunggu jawaban penjual": "Waiting for the seller", "Ditolak penjual": "Rejected by the seller",
    "Barang perlu dikembalikan": "Goods to be returned", "Barang dikirim balik": "Goods sent back",
    "Ditangani pengelola": "With the operator",
    "Komplain diajukan": "Complaint opened", "Ditolak": "Rejected", "Barang diminta kembali": "Goods asked back",
    "Barang diterima kembali": "Goods received back", "Diteruskan ke pengelola": "Passed to the operator",
    "Pembeli menerima jawaban": "Shopper accepted the answer", "Dana dikembalikan": "Refunded",
    "Dana diteruskan ke penjual": "Released to the seller",
    "Ajukan komplain": "File a complaint", "Komplain": "Complaint", "Alasan": "Reason",
    "Ceritakan masalahnya": "Describe the problem", "Alamat foto (opsional)": "Photo address (optional)",
    "Foto bukti (opsional, ambil dengan kamera)": "Photo as evidence (optional, take it with the camera)",
    "Tambah foto bukti (ambil dengan kamera)": "Add a photo as evidence (take it with the camera)",
    "Kirim foto": "Send the photo", "Foto bukti": "Evidence photo",
    "Foto belum bisa dikirim: kirim foto JPEG, PNG atau WebP, paling banyak 3.":
        "The photo could not be sent: send a JPEG, PNG or WebP photo, at most 3.",
    "Kirim komplain": "Send complaint", "Komplain dikirim. Penjual akan menjawab.": "Complaint sent. The seller will answer.",
    "Langkah komplain dicatat.": "Complaint step recorded.", "Komplain belum bisa diproses.": "The complaint could not be processed.",
    "Jawaban penjual": "Seller's answer", "Terima jawaban": "Accept the answer",
    "Teruskan ke pengelola": "Pass to the operator", "Barang sudah saya kirim balik": "I sent the goods back",
    "Dana dikembalikan kepada Anda": "Refunded to you", "Jawab sebelum": "Answer by",
    "Kembalikan dana": "Refund", "Minta barang dikembalikan": "Ask for the goods back", "Tolak komplain": "Reject",
    "Jumlah (kosongkan untuk semua)": "Amount (leave empty for all)", "Kirim jawaban": "Send answer",
    "Barang sudah kembali": "Goods are back", "Komplain pembeli": "Shoppers' complaints",
    "Jawaban terkirim.": "Answer sent.", "Jawaban belum bisa dikirim.": "The answer could not be sent.",
    "Meja komplain": "Complaints desk", "Antrean": "Queue", "Semua": "All", "Tidak ada komplain.": "No complaints.",
    "Bukti": "Evidence", "Riwayat": "History", "Keputusan": "Decision", "Catatan (wajib)": "Note (required)",
    "Kembalikan dana sebesar": "Refund the amount", "Minta barang dikembalikan lalu kembalikan dana":
    "Return, then refund", "Teruskan dana ke penjual": "Release to the seller", "Simpan keputusan": "Save decision",
    "Keputusan disimpan.": "Decision saved.", "Keputusan belum bisa disimpan.": "The decision could not be saved.",
    "Komplain tidak ada": "No such complaint", "Komplain ini tidak ditemukan.": "This complaint was not found.",
    "Total paket": "Parcel total", "Pembeli": "Shopper", "Penjual": "Seller", "Pengelola": "Operator",
    "Foto": "Photo", "Otomatis": "Automatic",
    "Pembayaran dana ke pembeli dicatat.": "The refund paid to the shopper is recorded.",
    "Dana ini sudah tercatat dibayar.": "This refund is already recorded as paid.",
    "Pembayaran dana belum bisa dicatat.": "The refund payment could not be recorded.",
    "Pesanan bayar di tempat: Pasar Desa berutang dana ini kepada pembeli sampai dibayarkan.":
    "Cash on delivery order: Pasar Desa owes this refund to the shopper until it is paid.",
    "Dana sudah dibayarkan ke pembeli": "Refund paid to the shopper",
    "Waktu": "Time", "Langkah": "Step", "Oleh": "By", "Nominal": "Amount", "Status komplain": "Complaint status",
})
# the operator's desk: cash on delivery still with the couriers, and parked events (issue 16)
EN.update({
    "Setoran COD": "COD remittances", "Antrian pesan": "Message queues",
    "Setoran kurir dicatat.": "The courier's remittance is recorded.",
    "Jumlah melebihi uang tunai yang dipegang kurir.": "The amount is more than the cash the courier holds.",
    "Setoran belum bisa dicatat.": "The remittance could not be recorded.",
    "Uang tunai COD yang belum disetor kurir": "Cash on delivery not yet handed over by couriers",
    "Tidak ada uang tunai COD yang belum disetor.": "No cash on delivery is outstanding.",
    "Belum disetor": "Not handed over", "tertua": "oldest", "Jumlah disetor (Rp)": "Amount handed over (Rp)",
    "Catat setoran": "Record remittance", "Riwayat setoran": "Remittance history",
    "Pesan dikirim ulang ke antriannya.": "Messages sent back to their queue.",
    "Pesan itu sudah tidak ada di antrian parkir.": "That message is no longer parked.",
    "Tulis alasannya dulu.": "Write the reason first.",
    "Pesan belum bisa dikirim ulang.": "The messages could not be replayed.",
    "Broker pesan tidak bisa dihubungi. Coba lagi sebentar lagi.":
    "The message broker cannot be reached. Try again shortly.",
    "Pesan yang diparkir": "Parked messages",
    "Kirim ulang aman: pesan yang sudah pernah diterapkan tidak diterapkan dua kali.":
    "Replaying is safe: a message already applied is not applied twice.",
    "diparkir": "parked", "Antrian belum dibuat (pekerjanya belum pernah berjalan).":
    "The queue does not exist yet (its worker has never run).",
    "Jenis": "Type", "ID pesan": "Message id", "Alasan diparkir": "Why it was parked", "Kirim ulang": "Replay",
    "Kirim ulang semua": "Replay all", "Riwayat kirim ulang": "Replay history", "pesan": "messages",
})
# phone verification (issue 18): /verifikasi-hp, the banner for an unproven seller or courier
EN.update({
    "Verifikasi nomor HP": "Verify your phone number", "Verifikasi": "Verify", "Lanjut": "Continue",
    "Sebelum berjualan atau mengantar paket, buktikan dulu nomor HP Anda dengan kode dari WhatsApp.":
        "Before selling or delivering parcels, prove your phone number with the code sent by WhatsApp.",
    "Nomor HP Anda sudah terverifikasi.": "Your phone number is verified.",
    "Akun pendamping yang mendaftar dengan email boleh berjualan tanpa nomor HP. Jika Anda punya nomor HP, tambahkan dan buktikan di sini.":
        "An agent account registered by email may sell without a phone number. If you have one, add and prove it here.",
    "Akun Anda belum punya nomor HP. Penjual dan kurir perlu nomor HP yang terbukti: tulis nomor Anda, kami kirim kode lewat WhatsApp.":
        "Your account has no phone number yet. Sellers and couriers need a proven phone number: write yours and we "
        "send a code by WhatsApp.",
    "Nomor HP (WhatsApp)": "Phone number (WhatsApp)", "Kirim kode": "Send the code",
    "Kode 6 angka sudah dikirim lewat WhatsApp ke": "A 6-digit code was sent by WhatsApp to",
    "Berlaku 10 menit.": "Valid for 10 minutes.",
    "Tulis kode 6 angka dari WhatsApp untuk membuktikan nomor": "Type the 6-digit code from WhatsApp to prove the number",
    "Setelah itu Anda bisa berjualan atau mengantar paket.": "Then you can sell or deliver parcels.",
    "Kode 6 angka": "6-digit code", "Tidak menerima kode?": "No code arrived?", "Kirim kode baru": "Send a new code",
    "Kode salah atau sudah tidak berlaku.": "The code is wrong or no longer valid.",
    "Terlalu banyak kode salah. Minta kode baru.": "Too many wrong codes. Ask for a new one.",
    "Kode baru baru saja dikirim. Tunggu beberapa menit lalu minta lagi.":
        "A new code was sent a moment ago. Wait a few minutes, then ask again.",
    "Kode belum terkirim": "The code was not sent",
    "Tulis nomor HP yang benar (contoh 0812 3456 7890)": "Write a valid phone number (for example 0812 3456 7890)",
    "Nomor HP Anda belum terverifikasi: berjualan dan mengantar paket belum bisa.":
        "Your phone number is not verified yet: selling and delivering parcels are not open.",
    "Verifikasi sekarang": "Verify now",
    "Nomor HP terverifikasi. Sekarang Anda bisa berjualan dan mengantar paket.":
        "Phone number verified. You can now sell and deliver parcels.",
})
# the shop's official village (issue 18)
EN.update({
    "Desa resmi toko": "The shop's official village", "Sekarang": "Now", "Simpan desa toko": "Save the shop's village",
    "Pilih desa toko dari daftar resmi. Ongkos kirim dan kurir kecamatan lalu dihitung dari kode wilayah, bukan dari nama yang diketik.":
        "Choose the shop's village from the official list. Delivery fees and the district's couriers then come from "
        "the region code, not from typed names.",
    "Toko ini belum memilih desa dari daftar resmi: ongkos kirim masih dihitung dari nama kecamatan yang diketik.":
        "This shop has not chosen its village from the official list yet: delivery fees still come from the typed "
        "district name.",
    "Pilih desa resmi": "Choose the official village",
})
EN["Kami menebak desa resmi toko ini dari alamat yang diketik, tetapi belum yakin. Periksa lalu simpan."] = (
    "We guessed this shop's official village from its typed address, but we are not sure. Check it, then save.")
# the courier's official district (issue 18)
EN.update({
    "Kecamatan resmi tempat saya mengantar": "The official district I deliver in",
    "Kembali ke pengantaran": "Back to deliveries", "Simpan kecamatan": "Save the district",
    "Pilih kecamatan dari daftar resmi: paket dari toko yang memakai kode wilayah lalu sampai ke Anda, bukan ke kecamatan lain yang namanya sama.":
        "Choose your district from the official list: parcels from shops with a region code then reach you, not "
        "another district of the same name.",
    "Pilih provinsi, kabupaten/kota, lalu kecamatan": "Choose the province, the regency/city, then the district",
    "Kecamatan resmi tersimpan.": "Official district saved.", "Dari daftar resmi": "From the official list",
    "Pilih kecamatan dari daftar resmi": "Choose the district from the official list",
})
EN.update({"Pilih": "Choose", "— pilih —": "— choose —",
           "Pilih provinsi, kabupaten/kota, kecamatan, lalu desa/kelurahan":
               "Choose the province, the regency/city, the district, then the village"})
