"""Notifications rules, free of Flask and SQLAlchemy."""
