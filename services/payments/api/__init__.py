"""Payments HTTP API, one blueprint per module: a shopper's payment and the sandbox card form
(payments), provider webhooks (webhooks), ledger balances (balances) and payouts (payouts).

Every route parses (schemas.py), authorises (roles), calls one function of service.py and answers;
no query, no commit and no rule lives here."""
from .balances import balances_blp
from .cooperatives import coops_blp
from .payments import blp
from .payouts import payouts_blp
from .webhooks import webhooks_blp

BLUEPRINTS = [blp, webhooks_blp, balances_blp, payouts_blp, coops_blp]  # this order is the OpenAPI document's

__all__ = ["BLUEPRINTS", "balances_blp", "coops_blp", "blp", "payouts_blp", "webhooks_blp"]
