"""The official regions (pickers, type-ahead) and a shopper's saved addresses: /api/v1/regions, /api/v1/auth/me/addresses.
Routes only; the work is in regions.py."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import require_roles
from pasar.errors import ApiError

from . import domain, regions
from .api import _me
from .protection import api_limit
from .schemas import (AddressIn, AddressListOut, AddressOut, RegionListOut, RegionMatchOut, RegionMatchQuery,
                      RegionOut, RegionQuery, RegionSearchOut, RegionSearchQuery)

regions_blp = Blueprint("regions", __name__, url_prefix="/api/v1/regions",
                        description="Kemendagri regions: province → regency/city → district → village")
addresses_blp = Blueprint("addresses", __name__, url_prefix="/api/v1/auth/me/addresses",
                          description="A shopper's saved delivery addresses")
_LEVEL = {name: level for level, name in domain.REGION_LEVELS.items()}


@regions_blp.route("", methods=["GET"])
@api_limit
@regions_blp.arguments(RegionQuery, location="query")
@regions_blp.response(200, RegionListOut)
def list_regions(args):
    """The provinces, or the regions one level under `parent` (for stepwise selects)."""
    return {"items": regions.children(args.get("parent"))}


@regions_blp.route("/search", methods=["GET"])
@api_limit
@regions_blp.arguments(RegionSearchQuery, location="query")
@regions_blp.response(200, RegionSearchOut)
def search_regions(args):
    """Type-ahead: regions whose name starts with `q` (villages by default), each with the regions above it."""
    return {"items": regions.search(args["q"], _LEVEL[args["level"]])}


@regions_blp.route("/match", methods=["GET"])
@api_limit
@regions_blp.arguments(RegionMatchQuery, location="query")
@regions_blp.response(200, RegionMatchOut)
def match_region(args):
    """The village code a typed address most likely means (migrating free-text addresses); `sure` is false when
    the names fit several places or none, so the person is asked to confirm."""
    return regions.best_match(args)


@regions_blp.route("/<code>", methods=["GET"])
@api_limit
@regions_blp.response(200, RegionOut)
@regions_blp.alt_response(404, description="no such region")
def get_region(code: str):
    found = regions.chain(code)
    if not found:
        raise ApiError(404, "region not found", "not_found")
    return found[domain.REGION_LEVELS[domain.region_level(code)]]


@addresses_blp.route("", methods=["GET"])
@api_limit
@addresses_blp.response(200, AddressListOut)
@addresses_blp.doc(security=[{"bearerAuth": []}])
@require_roles("shopper")
def list_addresses():
    return {"items": regions.addresses(_me().id)}


@addresses_blp.route("", methods=["POST"])
@api_limit
@addresses_blp.arguments(AddressIn)
@addresses_blp.response(201, AddressOut)
@addresses_blp.alt_response(409, description="too many saved addresses")
@addresses_blp.alt_response(422, description="invalid fields")
@addresses_blp.doc(security=[{"bearerAuth": []}])
@require_roles("shopper")
def add_address(data):
    """Save an address (at most 10); its village code gives the district, regency and province."""
    return regions.save_address(_me().id, data)


@addresses_blp.route("/<address_id>", methods=["DELETE"])
@api_limit
@addresses_blp.response(204)
@addresses_blp.doc(security=[{"bearerAuth": []}])
@require_roles("shopper")
def delete_address(address_id: str):
    regions.delete_address(_me().id, address_id[:36])
