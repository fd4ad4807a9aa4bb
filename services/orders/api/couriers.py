"""The courier's own profile: district and whether they are on duty."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles, require_verified_phone
from pasar.web import read_session, uow

from .. import service
from ..schemas import CourierIn, CourierOut
from .answers import AUTH

couriers_blp = Blueprint("couriers", __name__, url_prefix="/api/v1/couriers", description="Courier profile")


@couriers_blp.route("/me", methods=["GET"])
@couriers_blp.response(200, CourierOut)
@couriers_blp.doc(security=AUTH)
@require_roles("courier")
def get_me():
    who = current_identity()
    with read_session() as session:
        return service.courier_profile(session, who.user_id, who.name, who.district)


@couriers_blp.route("/me", methods=["PUT"])
@couriers_blp.arguments(CourierIn)
@couriers_blp.response(200, CourierOut)
@couriers_blp.doc(security=AUTH)
@require_roles("courier")
def set_me(body):
    """Go on or off duty (and optionally set the service district)."""
    who = current_identity()
    if body["available"]:  # on duty, the dispatcher offers deliveries: only with a proven phone (issue 18)
        require_verified_phone()
    return service.set_duty(uow(), who.user_id, who.name, who.district, body["available"], body.get("district"),
                            body.get("district_code"))
