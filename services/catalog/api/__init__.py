"""Catalog HTTP API, one module per blueprint: categories, shops, products (browse, search, manage, photos,
stock ledger), media. Each route parses, authorises, makes one call into service.py and shapes the answer."""
from . import categories, cs_staff, media, products, questions, shops

BLUEPRINTS = (categories.blp, shops.blp, products.blp, media.blp, questions.blp, cs_staff.blp)
