"""/api/v1/webhooks/<provider>: what payment providers call, one route each. The signature is checked in
service.py (through the provider's own verifier), never trusted from the gateway."""
from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from pasar.web import uow

from .. import service

webhooks_blp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks", description="Provider webhooks")


@webhooks_blp.route("/stripe", methods=["POST"])
@webhooks_blp.doc(description="Stripe calls this; the Stripe-Signature header is verified with "
                              "STRIPE_WEBHOOK_SECRET. Forged, tampered or stale → 400.")
def stripe_webhook():
    return service.receive_stripe_webhook(request.get_data(), request.headers.get("Stripe-Signature"), uow)


@webhooks_blp.route("/xendit", methods=["POST"])
@webhooks_blp.doc(description="Xendit calls this; the x-callback-token header is compared (in constant time) "
                              "with XENDIT_CALLBACK_TOKEN. Wrong or missing → 400; applied once per webhook-id.")
def xendit_webhook():
    return service.receive_webhook("xendit", request.get_data(), request.headers, uow)


@webhooks_blp.route("/midtrans", methods=["POST"])
@webhooks_blp.doc(description="Midtrans calls this; signature_key = SHA512(order_id + status_code + gross_amount "
                              "+ server key) is verified, then the status is re-queried from Midtrans. "
                              "Forged → 400; applied once per transaction status.")
def midtrans_webhook():
    return service.receive_webhook("midtrans", request.get_data(), request.headers, uow)
