"""A shopper with JavaScript off picks QRIS at checkout and sees the QR image and the time left; picks a BCA
virtual account and sees the number and the bank's steps; "Saya sudah bayar" after paying confirms the order.
Payments talks to the fake Xendit (tests/support/fake_xendit.py) through the real SDK."""
from __future__ import annotations

import base64
import uuid

import pytest

from tests.support.fake_midtrans import FakeMidtrans
from tests.support.fake_xendit import FakeXendit
from tests.support.infra import wait_until
from tests.support.stack import Stack
from tests.e2e.test_payments_rails_e2e import XENDIT_KEY, XENDIT_TOKEN, rails_env

from .test_pages_shopper import add_to_cart, fill_address, seller_with_product


@pytest.fixture(scope="module")
def fake_xendit():
    return {}


@pytest.fixture(scope="module")
def stack(fake_xendit):
    """This module's own stack (the browse fixture uses it): Xendit's rails on, seeded categories."""
    s = Stack()
    xendit = FakeXendit(secret_key=XENDIT_KEY, callback_token=XENDIT_TOKEN,
                        webhook_url=f"{s.url}/api/v1/webhooks/xendit").start()
    s.extra_env = rails_env(xendit, FakeMidtrans(server_key="unused"), providers="xendit")
    try:
        s.start(seed=True)
    except BaseException:  # a start that times out leaves no process behind
        s.stop()
        raise
    fake_xendit["fake"] = xendit
    yield s
    s.stop()
    xendit.stop()


def screenshot(person, name: str) -> None:
    """axe-core needs script, which is off here: the page is kept as a picture only."""
    person.shots.mkdir(parents=True, exist_ok=True)
    person.page.screenshot(path=str(person.shots / f"{name}.png"), full_page=True)


def order_paying_by(shopper, stack, channel_label: str, tag: str, district: str):
    seller_with_product(stack, f"Warung Bu Sri {tag}", "Tawangsari", district, f"Keripik tempe {tag}", 15000)
    add_to_cart(shopper, f"Keripik tempe {tag}", 2)
    shopper.page.get_by_role("link", name="Lanjut ke pembayaran").click()
    fill_address(shopper.page, district)
    shopper.page.get_by_label(channel_label).check()
    shopper.page.get_by_role("button", name="Buat pesanan").click()
    shopper.page.wait_for_url("**/bayar/**")
    # the page reloads itself (meta refresh, no script) until the payment is open at Xendit
    shopper.page.locator("#already-paid").wait_for(timeout=30_000)
    return shopper.page.url.rsplit("/", 1)[-1]


def test_qris_and_virtual_account_pay_pages_without_javascript(stack, browse, fake_xendit):
    tag = uuid.uuid4().hex[:6]
    district = f"Wlingi-{tag}"
    shopper = browse("shopper paying by QRIS", javascript=False)
    shopper.register("Bu Sri", f"0815{uuid.uuid4().int % 10**8:08d}", "shopper", district)

    order_id = order_paying_by(shopper, stack, "QRIS (semua aplikasi bank dan e-wallet)", tag, district)
    screenshot(shopper, "pay-qris-no-js")
    image = shopper.page.locator("img#qris")
    src = image.get_attribute("src")
    assert src.startswith("data:image/png;base64,")
    assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Kode QRIS" in image.get_attribute("alt")
    countdown = shopper.page.locator("#countdown").inner_text()
    assert "Sisa waktu" in countdown and "menit" in countdown and "WIB" in countdown
    # pay at Xendit (the fake's simulate), then the shopper's button asks: the order is confirmed
    fake = fake_xendit["fake"]
    assert fake.pay(fake.request_for(order_id)["id"]) == 200
    shopper.page.get_by_role("button", name="Saya sudah bayar").click()
    shopper.page.wait_for_url(f"**/pesanan/{order_id}**")

    shopper.goto("/")
    tag2 = uuid.uuid4().hex[:6]
    order_va = order_paying_by(shopper, stack, "Transfer ke Virtual Account BCA", tag2, district)
    screenshot(shopper, "pay-va-bca-no-js")
    number = shopper.page.locator("#va-number").inner_text().strip()
    assert number.isdigit() and number == fake.request_for(order_va)["payment_method"]["virtual_account"][
        "channel_properties"]["virtual_account_number"]
    steps = shopper.page.locator("#va-steps li").all_inner_texts()
    assert len(steps) == 4 and "BCA Virtual Account" in steps[1]
    assert "Sisa waktu" in shopper.page.locator("#countdown").inner_text()
    # not paid yet: the button says so on the same page
    shopper.page.get_by_role("button", name="Saya sudah bayar").click()
    shopper.page.wait_for_load_state()
    assert "Pembayaran belum kami terima" in shopper.notices() + shopper.text()
    wait_until(lambda: shopper.page.locator("#va-number").count() == 1, timeout=5, message="still the VA page")
