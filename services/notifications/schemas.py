"""Notifications request and response schemas."""
