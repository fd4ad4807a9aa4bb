"""Catalog HTTP API."""
from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy import select

from pasar.errors import not_found
from pasar.web import read_session

from .models import Listing
from .schemas import ListingOut

blp = Blueprint("products", __name__, url_prefix="/api/v1/products", description="Village products")


@blp.route("")
@blp.response(200, ListingOut(many=True))
def list_products():
    with read_session() as session:
        return session.scalars(select(Listing).where(Listing.status == "published").order_by(Listing.created_at)).all()


@blp.route("/<listing_id>")
@blp.response(200, ListingOut)
def get_product(listing_id: str):
    with read_session() as session:
        listing = session.get(Listing, listing_id)
        if listing is None or listing.status != "published":
            raise not_found("product")
        return listing
