"""Web pages: what each main page costs a villager on a slow link (bytes transferred: HTML, and HTML plus
its CSS, scripts and pictures) and what it costs the server (time in the gateway, from the Server-Timing
header, and as the client sees it); then the home page under load against a bare Flask JSON endpoint."""
from __future__ import annotations

import gzip
import io
import re
import statistics
import time
import uuid

import requests

from bench.common import bare_flask_baseline, load, ratio_line
from tests.support.infra import wait_until
from tests.support.stack import Stack

SAMPLES = 15
ADDRESS = {"name": "Siti", "phone": "+6281234567890", "street": "Jl. Mawar 3", "village": "Sumberejo",
           "district": "Sanankulon", "regency": "Blitar", "province": "Jawa Timur"}


def photo_bytes() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (170, 110, 50)).save(out, "JPEG", quality=85)
    return out.getvalue()


def prepare(stack: Stack) -> dict:
    seller_id = f"seller-{uuid.uuid4().hex[:6]}"
    seller = stack.client(seller_id, "seller", name="Bu Sari")
    _, shop = seller.post("/api/v1/shops", json={"name": "Anyaman Bu Sari", "village": "Sumberejo",
                                                 "district": "Sanankulon", "regency": "Blitar",
                                                 "story": "Menganyam pandan sejak 1990. " * 4})
    listings = []
    for i in range(12):
        _, listing = seller.post("/api/v1/products", json={
            "shop_id": shop["id"], "title": f"Tikar pandan motif {i}", "category": "anyaman", "price": 25000 + i * 1000,
            "stock": 50, "status": "published", "description": "Dianyam tangan dari daun pandan. " * 5})
        seller.session.post(stack.url + f"/api/v1/products/{listing['id']}/photos",
                            files={"photo": ("p.jpg", photo_bytes(), "image/jpeg")}, timeout=30)
        listings.append(listing)
    shopper_id = f"shopper-{uuid.uuid4().hex[:6]}"
    shopper = stack.client(shopper_id, "shopper", name="Siti")
    _, order = shopper.post("/api/v1/orders", json={"items": [{"listing_id": listings[0]["id"], "qty": 2},
                                                              {"listing_id": listings[1]["id"], "qty": 1}],
                                                    "payment_method": "cod", "delivery_address": ADDRESS})
    wait_until(lambda: shopper.get(f"/api/v1/orders/{order['id']}")[1]["status"] == "CONFIRMED", timeout=20,
               message="bench order confirmed")
    courier_token = stack.token(f"courier-{uuid.uuid4().hex[:6]}", "courier", name="Joko", district="Sanankulon")
    return {"shop": shop, "listing": listings[0], "order": order,
            "tokens": {"shopper": stack.token(shopper_id, "shopper", name="Siti"),
                       "seller": stack.token(seller_id, "seller", name="Bu Sari"), "courier": courier_token}}


def pages(data: dict) -> list[tuple[str, str, str | None, dict]]:
    cart = {"pd_cart": f"{data['listing']['id']}:2"}
    return [
        ("home /", "/", None, {}),
        ("search /cari?q=tikar", "/cari?q=tikar", None, {}),
        ("listing /produk/<id>", f"/produk/{data['listing']['id']}", None, {}),
        ("shop /toko/<id>", f"/toko/{data['shop']['id']}", None, {}),
        ("cart /keranjang (1 line)", "/keranjang", None, cart),
        ("checkout /checkout", "/checkout", "shopper", cart),
        ("order /pesanan/<id>", f"/pesanan/{data['order']['id']}", "shopper", {}),
        ("order history /pesanan", "/pesanan", "shopper", {}),
        ("login /masuk", "/masuk", None, {}),
        ("register /daftar", "/daftar", None, {}),
        ("seller /penjual (12 listings)", "/penjual", "seller", {}),
        ("seller orders /penjual/pesanan", "/penjual/pesanan", "seller", {}),
        ("courier /kurir", "/kurir", "courier", {}),
    ]


def assets_of(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/(?:aset|api/v1/media)/[^"]+)"', html)


def fetch(session: requests.Session, url: str) -> tuple[requests.Response, bytes, int]:
    """The response, its body, and the bytes that crossed the wire (compressed when the server compressed it)."""
    resp = session.get(url, timeout=10, stream=True, headers={"Accept-Encoding": "gzip"})
    wire = resp.raw.read(decode_content=False)
    body = gzip.decompress(wire) if resp.headers.get("Content-Encoding") == "gzip" else wire
    return resp, body, len(wire)


def measure(stack: Stack, data: dict) -> list[str]:
    lines = [f"{'page':<34} {'HTML':>7} {'sent':>6} {'1st visit':>9} {'server p50':>11} {'client p50':>11}"]
    asset_wire: dict[str, int] = {}
    for label, path, who, cookies in pages(data):
        session = requests.Session()
        if who:
            session.cookies.set("pd_at", data["tokens"][who])
        for name, value in cookies.items():
            session.cookies.set(name, value)
        server, client, body, sent = [], [], b"", 0
        for _ in range(SAMPLES):
            started = time.perf_counter()
            resp, body, sent = fetch(session, stack.url + path)
            client.append((time.perf_counter() - started) * 1000)
            assert resp.status_code == 200, (path, resp.status_code)
            timing = re.search(r"dur=([0-9.]+)", resp.headers.get("Server-Timing", ""))
            server.append(float(timing.group(1)) if timing else float("nan"))
        total = sent
        for asset in set(assets_of(body.decode())):
            if asset not in asset_wire:
                asset_wire[asset] = fetch(requests.Session(), stack.url + asset)[2]
            total += asset_wire[asset]
        lines.append(f"{label:<34} {len(body) / 1024:6.1f}K {sent / 1024:5.1f}K "
                     f"{total / 1024:8.1f}K {statistics.median(server):9.1f}ms {statistics.median(client):9.1f}ms")
    css = sum(v for k, v in asset_wire.items() if k.endswith(".css"))
    js = sum(v for k, v in asset_wire.items() if k.endswith(".js"))
    lines.append(f"(sent = bytes on the wire with gzip; 1st visit = sent + CSS {css / 1024:.1f}K + scripts "
                 f"{js / 1024:.1f}K + the pictures it shows, as sent; CSS and scripts are cached after the first page)")
    return lines


def run() -> list[str]:
    with Stack() as stack:
        data = prepare(stack)
        lines = measure(stack, data)
        home = load(stack.url + "/", seconds=4, concurrency=4)
        with bare_flask_baseline() as bare:
            baseline = load(bare, seconds=4, concurrency=4)
        lines.append(home.line("home page under load (4 clients)"))
        lines.append(baseline.line("bare Flask JSON baseline (4 clients)"))
        lines.append(ratio_line("home page p50 latency vs baseline", home.p50_ms, baseline.p50_ms))
    return lines
