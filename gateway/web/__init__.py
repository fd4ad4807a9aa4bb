"""Server-rendered pages (storefront, seller dashboard, courier pages), served by the gateway.

`pages.bp` is the one `web` blueprint (hooks, template helpers); each page module adds its routes to it.
This package puts them together, so whoever imports `gateway.web` gets the whole blueprint, and
gateway/app.py registers it. pages.py imports no page module: the page modules import pages, never the
other way round."""
from __future__ import annotations

from . import (account_pages, complaint_pages, coop_pages, courier_pages, desk_pages, harvest_pages, operator_pages,
               questions_pages,
               review_pages,
               seller_pages, sharing, storefront)
from .pages import bp

PAGE_MODULES = (storefront, seller_pages, courier_pages, account_pages, sharing, questions_pages, review_pages,
                operator_pages, coop_pages, complaint_pages, desk_pages, harvest_pages)

__all__ = ["PAGE_MODULES", "bp"]
