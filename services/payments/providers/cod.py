"""Cash on delivery: cash changes hands at the door; nothing to open, void or look up remotely."""
from __future__ import annotations

from .. import domain
from ..domain import OpenRequest, ProviderReport, StartedPayment


class CashOnDeliveryProvider:
    name = "cod"

    def open(self, request: OpenRequest) -> StartedPayment:
        return self.start(payment_id=request.payment_id, order_id=request.order_id,
                          shopper_id=request.shopper_id, amount=request.amount)

    def start(self, *, payment_id: str, order_id: str, shopper_id: str, amount: int) -> StartedPayment:
        return StartedPayment(provider_ref=f"cod_{payment_id}")

    def cancel(self, *, provider_ref: str, order_id: str) -> ProviderReport | None:
        return None

    def refund(self, *, provider_ref: str, order_id: str, amount: int, refund_key: str | None = None) -> str:
        raise RuntimeError("cash on delivery is never collected before a cancellation can happen")

    def status(self, *, provider_ref: str) -> ProviderReport | None:
        return None

    lookup = status

    def parse_webhook(self, payload: bytes, headers) -> list[ProviderReport]:
        raise domain.WebhookRejected("no_webhooks", "cash on delivery sends no webhooks")

    def transfer(self, *, destination: str, amount: int, order_id: str, payout_id: str) -> str:
        raise RuntimeError("cash on delivery has no connected accounts")
