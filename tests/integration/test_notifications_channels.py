"""Notifications on real infrastructure: PostgreSQL, RabbitMQ (private namespace), a real SMTP server
(aiosmtpd) and a real HTTP server standing in for the WhatsApp Cloud API, both started by the test.
The notifications worker runs in-process (a thread) with its sender threads."""
from __future__ import annotations

import email
import email.policy
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pika
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from pasar.auth import Identity, issue_access_token
from pasar.db import UnitOfWork
from pasar.events import make_envelope, parse_envelope
from pasar.cli import build_worker
from pasar.migrate import upgrade
from services.notifications import dispatch
from services.notifications.app import create_app
from services.notifications.handlers import notify
from services.notifications.models import Delivery, Notification
from tests.support.infra import free_port, wait_until

pytestmark = pytest.mark.integration

PICKUP = {"shop_name": "Toko Bu Sri", "street": "Jl. Kenanga 1", "village": "Sumberejo", "district": "Sanankulon",
          "regency": "Blitar", "province": "Jawa Timur", "phone": "+6281111111111"}
DROPOFF = {"name": "Siti", "phone": "+6282222222222", "street": "Jl. Mawar 3", "village": "Kalipucung",
           "district": "Sanankulon", "regency": "Blitar", "province": "Jawa Timur"}


# -- the outside world, for real ------------------------------------------------------------------
class Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if address in m["To"]]


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


class WhatsAppProvider:
    """A local HTTP server shaped like POST /{phone_number_id}/messages of the WhatsApp Cloud API."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answer_status = 200
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                provider.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                status = provider.answer_status
                reply = json.dumps({"messaging_product": "whatsapp", "contacts": [{"wa_id": body.get("to")}],
                                    "messages": [{"id": f"wamid.{uuid.uuid4().hex}"}]} if status == 200
                                   else {"error": {"message": "Invalid parameter", "code": 100}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def to(self, digits: str) -> list[dict]:
        return [r for r in list(self.requests) if r["body"]["to"] == digits]


@pytest.fixture
def whatsapp_server():
    provider = WhatsAppProvider()
    provider.thread.start()
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


# -- the notifications worker, in-process ----------------------------------------------------------
class Notifications:
    def __init__(self, broker):
        self.worker = build_worker("notifications")  # exactly as `pasar worker notifications` builds it
        self.db = self.worker.db
        self.broker = broker
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self._conn = None

    def start(self):
        self.thread.start()
        assert self.worker.ready.wait(15), "notifications worker did not start"
        self._conn = pika.BlockingConnection(pika.URLParameters(self.broker.amqp_url))
        self._channel = self._conn.channel()
        self._channel.confirm_delivery()

    def stop(self):
        self.worker.stop()
        self.thread.join(timeout=15)
        dispatch.stop(self.db)
        if self._conn and self._conn.is_open:
            self._conn.close()
        self.db.dispose()

    def publish(self, event_type: str, data: dict, envelope: dict | None = None) -> dict:
        envelope = envelope or make_envelope(event_type, data, source="test", correlation_id=data.get("order_id"))
        self._channel.basic_publish(self.broker.exchange, envelope["type"], json.dumps(envelope).encode(),
                                    pika.BasicProperties(message_id=envelope["id"], delivery_mode=2,
                                                         headers={"x-pasar-attempt": 1}))
        return envelope

    def processed(self, envelope: dict) -> bool:
        with self.db.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(self.db.inbox).where(
                self.db.inbox.c.event_id == envelope["id"])).scalar() == 1

    def register(self, role: str, locale: str, channels=("inapp", "email", "whatsapp"), name="Budi") -> dict:
        user_id = str(uuid.uuid4())
        phone = "+628" + str(uuid.uuid4().int)[:10]
        account = {"user_id": user_id, "role": role, "name": name, "email": f"{user_id[:8]}@desa.example",
                   "phone": phone, "locale": locale, "district": "Sanankulon", "channels": list(channels)}
        envelope = self.publish("account.registered", account)
        wait_until(lambda: self.processed(envelope), timeout=10, message="account registered")
        return account

    def deliveries(self, **where) -> list[Delivery]:
        with self.db.Session() as session:
            query = select(Delivery)
            for column, value in where.items():
                query = query.where(getattr(Delivery, column) == value)
            return list(session.scalars(query))


@pytest.fixture
def notifications(pg_url, broker, smtp_server, whatsapp_server, monkeypatch, tmp_path):
    controller, _ = smtp_server
    for name, value in {
        "PASAR_VAR_DIR": str(tmp_path), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port), "SMTP_TLS": "off",
        "SMTP_FROM": "Pasar Desa <kabar@pasardesa.id>", "WHATSAPP_API_URL": whatsapp_server.url,
        "WHATSAPP_PHONE_NUMBER_ID": "1098765", "WHATSAPP_TOKEN": "test-wa-token", "SMTP_TIMEOUT": "3",
        "NOTIFY_RETRY_DELAYS_SECONDS": "0.2,0.3", "NOTIFY_DISPATCH_POLL_SECONDS": "0.1",
    }.items():
        monkeypatch.setenv(name, value)
    for name, value in broker.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", pg_url)
    upgrade("notifications", pg_url)
    harness = Notifications(broker)
    harness.start()
    yield harness
    harness.stop()


def assigned(courier_id: str, cod: int = 60000) -> dict:
    return {"order_id": str(uuid.uuid4()), "fulfillment_id": str(uuid.uuid4()), "courier_id": courier_id,
            "seller_id": "seller-x", "agent_id": None, "shopper_id": "shopper-x", "goods_amount": 50000,
            "delivery_fee": 10000, "cod_amount_due": cod, "pickup": PICKUP, "dropoff": DROPOFF}


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


# -- tests ----------------------------------------------------------------------------------------
def test_english_courier_gets_the_delivery_by_email_and_whatsapp_in_english(notifications, smtp_server, whatsapp_server):
    _, mailbox = smtp_server
    courier = notifications.register("courier", "en", name="Budi")
    data = assigned(courier["user_id"], cod=60000)
    notifications.publish("delivery.assigned", data)

    (mail,) = wait_until(lambda: mailbox.to(courier["email"]), timeout=10, message="the email at the SMTP server")
    ref = data["order_id"][:8].upper()
    assert mail["Subject"] == f"New delivery #{ref}"
    assert mail["Content-Language"] == "en"
    assert mail["From"] == "Pasar Desa <kabar@pasardesa.id>"
    body = text_part(mail)
    assert body.startswith("Hello Budi,")
    assert "Pick up at Toko Bu Sri, Sumberejo village: Jl. Kenanga 1, Sumberejo, Sanankulon, Blitar" in body
    assert "Deliver to Siti: Jl. Mawar 3, Kalipucung, Sanankulon, Blitar (+6282222222222)" in body
    assert "Collect Rp 60.000 in cash." in body
    assert "Collect Rp 60.000 in cash." in html_part(mail) and '<html lang="en">' in html_part(mail)

    digits = courier["phone"].lstrip("+")
    (request,) = wait_until(lambda: whatsapp_server.to(digits), timeout=10, message="the WhatsApp request")
    assert request["path"] == "/1098765/messages"
    assert request["auth"] == "Bearer test-wa-token"
    assert request["body"]["messaging_product"] == "whatsapp" and request["body"]["type"] == "text"
    text = request["body"]["text"]["body"]
    assert text.startswith(f"Pasar Desa: New delivery #{ref}. Pick up at Toko Bu Sri, Sumberejo village")
    assert "Collect Rp 60.000 in cash." in text
    wait_until(lambda: all(d.status == "sent" for d in notifications.deliveries(recipient_id=courier["user_id"])),
               timeout=10, message="every channel recorded as sent")
    assert {d.channel for d in notifications.deliveries(recipient_id=courier["user_id"])} == {"inapp", "email", "whatsapp"}


def test_indonesian_shopper_and_seller_hear_about_a_confirmed_order_in_bahasa(notifications, smtp_server, whatsapp_server):
    _, mailbox = smtp_server
    shopper = notifications.register("shopper", "id", name="Siti")
    seller = notifications.register("seller", "id", name="Bu Sri", channels=("inapp", "whatsapp"))
    order_id = str(uuid.uuid4())
    notifications.publish("order.confirmed", {
        "order_id": order_id, "shopper_id": shopper["user_id"], "payment_method": "cod", "total": 85000,
        "fulfillments": [{"fulfillment_id": "f-1", "seller_id": seller["user_id"], "agent_id": None,
                          "shop_name": "Toko Bu Sri", "items": [{"title": "Tikar pandan", "qty": 2, "unit_price": 25000}],
                          "goods_amount": 50000, "delivery_fee": 10000, "pickup_deadline": "2026-11-26T03:00:00+00:00"}]})
    ref = order_id[:8].upper()

    (mail,) = wait_until(lambda: mailbox.to(shopper["email"]), timeout=10, message="the shopper's email")
    assert mail["Subject"] == f"Pesanan #{ref} dikonfirmasi"
    assert mail["Content-Language"] == "id"
    body = text_part(mail)
    assert body.startswith("Halo Siti,")
    assert f"Pesanan #{ref} sudah dikonfirmasi, total Rp 85.000 (bayar tunai saat barang tiba)." in body
    assert "Toko Bu Sri: 2× Tikar pandan" in body

    (wa,) = wait_until(lambda: whatsapp_server.to(seller["phone"].lstrip("+")), timeout=10, message="seller WhatsApp")
    assert wa["body"]["text"]["body"] == (
        f"Pasar Desa: Pesanan baru #{ref} (bayar di tempat). Toko Bu Sri: 2× Tikar pandan (Rp 50.000). "
        "Siapkan sebelum 26 November 2026 10.00 WIB.")
    assert mailbox.to(seller["email"]) == []  # the seller chose in-app and WhatsApp only


def test_the_same_event_delivered_twice_sends_one_message_per_recipient_and_channel(notifications, smtp_server,
                                                                                    whatsapp_server):
    _, mailbox = smtp_server
    courier = notifications.register("courier", "id")
    envelope = notifications.publish("delivery.assigned", assigned(courier["user_id"]))
    notifications.publish("delivery.assigned", {}, envelope=envelope)  # redelivery of the very same event
    wait_until(lambda: mailbox.to(courier["email"]), timeout=10, message="the email")
    # a later event for the same person proves the duplicate has been consumed by then
    marker = notifications.publish("delivery.unassigned", assigned(courier["user_id"]))
    wait_until(lambda: len(mailbox.to(courier["email"])) == 2 and len(whatsapp_server.to(courier["phone"][1:])) == 2,
               timeout=10, message="the marker's messages")
    subjects = sorted(m["Subject"] for m in mailbox.to(courier["email"]))
    assert subjects[0].startswith("Antaran #") and subjects[1].startswith("Antaran baru #")
    assert len(notifications.deliveries(event_id=envelope["id"])) == 3  # inapp, email, whatsapp: once each

    # and below the worker's inbox: the handler itself refuses a second message for the same event
    event = parse_envelope(envelope)
    with UnitOfWork(notifications.db) as work:
        notify(event, work)
        work.commit()
    assert len(notifications.deliveries(event_id=envelope["id"])) == 3
    with notifications.db.Session() as session:
        assert session.scalar(select(func.count()).select_from(Notification).where(
            Notification.event_id == envelope["id"])) == 1
    assert notifications.processed(marker)


def test_smtp_down_parks_the_email_without_holding_back_whatsapp_and_admin_sees_it(
        notifications, whatsapp_server, monkeypatch):
    dead_port = free_port()  # nothing listens here: connection refused
    monkeypatch.setenv("SMTP_PORT", str(dead_port))
    courier = notifications.register("courier", "id")
    envelope = notifications.publish("delivery.assigned", assigned(courier["user_id"]))

    wait_until(lambda: whatsapp_server.to(courier["phone"][1:]), timeout=10, message="WhatsApp despite SMTP down")
    (mail,) = wait_until(lambda: [d for d in notifications.deliveries(event_id=envelope["id"], channel="email")
                                  if d.status == "parked"], timeout=15, message="the email parked after its retries")
    assert mail.attempts == 3  # first try + one per retry delay (0.2 s, 0.3 s)
    assert "ConnectionRefusedError" in mail.last_error
    assert notifications.processed(envelope)  # the event itself succeeded once: no redelivery storm

    app = create_app(db=notifications.db)
    admin = {"Authorization": "Bearer " + issue_access_token(Identity(user_id="admin-1", role="admin"))}
    resp = app.test_client().get("/api/v1/notifications/admin/failed?channel=email", headers=admin)
    assert resp.status_code == 200
    listed = [d for d in resp.get_json()["items"] if d["id"] == mail.id]
    assert listed and listed[0]["recipient_id"] == courier["user_id"] and listed[0]["attempts"] == 3
    courier_headers = {"Authorization": "Bearer " + issue_access_token(Identity(user_id=courier["user_id"], role="courier"))}
    assert app.test_client().get("/api/v1/notifications/admin/failed", headers=courier_headers).status_code == 403

    # SMTP comes back on that port; the admin sends the parked email again and it arrives
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=dead_port)
    controller.start()
    try:
        resp = app.test_client().post(f"/api/v1/notifications/admin/failed/{mail.id}/retry", headers=admin)
        assert resp.status_code == 200 and resp.get_json()["status"] == "pending"
        (received,) = wait_until(lambda: mailbox.to(courier["email"]), timeout=10, message="the retried email")
        assert received["Subject"].startswith("Antaran baru #")
        again = app.test_client().post(f"/api/v1/notifications/admin/failed/{mail.id}/retry", headers=admin)
        wait_until(lambda: notifications.deliveries(id=mail.id)[0].status == "sent", timeout=10, message="sent")
    finally:
        controller.stop()
    assert again.status_code in (200, 409)


def test_whatsapp_refusing_a_number_parks_at_once_and_email_still_arrives(notifications, smtp_server, whatsapp_server):
    _, mailbox = smtp_server
    whatsapp_server.answer_status = 400
    courier = notifications.register("courier", "en")
    envelope = notifications.publish("delivery.assigned", assigned(courier["user_id"]))
    wait_until(lambda: mailbox.to(courier["email"]), timeout=10, message="the email")
    (wa,) = wait_until(lambda: [d for d in notifications.deliveries(event_id=envelope["id"], channel="whatsapp")
                                if d.status == "parked"], timeout=10, message="WhatsApp parked")
    assert wa.attempts == 1 and "HTTP 400" in wa.last_error


def test_a_cancelled_order_tells_the_shopper_and_whoever_was_preparing_it(notifications, whatsapp_server):
    shopper = notifications.register("shopper", "en", channels=("inapp",))
    seller = notifications.register("seller", "id", channels=("inapp", "whatsapp"))
    agent = notifications.register("agent", "en", channels=("inapp",))
    order_id = str(uuid.uuid4())
    notifications.publish("order.confirmed", {
        "order_id": order_id, "shopper_id": shopper["user_id"], "payment_method": "cod", "total": 30000,
        "fulfillments": [{"fulfillment_id": "f-1", "seller_id": seller["user_id"], "agent_id": agent["user_id"],
                          "shop_name": "Toko Bu Sri", "items": [{"title": "Gula aren", "qty": 1, "unit_price": 20000}]}]})
    cancelled = notifications.publish("order.cancelled", {
        "order_id": order_id, "shopper_id": shopper["user_id"], "payment_method": "cod",
        "reason": "shopper_cancelled", "paid": False})
    wait_until(lambda: notifications.processed(cancelled), timeout=10, message="order.cancelled consumed")
    with notifications.db.Session() as session:
        told = {n.recipient_id: (n.kind, n.body) for n in session.scalars(
            select(Notification).where(Notification.event_id == cancelled["id"]))}
    ref = order_id[:8].upper()
    assert told == {
        shopper["user_id"]: ("order_cancelled", f"Order #{ref} was cancelled as you asked."),
        seller["user_id"]: ("order_cancelled_seller",
                            f"Pesanan #{ref} dibatalkan oleh pembeli atau sistem. Tidak perlu disiapkan lagi."),
        agent["user_id"]: ("order_cancelled_seller",
                           f"Order #{ref} was cancelled by the shopper or the system. You no longer need to prepare it."),
    }
    texts = wait_until(lambda: [r["body"]["text"]["body"] for r in whatsapp_server.to(seller["phone"][1:])
                                if "dibatalkan" in r["body"]["text"]["body"]], timeout=10, message="seller WhatsApp")
    assert texts == [f"Pasar Desa: Pesanan #{ref} dibatalkan oleh pembeli atau sistem. Tidak perlu disiapkan lagi."]


def test_live_feeds_are_capped_per_process_so_the_inbox_api_keeps_answering(notifications, monkeypatch):
    monkeypatch.setenv("NOTIFY_MAX_STREAMS", "1")
    app = create_app(db=notifications.db)
    headers = {"Authorization": "Bearer " + issue_access_token(Identity(user_id="courier-cap", role="courier"))}
    with app.test_client() as first_client, app.test_client() as second_client:
        first = first_client.get("/api/v1/notifications/stream?max_seconds=5", headers=headers, buffered=False)
        assert first.status_code == 200
        second = second_client.get("/api/v1/notifications/stream?max_seconds=5", headers=headers)
        assert second.status_code == 503 and second.headers["Retry-After"] == "10"
        assert second.get_json()["error"]["code"] == "feeds_busy"
        assert second_client.get("/api/v1/notifications/unread-count", headers=headers).status_code == 200
        first.close()  # the feed ends: its slot is free again
        third = second_client.get("/api/v1/notifications/stream?max_seconds=1", headers=headers, buffered=False)
        assert third.status_code == 200
        third.close()


def test_live_feed_on_postgresql_streams_only_my_new_messages_in_order(notifications):
    app = create_app(db=notifications.db)
    me, someone_else = f"courier-{uuid.uuid4().hex[:6]}", f"courier-{uuid.uuid4().hex[:6]}"
    headers = {"Authorization": "Bearer " + issue_access_token(Identity(user_id=me, role="courier"))}
    with app.test_client() as client:
        feed = client.get("/api/v1/notifications/stream?max_seconds=5", headers=headers, buffered=False)
        chunks = iter(feed.response)
        assert next(chunks).startswith(b"retry: 2000")
        notifications.publish("delivery.assigned", assigned(someone_else))
        first = notifications.publish("delivery.assigned", assigned(me))
        second = notifications.publish("delivery.unassigned", assigned(me))
        received = [next(chunks).decode(), next(chunks).decode()]
        feed.close()
    assert [block.split("\n")[1] for block in received] == ["event: notification", "event: notification"]
    payloads = [json.loads(block.split("\n")[2][len("data: "):]) for block in received]
    assert [p["event_type"] for p in payloads] == ["delivery.assigned", "delivery.unassigned"]
    assert payloads[0]["order_id"] == first["data"]["order_id"] and payloads[1]["order_id"] == second["data"]["order_id"]
    assert int(received[1].split("\n")[0][len("id: "):]) > int(received[0].split("\n")[0][len("id: "):])
