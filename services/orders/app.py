"""Orders service: carts, checkout, the order saga, fulfillments and deliveries."""
from pasar.web import create_service_app

from .api import BLUEPRINTS
from .models import Base


def create_app(db=None):
    return create_service_app("orders", Base.metadata, BLUEPRINTS, title="Pasar Desa Orders", db=db)
