"""Payments request and response schemas."""
