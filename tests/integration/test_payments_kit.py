"""Shared helpers for the payments tests (no tests here): a migrated throwaway payments database, a
harness that feeds it events through the real Worker.apply (contract validation + inbox), Stripe
signatures computed exactly as Stripe computes them, and a recording Stripe HTTP client."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
from sqlalchemy import func, select

from pasar.auth import Identity, issue_access_token
from pasar.db import Database, UnitOfWork
from pasar.events import make_envelope, parse_envelope
from pasar.messaging import Worker
from pasar.migrate import upgrade
from services.payments import domain, service
from services.payments.app import create_app
from services.payments.handlers import HANDLERS
from services.payments.models import Base, LedgerEntry, Payment

WEBHOOK_SECRET = "whsec_test_" + "k" * 24


def new(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def payments_db(tmp_path, monkeypatch):
    """A fresh, migrated payments database (SQLite file; the PostgreSQL run is in the saga tests).
    Sandbox card payments unless a test sets STRIPE_SECRET_KEY."""
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    monkeypatch.delenv("COMMISSION_RATE", raising=False)
    url = f"sqlite:///{tmp_path / 'payments.db'}"
    upgrade("payments", url)
    db = Database("payments", Base.metadata, url)
    yield db
    db.dispose()


class Harness:
    """Drives the payments service the way its worker does, and reads back what it did."""

    def __init__(self, db: Database):
        self.db = db
        self.worker = Worker("payments", db, HANDLERS)

    def deliver(self, event_type: str, data: dict) -> list[str] | None:
        envelope = make_envelope(event_type, data, source="test", correlation_id=data.get("order_id"))
        return self.worker.apply(parse_envelope(json.loads(json.dumps(envelope))))

    def report(self, report: domain.ProviderReport, provider: str = "sandbox") -> str:
        with UnitOfWork(self.db, source="payments") as uow:
            result = service.apply_report(uow, report, provider)
            uow.commit()
        return result

    def pay_in_sandbox(self, order_id: str, card: str) -> str:
        payment = self.payment(order_id)
        outcome, reason = domain.sandbox_outcome(card)
        return self.report(domain.ProviderReport(f"sandbox:{uuid.uuid4().hex}", outcome, payment.provider_ref,
                                                 payment.amount if outcome == "succeeded" else None, reason,
                                                 order_id))

    def payment(self, order_id: str) -> Payment | None:
        with self.db.Session() as s:
            return s.scalar(select(Payment).where(Payment.order_id == order_id))

    def emitted(self, event_type: str | None = None, order_id: str | None = None) -> list[dict]:
        with self.db.Session() as s:
            rows = s.execute(select(self.db.outbox.c.type, self.db.outbox.c.envelope)
                             .order_by(self.db.outbox.c.created_at)).all()
        out = []
        for kind, text in rows:
            data = json.loads(text)["data"]
            if (event_type is None or kind == event_type) and (order_id is None or data.get("order_id") == order_id):
                out.append({"type": kind, **data})
        return out

    def order_ledger(self, order_id: str) -> dict[str, int]:
        with self.db.Session() as s:
            return {k: v for k, v in service.order_accounts(s, order_id).items() if v}

    def balance(self, account: str) -> int:
        with self.db.Session() as s:
            return service.account_balance(s, account)

    def entry_count(self) -> int:
        with self.db.Session() as s:
            return s.scalar(select(func.count()).select_from(LedgerEntry))


@pytest.fixture
def client(payments_db, monkeypatch):
    """The payments HTTP API on the test's database (sandbox unless the test set Stripe up)."""
    monkeypatch.setenv("JWT_SECRET", "payments-test-secret-0123456789abcdef0123")
    return create_app(db=payments_db, publish=False).test_client()


def auth(user_id: str, role: str = "shopper") -> dict:
    return {"Authorization": "Bearer " + issue_access_token(Identity(user_id=user_id, role=role))}


@pytest.fixture
def harness(payments_db):
    return Harness(payments_db)


def payment_requested(order_id: str, shopper_id: str, method: str, shares: list[tuple[str, str, int, int]]) -> dict:
    """shares: (fulfillment_id, seller_id, goods_amount, delivery_fee)"""
    return {"order_id": order_id, "shopper_id": shopper_id, "method": method, "currency": "IDR",
            "amount": sum(g + d for _, _, g, d in shares),
            "subtotals": [{"fulfillment_id": f, "seller_id": s, "amount": g, "delivery_fee": d} for f, s, g, d in shares]}


def delivered(order_id: str, fulfillment_id: str, courier_id: str, cod_collected: int | None = None) -> dict:
    return {"order_id": order_id, "fulfillment_id": fulfillment_id, "courier_id": courier_id,
            "cod_amount_collected": cod_collected}


def received(order_id: str, fulfillment_id: str, by: str = "shopper") -> dict:
    """The shopper confirmed receipt (or the receipt window closed): the seller's held share becomes available."""
    return {"order_id": order_id, "fulfillment_id": fulfillment_id, "seller_id": "from-orders", "received_by": by}


def cancelled(order_id: str, shopper_id: str, reason: str, paid: bool, method: str = "card") -> dict:
    return {"order_id": order_id, "shopper_id": shopper_id, "reason": reason, "paid": paid, "payment_method": method}


# -- Stripe, offline --------------------------------------------------------------------------------
def stripe_signature(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Exactly Stripe's scheme: v1 = HMAC-SHA256(secret, "<t>.<payload>")."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def intent_json(pi_id: str, order_id: str, amount_rupiah: int, status: str = "requires_payment_method",
                last_payment_error: dict | None = None) -> dict:
    """A PaymentIntent in Stripe's documented shape (the fields we read, and a few around them)."""
    return {"id": pi_id, "object": "payment_intent", "amount": amount_rupiah * 100,
            "amount_received": amount_rupiah * 100 if status == "succeeded" else 0, "currency": "idr",
            "status": status, "client_secret": f"{pi_id}_secret_abc123", "livemode": False,
            "metadata": {"order_id": order_id}, "last_payment_error": last_payment_error,
            "cancellation_reason": "requested_by_customer" if status == "canceled" else None,
            "created": int(time.time()), "payment_method_types": ["card"]}


def stripe_event(kind: str, obj: dict, event_id: str | None = None) -> str:
    return json.dumps({"id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event",
                       "api_version": "2024-06-20", "created": int(time.time()), "livemode": False,
                       "pending_webhooks": 1, "type": kind, "data": {"object": obj}})


def charge_refunded_json(pi_id: str, order_id: str, amount_rupiah: int) -> dict:
    return {"id": f"ch_{uuid.uuid4().hex[:20]}", "object": "charge", "amount": amount_rupiah * 100,
            "amount_refunded": amount_rupiah * 100, "refunded": True, "currency": "idr",
            "payment_intent": pi_id, "metadata": {"order_id": order_id}, "status": "succeeded"}


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict
    form: dict

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


class RecordingStripeHTTPClient(stripe.HTTPClient):
    """Stands where the network would be: records what the stripe library would send and answers
    with Stripe-shaped JSON from `responder(request) -> (status, body)`."""
    name = "recording"

    def __init__(self, responder):
        super().__init__()
        self.responder = responder
        self.requests: list[RecordedRequest] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        form = dict(parse_qsl(post_data.decode() if isinstance(post_data, bytes) else (post_data or "")))
        form.update(dict(parse_qsl(parts.query)))
        recorded = RecordedRequest(method.upper(), parts.path, dict(headers or {}), form)
        self.requests.append(recorded)
        status, body = self.responder(recorded)
        return json.dumps(body), status, {"request-id": "req_recorded", "Content-Type": "application/json"}

    def close(self):
        pass


def use_stripe(monkeypatch, responder) -> RecordingStripeHTTPClient:
    """Switch card payments to the stripe provider whose HTTP goes to a recording client."""
    from services.payments import providers
    recorder = RecordingStripeHTTPClient(responder)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_recording")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setattr(providers, "make_stripe_client",
                        lambda http_client=None: stripe.StripeClient("sk_test_recording", http_client=recorder,
                                                                     max_network_retries=0))
    return recorder


class FakeStripeAccount:
    """Stripe's answers for the PaymentIntents our tests created (a responder, not a server)."""

    def __init__(self):
        self.intents: dict[str, dict] = {}
        self.refuse_cancel = False

    def __call__(self, req: RecordedRequest):
        path = req.path
        if req.method == "POST" and path == "/v1/payment_intents":
            pi_id = f"pi_{uuid.uuid4().hex[:20]}"
            self.intents[pi_id] = intent_json(pi_id, req.form["metadata[order_id]"], int(req.form["amount"]) // 100)
            return 200, self.intents[pi_id]
        if path.startswith("/v1/payment_intents/") and path.endswith("/cancel"):
            pi_id = path.split("/")[3]
            if self.refuse_cancel or self.intents[pi_id]["status"] == "succeeded":
                return 400, {"error": {"type": "invalid_request_error", "code": "payment_intent_unexpected_state",
                                       "message": "This PaymentIntent's status is succeeded."}}
            self.intents[pi_id]["status"] = "canceled"
            return 200, self.intents[pi_id]
        if req.method == "GET" and path.startswith("/v1/payment_intents/"):
            return 200, self.intents[path.split("/")[3]]
        if req.method == "POST" and path == "/v1/refunds":
            return 200, {"id": f"re_{uuid.uuid4().hex[:20]}", "object": "refund", "amount": int(req.form["amount"]),
                         "currency": "idr", "payment_intent": req.form["payment_intent"], "status": "succeeded"}
        if req.method == "POST" and path == "/v1/transfers":
            return 200, {"id": f"tr_{uuid.uuid4().hex[:20]}", "object": "transfer", "amount": int(req.form["amount"]),
                         "currency": "idr", "destination": req.form["destination"],
                         "transfer_group": req.form.get("transfer_group")}
        return 404, {"error": {"type": "invalid_request_error", "message": f"unrecognised {req.method} {path}"}}

    def succeed(self, pi_id: str) -> dict:
        self.intents[pi_id]["status"] = "succeeded"
        self.intents[pi_id]["amount_received"] = self.intents[pi_id]["amount"]
        return self.intents[pi_id]
