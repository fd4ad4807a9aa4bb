"""A seller signs up, opens a shop, lists a product with a photo from the phone camera, and a shopper sees it
on the storefront; an agent does the same for a crafter without an account, and after a sale sees what the
crafter is owed after commission."""
from __future__ import annotations

import io
import re
import uuid

from PIL import Image

from tests.support.infra import wait_until


def camera_photo(tmp_path, colour=(181, 110, 45)) -> str:
    path = tmp_path / "foto-kamera.jpg"
    image = Image.new("RGB", (1200, 900), colour)
    for x in range(0, 1200, 60):  # a little texture so the JPEG is a real picture, not one flat colour
        image.paste((colour[0] // 2, colour[1], colour[2]), (x, 0, x + 20, 900))
    image.save(path, "JPEG", quality=85)
    return str(path)


def open_shop(person, name: str, village: str, district: str, story: str, owner: str | None = None,
              province: str | None = None):
    page = person.page
    page.get_by_label("Nama toko").fill(name)
    if owner:
        page.get_by_label("Nama pemilik/perajin").fill(owner)
    page.get_by_label("Desa *").fill(village)
    page.get_by_label("Kecamatan *").fill(district)
    page.get_by_label("Kabupaten *").fill("Blitar")
    if province:
        page.get_by_label("Provinsi").fill(province)
    page.get_by_label("Cerita toko: siapa Anda, apa yang Anda buat").fill(story)
    page.get_by_role("button", name="Buka toko").click()
    page.wait_for_load_state()


def add_listing(person, title: str, price: str, stock: str, photo: str | None, category: str = "anyaman"):
    page = person.page
    page.get_by_role("link", name="+ Tambah produk").click()
    person.check("seller-listing-form")
    if photo:
        page.get_by_label("Foto produk (ambil dengan kamera)").set_input_files(photo)
    page.get_by_label("Nama produk *").fill(title)
    page.get_by_label("Kategori *").select_option(category)
    page.get_by_label("Harga (Rp) *").fill(price)
    page.get_by_label("Stok").fill(stock)
    page.get_by_label("Cerita produk: bahan, cara membuat, ukuran").fill("Dianyam tangan dari daun pandan.")
    page.get_by_role("button", name="Pasang dan jual").click()
    page.wait_for_load_state()
    assert "Produk sudah dipasang." in person.notices(), person.notices()


def test_seller_registers_opens_shop_lists_product_with_photo_and_sees_it_on_the_storefront(browse, tmp_path):
    tag = uuid.uuid4().hex[:6]
    seller = browse("seller")
    seller.goto("/daftar?peran=seller")
    seller.check("register")
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    seller.register("Bu Sari", f"0812{digits}", "seller", "Sanankulon")  # and proves the number with the code
    assert seller.page.url.endswith("/penjual?note=phone_verified")
    assert "Nomor HP terverifikasi" in seller.notices()
    # log out, then back in with the same number spelled the international way
    seller.page.get_by_role("button", name="Keluar (Bu Sari)").click()
    seller.page.wait_for_load_state()
    assert seller.page.get_by_role("link", name="Masuk").count() == 1
    seller.goto("/penjual")
    assert "/masuk" in seller.page.url
    seller.check("login")
    seller.page.get_by_label("Nomor HP atau email").fill(f"+62 812-{digits[:4]}-{digits[4:]}")
    seller.page.get_by_label("Kata sandi").fill("salah-sekali")
    seller.page.get_by_role("button", name="Masuk", exact=True).click()
    assert "Nomor HP/email atau kata sandi salah." in seller.notices()
    seller.page.get_by_label("Kata sandi").fill("rahasia-desa-1")
    seller.page.get_by_role("button", name="Masuk", exact=True).click()
    seller.page.wait_for_url("**/penjual")
    seller.check("seller-open-shop")
    open_shop(seller, f"Anyaman Bu Sari {tag}", "Sumberejo", "Sanankulon", "Saya menganyam pandan sejak 1990.")
    assert "Toko sudah dibuka!" in seller.notices()
    # the story grows after opening: edited from the dashboard, seen by buyers
    seller.page.get_by_role("link", name="Ubah cerita, alamat dan foto toko").click()
    seller.page.get_by_label("Cerita toko: siapa Anda, apa yang Anda buat").fill(
        "Saya menganyam pandan sejak 1990 bersama ibu-ibu Sumberejo.")
    seller.check("seller-shop-form")
    seller.page.get_by_role("button", name="Simpan").click()
    seller.page.wait_for_load_state()
    assert "Tersimpan." in seller.notices()
    add_listing(seller, f"Tikar pandan {tag}", "Rp 25.000", "7", camera_photo(tmp_path))
    seller.check("seller-dashboard")
    row = seller.page.locator("ul.list > li", has_text=f"Tikar pandan {tag}")
    assert "Rp 25.000" in row.inner_text() and "Dijual" in row.inner_text()
    assert row.locator("img").count() == 1

    # one tap: +1 stock
    row.get_by_role("button", name=f"+1 stok Tikar pandan {tag}").click()
    seller.page.wait_for_load_state()
    assert seller.page.locator("ul.list > li", has_text=f"Tikar pandan {tag}").get_by_label("Stok", exact=True).input_value() == "8"
    # the stock changes elsewhere (another phone) while this page is open: a tap on +1 counts from the real stock
    other = seller.context.new_page()
    other.goto("/penjual")
    other_row = other.locator("ul.list > li", has_text=f"Tikar pandan {tag}")
    other_row.get_by_label("Stok", exact=True).fill("20")
    other_row.get_by_role("button", name=f"Simpan Tikar pandan {tag}").click()
    other.wait_for_load_state()
    other.close()
    seller.page.locator("ul.list > li", has_text=f"Tikar pandan {tag}").get_by_role(
        "button", name=f"+1 stok Tikar pandan {tag}").click()
    seller.page.wait_for_load_state()
    row = seller.page.locator("ul.list > li", has_text=f"Tikar pandan {tag}")
    assert row.get_by_label("Stok", exact=True).input_value() == "21"
    # stop selling, then sell again: both buttons are there to see and tap
    row.get_by_role("button", name=f"Berhenti jual Tikar pandan {tag}").click()
    seller.page.wait_for_load_state()
    row = seller.page.locator("ul.list > li", has_text=f"Tikar pandan {tag}")
    assert "Draf" in row.inner_text()
    row.get_by_role("button", name=f"Jual sekarang Tikar pandan {tag}").click()
    seller.page.wait_for_load_state()
    assert "Dijual" in seller.page.locator("ul.list > li", has_text=f"Tikar pandan {tag}").inner_text()

    shopper = browse("visitor")
    shopper.goto("/")
    shopper.check("home")
    card = shopper.page.locator("li.card", has_text=f"Tikar pandan {tag}")
    assert "Rp 25.000" in card.inner_text()
    assert card.locator("img").get_attribute("src").startswith("/api/v1/media/")
    card.get_by_role("link", name=f"Tikar pandan {tag}").click()
    shopper.check("listing")
    text = shopper.text()
    assert "Rp 25.000" in text and "Saya menganyam pandan sejak 1990 bersama ibu-ibu Sumberejo." in text
    assert "Desa Sumberejo, Kec. Sanankulon" in text
    photo = shopper.page.locator("img.photo").first
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")  # the photo really loads
    shopper.page.get_by_role("link", name=f"Anyaman Bu Sari {tag}").click()
    shopper.check("shop")
    assert f"Tikar pandan {tag}" in shopper.text()

    shopper.goto(f"/cari?q=Tikar+pandan+{tag}")
    shopper.check("search")
    assert shopper.page.locator("li.card", has_text=f"Tikar pandan {tag}").count() == 1

    # a wrong picture is taken away again from the listing's page
    seller.page.locator("ul.list > li", has_text=f"Tikar pandan {tag}").get_by_role("link", name="Ubah produk dan foto").click()
    assert seller.page.locator("ul.photos img").count() == 1
    seller.page.get_by_role("button", name="Hapus foto").click()
    seller.page.wait_for_load_state()
    assert "Foto sudah dihapus." in seller.notices()
    assert seller.page.locator("ul.photos img").count() == 0


def courier_delivers(stack, tag: str, district: str, order_id: str) -> None:
    """A courier on duty in the shop's district takes the parcel (offered, or claimed from the board), picks it up
    and hands it over, collecting the cash due."""
    courier = stack.client(f"courier-{tag}", "courier", name="Joko", district=district)
    status, _ = courier.put("/api/v1/couriers/me", json={"available": True, "district": district})
    assert status == 200

    def taken():
        _, mine = courier.get("/api/v1/deliveries")
        found = [d for d in mine.get("deliveries", []) if d["order_id"] == order_id]
        if found:
            return found[0]
        _, board = courier.get("/api/v1/deliveries/board")
        for d in board.get("deliveries", []):
            if d["order_id"] == order_id:
                status, claimed = courier.post(f"/api/v1/deliveries/{d['id']}/claim")
                return claimed if status == 200 else None
        return None
    delivery = wait_until(taken, timeout=15, interval=0.3, message="the crafter's parcel with a courier")
    assert courier.post(f"/api/v1/deliveries/{delivery['id']}/pickup")[0] == 200
    status, body = courier.post(f"/api/v1/deliveries/{delivery['id']}/deliver",
                                json={"cod_amount_collected": delivery["cod_amount_due"]})
    assert status == 200 and body["status"] == "DELIVERED", body


def test_agent_lists_a_product_for_a_crafters_shop_and_sees_her_money_after_a_sale(stack, browse, tmp_path):
    tag = uuid.uuid4().hex[:6]
    district = f"Wlingi-{tag}"  # the crafters' own district: this test's courier is the only one there
    agent = browse("agent")
    agent.register("Mas Agus (pendamping)", f"agus{tag}@desa.id", "agent", "Wlingi")
    assert agent.page.url.endswith("/penjual")
    open_shop(agent, f"Gerabah Mbah Tini {tag}", "Jatilengger", district, "Mbah Tini membuat gerabah dari tanah liat.",
              owner="Mbah Tini", province="Bali")  # a shop on Bali's clock (WITA), bought from Java
    assert "Toko sudah dibuka!" in agent.notices()
    # a second crafter: the agent switches between the shops it manages
    agent.page.get_by_role("link", name="Buka toko untuk perajin lain").click()
    open_shop(agent, f"Batik Bu Ning {tag}", "Kemloko", district, "Batik tulis.", owner="Bu Ning")
    agent.page.get_by_label("Toko perajin yang Anda kelola").select_option(label=f"Gerabah Mbah Tini {tag} · Jatilengger")
    agent.page.get_by_role("button", name="Buka", exact=True).click()
    assert agent.page.locator("h1").inner_text() == f"Gerabah Mbah Tini {tag}"
    agent.check("agent-dashboard")
    add_listing(agent, f"Kendi tanah liat {tag}", "15000", "4", camera_photo(tmp_path, (150, 80, 40)),
                category="gerabah-keramik")
    assert agent.page.locator("h1").inner_text() == f"Gerabah Mbah Tini {tag}"

    visitor = browse("visitor")
    visitor.goto(f"/cari?q=Kendi+{tag}")
    visitor.page.get_by_role("link", name=f"Kendi tanah liat {tag}").click()
    text = visitor.text()
    assert "Rp 15.000" in text and f"Gerabah Mbah Tini {tag}" in text and "Mbah Tini membuat gerabah" in text
    listing_id = visitor.page.url.rstrip("/").rsplit("/", 1)[1]

    # a shopper buys two kendi (cash on delivery); the agent prepares the parcel; a courier delivers it
    shopper = stack.client(f"shopper-{tag}", "shopper", name="Bu Wati")
    status, order = shopper.post("/api/v1/orders", json={
        "items": [{"listing_id": listing_id, "qty": 2}], "payment_method": "cod",
        "delivery_address": {"name": "Bu Wati", "phone": "+6281234567000", "street": "Jl. Melati 9",
                             "village": "Bendo", "district": district, "regency": "Blitar"}})
    assert status == 201, order

    def ready_button():
        agent.goto("/penjual/pesanan")
        button = agent.page.get_by_role("button", name=f"Siap diambil #{order['id'][:8]}")
        return button if button.count() == 1 else None
    button = wait_until(ready_button, timeout=15, interval=0.5, message="the crafter's parcel to prepare")
    # the prepare-by time is on the shop's clock (Bali: WITA), not Java's where the shopper lives
    parcel = agent.page.locator("ul.list > li", has_text=f"#{order['id'][:8]}").inner_text()
    assert re.search(r"Siapkan sebelum: \d+ \w+ \d{4}, \d\d\.\d\d\sWITA", parcel), parcel
    assert "WIB" not in parcel
    button.click()
    agent.page.wait_for_load_state()
    assert "Kurir sudah diberi tahu." in agent.notices()
    courier_delivers(stack, tag, district, order["id"])
    # the shopper confirms receipt: the crafter's held share becomes payable (issue 16)
    _, delivered_order = shopper.get(f"/api/v1/orders/{order['id']}")
    for f in delivered_order["fulfillments"]:
        assert shopper.post(f"/api/v1/orders/{order['id']}/fulfillments/{f['id']}/receive")[0] == 200

    # the money page: per crafter, what she is owed after the 5% commission, and the payout still to pay
    def money_arrived():
        agent.goto("/penjual/uang")
        shown = agent.page.locator("ul.list > li", has_text=f"Gerabah Mbah Tini {tag}").inner_text()
        return "Rp 28.500" in shown and "Belum dibayar" in shown  # balance and payout are two reads of the page
    wait_until(money_arrived, timeout=15, interval=0.5, message="Mbah Tini's payout on the agent's money page")
    agent.check("agent-money")
    tini = agent.page.locator("ul.list > li", has_text=f"Gerabah Mbah Tini {tag}").inner_text()
    assert "Hak perajin yang belum dibayar: Rp 28.500" in tini, tini
    assert "Komisi Pasar Desa: Rp 1.500" in tini and "Belum dibayar" in tini and f"#{order['id'][:8]}" in tini
    assert "Rp 30.000" not in tini  # never the gross
    ning = agent.page.locator("ul.list > li", has_text=f"Batik Bu Ning {tag}").inner_text()
    assert "Hak perajin yang belum dibayar: Rp 0" in ning and "Belum ada pencairan." in ning
    assert "Total yang belum dibayar ke perajin: Rp 28.500" in agent.text()
    assert agent.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # fits the phone
