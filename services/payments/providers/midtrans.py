"""Midtrans behind domain.PaymentProvider, with the official `midtransclient` SDK.

Core API charges (POST /v2/charge) for QRIS, bank-transfer virtual accounts (BCA, BNI, BRI, Permata;
Mandiri as `echannel` bill payment) and GoPay; Snap (POST /snap/v1/transactions) for the hosted redirect page.
Our order id is Midtrans' `order_id`, so /v2/{order_id}/status, /cancel and /refund name the payment; every
charge carries an Idempotency-Key. MIDTRANS_API_BASE / MIDTRANS_SNAP_BASE point the SDK elsewhere (the tests'
fake). Midtrans has no marketplace split: the platform collects and the ledger pays sellers out after delivery.

Notifications are verified as Midtrans documents ("HTTP(S) Notification / Webhooks", signature_key):
SHA512(order_id + status_code + gross_amount + server_key) over the strings exactly as received
(gross_amount arrives as "650000.00"), compared in constant time; then the status is re-queried from
/v2/{order_id}/status and only that answer is acted on.

Money: Midtrans takes IDR gross_amount as a whole number and answers it as a decimal string "650000.00"."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import midtransclient
from midtransclient.error_midtrans import MidtransAPIError

from pasar.config import setting

from .. import domain
from ..domain import NextAction, OpenRequest, ProviderReport, StartedPayment

log = logging.getLogger("payments.providers.midtrans")

DEFAULT_CHANNELS = ("qris", "va_bca", "va_bni", "va_bri", "va_permata", "va_mandiri", "gopay", "snap")
WIB = timezone(timedelta(hours=7))  # Midtrans answers expiry_time in Western Indonesia Time, without a zone
REFUNDABLE = ("qris", "gopay", "shopeepay", "credit_card")  # bank transfers are not refundable at Midtrans


def signature_of(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()


def to_rupiah(gross_amount) -> int:
    value = Decimal(str(gross_amount))
    if value != value.to_integral_value():
        log.warning("midtrans reported a fraction of a rupiah", extra={"gross_amount": str(gross_amount)})
    return int(value)


class MidtransProvider:
    name = "midtrans"

    def __init__(self, server_key: str, api_base: str | None = None, snap_base: str | None = None,
                 is_production: bool = False):
        self.server_key = server_key
        self.core = midtransclient.CoreApi(is_production=is_production, server_key=server_key)
        self.snap = midtransclient.Snap(is_production=is_production, server_key=server_key)
        for config in (self.core.api_config, self.snap.api_config):
            # the SDK reads its base addresses from these attributes (midtransclient/config.py)
            if api_base:
                config.CORE_SANDBOX_BASE_URL = config.CORE_PRODUCTION_BASE_URL = api_base.rstrip("/")
            if snap_base:
                config.SNAP_SANDBOX_BASE_URL = config.SNAP_PRODUCTION_BASE_URL = snap_base.rstrip("/")

    def _with_key(self, client, key: str):
        client.api_config.custom_headers = {"Idempotency-Key": key}
        return client

    def open(self, request: OpenRequest) -> StartedPayment:
        details = {"transaction_details": {"order_id": request.order_id, "gross_amount": request.amount},
                   "custom_expiry": {"expiry_duration": _minutes_left(request.expires_at), "unit": "minute"}}
        key = f"pasar-{request.payment_id}-{request.channel}-open"
        if request.channel == "snap":
            details["expiry"] = {"duration": _minutes_left(request.expires_at), "unit": "minutes"}
            del details["custom_expiry"]
            if request.return_url:
                details["callbacks"] = {"finish": request.return_url}
            made = self._with_key(self.snap, key).create_transaction(details)
            return StartedPayment(provider_ref=request.order_id, next_action=NextAction(
                domain.NEXT_REDIRECT, redirect_url=made["redirect_url"], expires_at=request.expires_at))
        charged = self._with_key(self.core, key).charge({**details, **_charge_body(request)})
        return StartedPayment(provider_ref=request.order_id, next_action=next_action_of(charged, request.channel))

    def _status(self, order_id: str) -> dict | None:
        try:
            return self.core.transactions.status(order_id)
        except MidtransAPIError as exc:
            if exc.http_status_code == 404 or "404" in str(exc):  # never charged (a Snap page never used)
                return None
            raise

    def status(self, *, provider_ref: str) -> ProviderReport | None:
        found = self._status(provider_ref)
        return report_of_status(found) if found else None

    lookup = status

    def cancel(self, *, provider_ref: str, order_id: str) -> ProviderReport | None:
        """Expire a pending charge (POST /v2/{id}/expire; /cancel is for cards): no more money can arrive. If
        Midtrans says it had been paid after all, say so (the service refunds)."""
        found = self._status(provider_ref)
        if found is None:
            return None
        report = report_of_status(found)
        if report is not None:
            return report if report.outcome == domain.OUTCOME_SUCCEEDED else None
        self.core.transactions.expire(provider_ref)
        return None

    def refund(self, *, provider_ref: str, order_id: str, amount: int, refund_key: str | None = None) -> str:
        found = self._status(provider_ref) or {}
        if found.get("payment_type") not in REFUNDABLE:
            raise domain.RefundNotSupported(f"midtrans cannot refund a {found.get('payment_type')} payment")
        answer = self.core.transactions.refund(provider_ref, {"refund_key": f"{refund_key or order_id}-refund", "amount": amount,
                                                              "reason": "order cancelled"})
        return str(answer.get("refund_key") or answer.get("transaction_id") or f"{order_id}-refund")

    def refunded_total(self, *, provider_ref: str) -> int:
        """What Midtrans refunded of this transaction in all: the status' `refund_amount` (its sum of refunds,
        partial ones included), as a string of rupiah with cents."""
        found = self._status(provider_ref) or {}
        return to_rupiah(found["refund_amount"]) if found.get("refund_amount") is not None else 0

    def parse_webhook(self, payload: bytes, headers) -> list[ProviderReport]:
        try:
            body = json.loads(payload)
            order_id, status_code = str(body["order_id"]), str(body["status_code"])
            gross_amount, given = str(body["gross_amount"]), str(body["signature_key"])
        except (ValueError, KeyError, TypeError) as exc:
            raise domain.WebhookRejected("bad_payload", "the notification is not a Midtrans notification") from exc
        expected = signature_of(order_id, status_code, gross_amount, self.server_key)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise domain.WebhookRejected("bad_signature", "the signature_key does not verify")
        # Midtrans: do not trust the notification body's status; ask for it (it may also be newer)
        found = self._status(order_id)
        report = report_of_status(found) if found else None
        return [report] if report is not None else []

    def transfer(self, *, destination: str, amount: int, order_id: str, payout_id: str) -> str:
        raise RuntimeError("midtrans has no marketplace transfers: sellers are paid out from the ledger")


def _minutes_left(expires_at: str | None) -> int:
    if not expires_at:
        return 60
    left = datetime.fromisoformat(expires_at) - datetime.now(timezone.utc)
    return max(1, int(left.total_seconds() // 60))


def _charge_body(request: OpenRequest) -> dict:
    """The Core API charge body per channel (docs.midtrans.com "Core API: QRIS", "Bank Transfer", "GoPay")."""
    channel = request.channel
    if channel == "qris":
        return {"payment_type": "qris", "qris": {"acquirer": "gopay"}}
    if channel == "gopay":
        body = {"payment_type": "gopay", "gopay": {"enable_callback": bool(request.return_url)}}
        if request.return_url:
            body["gopay"]["callback_url"] = request.return_url
        return body
    if channel == "va_mandiri":
        return {"payment_type": "echannel", "echannel": {"bill_info1": "Pasar Desa", "bill_info2": request.order_id}}
    if channel in ("va_bca", "va_bni", "va_bri", "va_permata"):
        return {"payment_type": "bank_transfer", "bank_transfer": {"bank": channel[3:]}}
    raise domain.UnknownChannel(f"midtrans does not offer the channel {channel!r}")


def _expiry(charged: dict) -> str | None:
    text = charged.get("expiry_time")
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=WIB).astimezone(timezone.utc).isoformat()
    except ValueError:
        return None


def next_action_of(charged: dict, channel: str) -> NextAction:
    expires = _expiry(charged)
    actions = {a.get("name"): a.get("url") for a in charged.get("actions") or []}
    if channel == "qris":
        return NextAction(domain.NEXT_QR, qr_string=charged.get("qr_string"), expires_at=expires)
    if channel == "gopay":
        return NextAction(domain.NEXT_DEEPLINK, deeplink=actions.get("deeplink-redirect"),
                          redirect_url=actions.get("deeplink-redirect"), expires_at=expires)
    if charged.get("payment_type") == "echannel":
        return NextAction(domain.NEXT_VA, va_number=f"{charged.get('biller_code')} {charged.get('bill_key')}",
                          va_bank="MANDIRI", expires_at=expires)
    if charged.get("permata_va_number"):
        return NextAction(domain.NEXT_VA, va_number=charged["permata_va_number"], va_bank="PERMATA",
                          expires_at=expires)
    va = (charged.get("va_numbers") or [{}])[0]
    return NextAction(domain.NEXT_VA, va_number=va.get("va_number"), va_bank=str(va.get("bank", "")).upper(),
                      expires_at=expires)


def report_of_status(found: dict) -> ProviderReport | None:
    """A transaction status (GET /v2/{order_id}/status) as our report; one event id per status it reaches."""
    mapped = domain.midtrans_outcome(found.get("transaction_status"), found.get("fraud_status"))
    if mapped is None:
        if found.get("transaction_status") in ("partial_refund", "partial_chargeback"):
            log.warning("midtrans partial refund: left for the operator", extra={"order_id": found.get("order_id")})
        return None
    outcome, reason = mapped
    amount = to_rupiah(found["gross_amount"]) if found.get("gross_amount") is not None else None
    if outcome == domain.OUTCOME_REFUNDED and found.get("refund_amount") is not None:
        amount = to_rupiah(found["refund_amount"])
    return ProviderReport(f"midtrans:{found.get('transaction_id')}:{found.get('transaction_status')}", outcome,
                          str(found["order_id"]), amount, reason, str(found["order_id"]))


def from_settings() -> MidtransProvider:
    key = setting("MIDTRANS_SERVER_KEY")
    if not key:
        raise RuntimeError("MIDTRANS_SERVER_KEY is not set")
    return MidtransProvider(key, setting("MIDTRANS_API_BASE"), setting("MIDTRANS_SNAP_BASE"),
                            is_production=(setting("MIDTRANS_PRODUCTION") or "").lower() in ("1", "true", "yes"))


def channels() -> tuple[str, ...]:
    return domain.parse_channel_list(setting("MIDTRANS_CHANNELS"), DEFAULT_CHANNELS)
