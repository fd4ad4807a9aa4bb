"""Orders service: carts, checkout, the order saga, fulfillments and deliveries."""
from pasar.web import create_service_app

from . import complaint_photos
from .api import BLUEPRINTS
from .models import Base


def create_app(db=None):
    return create_service_app("orders", Base.metadata, BLUEPRINTS, title="Pasar Desa Orders", db=db,
                              # complaint photos come as multipart uploads, larger than the JSON bodies
                              extra_config={"MAX_CONTENT_LENGTH": complaint_photos.max_photo_bytes() + 64 * 1024})
