"""Payments service."""
from pasar.web import create_service_app

from . import service
from .api import BLUEPRINTS
from .models import Base


def create_app(db=None, publish: bool = True):
    service.max_card_attempts()  # a bad MAX_CARD_ATTEMPTS stops the start, not a shopper's payment
    return create_service_app("payments", Base.metadata, BLUEPRINTS,
                              title="Pasar Desa Payments", db=db, publish=publish)
