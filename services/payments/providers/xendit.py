"""Xendit (Indonesia's local rails) behind domain.PaymentProvider, with the official `xendit-python` SDK.

One Payment Request (POST /payment_requests, the SDK's PaymentRequestApi) per payment, whatever the channel:
QRIS (payment_method.type QR_CODE), virtual accounts (VIRTUAL_ACCOUNT: BCA, BNI, BRI, MANDIRI, PERMATA) and
e-wallets (EWALLET: OVO, DANA, SHOPEEPAY, LINKAJA). Every create carries an Idempotency-key derived from our
payment, so a redelivered payment.requested opens nothing twice. XENDIT_API_BASE points the SDK's
Configuration(host=...) at another server (the tests' fake).

xenPlatform: sellers with a sub-account get their share (goods less commission) routed to it at payment time
by a split rule (POST /split_rules, then `with-split-rule` on the payment request); commission and delivery
fees stay on the platform's (master) account. /split_rules is not in the SDK, so that one call goes through
`requests` with the same key and host.

Callbacks carry the `x-callback-token` header, compared in constant time with XENDIT_CALLBACK_TOKEN. Where the
operator set XENDIT_WEBHOOK_SECRET (the products that sign their callbacks), every callback must also carry
`X-Callback-Signature`: hex HMAC-SHA256 under that secret over `<webhook-id>.<webhook-timestamp>.<raw body>`, with
`webhook-timestamp` (Unix seconds) within XENDIT_WEBHOOK_TOLERANCE_SECONDS (default 300) of our clock; a missing,
wrong or stale signature is refused before anything is read (see verify_signature).

Money: Xendit counts IDR in whole rupiah (no minor unit), as we do; amounts travel as JSON numbers."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import datetime

import requests
import xendit
from xendit.apis import PaymentMethodApi, PaymentRequestApi, RefundApi
from xendit.payment_request.model.e_wallet_channel_code import EWalletChannelCode
from xendit.payment_request.model.e_wallet_channel_properties import EWalletChannelProperties
from xendit.payment_request.model.e_wallet_parameters import EWalletParameters
from xendit.payment_request.model.payment_method_parameters import PaymentMethodParameters
from xendit.payment_request.model.payment_method_reusability import PaymentMethodReusability
from xendit.payment_request.model.payment_method_type import PaymentMethodType
from xendit.payment_request.model.payment_request_country import PaymentRequestCountry
from xendit.payment_request.model.payment_request_currency import PaymentRequestCurrency
from xendit.payment_request.model.payment_request_parameters import PaymentRequestParameters
from xendit.payment_request.model.qr_code_channel_code import QRCodeChannelCode
from xendit.payment_request.model.qr_code_channel_properties import QRCodeChannelProperties
from xendit.payment_request.model.qr_code_parameters import QRCodeParameters
from xendit.payment_request.model.virtual_account_channel_code import VirtualAccountChannelCode
from xendit.payment_request.model.virtual_account_channel_properties import VirtualAccountChannelProperties
from xendit.payment_request.model.virtual_account_parameters import VirtualAccountParameters
from xendit.refund.model.create_refund import CreateRefund

from pasar.config import setting

from .. import domain
from ..domain import NextAction, OpenRequest, ProviderReport, StartedPayment

log = logging.getLogger("payments.providers.xendit")

DEFAULT_CHANNELS = ("qris", "va_bca", "va_bni", "va_bri", "va_mandiri", "va_permata", "ewallet_ovo",
                    "ewallet_dana", "ewallet_shopeepay", "ewallet_linkaja")
# Xendit: bank transfers into a virtual account cannot be refunded through the API (the money is sent back by
# disbursement); QRIS and e-wallet payments can ("Refunds" guide, channels that support refunds).
REFUNDABLE_TYPES = ("QR_CODE", "EWALLET")
PAID = "SUCCEEDED"
WEBHOOK_TOLERANCE_SECONDS = 300  # a signed callback older (or newer) than this is refused: a replay
OVER_UNPAID = {"FAILED": "failed", "CANCELED": "cancelled", "VOIDED": "voided", "EXPIRED": "expired"}


class XenditProvider:
    name = "xendit"

    def __init__(self, api_key: str, host: str | None = None, callback_token: str | None = None,
                 webhook_secret: str | None = None, tolerance_seconds: int = WEBHOOK_TOLERANCE_SECONDS,
                 master_account_id: str | None = None):
        self.api_key = api_key
        self.host = (host or "https://api.xendit.co").rstrip("/")
        self.callback_token = callback_token
        self.webhook_secret = webhook_secret
        self.tolerance_seconds = tolerance_seconds
        self.master_account_id = master_account_id
        self.client = xendit.ApiClient(xendit.Configuration(host=self.host, api_key=api_key))

    # -- the SDK, answering plain JSON (the typed models are for what we send; what Xendit answers we read
    #    as documented JSON, so a field added on their side never breaks a payment)
    @staticmethod
    def _json(response) -> dict:
        return json.loads(response.data or b"{}")

    def open(self, request: OpenRequest) -> StartedPayment:
        """Two xenPlatform shapes ("Route & split payments for sub-accounts"):
        - the whole order is one seller's and they have a sub-account (request.for_user_id) and the master
          account is known: the payment is made on their sub-account (`for-user-id`; the shopper sees the seller,
          the money settles there) and the split rule routes the platform's part (commission and delivery fee)
          to the master account ("Partner to Platform");
        - otherwise the master account collects and the split rule routes each seller-with-a-sub-account's share
          to it ("Platform to Partner", a marketplace's several sellers)."""
        on_account = request.for_user_id if request.for_user_id and self.master_account_id and request.split else None
        if on_account:
            platform_part = request.amount - sum(route.amount for route in request.split)
            routes = [{"flat_amount": platform_part, "currency": "IDR", "destination_account_id": self.master_account_id,
                       "reference_id": f"{request.order_id}:platform"}] if platform_part > 0 else []
            split_rule = self._split_rule(request, routes) if routes else None
        else:
            split_rule = self._split_rule(request, [
                {"flat_amount": route.amount, "currency": "IDR", "destination_account_id": route.destination_account_id,
                 "reference_id": route.reference_id} for route in request.split]) if request.split else None
        kwargs = {"with_split_rule": split_rule} if split_rule else {}
        if on_account:
            kwargs["for_user_id"] = on_account
        created = self._json(PaymentRequestApi(self.client).create_payment_request(
            idempotency_key=f"pasar-{request.payment_id}-{request.channel}-open",
            payment_request_parameters=self._parameters(request), _preload_content=False, **kwargs))
        return StartedPayment(provider_ref=created["id"], next_action=next_action_of(created),
                              split_rule_id=split_rule, for_user_id=on_account)

    def _parameters(self, request: OpenRequest) -> PaymentRequestParameters:
        kind, network = domain.channel_kind(request.channel), domain.channel_network(request.channel)
        expires = datetime.fromisoformat(request.expires_at) if request.expires_at else None
        if kind == domain.NEXT_QR:
            method = PaymentMethodParameters(
                type=PaymentMethodType("QR_CODE"), reusability=PaymentMethodReusability("ONE_TIME_USE"),
                qr_code=QRCodeParameters(channel_code=QRCodeChannelCode("QRIS"),
                                         channel_properties=QRCodeChannelProperties(expires_at=expires)
                                         if expires else QRCodeChannelProperties()))
        elif kind == domain.NEXT_VA:
            properties = {"customer_name": "Pembeli Pasar Desa"}
            if expires:
                properties["expires_at"] = expires
            method = PaymentMethodParameters(
                type=PaymentMethodType("VIRTUAL_ACCOUNT"), reusability=PaymentMethodReusability("ONE_TIME_USE"),
                virtual_account=VirtualAccountParameters(
                    channel_code=VirtualAccountChannelCode(network), amount=float(request.amount),
                    channel_properties=VirtualAccountChannelProperties(**properties)))
        elif kind == domain.NEXT_DEEPLINK and network != "GOPAY":
            back = request.return_url or "https://pasardesa.invalid/"
            method = PaymentMethodParameters(
                type=PaymentMethodType("EWALLET"), reusability=PaymentMethodReusability("ONE_TIME_USE"),
                ewallet=EWalletParameters(channel_code=EWalletChannelCode(network),
                                          channel_properties=EWalletChannelProperties(
                                              success_return_url=back, failure_return_url=back)))
        else:
            raise domain.UnknownChannel(f"xendit does not offer the channel {request.channel!r}")
        return PaymentRequestParameters(
            reference_id=request.order_id, amount=float(request.amount), currency=PaymentRequestCurrency("IDR"),
            country=PaymentRequestCountry("ID"), payment_method=method,
            description=f"Pasar Desa order {request.order_id}",
            metadata={"order_id": request.order_id, "payment_id": request.payment_id})

    def _split_rule(self, request: OpenRequest, routes: list[dict]) -> str:
        """xenPlatform split rule (docs.xendit.co "Create split rule", POST /split_rules); the rule id goes in
        `with-split-rule`."""
        body = {"name": f"pasar-{request.order_id}"[:60], "description": f"Pasar Desa order {request.order_id}",
                "routes": routes}
        answer = requests.post(f"{self.host}/split_rules", json=body, auth=(self.api_key, ""), timeout=15,
                               headers={"Idempotency-key": f"pasar-{request.payment_id}-split-rule"})
        answer.raise_for_status()
        return answer.json()["id"]

    # every call about a payment made on a sub-account carries its `for-user-id` (it is that account's object)
    @staticmethod
    def _on(for_user_id: str | None) -> dict:
        return {"for_user_id": for_user_id} if for_user_id else {}

    def _payment_request(self, provider_ref: str, for_user_id: str | None = None) -> dict:
        return self._json(PaymentRequestApi(self.client).get_payment_request_by_id(
            provider_ref, _preload_content=False, **self._on(for_user_id)))

    def status(self, *, provider_ref: str, for_user_id: str | None = None) -> ProviderReport | None:
        return report_of_request(self._payment_request(provider_ref, for_user_id), f"xendit-status:{provider_ref}")

    lookup = status

    def cancel(self, *, provider_ref: str, order_id: str, for_user_id: str | None = None) -> ProviderReport | None:
        """Expire the request's one-time payment method (POST /v2/payment_methods/{id}/expire): no more money
        can arrive. If Xendit says it had been paid after all, say so (the service refunds)."""
        found = self._payment_request(provider_ref, for_user_id)
        if found.get("status") == PAID:
            return report_of_request(found, f"xendit-cancel-check:{provider_ref}")
        method_id = (found.get("payment_method") or {}).get("id")
        if method_id and found.get("status") not in OVER_UNPAID:
            PaymentMethodApi(self.client).expire_payment_method(method_id, _preload_content=False,
                                                                **self._on(for_user_id))
        return None

    def refund(self, *, provider_ref: str, order_id: str, amount: int, refund_key: str | None = None,
               for_user_id: str | None = None) -> str:
        """POST /refunds ("Create refund") with an Idempotency-key from `refund_key`; a payment made on a
        sub-account is refunded from that account (`for-user-id`)."""
        found = self._payment_request(provider_ref, for_user_id)
        method_type = (found.get("payment_method") or {}).get("type")
        if method_type not in REFUNDABLE_TYPES:
            raise domain.RefundNotSupported(f"xendit cannot refund a {method_type} payment through the API")
        refund = self._json(RefundApi(self.client).create_refund(
            idempotency_key=f"pasar-refund-{refund_key}" if refund_key else f"pasar-order-{order_id}-refund",
            create_refund=CreateRefund(payment_request_id=provider_ref, amount=float(amount), currency="IDR",
                                       reason="CANCELLATION", reference_id=f"{refund_key or order_id}-refund"),
            _preload_content=False, **self._on(for_user_id)))
        if refund.get("status") == "FAILED":
            raise RuntimeError(f"xendit refused the refund {refund.get('id')}: {refund.get('failure_code')}")
        return refund["id"]

    def refunded_total(self, *, provider_ref: str, for_user_id: str | None = None) -> int:
        """What Xendit refunded of this payment request in all (GET /refunds?payment_request_id=, "List refunds"),
        counting refunds that succeeded or are still on their way."""
        listed = self._json(RefundApi(self.client).get_all_refunds(payment_request_id=provider_ref,
                                                                   _preload_content=False, **self._on(for_user_id)))
        return sum(int(r.get("amount") or 0) for r in listed.get("data") or []
                   if r.get("status") in ("SUCCEEDED", "PENDING"))

    def reverse_split(self, *, source_account_id: str, amount: int, reference: str) -> str:
        """Take `amount` of a routed share back from a seller's sub-account to the platform's master account.
        Used when a split payment collected on the master account is refunded: the refund leaves the master
        account, the seller's share comes back to it."""
        return self.transfer_between(source=source_account_id, destination=None, amount=amount, reference=reference)

    def cover_refund(self, *, account_id: str, amount: int, reference: str) -> str:
        """Before a payment made on a seller's sub-account is refunded from it: the platform's part of the refund
        (what was routed to the master account: commission, delivery fee) goes back to that sub-account."""
        return self.transfer_between(source=None, destination=account_id, amount=amount, reference=reference)

    def transfer_between(self, *, source: str | None, destination: str | None, amount: int, reference: str) -> str:
        """xenPlatform "Create transfers" (POST /transfers: source_user_id -> destination_user_id; None is the
        master account). `reference` is unique per transfer and also the Idempotency-key: a retry moves nothing
        twice."""
        if not self.master_account_id:
            raise domain.SplitNotReversible("XENDIT_MASTER_ACCOUNT_ID is not set: no master account to transfer with")
        answer = requests.post(f"{self.host}/transfers", auth=(self.api_key, ""), timeout=15,
                               headers={"Idempotency-key": reference},
                               json={"reference": reference, "amount": amount,
                                     "source_user_id": source or self.master_account_id,
                                     "destination_user_id": destination or self.master_account_id})
        answer.raise_for_status()
        found = answer.json()
        if found.get("status") not in ("SUCCESSFUL", "PENDING"):
            raise RuntimeError(f"xendit refused the transfer {reference}: {found.get('status')}")
        return str(found.get("transfer_id") or reference)

    def parse_webhook(self, payload: bytes, headers) -> list[ProviderReport]:
        if not self.callback_token:
            raise domain.WebhookRejected("webhooks_not_configured", "xendit callbacks are not configured here")
        given = headers.get("x-callback-token") or ""
        if not hmac.compare_digest(given.encode(), self.callback_token.encode()):
            raise domain.WebhookRejected("bad_signature", "the x-callback-token does not match")
        if self.webhook_secret:
            verify_signature(payload, headers, self.webhook_secret, self.tolerance_seconds)
        try:
            body = json.loads(payload)
            event, data = body["event"], body["data"]
        except (ValueError, KeyError, TypeError) as exc:
            raise domain.WebhookRejected("bad_payload", "the callback is not a Xendit event") from exc
        # Xendit retries a callback with the same webhook-id; without one, the event and its object name it
        event_id = headers.get("webhook-id") or f"{event}:{data.get('id')}:{data.get('status')}"
        report = report_of_callback(event, data, f"xendit:{event_id}")
        return [report] if report is not None else []

    def transfer(self, *, destination: str, amount: int, order_id: str, payout_id: str) -> str:
        raise RuntimeError("xendit pays sellers by split rule at payment time, not by transfer")


def callback_signature(secret: str, webhook_id: str, timestamp: str, payload: bytes) -> str:
    """hex HMAC-SHA256 over `<webhook-id>.<timestamp>.<raw body>`, the bytes exactly as received."""
    signed = webhook_id.encode() + b"." + timestamp.encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(payload: bytes, headers, secret: str, tolerance_seconds: int = WEBHOOK_TOLERANCE_SECONDS,
                     now: float | None = None) -> None:
    """Refuse a callback whose X-Callback-Signature is missing or wrong (compared in constant time), or whose
    webhook-timestamp is not a whole number of seconds within `tolerance_seconds` of now (a replay)."""
    given = (headers.get("x-callback-signature") or "").strip().lower()
    stamp = (headers.get("webhook-timestamp") or "").strip()
    webhook_id = headers.get("webhook-id") or ""
    if not given or not stamp:
        raise domain.WebhookRejected("bad_signature", "the callback carries no X-Callback-Signature/timestamp")
    if not stamp.isdigit() or len(stamp) > 12:
        raise domain.WebhookRejected("bad_signature", "the webhook-timestamp is not a Unix time")
    expected = callback_signature(secret, webhook_id, stamp, payload)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise domain.WebhookRejected("bad_signature", "the X-Callback-Signature does not verify")
    if abs((time.time() if now is None else now) - int(stamp)) > tolerance_seconds:
        raise domain.WebhookRejected("stale_callback", "the callback's timestamp is too old: a replay")


def next_action_of(created: dict) -> NextAction:
    """What the shopper does next, from a payment request as Xendit answers it (docs.xendit.co
    "Create payment request": payment_method.<type>.channel_properties and actions[])."""
    method = created.get("payment_method") or {}
    kind = method.get("type")
    if kind == "QR_CODE":
        props = (method.get("qr_code") or {}).get("channel_properties") or {}
        return NextAction(domain.NEXT_QR, qr_string=props.get("qr_string"), expires_at=props.get("expires_at"))
    if kind == "VIRTUAL_ACCOUNT":
        va = method.get("virtual_account") or {}
        props = va.get("channel_properties") or {}
        return NextAction(domain.NEXT_VA, va_number=props.get("virtual_account_number"),
                          va_bank=va.get("channel_code"), expires_at=props.get("expires_at"))
    links = {a.get("url_type"): a.get("url") for a in created.get("actions") or [] if a.get("url")}
    return NextAction(domain.NEXT_DEEPLINK, deeplink=links.get("DEEPLINK") or links.get("MOBILE"),
                      redirect_url=links.get("WEB") or links.get("MOBILE") or links.get("DEEPLINK"))


def report_of_request(found: dict, event_id: str) -> ProviderReport | None:
    status = found.get("status")
    order_id = found.get("reference_id")
    if status == PAID:
        return ProviderReport(f"{event_id}:{status}", domain.OUTCOME_SUCCEEDED, found["id"],
                              int(found.get("amount") or 0) or None, None, order_id)
    if status in OVER_UNPAID:
        return ProviderReport(f"{event_id}:{status}", domain.OUTCOME_CANCELLED, found["id"], None,
                              found.get("failure_code") or OVER_UNPAID[status], order_id)
    return None


def report_of_callback(event: str, data: dict, event_id: str) -> ProviderReport | None:
    """docs.xendit.co "Payment webhook notification": payment.succeeded / payment.failed carry the payment
    (data.payment_request_id is ours); payment_request.expiry says no more money will come."""
    ref = data.get("payment_request_id") or data.get("id")
    order_id = data.get("reference_id")
    if event in ("payment.succeeded", "payment.capture"):
        return ProviderReport(event_id, domain.OUTCOME_SUCCEEDED, ref, int(data.get("amount") or 0) or None,
                              None, order_id)
    if event == "payment.failed":
        return ProviderReport(event_id, domain.OUTCOME_CANCELLED, ref, None, data.get("failure_code") or "failed",
                              order_id)
    if event in ("payment_request.expiry", "payment.expiry"):
        return ProviderReport(event_id, domain.OUTCOME_CANCELLED, ref, None, "expired", order_id)
    return None


def from_settings() -> XenditProvider:
    key = setting("XENDIT_SECRET_KEY")
    if not key:
        raise RuntimeError("XENDIT_SECRET_KEY is not set")
    return XenditProvider(key, setting("XENDIT_API_BASE"), setting("XENDIT_CALLBACK_TOKEN"),
                          webhook_secret=setting("XENDIT_WEBHOOK_SECRET"),
                          tolerance_seconds=int(setting("XENDIT_WEBHOOK_TOLERANCE_SECONDS")
                                                or WEBHOOK_TOLERANCE_SECONDS),
                          master_account_id=setting("XENDIT_MASTER_ACCOUNT_ID"))


def channels() -> tuple[str, ...]:
    return domain.parse_channel_list(setting("XENDIT_CHANNELS"), DEFAULT_CHANNELS)
