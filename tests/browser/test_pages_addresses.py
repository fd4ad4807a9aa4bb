"""Saved addresses with official regions (issue 18): a shopper saves two addresses with the stepwise selects (no
script needed), checks out with the second; the order carries its village code and official names, the delivery
fee is priced from its district, and the courier of that district sees the village on their delivery."""
from __future__ import annotations

import csv
import random
import subprocess
import uuid

import pytest
import requests

from gateway.regions import DATA
from tests.browser.test_pages_shopper import add_to_cart, seller_with_product
from tests.support.infra import wait_until
from tests.support.stack import BIN


@pytest.fixture(scope="module")
def regions_loaded(stack):
    done = subprocess.run([str(BIN / "pasar"), "gateway", "load-regions"], env=stack.env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with open(DATA, newline="", encoding="utf-8") as handle:
        return {row["kode"]: row["nama"] for row in csv.DictReader(handle)}


def a_district_with_a_village(names: dict, avoid: str = "") -> tuple[str, str]:
    """A random official district (so parallel tests' couriers are elsewhere) and its first village."""
    districts = [code for code in names if code.count(".") == 2 and not code.startswith(avoid or "-")]
    while True:
        district = random.choice(districts)
        villages = sorted(code for code in names if code.startswith(district + ".") and code.count(".") == 3)
        if villages:
            return district, villages[0]


def save_address(page, label: str, village_code: str):
    page.goto("/alamat")
    page.get_by_label("Nama alamat (mis. Rumah)").fill(label)
    page.get_by_label("Nama penerima").fill("Bu Ani")
    page.get_by_label("Nomor HP penerima").fill("0812-3456-7890")
    page.get_by_label("Jalan, RT/RW, nomor rumah").fill(f"Jl. {label} 3")
    page.get_by_label("Catatan untuk kurir (boleh kosong)").fill("pagar hijau")
    parts = village_code.split(".")
    for depth, (select, step) in enumerate((("Provinsi", "Provinsi"), ("Kabupaten/Kota", "Kabupaten/Kota"),
                                            ("Kecamatan", "Kecamatan")), start=1):
        page.get_by_label(select, exact=True).select_option(".".join(parts[:depth]))
        page.get_by_role("button", name=f"Pilih {step}").click()
        page.wait_for_load_state()
    page.get_by_label("Desa/Kelurahan", exact=True).select_option(village_code)
    page.get_by_role("button", name="Simpan alamat").click()
    page.wait_for_load_state()


@pytest.mark.timeout(900)  # its setup loads all 91,599 regions into the stack's gateway (a minute on a busy machine)
def test_a_shopper_saves_two_addresses_and_checks_out_with_the_second(stack, browse, regions_loaded):
    names = regions_loaded
    tag = uuid.uuid4().hex[:6]
    district_code, village_code = a_district_with_a_village(names)
    _, first_village = a_district_with_a_village(names, avoid=district_code)
    district = names[district_code]
    seller, _, listing = seller_with_product(stack, f"Toko Desa {tag}", names[village_code], district,
                                             f"Gula aren {tag}", 30000)
    courier = stack.client(f"courier-{tag}", "courier", name="Mas Joko", district=district)
    assert courier.put("/api/v1/couriers/me", json={"available": True})[0] == 200

    shopper = browse("shopper", javascript=False)  # the stepwise selects work without JavaScript
    shopper.register("Bu Ani", f"ani{tag}@contoh.id", "shopper", "")
    save_address(shopper.page, "Rumah", first_village)
    save_address(shopper.page, "Toko ibu", village_code)
    shopper.page.screenshot(path=str(shopper.shots / "addresses-no-js.png"), full_page=True)  # axe needs scripts
    saved = shopper.text()
    assert "Alamat tersimpan." in saved and names[village_code] in saved and names[first_village] in saved

    shopper.goto("/")
    add_to_cart(shopper, f"Gula aren {tag}", 2)
    shopper.page.get_by_role("link", name="Lanjut ke pembayaran").click()
    shopper.page.get_by_label(f"Toko ibu: Bu Ani, Jl. Toko ibu 3", exact=False).check()
    shopper.page.get_by_role("button", name="Buat pesanan").click()
    shopper.page.wait_for_url("**/pesanan/**")
    order_id = shopper.page.url.split("/pesanan/", 1)[1].split("?")[0]

    cookie = {c["name"]: c["value"] for c in shopper.context.cookies()}["pd_at"]
    api = {"Authorization": "Bearer " + cookie}
    order = wait_until(lambda: (lambda o: o if o.get("status") == "CONFIRMED" else None)(
        requests.get(f"{stack.url}/api/v1/orders/{order_id}", headers=api, timeout=15).json()),
        timeout=30, message="the order confirmed")
    where = order["delivery_address"]
    assert where["village_code"] == village_code and where["district_code"] == district_code
    assert where["district"] == district and where["village"] == names[village_code]
    assert order["delivery_total"] == 10000  # the shop is in the district the village code names: same-district fee

    (fulfillment,) = order["fulfillments"]
    status, ready = seller.post(f"/api/v1/fulfillments/{fulfillment['id']}/ready")
    assert status == 200 and ready["courier_id"] == f"courier-{tag}", ready
    (delivery,) = courier.get("/api/v1/deliveries")[1]["deliveries"]
    assert delivery["dropoff"]["village"] == names[village_code]
    assert delivery["dropoff"]["village_code"] == village_code
