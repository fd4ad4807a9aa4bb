"""Notifications service."""
from pasar.web import create_service_app

from .api import blp
from .models import Base


def create_app(db=None):
    return create_service_app("notifications", Base.metadata, [blp], title="Pasar Desa Notifications", db=db)
