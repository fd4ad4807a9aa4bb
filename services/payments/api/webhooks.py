"""/api/v1/webhooks: what payment providers call. The signature is checked in service.py (through the
provider's verifier), never trusted from the gateway."""
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
