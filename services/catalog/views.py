"""Catalog's read side: the search and shop queries and the plain dicts the API answers with (shaped like
their documented schemas). Used by the use cases in service.py; nothing here writes."""
from __future__ import annotations

import math
import time

from sqlalchemy import and_, false, func, or_, select, text
from sqlalchemy.orm import Session

from . import domain, media
from .models import Category, Listing, Photo, Shop


def on_postgres(session: Session) -> bool:
    """Whether a read session talks to PostgreSQL (full-text search) or SQLite (LIKE)."""
    return session.get_bind().dialect.name == "postgresql"


CATEGORY_CACHE_SECONDS = 30.0
_category_cache: dict[str, tuple[float, dict[str, str]]] = {}


def category_names(session: Session, fresh: bool = False) -> dict[str, str]:
    """slug -> Bahasa Indonesia name. The list changes rarely (an admin adds one), and reading it on every
    listing page cost a sixth of the page, so each process keeps it for CATEGORY_CACHE_SECONDS."""
    key = str(session.get_bind().url)
    cached = _category_cache.get(key)
    if not fresh and cached and cached[0] > time.monotonic():
        return cached[1]
    names = dict(session.execute(select(Category.slug, Category.name_id)).all())
    _category_cache[key] = (time.monotonic() + CATEGORY_CACHE_SECONDS, names)
    return names


# -- search --------------------------------------------------------------------------------------
def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def listing_query(is_postgres: bool, args: dict, statuses: tuple[str, ...] = ("published",),
                  open_shops_only: bool = True):
    """The filtered query (listings joined with their shop) for browse and search, without ordering."""
    query = select(Listing, Shop).join(Shop, Shop.id == Listing.shop_id)
    if statuses:
        query = query.where(Listing.status.in_(statuses))
    if open_shops_only:
        query = query.where(Shop.status == "active")  # a closed shop's listings leave the market
    terms = domain.search_terms(args.get("q"))
    if terms:
        if is_postgres:
            query = query.where(text("to_tsvector('simple', listings.search_text) @@ to_tsquery('simple', :tsq)")
                                .bindparams(tsq=domain.tsquery_text(terms)))
        else:  # SQLite: every word must appear somewhere in the document (search_text is lower-case)
            query = query.where(and_(*[Listing.search_text.like(_like(t), escape="\\") for t in terms]))
    if args.get("category"):
        query = query.where(Listing.category == args["category"])
    if args.get("district"):
        query = query.where(func.lower(Shop.district) == args["district"].lower())
    if args.get("regency"):
        query = query.where(func.lower(Shop.regency) == args["regency"].lower())
    if args.get("shop_id"):
        query = query.where(Listing.shop_id == args["shop_id"])
    if args.get("min_price") is not None:
        query = query.where(Listing.price >= args["min_price"])
    if args.get("max_price") is not None:
        query = query.where(Listing.price <= args["max_price"])
    if args.get("in_stock"):
        query = query.where(Listing.stock > 0)
    return query


ORDERINGS = {
    "newest": (Listing.created_at.desc(), Listing.id),
    "price_asc": (Listing.price.asc(), Listing.id),
    "price_desc": (Listing.price.desc(), Listing.id),
    "popular": (Listing.sold_count.desc(), Listing.created_at.desc(), Listing.id),
}


def search(session: Session, is_postgres: bool, args: dict, statuses=("published",),
           open_shops_only: bool = True) -> dict:
    query = listing_query(is_postgres, args, statuses, open_shops_only)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page, per_page = args.get("page", 1), args.get("per_page", 20)
    rows = session.execute(query.order_by(*ORDERINGS[args.get("sort") or "newest"])
                           .limit(per_page).offset((page - 1) * per_page)).all()
    items = listing_views(session, rows)
    return {"items": items, "total": total, "page": page, "per_page": per_page,
            "pages": math.ceil(total / per_page) if total else 0}


# -- views ---------------------------------------------------------------------------------------
def photo_view(photo: Photo) -> dict:
    return {"id": photo.id, "url": media.url_for_key(photo.image_key), "thumb_url": media.url_for_key(photo.thumb_key),
            "width": photo.width, "height": photo.height, "position": photo.position}


def shop_brief(shop: Shop | None) -> dict | None:
    if shop is None:
        return None
    return {"id": shop.id, "name": shop.name, "village": shop.village, "district": shop.district,
            "regency": shop.regency, "province": shop.province, "agent_managed": shop.agent_id is not None}


def listing_views(session: Session, rows) -> list[dict]:
    """Views for (listing, shop) rows with two more queries in all (photos, categories), not per row."""
    ids = [listing.id for listing, _ in rows]
    photos: dict[str, list[Photo]] = {}
    if ids:
        for photo in session.scalars(select(Photo).where(Photo.listing_id.in_(ids))
                                     .order_by(Photo.position, Photo.created_at)):
            photos.setdefault(photo.listing_id, []).append(photo)
    names = category_names(session)
    return [listing_view(listing, shop, photos.get(listing.id, []), names) for listing, shop in rows]


def listing_view(listing: Listing, shop: Shop | None, photos: list[Photo], names: dict[str, str]) -> dict:
    return {
        "id": listing.id, "shop_id": listing.shop_id, "seller_id": listing.seller_id, "shop": shop_brief(shop),
        "title": listing.title, "description": listing.description, "category": listing.category,
        "category_name": names.get(listing.category) if listing.category else None, "unit": listing.unit,
        "price": listing.price, "stock": listing.stock, "in_stock": listing.stock > 0,
        "low_stock_threshold": listing.low_stock_threshold, "sold_count": listing.sold_count,
        "status": listing.status, "thumb_url": media.url_for_key(photos[0].thumb_key) if photos else None,
        "photos": [photo_view(p) for p in photos], "created_at": listing.created_at,
        "updated_at": listing.updated_at, "published_at": listing.published_at,
    }


def listing_detail(session: Session, listing: Listing) -> dict:
    shop = session.get(Shop, listing.shop_id)
    return listing_views(session, [(listing, shop)])[0]


def shop_view(shop: Shop, listing_count: int, manager: bool) -> dict:
    view = {
        "id": shop.id, "seller_id": shop.seller_id, "agent_id": shop.agent_id,
        "agent_managed": shop.agent_id is not None, "name": shop.name, "owner_name": shop.owner_name,
        "village": shop.village, "district": shop.district, "regency": shop.regency, "province": shop.province,
        "story": shop.story, "photo_url": media.url_for_key(shop.photo_key),
        "photo_thumb_url": media.url_for_key(shop.photo_key.replace(".jpg", "-thumb.jpg")) if shop.photo_key else None,
        "status": shop.status, "listing_count": listing_count, "created_at": shop.created_at, "can_manage": manager,
        "whatsapp_chat": bool(shop.whatsapp_chat),
        "chat_whatsapp": shop.whatsapp if shop.whatsapp_chat and shop.whatsapp else None,
    }
    if manager:  # contact details stay with the people who run the shop
        view.update(street=shop.street, whatsapp=shop.whatsapp)
    return view


def published_counts(session: Session, shop_ids: list[str]) -> dict[str, int]:
    if not shop_ids:
        return {}
    rows = session.execute(select(Listing.shop_id, func.count()).where(
        Listing.shop_id.in_(shop_ids), Listing.status == "published").group_by(Listing.shop_id))
    return dict(rows.all())


def shops_query(args: dict, managed_by: domain.Actor | None):
    query = select(Shop)
    if managed_by is not None:
        if managed_by.role == "seller":
            query = query.where(Shop.seller_id == managed_by.user_id)
        elif managed_by.role == "agent":
            query = query.where(Shop.agent_id == managed_by.user_id)
        elif managed_by.role != "admin":
            query = query.where(false())
    else:
        query = query.where(Shop.status == "active")
    if args.get("district"):
        query = query.where(func.lower(Shop.district) == args["district"].lower())
    if args.get("regency"):
        query = query.where(func.lower(Shop.regency) == args["regency"].lower())
    for term in domain.search_terms(args.get("q")):
        pattern = _like(term)
        query = query.where(or_(func.lower(Shop.name).like(pattern, escape="\\"),
                                func.lower(Shop.village).like(pattern, escape="\\"),
                                func.lower(Shop.regency).like(pattern, escape="\\")))
    return query
