"""Test mode without Stripe or a local rail: nothing leaves the machine. The shopper's test card decides the
outcome (domain.SANDBOX_CARDS) and that outcome is applied like a verified webhook."""
from __future__ import annotations

import uuid

from .. import domain
from ..domain import NextAction, OpenRequest, ProviderReport, StartedPayment


class SandboxProvider:
    name = "sandbox"

    def open(self, request: OpenRequest) -> StartedPayment:
        return self.start(payment_id=request.payment_id, order_id=request.order_id,
                          shopper_id=request.shopper_id, amount=request.amount)

    def start(self, *, payment_id: str, order_id: str, shopper_id: str, amount: int) -> StartedPayment:
        return StartedPayment(provider_ref=f"sbx_pi_{payment_id}", next_action=NextAction(domain.NEXT_CARD_FORM))

    def cancel(self, *, provider_ref: str, order_id: str) -> ProviderReport | None:
        return None

    def refund(self, *, provider_ref: str, order_id: str, amount: int, refund_key: str | None = None) -> str:
        return f"sbx_re_{uuid.uuid4().hex[:16]}"

    def status(self, *, provider_ref: str) -> ProviderReport | None:
        return None  # the sandbox keeps no state of its own: only the card form settles it

    lookup = status

    def parse_webhook(self, payload: bytes, headers) -> list[ProviderReport]:
        raise domain.WebhookRejected("no_webhooks", "the sandbox sends no webhooks: its card form is the report")

    def transfer(self, *, destination: str, amount: int, order_id: str, payout_id: str) -> str:
        raise RuntimeError("the sandbox has no connected accounts")
