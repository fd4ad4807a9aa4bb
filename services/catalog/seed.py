"""Demo data for `pasar seed`: 13 village shops (five run by agents for crafters without an account) and
66 products from real regions (among them Pak Darto's chilies, sold by the kilogram and perishable), in Bahasa Indonesia, with placeholder pictures drawn locally by Pillow.

Idempotent: every id is derived from a fixed name, and rows (and picture files) that exist are left alone.
The sellers and agents are `pasar.demo`'s, whose accounts the gateway's seed creates."""
from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from pasar.db import Database
from pasar.stamps import utcnow
from pasar.demo import DEMO_AGENTS, DEMO_CS, DEMO_HARVEST_BATCH, DEMO_SELLERS

from . import domain, media
from .models import Base, Category, CsAssignment, CsStaff, HarvestBatch, Listing, Photo, Seller, Shop
from .service import move_stock, refresh_search_text

_NS = uuid.UUID("6f1d1c1e-5a7b-4c2e-9f3a-0d5e8b7a6c41")


def _id(kind: str, key: str) -> str:
    return str(uuid.uuid5(_NS, f"{kind}:{key}"))



S = {s["regency"]: s["id"] for s in DEMO_SELLERS}
A_LOMBOK, A_TORAJA = DEMO_AGENTS[0]["id"], DEMO_AGENTS[1]["id"]

# key, seller account (None: a crafter's shop), agent, name, owner, street, village, district, regency, province, story,
# then products: (title, category, unit, price, stock, description)
SHOPS = [
    ("blitar-sri", S["Blitar"], None, "Anyaman Pandan Bu Sri", "Sri Wahyuni", "Jl. Raya Bendosari 12", "Bendosari",
     "Sanankulon", "Blitar", "Jawa Timur",
     "Sejak 1985 Bu Sri menganyam daun pandan dari kebun sendiri bersama ibu-ibu tetangga.", [
         ("Tikar pandan 2x1 m", "anyaman", "pcs", 85000, 12, "Tikar anyaman pandan halus, dijemur alami, awet bertahun-tahun."),
         ("Tas belanja anyaman pandan", "anyaman", "pcs", 65000, 20, "Tas belanja kuat dengan pegangan rotan, pengganti kantong plastik."),
         ("Sambal pecel khas Blitar 500 g", "makanan-olahan", "pack", 28000, 40, "Bumbu pecel kacang tanah sangrai, pedas sedang, tanpa pengawet."),
         ("Wajik kletik", "makanan-olahan", "pack", 22000, 25, "Jajanan ketan dan gula kelapa khas Blitar, dibungkus klobot jagung."),
         ("Topi caping pandan", "anyaman", "pcs", 35000, 2, "Caping lebar untuk ke sawah atau berkebun."),
     ]),
    ("palangka-dahan", S["Palangkaraya"], None, "Galeri Rotan Dayak Ngaju", "Yulianus Dahan", "Jl. Tjilik Riwut Km 3",
     "Menteng", "Jekan Raya", "Palangkaraya", "Kalimantan Tengah",
     "Rotan dari hutan adat kami dianyam dengan motif Dayak Ngaju turun-temurun.", [
         ("Tas anjat rotan motif Dayak", "anyaman", "pcs", 250000, 6, "Tas punggung anjat dari rotan, motif tradisional Dayak Ngaju."),
         ("Lampit rotan 150x200 cm", "anyaman", "pcs", 650000, 3, "Tikar lampit rotan pilihan, sejuk untuk lantai rumah."),
         ("Madu kelulut hutan 250 ml", "madu-herbal", "pcs", 120000, 15, "Madu lebah kelulut (tanpa sengat) dari hutan Kalimantan, rasa asam manis."),
         ("Gelang manik-manik Dayak", "kerajinan-tangan", "pcs", 45000, 30, "Gelang manik warna-warni buatan tangan ibu-ibu Dayak."),
         ("Kerupuk ikan haruan", "makanan-olahan", "pack", 30000, 0, "Kerupuk ikan gabus (haruan) mentah, tinggal digoreng."),
     ]),
    ("purbalingga-darto", S["Purbalingga"], None, "Kebun Serang Pak Darto", "Darto Wiyono", "Dusun Kaliurip RT 02",
     "Serang", "Karangreja", "Purbalingga", "Jawa Tengah",
     "Kebun di lereng Gunung Slamet, dipetik pagi hari dan dikirim hari itu juga.", [
         ("Stroberi segar Serang", "hasil-bumi", "kg", 60000, 18, "Stroberi dipetik pagi, manis segar dari lereng Slamet."),
         ("Keripik stroberi", "makanan-olahan", "pack", 25000, 30, "Keripik buah stroberi vakum, renyah tanpa gula tambahan."),
         ("Gula kelapa cetak 1 kg", "makanan-olahan", "kg", 24000, 50, "Gula kelapa dari nira pagi, dimasak di tungku kayu."),
         ("Kopi robusta Karangreja 250 g", "kopi-rempah", "pack", 45000, 22, "Biji kopi robusta sangrai sedang dari kebun warga Karangreja."),
         ("Kentang dieng kuning", "hasil-bumi", "kg", 18000, 60, "Kentang kuning dataran tinggi, cocok untuk perkedel."),
         # issue 17: sold by weight from 0.5 kg in 0.5 kg steps, perishable (PRODUCE below)
         ("Cabai rawit merah segar", "hasil-bumi", "kg", 42000, Decimal("12.5"), "Cabai rawit dipetik pagi, pedas "
          "mantap. Dijual per kg, mulai 0,5 kg; tahan 5 hari, dikirim ke Kabupaten Purbalingga saja."),
     ]),
    ("sleman-sumiyati", S["Sleman"], None, "Salak Pondoh Bu Sum", "Sumiyati", "Jl. Turi - Tempel Km 2", "Wonokerto",
     "Turi", "Sleman", "DI Yogyakarta",
     "Kebun salak pondoh keluarga di kaki Merapi, dirawat tanpa pestisida kimia.", [
         ("Salak pondoh super", "hasil-bumi", "kg", 20000, 80, "Salak pondoh manis, daging tebal, dipetik sesuai pesanan."),
         ("Keripik salak", "makanan-olahan", "pack", 20000, 35, "Keripik salak pondoh, gurih manis alami."),
         ("Dodol salak", "makanan-olahan", "pack", 18000, 40, "Dodol lembut dari salak pondoh dan gula kelapa."),
         ("Kurma salak", "makanan-olahan", "pack", 30000, 12, "Manisan salak kering seperti kurma, oleh-oleh khas Turi."),
         ("Bibit salak pondoh", "hasil-bumi", "pcs", 15000, 3, "Bibit cangkok siap tanam, tinggi sekitar 40 cm."),
     ]),
    ("pekalongan-rohmah", S["Pekalongan"], None, "Batik Tulis Hj. Rohmah", "Hj. Rohmah", "Gang Kenanga 4", "Kemplong",
     "Wiradesa", "Pekalongan", "Jawa Tengah",
     "Tiga generasi membatik; motif pesisiran dengan warna-warna cerah khas Pekalongan.", [
         ("Kain batik tulis pesisiran", "batik-tekstil", "lembar", 450000, 5, "Batik tulis tangan motif buketan, katun primisima 2,25 m."),
         ("Kain batik cap motif jlamprang", "batik-tekstil", "lembar", 150000, 15, "Batik cap motif jlamprang khas Pekalongan, katun 2 m."),
         ("Sarung batik", "batik-tekstil", "pcs", 120000, 20, "Sarung batik cap, nyaman untuk sehari-hari."),
         ("Selendang batik sutra", "batik-tekstil", "pcs", 275000, 4, "Selendang sutra dengan pewarna alam, motif lung-lungan."),
         ("Taplak meja batik", "batik-tekstil", "pcs", 85000, 10, "Taplak meja 150x150 cm, batik cap motif bunga."),
     ]),
    ("garut-asep", S["Garut"], None, "Kulit & Dodol Kang Asep", "Asep Saepudin", "Jl. Gagak Lumayung 21",
     "Kota Kulon", "Garut Kota", "Garut", "Jawa Barat",
     "Bengkel kulit keluarga di Sukaregang; Ibu membuat dodol di dapur belakang.", [
         ("Dodol Garut campur 1 kg", "makanan-olahan", "pack", 45000, 30, "Dodol ketan aneka rasa: original, wijen, durian."),
         ("Dompet kulit domba", "kerajinan-tangan", "pcs", 95000, 15, "Dompet lipat kulit domba asli Sukaregang, dijahit tangan."),
         ("Sandal kulit pria", "kerajinan-tangan", "pcs", 150000, 8, "Sandal kulit sapi, sol karet, ukuran 39-44."),
         ("Minyak akar wangi 10 ml", "madu-herbal", "pcs", 60000, 12, "Minyak atsiri akar wangi dari Samarang, Garut."),
         ("Kopi arabika Cikajang 200 g", "kopi-rempah", "pack", 70000, 2, "Arabika dataran tinggi Cikajang, proses honey."),
     ]),
    ("tuban-kasiyem", S["Tuban"], None, "Batik Gedog Mbok Kasiyem", "Kasiyem", "Dusun Margorejo", "Kedungrejo",
     "Kerek", "Tuban", "Jawa Timur",
     "Kapas dipintal, ditenun dengan gedogan, lalu dibatik: semua di rumah kami di Kerek.", [
         ("Kain batik gedog tenun tangan", "batik-tekstil", "lembar", 550000, 3, "Kain tenun gedog dari kapas pintal tangan, dibatik motif lok can."),
         ("Selendang tenun gedog", "batik-tekstil", "pcs", 200000, 6, "Selendang tenun gedog warna alam dari indigo dan mengkudu."),
         ("Benang kapas pintal tangan", "kerajinan-tangan", "pack", 75000, 10, "Gulungan benang kapas hasil pintal tangan, untuk penenun dan perajut."),
         ("Legen siwalan", "hasil-bumi", "liter", 15000, 0, "Minuman nira siwalan segar khas Tuban, diambil pagi hari."),
         ("Kerupuk rambak Tuban", "makanan-olahan", "pack", 25000, 20, "Kerupuk kulit sapi renyah, oleh-oleh Tuban."),
     ]),
    ("bangli-wayan", S["Bangli"], None, "Kopi Kintamani Pak Wayan", "I Wayan Sudarma", "Banjar Dinas Belantih",
     "Belantih", "Kintamani", "Bangli", "Bali",
     "Subak abian kami menanam kopi bersama jeruk; rasanya segar karena itu.", [
         ("Kopi arabika Kintamani 250 g", "kopi-rempah", "pack", 85000, 25, "Arabika Kintamani proses natural, aroma jeruk."),
         ("Green bean arabika 1 kg", "kopi-rempah", "kg", 160000, 10, "Biji kopi mentah arabika Kintamani, untuk disangrai sendiri."),
         ("Jeruk Kintamani", "hasil-bumi", "kg", 22000, 70, "Jeruk siam Kintamani, manis sedikit asam."),
         ("Bumbu base genep", "kopi-rempah", "pack", 20000, 18, "Bumbu dasar Bali lengkap, siap untuk ayam atau ikan."),
         ("Madu hutan Batur 500 ml", "madu-herbal", "pcs", 110000, 5, "Madu hutan dari lereng Gunung Batur."),
     ]),
    # crafters without an account, run by agent Lalu Hamdani
    ("lombok-sade", None, A_LOMBOK, "Tenun Dusun Sade", "Inaq Sumiati", "Dusun Sade", "Rembitan", "Pujut",
     "Lombok Tengah", "Nusa Tenggara Barat",
     "Perempuan Sasak di Sade belajar menenun sejak kecil; kain ini syarat sebelum menikah.", [
         ("Kain songket Sasak", "batik-tekstil", "lembar", 750000, 2, "Songket tenun tangan motif subahnale, benang emas."),
         ("Selendang tenun ikat Sade", "batik-tekstil", "pcs", 180000, 8, "Selendang tenun ikat warna alam."),
         ("Sarung tenun Sasak", "batik-tekstil", "pcs", 350000, 4, "Sarung tenun tangan, motif garis tradisional."),
         ("Gelang tenun", "kerajinan-tangan", "pcs", 15000, 50, "Gelang kecil dari sisa benang tenun, oleh-oleh ringan."),
         ("Taplak tenun Sade", "batik-tekstil", "pcs", 120000, 6, "Taplak meja tenun tangan 40x150 cm."),
     ]),
    ("lombok-sukarara", None, A_LOMBOK, "Kelompok Tenun Sukarara", "Inaq Rahmah", "Jl. Raya Sukarara", "Sukarara",
     "Jonggat", "Lombok Tengah", "Nusa Tenggara Barat",
     "Dua puluh penenun lansia; Pak Lalu membantu memotret dan mengirim kain mereka.", [
         ("Songket Sukarara motif keker", "batik-tekstil", "lembar", 850000, 2, "Songket motif burung keker, dikerjakan sebulan."),
         ("Kain tenun ikat ungu", "batik-tekstil", "lembar", 400000, 3, "Tenun ikat pewarna alam, 2 m x 70 cm."),
         ("Syal tenun katun", "batik-tekstil", "pcs", 95000, 12, "Syal tenun katun ringan."),
         ("Dompet tenun", "kerajinan-tangan", "pcs", 40000, 25, "Dompet kecil berlapis kain tenun Sukarara."),
         ("Ikat kepala sapuq", "batik-tekstil", "pcs", 75000, 10, "Sapuq, ikat kepala tenun pria Sasak."),
     ]),
    ("lombok-banyumulek", None, A_LOMBOK, "Gerabah Banyumulek Amaq Sahli", "Amaq Sahli", "Dusun Banyumulek Timur",
     "Banyumulek", "Kediri", "Lombok Barat", "Nusa Tenggara Barat",
     "Tanah liat diambil dari sawah desa dan dibakar dengan jerami, seperti leluhur kami.", [
         ("Kendi gerabah", "gerabah-keramik", "pcs", 45000, 15, "Kendi tanah liat, air tetap sejuk tanpa kulkas."),
         ("Pot gerabah ukir", "gerabah-keramik", "pcs", 65000, 10, "Pot bunga gerabah dengan ukiran cukli."),
         ("Set cangkir gerabah", "gerabah-keramik", "pack", 120000, 5, "Empat cangkir dan teko kecil dari gerabah bakar jerami."),
         ("Tungku tanah liat", "gerabah-keramik", "pcs", 55000, 7, "Tungku masak tradisional, hemat kayu bakar."),
         ("Celengan gerabah ayam", "gerabah-keramik", "pcs", 25000, 20, "Celengan berbentuk ayam, dicat tangan."),
     ]),
    # crafters without an account, run by agent Yohana Rante
    ("toraja-sadan", None, A_TORAJA, "Tenun Sa'dan To'barana", "Ne' Lai", "Lembang To'barana", "To'barana",
     "Sa'dan", "Toraja Utara", "Sulawesi Selatan",
     "Nenek-nenek di To'barana masih menenun dengan alat gedogan di kolong tongkonan.", [
         ("Kain tenun Sa'dan", "batik-tekstil", "lembar", 500000, 3, "Tenun tangan motif Toraja, warna merah-hitam."),
         ("Syal tenun Toraja", "batik-tekstil", "pcs", 110000, 9, "Syal tenun ringan dengan motif pa'tedong."),
         ("Tas selempang tenun", "kerajinan-tangan", "pcs", 150000, 6, "Tas selempang berlapis tenun Sa'dan."),
         ("Ukiran passura' mini", "kerajinan-tangan", "pcs", 175000, 4, "Papan ukir kayu motif passura' Toraja, 30x20 cm."),
         ("Gantungan kunci tongkonan", "kerajinan-tangan", "pcs", 20000, 40, "Miniatur rumah adat tongkonan dari kayu."),
     ]),
    ("toraja-pangala", None, A_TORAJA, "Kopi Pangala Mama Lisa", "Mama Lisa", "Lembang Pangala", "Pangala",
     "Rindingallo", "Toraja Utara", "Sulawesi Selatan",
     "Kebun kopi tua di ketinggian 1.600 m; dijemur di para-para bambu.", [
         ("Kopi arabika Toraja 250 g", "kopi-rempah", "pack", 90000, 20, "Arabika Toraja Pangala sangrai sedang, rasa cokelat dan rempah."),
         ("Kopi arabika Toraja 1 kg", "kopi-rempah", "kg", 320000, 5, "Kemasan besar untuk kedai dan keluarga."),
         ("Kopi robusta Toraja bubuk", "kopi-rempah", "pack", 40000, 15, "Robusta giling halus untuk kopi tubruk."),
         ("Beras merah Toraja", "hasil-bumi", "kg", 28000, 30, "Beras merah dari sawah berundak Pangala."),
         ("Kayu manis batang", "kopi-rempah", "pack", 18000, 2, "Kayu manis kering dari kebun campur, 100 g."),
     ]),
]


def _placeholder(folder: str, stem: str, label: str) -> media.StoredImage:
    key = f"{folder}/{stem}.jpg"
    stored = media.StoredImage(key, f"{folder}/{stem}-thumb.jpg", 640, 480)
    if not media.is_stored_picture(stored.image_key) or not media.is_stored_picture(stored.thumb_key):
        stored = media.store_image(media.placeholder_png(label), folder, stem)
    return stored


# produce terms per (shop key, title): (min_qty, qty_step, shelf_life_days, deliver_within); harvested today
PRODUCE = {("purbalingga-darto", "Cabai rawit merah segar"): (Decimal("0.5"), Decimal("0.5"), 5, "regency")}


def seed(db: Database | None = None) -> str:
    db = db or Database("catalog", Base.metadata)
    added = {"sellers": 0, "shops": 0, "listings": 0, "photos": 0, "harvest batches": 0}
    base_time = utcnow()
    with db.WriteSession() as session:
        categories = {c.slug: c.name_id for c in session.query(Category)}
        for person, role in [(s, "seller") for s in DEMO_SELLERS] + [(a, "agent") for a in DEMO_AGENTS]:
            if session.get(Seller, person["id"]) is None:
                session.add(Seller(user_id=person["id"], role=role, name=person["name"], phone=person["phone"],
                                   email=person["email"], district=person["district"]))
                added["sellers"] += 1
        position = 0
        for (key, seller_id, agent_id, name, owner, street, village, district, regency, province, story,
             products) in SHOPS:
            shop_id = _id("shop", key)
            shop = session.get(Shop, shop_id)
            if shop is None:
                photo = _placeholder(f"shops/{shop_id}", "profile", name)
                shop = Shop(id=shop_id, seller_id=seller_id or domain.crafter_seller_id(shop_id), agent_id=agent_id,
                            name=name, owner_name=owner, street=street, village=village, district=district,
                            regency=regency, province=province, story=story, photo_key=photo.image_key,
                            whatsapp=None, status="active", created_at=base_time - timedelta(days=30))
                session.add(shop)
                added["shops"] += 1
            for title, category, unit, price, stock, description in products:
                position += 1
                listing_id = _id("listing", f"{key}:{title}")
                if session.get(Listing, listing_id) is not None:
                    continue
                created = base_time - timedelta(hours=position)  # a stable "newest" order
                popularity = int(hashlib.sha256(title.encode()).hexdigest(), 16) % 40  # demo sales so far
                listing = Listing(id=listing_id, shop_id=shop_id, seller_id=shop.seller_id, title=title,
                                  description=description, category=category, unit=unit, price=price, stock=0,
                                  low_stock_threshold=3, sold_count=popularity, status="published",
                                  created_at=created, updated_at=created, published_at=created)
                if (key, title) in PRODUCE:
                    listing.min_qty, listing.qty_step, listing.shelf_life_days, listing.deliver_within = \
                        PRODUCE[(key, title)]
                    listing.harvested_on = base_time.date()
                refresh_search_text(session, listing, shop, categories.get(category))
                session.add(listing)
                session.flush()
                move_stock(session, listing, "initial", stock, stock, note="demo data")
                photo_id = _id("photo", listing_id)
                stored = _placeholder(f"listings/{listing_id}", photo_id, title)
                session.add(Photo(id=photo_id, listing_id=listing_id, position=0, image_key=stored.image_key,
                                  thumb_key=stored.thumb_key, width=stored.width, height=stored.height))
                added["listings"] += 1
                added["photos"] += 1
        # an open harvest batch to pre-order from (issue 17)
        batch = DEMO_HARVEST_BATCH
        if session.get(HarvestBatch, batch["id"]) is None:
            listing = session.get(Listing, _id("listing", f"{batch['shop_key']}:{batch['title']}"))
            if listing is not None:
                session.add(HarvestBatch(id=batch["id"], listing_id=listing.id, shop_id=listing.shop_id,
                                         seller_id=listing.seller_id,
                                         expected_on=base_time.date() + timedelta(days=batch["days_ahead"]),
                                         cap=Decimal(batch["cap"]), price=batch["price"], pay_at=batch["pay_at"],
                                         status="open", opened_by="seed"))
                added["harvest batches"] += 1
        # the demo customer-service staff answers for every demo shop (issue 19)
        for person in DEMO_CS:
            if session.get(CsStaff, person["id"]) is None:
                session.add(CsStaff(user_id=person["id"], name=person["name"]))
            for key, *_ in SHOPS:
                shop_id = _id("shop", key)
                if session.scalar(select(CsAssignment.id).where(CsAssignment.shop_id == shop_id,
                                                                CsAssignment.user_id == person["id"])) is None:
                    session.add(CsAssignment(shop_id=shop_id, user_id=person["id"], assigned_by="seed"))
        session.commit()
    return ", ".join(f"{n} {what}" for what, n in added.items()) + " added"
