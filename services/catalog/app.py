"""Catalog service: shops, listings, search, and the authority for price and stock."""
from pasar.web import create_service_app

from .api import blp
from .models import Base


def create_app(db=None):
    return create_service_app("catalog", Base.metadata, [blp], title="Pasar Desa Catalog", db=db)
