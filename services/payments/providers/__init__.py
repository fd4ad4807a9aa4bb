"""Payment providers, one module each, behind one interface (domain.PaymentProvider): open / status / cancel /
refund / parse_webhook (and transfer, where the provider pays sellers). This registry is the only place that
knows which exist and which the operator turned on:

- `cod` (cash on delivery) and the card provider: `stripe` when STRIPE_SECRET_KEY is set, else the keyless
  `sandbox` (the default for `make run`);
- local rails: PAYMENT_PROVIDERS (e.g. "xendit,midtrans", default none) turns them on, in order of preference;
  XENDIT_CHANNELS / MIDTRANS_CHANNELS narrow the channels each offers. A channel goes to the first provider
  in PAYMENT_PROVIDERS that offers it."""
from __future__ import annotations

from pasar.config import setting

from .. import domain
from . import midtrans, xendit
from .cod import CashOnDeliveryProvider
from .sandbox import SandboxProvider
from .stripe import (STRIPE_WEBHOOK_TOLERANCE_SECONDS, StripeProvider, as_dict, from_stripe_amount,
                     make_stripe_client, parse_stripe_webhook, report_from_intent, to_stripe_amount,
                     verify_stripe_webhook)

LOCAL_RAILS = {"xendit": xendit, "midtrans": midtrans}
WEBHOOK_PROVIDERS = ("stripe", "xendit", "midtrans")  # those that call /api/v1/webhooks/<provider>


def card_provider_name() -> str:
    return "stripe" if setting("STRIPE_SECRET_KEY") else "sandbox"


def enabled_rails() -> list[tuple[str, tuple[str, ...]]]:
    """(provider, its channels) for every local rail the operator turned on, in PAYMENT_PROVIDERS' order."""
    names = [n.strip().lower() for n in (setting("PAYMENT_PROVIDERS") or "").split(",") if n.strip()]
    unknown = [n for n in names if n not in LOCAL_RAILS and n not in ("stripe", "sandbox", "cod")]
    if unknown:
        raise ValueError(f"PAYMENT_PROVIDERS names unknown providers: {', '.join(unknown)}")
    return [(name, LOCAL_RAILS[name].channels()) for name in names if name in LOCAL_RAILS]


def offered_channels() -> list[dict]:
    """What a shopper may choose at checkout: the card (Stripe or the sandbox) and every local rail's channels."""
    offered = [{"channel": domain.CHANNEL_CARD, "kind": domain.NEXT_CARD_FORM, "network": "CARD",
                "provider": card_provider_name()}]
    seen = {domain.CHANNEL_CARD}
    for provider, channels in enabled_rails():
        for channel in channels:
            if channel not in seen:
                seen.add(channel)
                offered.append({"channel": channel, "kind": domain.channel_kind(channel),
                                "network": domain.channel_network(channel), "provider": provider})
    return offered


def provider_for_channel(channel: str) -> str | None:
    if channel == domain.CHANNEL_CARD:
        return card_provider_name()
    return domain.provider_for_channel(channel, enabled_rails())


def get_provider(name: str) -> domain.PaymentProvider:
    if name == "stripe":
        return StripeProvider(make_stripe_client())
    if name == "sandbox":
        return SandboxProvider()
    if name == "cod":
        return CashOnDeliveryProvider()
    if name in LOCAL_RAILS:
        return LOCAL_RAILS[name].from_settings()
    raise ValueError(f"unknown payment provider {name!r}")


__all__ = ["CashOnDeliveryProvider", "LOCAL_RAILS", "STRIPE_WEBHOOK_TOLERANCE_SECONDS", "SandboxProvider",
           "StripeProvider", "WEBHOOK_PROVIDERS", "as_dict", "card_provider_name", "enabled_rails",
           "from_stripe_amount", "get_provider", "make_stripe_client", "offered_channels", "parse_stripe_webhook",
           "provider_for_channel", "report_from_intent", "to_stripe_amount", "verify_stripe_webhook"]
