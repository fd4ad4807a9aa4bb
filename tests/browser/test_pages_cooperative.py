"""Cooperatives (issue 17) in the browser on a phone-sized screen: the officer's page shows the members and what
each is owed, tries a cash payout with a form (no JavaScript on the page), and offers the month's statement; the
member opens "Pembayaran saya". Every page passes axe-core and has big touch targets."""
from __future__ import annotations

import uuid

from tests.browser.test_pages_after_sale import token_of


def test_the_officer_page_and_the_members_payments_on_a_phone(stack, browse):
    tag = uuid.uuid4().hex[:6]
    admin = stack.client(f"admin-{tag}", "admin")
    officer_id, member_id = f"ketua-{tag}", f"anggota-{tag}"
    officer = stack.client(officer_id, "seller", name="Baiq Nurul")
    member = stack.client(member_id, "seller", name="Inaq Rahmah")
    status, coop = admin.post("/api/v1/cooperatives", json={"name": f"Koperasi Tenun {tag}", "village": "Sukarara",
                                                             "district": "Pujut", "officers": [
                                                                 {"person_id": officer_id, "name": "Baiq Nurul"}]})
    assert status == 201, coop
    assert officer.post(f"/api/v1/cooperatives/{coop['id']}/people", json={
        "person_id": member_id, "role": "member", "name": "Inaq Rahmah"})[0] == 200
    # the member has nothing available yet: a payout is refused in words and none is recorded (the payout that
    # goes through, after a real sale, is tests/e2e/test_cooperatives_e2e.py)
    page = browse("officer", token=token_of(officer))
    page.goto(f"/koperasi/{coop['id']}")
    assert "Inaq Rahmah" in page.text() and "Saldo koperasi" in page.text()
    page.page.get_by_label("Jumlah (Rp)").fill("15.000")
    page.page.get_by_label("Tunai").check()
    page.page.get_by_role("button", name="Catat pembayaran").click()
    page.page.wait_for_load_state()
    assert "Saldo anggota tidak cukup." in page.text()
    assert "Belum ada pembayaran." in page.text()
    page.check("coop-officer")

    person = browse("member", token=token_of(member))
    person.goto("/pembayaran-saya")
    assert "Belum ada pembayaran." in person.text()
    person.check("coop-my-payments")
    person.goto(f"/koperasi/{coop['id']}")
    assert person.page.locator("h1").inner_text() == "Koperasi"  # a member does not manage it


def test_the_cooperative_pages_read_in_english(stack, browse):
    from tests.browser.test_pages_english import leftovers
    tag = uuid.uuid4().hex[:6]
    officer_id = f"ketua-{tag}"
    officer = stack.client(officer_id, "seller", name="Baiq Nurul")
    status, coop = stack.client(f"admin-{tag}", "admin").post("/api/v1/cooperatives", json={
        # the cooperative's own name stays as it was written (not a word of the pages)
        "name": f"Kelompok Tenun {tag}", "officers": [{"person_id": officer_id, "name": "Baiq Nurul"}]})
    assert status == 201, coop
    for person, role in ((officer_id, "member"), (f"agen-{tag}", "agent")):
        assert officer.post(f"/api/v1/cooperatives/{coop['id']}/people",
                            json={"person_id": person, "role": role, "name": "Baiq Nurul"})[0] == 200
    page = browse("officer english", javascript=False, token=token_of(officer))
    page.context.add_cookies([{"name": "lang", "value": "en", "url": stack.url}])
    problems = {}
    for path in (f"/koperasi/{coop['id']}", "/koperasi", "/pembayaran-saya"):
        page.goto(path)
        assert page.page.locator("html").get_attribute("lang") == "en", path
        if leftovers(page.page):
            problems[path] = leftovers(page.page)
    assert not problems, f"Indonesian left on English pages: {problems}"
