"""The delivery tariff, public: a shopper sees the whole price before ordering."""
from __future__ import annotations

from flask_smorest import Blueprint

from .. import service
from ..schemas import DeliveryFeeArgs, DeliveryFeesOut

fees_blp = Blueprint("delivery-fees", __name__, url_prefix="/api/v1/delivery-fees",
                     description="The delivery tariff, so a shopper sees the whole price before ordering")


@fees_blp.route("", methods=["GET"])
@fees_blp.arguments(DeliveryFeeArgs, location="query")
@fees_blp.response(200, DeliveryFeesOut)
def delivery_fees(args):
    """The fee per seller from each shop's district to the shopper's (public: it is the published tariff).
    Checkout charges exactly this: the catalog's pickup district and the delivery address' district."""
    return service.delivery_fees(args["from_"], args.get("to")), 200, {"Cache-Control": "public, max-age=300"}
