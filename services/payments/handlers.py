"""Payments event handlers."""
HANDLERS: dict = {}
