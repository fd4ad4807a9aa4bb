"""Payments HTTP API."""
from flask_smorest import Blueprint

blp = Blueprint("payments", __name__, url_prefix="/api/v1/payments", description="Payments")
