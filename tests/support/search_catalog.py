"""A fixture market for search relevance: shops in real villages and listings chosen to trap a bad search
(a bed next to baskets, arabika next to robusta, a village name that is also in no title), and the relevance
set: queries with the listings a shopper wants in the first five. Used by tests/service/test_catalog_search.py
and `make bench` (bench/search.py); the same on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from pasar.stamps import utcnow

# key, name, village, district, regency, province
SHOPS = [
    ("sri", "Anyaman Pandan Bu Sri", "Bendosari", "Sanankulon", "Blitar", "Jawa Timur"),
    ("gayo", "Koperasi Kopi Gayo Lestari", "Pantan Terong", "Bebesen", "Aceh Tengah", "Aceh"),
    ("jati", "Mebel Jati Pak Harno", "Tahunan", "Tahunan", "Jepara", "Jawa Tengah"),
    ("rotan", "Rotan Dayak Ngaju", "Menteng", "Jekan Raya", "Palangkaraya", "Kalimantan Tengah"),
    ("darto", "Kebun Serang Pak Darto", "Serang", "Karangreja", "Purbalingga", "Jawa Tengah"),
    ("toraja", "Kopi dan Tenun Sa'dan", "Sa'dan Malimbong", "Sa'dan", "Toraja Utara", "Sulawesi Selatan"),
    ("madu", "Madu Hutan Sumbawa", "Batu Dulang", "Batulanteh", "Sumbawa", "Nusa Tenggara Barat"),
    ("gerabah", "Gerabah Kasongan Bu Ratmi", "Bangunjiwo", "Kasihan", "Bantul", "DI Yogyakarta"),
]

# key, shop, title, category, price, description
LISTINGS = [
    ("keranjang-rotan", "rotan", "Keranjang rotan anyaman besar", "anyaman", 120000,
     "Keranjang serbaguna dari rotan hutan, kuat untuk pakaian atau hasil panen."),
    ("keranjang-pandan", "sri", "Keranjang pandan tutup", "anyaman", 55000,
     "Keranjang kecil anyaman pandan dengan tutup, untuk tempat roti atau jajanan."),
    ("keranjang-bambu", "darto", "Keranjang bambu petik stroberi", "anyaman", 30000,
     "Keranjang bambu ringan yang dipakai pemetik stroberi di kebun."),
    ("tikar", "sri", "Tikar pandan 2x1 m", "anyaman", 85000, "Tikar anyaman pandan halus, dijemur alami."),
    ("tas", "sri", "Tas belanja anyaman pandan", "anyaman", 65000,
     "Tas belanja kuat, pengganti kantong plastik; muat satu keranjang sayur."),
    ("ranjang", "jati", "Ranjang kayu jati ukir", "kerajinan-tangan", 4500000,
     "Ranjang tidur kayu jati Jepara dengan ukiran bunga, ukuran 160x200."),
    ("dipan", "jati", "Dipan jati minimalis", "kerajinan-tangan", 3200000, "Tempat tidur (ranjang) jati tanpa ukiran."),
    ("kursi", "jati", "Kursi teras jati", "kerajinan-tangan", 900000, "Sepasang kursi teras dari kayu jati tua."),
    ("gayo-arabika", "gayo", "Kopi arabika Gayo 250 g", "kopi-rempah", 75000,
     "Biji kopi arabika dataran tinggi Gayo, sangrai medium, aroma buah."),
    ("gayo-arabika-bubuk", "gayo", "Kopi bubuk arabika Gayo wine", "kopi-rempah", 95000,
     "Kopi arabika proses wine, digiling halus untuk tubruk."),
    ("gayo-luwak", "gayo", "Kopi luwak liar Gayo 100 g", "kopi-rempah", 250000,
     "Kopi luwak dari biji arabika yang dipungut di kebun."),
    ("toraja-arabika", "toraja", "Kopi arabika Toraja Sapan", "kopi-rempah", 85000,
     "Kopi arabika dari lereng Sapan, rasa rempah dan cokelat."),
    ("robusta", "darto", "Kopi robusta Karangreja 250 g", "kopi-rempah", 45000,
     "Biji kopi robusta sangrai sedang dari kebun warga."),
    ("gula-aren", "darto", "Gula aren cetak 1 kg", "makanan-olahan", 24000,
     "Gula aren dari nira pagi, cocok untuk kopi dan kue."),
    ("stroberi", "darto", "Stroberi segar Serang", "hasil-bumi", 60000, "Stroberi dipetik pagi dari lereng Slamet."),
    ("kentang", "darto", "Kentang dieng kuning", "hasil-bumi", 18000, "Kentang kuning dataran tinggi."),
    ("tenun", "toraja", "Kain tenun Sa'dan motif pa'tedong", "batik-tekstil", 650000,
     "Kain tenun ikat tangan dari Sa'dan, pewarna alami."),
    ("madu-sumbawa", "madu", "Madu hutan Sumbawa 500 ml", "madu-herbal", 150000,
     "Madu lebah hutan liar dari Batulanteh, dipanen tanpa membakar sarang."),
    ("madu-kecil", "madu", "Madu hutan Sumbawa 250 ml", "madu-herbal", 85000, "Madu hutan liar, botol kecil."),
    ("susu-kuda", "madu", "Susu kuda liar Sumbawa", "madu-herbal", 90000, "Susu kuda liar fermentasi alami."),
    ("madu-kelulut", "rotan", "Madu kelulut hutan 250 ml", "madu-herbal", 120000,
     "Madu lebah kelulut tanpa sengat dari hutan Kalimantan."),
    ("tas-anjat", "rotan", "Tas anjat rotan motif Dayak", "anyaman", 250000, "Tas punggung anjat dari rotan."),
    ("gelang", "rotan", "Gelang manik-manik Dayak", "kerajinan-tangan", 45000, "Gelang manik warna-warni."),
    ("guci", "gerabah", "Guci gerabah Kasongan", "gerabah-keramik", 175000, "Guci tanah liat bakar motif daun."),
    ("cobek", "gerabah", "Cobek tanah liat", "gerabah-keramik", 25000, "Cobek dan ulekan untuk sambal."),
    ("celengan", "gerabah", "Celengan gerabah ayam", "gerabah-keramik", 20000, "Celengan tanah liat bentuk ayam."),
    ("kafe", "gerabah", "Cangkir kopi gerabah kafé", "gerabah-keramik", 30000, "Cangkir kecil untuk kopi tubruk."),
]

# query, the listings that must come first (in any order among themselves), listings that must never appear
RELEVANCE = [
    ("keranjang", ["keranjang-rotan", "keranjang-pandan", "keranjang-bambu"], ["ranjang", "dipan"]),
    ("keranjang rotan", ["keranjang-rotan"], ["ranjang"]),
    ("ranjang", ["ranjang"], ["keranjang-rotan", "keranjang-pandan", "keranjang-bambu"]),
    ("kopi arabika", ["gayo-arabika", "gayo-arabika-bubuk", "toraja-arabika"], ["robusta"]),
    ("kopi arabica", ["gayo-arabika", "gayo-arabika-bubuk", "toraja-arabika"], ["robusta"]),
    ("kopi gayo", ["gayo-arabika", "gayo-arabika-bubuk", "gayo-luwak"], []),
    ("madu hutan", ["madu-sumbawa", "madu-kecil", "madu-kelulut"], []),
    ("madu sumbawa", ["madu-sumbawa", "madu-kecil"], []),
    ("bendosari", ["keranjang-pandan", "tikar", "tas"], []),
    ("tahunan", ["ranjang", "dipan", "kursi"], []),
    ("jepara jati", ["ranjang", "dipan", "kursi"], []),
    ("batulanteh", ["madu-sumbawa", "madu-kecil", "susu-kuda"], []),
    ("tikarnya", ["tikar"], []),
    ("anyam pandan", ["tikar", "tas", "keranjang-pandan"], []),
    ("gerabah", ["guci", "celengan", "cobek", "kafe"], []),
    ("kafe", ["kafe"], []),
    ("robsuta", ["robusta"], []),
    ("stroberi", ["stroberi", "keranjang-bambu"], []),
]


def listing_id(key: str) -> str:
    return f"search-{key}"


def build(session, refresh_search_text) -> None:
    """The fixture market in a catalog database (tables already there); `refresh_search_text` is the
    catalog's own (service.refresh_search_text), so the documents are exactly what the app writes."""
    from services.catalog.domain import DEFAULT_CATEGORIES
    from services.catalog.models import Category, Listing, Shop

    names = {}
    for position, (slug, name_id, name_en) in enumerate(DEFAULT_CATEGORIES):
        if session.get(Category, slug) is None:
            session.add(Category(slug=slug, name_id=name_id, name_en=name_en, position=position))
        names[slug] = name_id
    shops = {}
    for key, name, village, district, regency, province in SHOPS:
        shops[key] = Shop(id=f"search-shop-{key}", seller_id=f"seller-{key}", name=name, owner_name=name,
                          village=village, district=district, regency=regency, province=province, status="active")
        session.add(shops[key])
    started = utcnow()
    for n, (key, shop, title, category, price, description) in enumerate(LISTINGS):
        created = started - timedelta(hours=n)
        listing = Listing(id=listing_id(key), shop_id=shops[shop].id, seller_id=shops[shop].seller_id, title=title,
                          description=description, category=category, unit="pcs", price=price, stock=5,
                          status="published", created_at=created, updated_at=created, published_at=created)
        refresh_search_text(session, listing, shops[shop], names[category])
        session.add(listing)
    session.commit()


def precision_at_5(ranked_ids: list[str], wanted_keys: list[str]) -> float:
    """Share of the first five that are wanted, out of as many as could be there (min(5, wanted)): a query
    with two right answers that shows both first scores 1.0."""
    wanted = {listing_id(k) for k in wanted_keys}
    return len(wanted & set(ranked_ids[:5])) / min(5, len(wanted))
