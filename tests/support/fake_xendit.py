"""A small stand-in for Xendit's API, for tests only (Xendit ships no emulator). It implements the documented
HTTP contract the product uses, so the real `xendit-python` SDK talks to it over HTTP:

- POST /payment_requests, GET /payment_requests/{id}            docs.xendit.co "Create payment request" /
                                                                   "Get payment request by ID" (API v2)
- POST /v2/payment_methods/{id}/expire                            "Expire payment method"
- POST /v2/payment_methods/{id}/payments/simulate                "Simulate payment" (test mode)
- POST /refunds, GET /refunds?payment_request_id=                 "Create refund" / "List refunds"
- POST /transfers                                                 xenPlatform "Create transfers"
- POST /split_rules                                               xenPlatform "Create split rule"

Bodies follow the samples on those pages (ids `pr-…`, `pm-…`, `py-…`, `rfd-…`, `splitru_…`; statuses
PENDING / REQUIRES_ACTION / SUCCEEDED / FAILED / EXPIRED). Callbacks go to the webhook URL exactly as Xendit
sends them ("Payment webhook notification": `x-callback-token` header, a `webhook-id` per delivery, body
{event, business_id, created, data}), including the documented failures: payment_request.expiry (the QR / VA
expired unpaid) and payment.failed (e.g. failure_code INSUFFICIENT_BALANCE, ACCOUNT_ACCESS_BLOCKED for e-wallets).

Every create must carry an Idempotency-key; the same key answers the same object (as Xendit does).
The fake records what it was asked (requests, headers, split rules) so tests can assert on it."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import qriskit
import requests
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from .infra import free_port

BUSINESS_ID = "5f27a14a9bf05c73dd040bc8"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def qris_payload(amount: int, reference: str) -> str:
    """A well-formed dynamic QRIS string (EMVCo TLV with CRC), built and checked with qriskit."""
    qr = qriskit.build(merchant_name="PASAR DESA", merchant_city="BLITAR", mcc="5399", postal_code="66111",
                       amount=amount, additional_data={"05": reference[:25]},
                       accounts=[qriskit.MerchantAccount.create(tag="26", guid="ID.CO.QRIS.WWW",
                                                                pan="936009153000000001",
                                                                merchant_id="ID1020021234567", criteria="UMI"),
                                 qriskit.MerchantAccount.national(nmid="ID1020021234567", criteria="UMI")])
    text = str(qr)
    assert qriskit.is_valid(text)
    return text


class FakeXendit:
    def __init__(self, *, secret_key: str, callback_token: str, webhook_url: str | None = None,
                 webhook_secret: str | None = None):
        self.secret_key = secret_key
        self.callback_token = callback_token
        self.webhook_secret = webhook_secret         # set: every callback is also HMAC-signed
        self.webhook_url = webhook_url
        self.port = free_port()
        self.payment_requests: dict[str, dict] = {}
        self.by_method: dict[str, str] = {}          # payment method id -> payment request id
        self.idempotent: dict[tuple[str, str], dict] = {}
        self.split_rules: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.transfers: list[dict] = []              # xenPlatform transfers between accounts
        self.received: list[dict] = []               # every API call: path, headers, body
        self.callbacks: list[dict] = []              # every callback sent: body, headers, answer status
        self._lock = threading.Lock()
        self.app = self._build_app()
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FakeXendit":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    # -- the API ------------------------------------------------------------------------------------------
    def _build_app(self) -> Flask:
        app = Flask("fake_xendit")

        def error(status, code, message):
            return jsonify({"error_code": code, "message": message}), status

        @app.before_request
        def authenticate():
            self.received.append({"path": request.path, "method": request.method, "headers": dict(request.headers),
                                  "body": request.get_json(silent=True)})
            auth = request.authorization
            if auth is None or auth.username != self.secret_key:
                return error(401, "INVALID_API_KEY", "API key is not authorized for this API service")
            return None

        def idempotent(kind, make):
            key = request.headers.get("Idempotency-key") or request.headers.get("idempotency-key")
            if not key:
                return error(400, "API_VALIDATION_ERROR", "idempotency-key header is required")
            with self._lock:
                if (kind, key) not in self.idempotent:
                    self.idempotent[(kind, key)] = make(request.get_json(force=True))
                return jsonify(self.idempotent[(kind, key)]), 201

        @app.post("/payment_requests")
        def create_payment_request():
            rule = request.headers.get("with-split-rule")
            if rule and rule not in self.split_rules:
                return error(404, "SPLIT_RULE_NOT_FOUND", "split rule not found")
            return idempotent("pr", lambda body: self._new_payment_request(body, rule,
                                                                           request.headers.get("for-user-id")))

        def visible(pr: dict | None) -> dict | None:
            """xenPlatform: an object made on a sub-account is that account's; asked without its for-user-id (or
            with another's), it is not found (as on the master account's own objects)."""
            if pr is None or (request.headers.get("for-user-id") or None) != pr.get("for_user_id"):
                return None
            return pr

        @app.get("/payment_requests/<pr_id>")
        def get_payment_request(pr_id):
            found = visible(self.payment_requests.get(pr_id))
            return jsonify(found) if found else error(404, "DATA_NOT_FOUND", "payment request not found")

        @app.post("/v2/payment_methods/<pm_id>/expire")
        def expire_payment_method(pm_id):
            pr = visible(self.payment_requests.get(self.by_method.get(pm_id, "")))
            if pr is None:
                return error(404, "DATA_NOT_FOUND", "payment method not found")
            if pr["status"] in ("PENDING", "REQUIRES_ACTION"):
                pr["status"], pr["payment_method"]["status"] = "EXPIRED", "EXPIRED"
            return jsonify(pr["payment_method"])

        @app.post("/v2/payment_methods/<pm_id>/payments/simulate")
        def simulate(pm_id):
            pr = self.payment_requests.get(self.by_method.get(pm_id, ""))
            if pr is None:
                return error(404, "DATA_NOT_FOUND", "payment method not found")
            if pr["status"] not in ("PENDING", "REQUIRES_ACTION"):
                return error(409, "PAYMENT_METHOD_NOT_ACTIVE", f"payment method is {pr['status']}")
            amount = (request.get_json(silent=True) or {}).get("amount", pr["amount"])
            if amount != pr["amount"]:
                return error(400, "INVALID_AMOUNT", "amount does not match the payment request")
            pr["status"] = "SUCCEEDED"
            self.send("payment.succeeded", self._payment_of(pr))
            return jsonify({"status": "PENDING", "message": "Payment simulation is being processed"})

        @app.post("/refunds")
        def create_refund():
            def make(body):
                pr = visible(self.payment_requests.get(body.get("payment_request_id")))
                already = sum(r["amount"] for r in self.refunds.values()
                              if r["payment_request_id"] == body.get("payment_request_id") and r["status"] == "SUCCEEDED")
                ok = pr is not None and pr["status"] == "SUCCEEDED" and already + body.get("amount", 0) <= pr["amount"]
                refund = {"id": f"rfd-{uuid.uuid4()}", "payment_request_id": body.get("payment_request_id"),
                          "for_user_id": request.headers.get("for-user-id"),
                          "invoice_id": None, "amount": body.get("amount"), "currency": "IDR", "country": "ID",
                          "channel_code": pr["payment_method"]["type"] if pr else None,
                          "reference_id": body.get("reference_id"), "reason": body.get("reason"),
                          "status": "SUCCEEDED" if ok else "FAILED",
                          "failure_code": None if ok else "PAYMENT_NOT_SUCCEEDED" if not pr or pr["status"] != "SUCCEEDED"
                          else "REFUND_AMOUNT_EXCEEDED",
                          "refund_fee_amount": 0, "created": _now(), "updated": _now()}
                self.refunds[refund["id"]] = refund
                return refund
            return idempotent("refund", make)

        @app.get("/refunds")
        def list_refunds():
            wanted = request.args.get("payment_request_id")
            found = [r for r in self.refunds.values() if (not wanted or r["payment_request_id"] == wanted)
                     and r.get("for_user_id") == (request.headers.get("for-user-id") or None)]
            return jsonify({"data": found, "has_more": False})

        @app.post("/transfers")
        def create_transfer():
            # xenPlatform "Create transfers": {reference, amount, source_user_id, destination_user_id}
            def make(body):
                transfer = {"created": _now(), "transfer_id": str(uuid.uuid4()), "reference": body.get("reference"),
                            "source_user_id": body.get("source_user_id"),
                            "destination_user_id": body.get("destination_user_id"),
                            "status": "SUCCESSFUL", "amount": body.get("amount")}
                self.transfers.append(transfer)
                return transfer
            return idempotent("transfer", make)

        @app.post("/split_rules")
        def create_split_rule():
            def make(body):
                rule = {"id": f"splitru_{uuid.uuid4()}", "name": body.get("name"),
                        "description": body.get("description"), "routes": body.get("routes") or [],
                        "created": _now(), "updated": _now()}
                self.split_rules[rule["id"]] = rule
                return rule
            return idempotent("split", make)

        return app

    def _new_payment_request(self, body: dict, split_rule: str | None, for_user_id: str | None = None) -> dict:
        method = body["payment_method"]
        pm_id = f"pm-{uuid.uuid4()}"
        pr_id = f"pr-{uuid.uuid4()}"
        kind = method["type"]
        amount = int(body["amount"])
        expires = _now_plus(minutes=30)
        status, actions = "PENDING", []
        shown = dict(method)
        if kind == "QR_CODE":
            props = dict((method.get("qr_code") or {}).get("channel_properties") or {})
            props["qr_string"] = qris_payload(amount, pr_id)
            props.setdefault("expires_at", expires)
            shown["qr_code"] = {"channel_code": "QRIS", "channel_properties": props}
        elif kind == "VIRTUAL_ACCOUNT":
            va = dict(method["virtual_account"])
            props = dict(va.get("channel_properties") or {})
            props["virtual_account_number"] = "8808" + str(uuid.uuid4().int)[:12]
            props.setdefault("expires_at", expires)
            va["channel_properties"] = props
            shown["virtual_account"] = va
        elif kind == "EWALLET":
            status = "REQUIRES_ACTION"
            code = method["ewallet"]["channel_code"]
            actions = [{"action": "AUTH", "url_type": "DEEPLINK", "method": "GET",
                        "url": f"{code.lower()}://pay?pr={pr_id}"},
                       {"action": "AUTH", "url_type": "WEB", "method": "GET",
                        "url": f"{self.url}/ewallet/{pr_id}/checkout"}]
        shown.update({"id": pm_id, "status": "ACTIVE", "reusability": "ONE_TIME_USE",
                      "created": _now(), "updated": _now()})
        created = {"id": pr_id, "business_id": for_user_id or BUSINESS_ID, "for_user_id": for_user_id, "reference_id": body.get("reference_id"),
                   "currency": body.get("currency", "IDR"), "country": body.get("country", "ID"), "amount": amount,
                   "description": body.get("description"), "metadata": body.get("metadata"),
                   "payment_method": shown, "status": status, "actions": actions, "failure_code": None,
                   "capture_method": "AUTOMATIC", "initiator": None, "customer_id": None,
                   "created": _now(), "updated": _now(), "split_rule_id": split_rule}
        self.payment_requests[pr_id] = created
        self.by_method[pm_id] = pr_id
        return created

    def _payment_of(self, pr: dict) -> dict:
        return {"id": f"py-{uuid.uuid4()}", "payment_request_id": pr["id"], "reference_id": pr["reference_id"],
                "business_id": pr["business_id"], "currency": "IDR", "amount": pr["amount"], "country": "ID",
                "status": pr["status"], "payment_method": pr["payment_method"], "failure_code": pr.get("failure_code"),
                "created": _now(), "updated": _now()}

    # -- callbacks ------------------------------------------------------------------------------------------
    def send(self, event: str, data: dict, *, token: str | None = None, webhook_id: str | None = None,
             timestamp: int | None = None, signing_secret: str | None = None, signature: str | None = None) -> int:
        """POST one callback to the webhook as Xendit would; returns the webhook's status code. With a webhook
        secret, it is signed: X-Callback-Signature = hex HMAC-SHA256(secret, "<webhook-id>.<timestamp>.<body>")
        and webhook-timestamp (Unix seconds). `timestamp`, `signing_secret` and `signature` forge or age it."""
        body = {"event": event, "business_id": BUSINESS_ID, "created": _now(), "data": data}
        headers = {"Content-Type": "application/json",
                   "x-callback-token": self.callback_token if token is None else token,
                   "webhook-id": webhook_id or f"whk-{uuid.uuid4()}"}
        raw = json.dumps(body)
        secret = signing_secret or self.webhook_secret
        if secret or signature is not None:
            stamp = str(int(time.time()) if timestamp is None else timestamp)
            headers["webhook-timestamp"] = stamp
            headers["x-callback-signature"] = signature if signature is not None else hmac.new(
                secret.encode(), f"{headers['webhook-id']}.{stamp}.".encode() + raw.encode(), hashlib.sha256).hexdigest()
        answer = requests.post(self.webhook_url, data=raw, headers=headers, timeout=15)
        self.callbacks.append({"body": body, "raw": raw, "headers": headers, "status": answer.status_code,
                               "answer": answer.text})
        return answer.status_code

    def replay(self, callback: dict) -> int:
        """Deliver a callback again, byte for byte (Xendit retries with the same webhook-id)."""
        answer = requests.post(self.webhook_url, data=callback["raw"], headers=callback["headers"], timeout=15)
        return answer.status_code

    # -- what a test does to a payment (through the documented API where there is one) ---------------------
    def pay(self, pr_id: str) -> int:
        pm_id = self.payment_requests[pr_id]["payment_method"]["id"]
        answer = requests.post(f"{self.url}/v2/payment_methods/{pm_id}/payments/simulate",
                               json={"amount": self.payment_requests[pr_id]["amount"]},
                               auth=(self.secret_key, ""), timeout=15)
        return answer.status_code

    def expire(self, pr_id: str) -> int:
        """The QR / virtual account reached its expires_at unpaid: Xendit says payment_request.expiry."""
        pr = self.payment_requests[pr_id]
        pr["status"] = "EXPIRED"
        return self.send("payment_request.expiry", {"id": pr_id, "payment_request_id": pr_id,
                                                    "reference_id": pr["reference_id"], "status": "EXPIRED",
                                                    "amount": pr["amount"], "currency": "IDR"})

    def fail(self, pr_id: str, failure_code: str = "ACCOUNT_ACCESS_BLOCKED") -> int:
        pr = self.payment_requests[pr_id]
        pr["status"], pr["failure_code"] = "FAILED", failure_code
        return self.send("payment.failed", self._payment_of(pr))

    def request_for(self, order_id: str) -> dict:
        found = [pr for pr in self.payment_requests.values() if pr["reference_id"] == order_id]
        assert found, f"no payment request for order {order_id}"
        return found[-1]


def _now_plus(**delta) -> str:
    return (datetime.now(timezone.utc) + timedelta(**delta)).isoformat().replace("+00:00", "Z")
