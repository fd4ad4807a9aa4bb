"""Payments rules, free of Flask and SQLAlchemy."""
