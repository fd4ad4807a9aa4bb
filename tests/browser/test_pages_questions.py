"""Questions in a real browser (issue 19): a shopper asks from the product page; the assigned customer-service staff
answers from the /cs queue; the shopper's open thread shows the answer without a reload (live.js, the notification
feed); the pages pass axe-core on a phone. Without JavaScript the same forms work (tests/e2e/test_questions_e2e.py)."""
from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.support.infra import wait_until

from .test_pages_english import leftovers


def test_a_question_asked_on_the_product_page_is_answered_from_the_cs_queue_and_shows_up_live(stack, browse):
    tag = uuid.uuid4().hex[:8]
    admin = stack.client(f"qb-admin-{tag}", "admin", name="Operator")
    seller = stack.client(f"qb-seller-{tag}", "seller", name="Pak Karto")
    status, shop = seller.post("/api/v1/shops", json={"name": f"Gula Aren Karto {tag}", "village": "Bendo",
                                                      "district": "Sanankulon", "regency": "Blitar"})
    assert status == 201, shop
    status, listing = seller.post("/api/v1/products", json={
        "shop_id": shop["id"], "title": "Gula aren cetak", "category": "hasil-bumi", "price": 30000, "stock": 9,
        "status": "published"})
    assert status == 201, listing
    status, account = admin.post("/api/v1/auth/staff", json={
        "name": "Dewi Layanan", "phone": "+62813" + str(uuid.uuid4().int)[:8], "password": "rahasia-cs-123"})
    assert status == 201, account
    wait_until(lambda: admin.put(f"/api/v1/cs-staff/{account['id']}/shops/{shop['id']}")[0] == 200, timeout=20,
               message="cs staff assigned")

    shopper = browse("shopper", token=stack.token(f"qb-shopper-{tag}", "shopper", name="Siti"))
    shopper.goto(f"/produk/{listing['id']}")
    shopper.page.get_by_label("Pertanyaan", exact=True).fill("Apakah gula arennya tanpa campuran?")
    shopper.page.get_by_role("button", name="Kirim pertanyaan").click()
    shopper.page.wait_for_load_state()
    assert "Pesan terkirim." in shopper.notices()
    expect(shopper.page.locator("#thread")).to_contain_text("Menunggu jawaban")
    shopper.check("question-thread-shopper")

    cs = browse("cs", token=stack.token(account["id"], "cs", name="Dewi Layanan"))
    cs.goto("/cs")
    expect(cs.page.locator("#queue")).to_contain_text("Apakah gula arennya tanpa campuran?")
    cs.check("question-cs-queue")
    cs.page.get_by_role("link", name="Gula aren cetak").click()
    cs.page.get_by_label("Balas", exact=True).fill("Murni, Bu. Tanpa campuran gula pasir.")
    cs.page.get_by_role("button", name="Kirim", exact=True).click()
    cs.page.wait_for_load_state()
    assert "Pesan terkirim." in cs.notices()
    cs.check("question-thread-cs")

    # the shopper's page, left open, shows the answer by itself
    expect(shopper.page.locator("#thread")).to_contain_text("Murni, Bu. Tanpa campuran gula pasir.", timeout=30_000)
    expect(shopper.page.locator("#thread")).to_contain_text("Dijawab")

    operator = browse("operator", token=stack.token(f"qb-admin-{tag}", "admin", name="Operator"))
    operator.goto("/admin/pertanyaan")
    expect(operator.page.locator("main")).to_contain_text("Dewi Layanan")
    operator.check("question-operator")

    # and every one of these pages in English shows no Indonesian words of the pages' own
    for person, path in ((shopper, shopper.page.url), (shopper, "/pertanyaan"), (cs, "/cs"), (cs, cs.page.url),
                         (operator, "/admin/pertanyaan")):
        person.context.add_cookies([{"name": "lang", "value": "en", "url": stack.url}])
        person.goto(path)
        assert leftovers(person.page) == [], (path, leftovers(person.page))
    expect(operator.page.locator("main")).to_contain_text("Time to the first answer")
