"""A small stand-in for Midtrans, for tests only (Midtrans ships no emulator). It implements the documented HTTP
contract the product uses, so the real `midtransclient` SDK talks to it over HTTP:

- POST /v2/charge                       docs.midtrans.com "Core API: Charge" (qris, bank_transfer, echannel, gopay)
- GET  /v2/{order_id}/status            "Get Transaction Status"
- POST /v2/{order_id}/expire | /cancel  "Expire Transaction" / "Cancel Transaction"
- POST /v2/{order_id}/refund            "Refund Transaction"
- POST /snap/v1/transactions            "Snap API: Create Transaction" ({token, redirect_url})

Bodies follow the samples on those pages: status_code as a string ("201" pending, "200" settlement,
"202" deny, "407" expire), gross_amount as "65000.00", va_numbers / permata_va_number / bill_key,
qr_string and actions[] (generate-qr-code, deeplink-redirect), expiry_time in WIB "YYYY-MM-DD HH:MM:SS".
Notifications are sent to the webhook as Midtrans sends them ("HTTP(S) Notification"): the transaction's
status fields plus signature_key = SHA512(order_id + status_code + gross_amount + server_key). A duplicate
order_id is refused with status_code "406" unless the Idempotency-Key repeats.

Test helpers (not Midtrans API): settle / expire / deny / notify / replay."""
from __future__ import annotations

import hashlib
import json
import threading
import uuid
from datetime import datetime, timedelta, timezone

import requests
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from .fake_xendit import qris_payload
from .infra import free_port

WIB = timezone(timedelta(hours=7))
STATUS_CODES = {"pending": "201", "settlement": "200", "capture": "200", "deny": "202", "cancel": "200",
                "expire": "407", "refund": "200", "partial_refund": "200"}


def signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()


class FakeMidtrans:
    def __init__(self, *, server_key: str, webhook_url: str | None = None):
        self.server_key = server_key
        self.webhook_url = webhook_url
        self.port = free_port()
        self.transactions: dict[str, dict] = {}
        self.idempotent: dict[str, dict] = {}
        self.received: list[dict] = []
        self.notifications: list[dict] = []
        self._lock = threading.Lock()
        self.app = self._build_app()
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def snap_url(self) -> str:
        return f"{self.url}/snap/v1"

    def start(self) -> "FakeMidtrans":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def _build_app(self) -> Flask:
        app = Flask("fake_midtrans")

        def refuse(code, message):
            # Core API answers errors with HTTP 200 and the code in the body (the SDK raises on it);
            # 404 also as HTTP 404
            return jsonify({"status_code": code, "status_message": message,
                            "id": str(uuid.uuid4())}), 404 if code == "404" else 200

        @app.before_request
        def authenticate():
            self.received.append({"path": request.path, "method": request.method, "headers": dict(request.headers),
                                  "body": request.get_json(silent=True)})
            auth = request.authorization
            if auth is None or auth.username != self.server_key:
                return jsonify({"status_code": "401", "status_message": "Unknown Merchant server_key/id",
                                "id": str(uuid.uuid4())}), 401
            return None

        @app.post("/v2/charge")
        def charge():
            key = request.headers.get("Idempotency-Key")
            body = request.get_json(force=True)
            with self._lock:
                if key and key in self.idempotent:
                    return jsonify(self.idempotent[key])
                order_id = body["transaction_details"]["order_id"]
                if order_id in self.transactions:
                    return refuse("406", "The request could not be completed due to a conflict with the current "
                                         "state of the target resource, please try again")
                answer = self._new_charge(body)
                if key:
                    self.idempotent[key] = answer
                return jsonify(answer)

        @app.post("/snap/v1/transactions")
        def snap():
            body = request.get_json(force=True)
            order_id = body["transaction_details"]["order_id"]
            token = str(uuid.uuid4())
            self.transactions.setdefault(order_id, self._record(body, payment_type=None, status=None))
            return jsonify({"token": token,
                            "redirect_url": f"{self.url}/snap/v4/redirection/{token}"}), 201

        @app.get("/v2/<order_id>/status")
        def status(order_id):
            found = self.transactions.get(order_id)
            if found is None or found["transaction_status"] is None:
                return refuse("404", "Transaction doesn't exist.")
            return jsonify(self._status_body(found))

        @app.post("/v2/<order_id>/expire")
        def expire(order_id):
            found = self.transactions.get(order_id)
            if found is None or found["transaction_status"] is None:
                return refuse("404", "Transaction doesn't exist.")
            if found["transaction_status"] == "pending":
                found["transaction_status"] = "expire"
            return jsonify({**self._status_body(found), "status_message": "Success, transaction has expired"})

        @app.post("/v2/<order_id>/cancel")
        def cancel(order_id):
            found = self.transactions.get(order_id)
            if found is None:
                return refuse("404", "Transaction doesn't exist.")
            if found["transaction_status"] in ("pending", "capture"):
                found["transaction_status"] = "cancel"
            return jsonify(self._status_body(found))

        @app.post("/v2/<order_id>/refund")
        def refund(order_id):
            found = self.transactions.get(order_id)
            body = request.get_json(silent=True) or {}
            if found is None or found["transaction_status"] not in ("settlement", "partial_refund"):
                return refuse("412", "Merchant cannot modify the status of the transaction")
            refunds = found.setdefault("refunds", {})
            key = body.get("refund_key") or str(uuid.uuid4())
            if key not in refunds:  # "Refund Transaction": refund_key names one refund; the same key is one refund
                done = sum(refunds.values())
                amount = int(body.get("amount") or found["amount"] - done)
                if done + amount > found["amount"]:
                    return refuse("412", "Refund amount exceeds the remaining amount")
                refunds[key] = amount
            total = sum(refunds.values())
            found["transaction_status"] = "refund" if total >= found["amount"] else "partial_refund"
            found["refund_amount"] = f"{total}.00"
            return jsonify({**self._status_body(found), "refund_key": body.get("refund_key"),
                            "refund_amount": found["refund_amount"], "status_message": "Success, refund is created"})

        return app

    def _record(self, body: dict, *, payment_type, status) -> dict:
        order_id = body["transaction_details"]["order_id"]
        return {"order_id": order_id, "transaction_id": str(uuid.uuid4()), "payment_type": payment_type,
                "amount": int(body["transaction_details"]["gross_amount"]), "transaction_status": status,
                "transaction_time": datetime.now(WIB).strftime("%Y-%m-%d %H:%M:%S"),
                "expiry_time": (datetime.now(WIB) + timedelta(minutes=int(
                    (body.get("custom_expiry") or {}).get("expiry_duration") or 60))).strftime("%Y-%m-%d %H:%M:%S"),
                "fraud_status": "accept", "body": body}

    def _new_charge(self, body: dict) -> dict:
        kind = body["payment_type"]
        tx = self._record(body, payment_type=kind, status="pending")
        order_id = tx["order_id"]
        if kind == "bank_transfer":
            bank = body["bank_transfer"]["bank"]
            number = "8562" + str(uuid.uuid4().int)[:9]
            if bank == "permata":
                tx["permata_va_number"] = number
            else:
                tx["va_numbers"] = [{"bank": bank, "va_number": number}]
        elif kind == "echannel":
            tx["bill_key"], tx["biller_code"] = str(uuid.uuid4().int)[:12], "70012"
        elif kind in ("qris", "gopay"):
            tx["qr_string"] = qris_payload(tx["amount"], order_id)
            tx["actions"] = [{"name": "generate-qr-code", "method": "GET",
                              "url": f"{self.url}/v2/{kind}/{tx['transaction_id']}/qr-code"}]
            if kind == "gopay":
                tx["actions"].append({"name": "deeplink-redirect", "method": "GET",
                                      "url": f"gojek://gopay/merchanttransfer?tref={tx['transaction_id']}"})
        self.transactions[order_id] = tx
        return {**self._status_body(tx), "status_message": "Success, transaction is created"}

    def _status_body(self, tx: dict) -> dict:
        status = tx["transaction_status"]
        body = {"status_code": STATUS_CODES.get(status, "200"), "transaction_id": tx["transaction_id"],
                "order_id": tx["order_id"], "merchant_id": "G141532850", "gross_amount": f"{tx['amount']}.00",
                "currency": "IDR", "payment_type": tx["payment_type"], "transaction_time": tx["transaction_time"],
                "transaction_status": status, "fraud_status": tx["fraud_status"], "expiry_time": tx["expiry_time"]}
        for extra in ("va_numbers", "permata_va_number", "bill_key", "biller_code", "qr_string", "actions",
                      "refund_amount"):
            if extra in tx:
                body[extra] = tx[extra]
        return body

    # -- notifications --------------------------------------------------------------------------------------
    def notify(self, order_id: str, *, server_key: str | None = None, tamper: dict | None = None) -> int:
        """POST the transaction's notification to the webhook, signed as Midtrans signs it."""
        body = self._status_body(self.transactions[order_id])
        body["signature_key"] = signature(body["order_id"], body["status_code"], body["gross_amount"],
                                          server_key or self.server_key)
        body.update(tamper or {})
        raw = json.dumps(body)
        answer = requests.post(self.webhook_url, data=raw, headers={"Content-Type": "application/json"}, timeout=15)
        self.notifications.append({"body": body, "raw": raw, "status": answer.status_code, "answer": answer.text})
        return answer.status_code

    def replay(self, notification: dict) -> int:
        answer = requests.post(self.webhook_url, data=notification["raw"],
                               headers={"Content-Type": "application/json"}, timeout=15)
        return answer.status_code

    def _move(self, order_id: str, status: str) -> int:
        tx = self.transactions[order_id]
        if tx["transaction_status"] is None:  # a Snap page the shopper paid on: now a QRIS transaction
            tx["payment_type"] = "qris"
        tx["transaction_status"] = status
        return self.notify(order_id)

    def settle(self, order_id: str) -> int:
        return self._move(order_id, "settlement")

    def expire(self, order_id: str) -> int:
        return self._move(order_id, "expire")

    def deny(self, order_id: str) -> int:
        return self._move(order_id, "deny")
