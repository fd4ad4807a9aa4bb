"""Orders HTTP API, one module per blueprint. Every route reads the same way: parse (schemas.py), authorise
(the token's role), one call into the service layer, shape the answer; the rules live in service.py and
domain.py. The order here is the order of the OpenAPI document's tags."""
from .cart import cart_blp
from .complaints import complaints_blp
from .couriers import couriers_blp
from .deliveries import deliveries_blp
from .fees import fees_blp
from .fulfillments import fulfillments_blp
from .orders import orders_blp
from .reviews import reviews_blp

BLUEPRINTS = [orders_blp, cart_blp, fulfillments_blp, couriers_blp, deliveries_blp, fees_blp, reviews_blp,
              complaints_blp]
