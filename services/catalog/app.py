"""Catalog service: shops, listings, search, photos, and the authority for price and stock."""
from pasar.web import create_service_app

from . import media
from .api import BLUEPRINTS
from .models import Base


def create_app(db=None, publish: bool = True):
    return create_service_app(
        "catalog", Base.metadata, list(BLUEPRINTS), title="Pasar Desa Catalog", db=db, publish=publish,
        description="Shops, products, search, photos; the authority for price and stock.",
        # photo uploads are the only large bodies; leave room for the multipart envelope
        extra_config={"MAX_CONTENT_LENGTH": media.max_photo_bytes() + 64 * 1024})
