"""Notifications event handlers."""
HANDLERS: dict = {}
