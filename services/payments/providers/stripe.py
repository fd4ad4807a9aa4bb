"""Stripe (card) behind domain.PaymentProvider: PaymentIntents, signed webhooks, refunds, Connect transfers.

Only this module knows Stripe's units: IDR is a two-decimal currency at Stripe, so Rp 10.000 is
amount=1000000. Everything else in the service counts whole rupiah."""
from __future__ import annotations

import logging
import stripe

from pasar.config import setting

from .. import domain
from ..domain import NextAction, OpenRequest, ProviderReport, StartedPayment

log = logging.getLogger("payments.providers")

STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300


def to_stripe_amount(rupiah: int) -> int:
    if type(rupiah) is not int or rupiah < 0:
        raise ValueError(f"amount must be a non-negative int of rupiah, not {rupiah!r}")
    return rupiah * 100


def from_stripe_amount(minor: int) -> int:
    # we only ever ask Stripe for whole rupiah, so what it reports back divides by 100 exactly
    rupiah, cents = divmod(int(minor), 100)
    if cents:
        log.warning("stripe reported a fraction of a rupiah", extra={"minor": minor})
    return rupiah


def as_dict(obj) -> dict:
    """stripe 16's objects are not dicts (no .get); their plain form is."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def report_from_intent(intent, event_id: str) -> ProviderReport | None:
    """What a PaymentIntent's status means for us; None while it is still open at Stripe. A declined
    attempt (`requires_payment_method` with `last_payment_error`) is reported as OUTCOME_FAILED: one
    failed attempt, which the domain counts (domain.decline); the intent stays usable."""
    intent = as_dict(intent)
    status = intent["status"]
    ref = intent["id"]
    order_id = (intent.get("metadata") or {}).get("order_id")
    if status == "succeeded":
        received = intent.get("amount_received") or intent["amount"]
        return ProviderReport(event_id, domain.OUTCOME_SUCCEEDED, ref, from_stripe_amount(received), None, order_id)
    if status == "canceled":
        return ProviderReport(event_id, domain.OUTCOME_CANCELLED, ref, None,
                              intent.get("cancellation_reason"), order_id)
    error = intent.get("last_payment_error")
    if status == "requires_payment_method" and error:
        return ProviderReport(event_id, domain.OUTCOME_FAILED, ref, None,
                              error.get("code") or error.get("message") or "declined", order_id)
    return None


class StripeProvider:
    name = "stripe"

    def __init__(self, client: stripe.StripeClient):
        self.client = client

    def open(self, request: OpenRequest) -> StartedPayment:
        return self.start(payment_id=request.payment_id, order_id=request.order_id,
                          shopper_id=request.shopper_id, amount=request.amount)

    def start(self, *, payment_id: str, order_id: str, shopper_id: str, amount: int) -> StartedPayment:
        intent = self.client.v1.payment_intents.create(
            params={"amount": to_stripe_amount(amount), "currency": "idr", "payment_method_types": ["card"],
                    "metadata": {"order_id": order_id, "payment_id": payment_id, "shopper_id": shopper_id}},
            # the order is the idempotency key: a redelivered payment.requested never charges twice
            options={"idempotency_key": f"pasar-order-{order_id}-intent"})
        return StartedPayment(provider_ref=intent["id"], client_secret=intent["client_secret"],
                              next_action=NextAction(domain.NEXT_CARD_FORM))

    def cancel(self, *, provider_ref: str, order_id: str) -> ProviderReport | None:
        try:
            self.client.v1.payment_intents.cancel(
                provider_ref, options={"idempotency_key": f"pasar-order-{order_id}-cancel"})
            return None
        except stripe.InvalidRequestError:
            # cannot cancel: it already succeeded (or was cancelled). Ask Stripe which, and say so.
            intent = self.client.v1.payment_intents.retrieve(provider_ref)
            report = report_from_intent(intent, f"stripe-cancel-check:{provider_ref}")
            if report is None:
                raise
            return report if report.outcome == domain.OUTCOME_SUCCEEDED else None

    def refund(self, *, provider_ref: str, order_id: str, amount: int, refund_key: str | None = None) -> str:
        key = f"pasar-refund-{refund_key}" if refund_key else f"pasar-order-{order_id}-refund"
        refund = self.client.v1.refunds.create(
            params={"payment_intent": provider_ref, "amount": to_stripe_amount(amount),
                    "metadata": {"order_id": order_id, **({"part": refund_key} if refund_key else {})}},
            options={"idempotency_key": key})
        if as_dict(refund).get("status") in ("failed", "canceled"):
            raise RuntimeError(f"stripe refused the refund {refund['id']}: {as_dict(refund)['status']}")
        return refund["id"]

    def status(self, *, provider_ref: str) -> ProviderReport | None:
        return self.lookup(provider_ref=provider_ref)

    def lookup(self, *, provider_ref: str) -> ProviderReport | None:
        intent = self.client.v1.payment_intents.retrieve(provider_ref)
        report = report_from_intent(intent, f"stripe-lookup:{provider_ref}:{intent['status']}")
        if report is not None and report.outcome == domain.OUTCOME_FAILED:
            # declined but still open at Stripe (`requires_payment_method`): the shopper may try another card.
            # A decline is counted from its webhook (one event id per decline); a lookup cannot tell one
            # decline from the next, nor from the one its webhook already counted, so it counts none.
            return None
        return report

    def parse_webhook(self, payload: bytes, headers) -> list[ProviderReport]:
        """The Stripe-Signature header, verified with STRIPE_WEBHOOK_SECRET (service.receive_stripe_webhook
        keeps Stripe's own route and its 503 when no secret is set)."""
        report = verify_stripe_webhook(payload, headers.get("Stripe-Signature"), setting("STRIPE_WEBHOOK_SECRET") or "")
        return [report] if report is not None else []

    def transfer(self, *, destination: str, amount: int, order_id: str, payout_id: str) -> str:
        transfer = self.client.v1.transfers.create(
            params={"amount": to_stripe_amount(amount), "currency": "idr", "destination": destination,
                    "transfer_group": order_id, "metadata": {"order_id": order_id, "payout_id": payout_id}},
            options={"idempotency_key": f"pasar-payout-{payout_id}-transfer"})
        return transfer["id"]


def parse_stripe_webhook(payload: bytes, signature: str | None, secret: str) -> ProviderReport | None:
    """Verify with Stripe's own library (raises stripe.SignatureVerificationError or ValueError), then
    translate. None: a verified event we do not act on."""
    try:  # validly signed is not well formed: `[]` or `{}` signed with the secret must be a 400, not a 500
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=STRIPE_WEBHOOK_TOLERANCE_SECONDS)
        return _translate_event(as_dict(event))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError("the payload is not a Stripe event") from exc


def _translate_event(event: dict) -> ProviderReport | None:
    obj, kind = as_dict(event["data"]["object"]), event["type"]
    if not isinstance(kind, str) or not isinstance(event["id"], str):
        raise TypeError("not a Stripe event")
    if kind in ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled"):
        report = report_from_intent(obj, event["id"])
        if report is None and kind == "payment_intent.payment_failed":
            report = ProviderReport(event["id"], domain.OUTCOME_FAILED, obj["id"], None, "payment_failed",
                                    (obj.get("metadata") or {}).get("order_id"))
        return report
    if kind == "charge.refunded":
        if not obj.get("payment_intent"):
            return None
        return ProviderReport(event["id"], domain.OUTCOME_REFUNDED, obj["payment_intent"],
                              from_stripe_amount(obj.get("amount_refunded") or 0), "refunded",
                              (obj.get("metadata") or {}).get("order_id"))
    return None


def make_stripe_client(http_client: stripe.HTTPClient | None = None) -> stripe.StripeClient:
    """STRIPE_SECRET_KEY, and STRIPE_API_BASE to point at an emulator such as localstripe."""
    key = setting("STRIPE_SECRET_KEY")
    if not key:
        raise RuntimeError("STRIPE_SECRET_KEY is not set")
    base = setting("STRIPE_API_BASE")
    return stripe.StripeClient(key, http_client=http_client, max_network_retries=2,
                               base_addresses={"api": base} if base else None)


def verify_stripe_webhook(payload: bytes, signature: str | None, secret: str) -> ProviderReport | None:
    """parse_stripe_webhook with its refusals as domain.WebhookRejected, so the service layer needs no
    Stripe types (a second provider's webhook verifier answers the same way)."""
    try:
        return parse_stripe_webhook(payload, signature, secret)
    except stripe.SignatureVerificationError as exc:
        raise domain.WebhookRejected("bad_signature", "the Stripe signature does not verify") from exc
    except ValueError as exc:
        raise domain.WebhookRejected("bad_payload", "the webhook payload is not a Stripe event") from exc

