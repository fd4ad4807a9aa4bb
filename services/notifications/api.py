"""Notifications HTTP API."""
from flask_smorest import Blueprint

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="Notifications")
