"""Catalog's read side: the search and shop queries and the plain dicts the API answers with (shaped like
their documented schemas). Used by the use cases in service.py; nothing here writes."""
from __future__ import annotations

import math
import time

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pasar.stamps import utcnow

from . import domain, media
from .models import Category, Listing, Photo, SearchWord, Shop


def on_postgres(session: Session) -> bool:
    """Whether a session talks to PostgreSQL (pg_trgm corrections) or SQLite (difflib corrections)."""
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
# One query on both databases: a listing is found when every query word starts a word of its document
# (`LIKE '% word%'`, served on PostgreSQL by a pg_trgm GIN index) and ranked by where the words are: in its
# heading (title, category) above its shop, place or description, a whole word above a prefix.
def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _starts_word(column, term: str, whole: bool = False):
    return column.like(f"% {term} %" if whole else f"% {term}%")


def relevance(terms: list[str]):
    score = None
    for term in terms:
        points = case((_starts_word(Listing.search_heading, term, whole=True), 6),
                      (_starts_word(Listing.search_heading, term), 4),
                      (_starts_word(Listing.search_text, term, whole=True), 2), else_=1)
        score = points if score is None else score + points
    if len(terms) > 1:  # the words side by side in the heading, as typed
        score = score + case((_starts_word(Listing.search_heading, " ".join(terms)), 3), else_=0)
    return score


def listing_query(is_postgres: bool, args: dict, statuses: tuple[str, ...] = ("published",),
                  open_shops_only: bool = True, terms: list[str] | None = None):
    """The filtered query (listings joined with their shop) for browse and search, without ordering."""
    query = select(Listing, Shop).join(Shop, Shop.id == Listing.shop_id)
    if statuses:
        query = query.where(Listing.status.in_(statuses))
    if open_shops_only:
        query = query.where(Shop.status == "active")  # a closed shop's listings leave the market
        # so do listings and shops the operator hid (issue 16)
        query = query.where(Listing.hidden_at.is_(None), Shop.hidden_at.is_(None))
    terms = domain.search_terms(args.get("q")) if terms is None else terms
    if terms:
        query = query.where(and_(*[_starts_word(Listing.search_text, t) for t in terms]))
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
    # best rated first (the exact average: total / count), more reviews first among equals, unrated last
    "rating": (case((Listing.rating_count > 0, Listing.rating_total * 1.0 / Listing.rating_count), else_=0).desc(),
               Listing.rating_count.desc(), Listing.sold_count.desc(), Listing.id),
}


def ordering(sort: str | None, terms: list[str]):
    """Relevance first when there are words (and by default then); without words it means newest."""
    if (sort or "relevance") == "relevance":
        if not terms:
            return ORDERINGS["newest"]
        return (relevance(terms).desc(), Listing.sold_count.desc(), Listing.created_at.desc(), Listing.id)
    return ORDERINGS[sort]


def _page(session: Session, is_postgres: bool, args: dict, terms: list[str], statuses, open_shops_only) -> dict:
    query = listing_query(is_postgres, args, statuses, open_shops_only, terms=terms)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page, per_page = args.get("page", 1), args.get("per_page", 20)
    rows = session.execute(query.order_by(*ordering(args.get("sort"), terms))
                           .limit(per_page).offset((page - 1) * per_page)).all() if total else []
    return {"items": listing_views(session, rows), "total": total, "page": page, "per_page": per_page,
            "pages": math.ceil(total / per_page) if total else 0, "did_you_mean": None}


def search(session: Session, is_postgres: bool, args: dict, statuses=("published",),
           open_shops_only: bool = True) -> dict:
    """A page of listings. A query with no hits is tried once more with its misspelt words corrected
    (pg_trgm on PostgreSQL, difflib on SQLite); if that finds something, those hits come back with
    `did_you_mean` saying which words were searched instead."""
    terms = domain.search_terms(args.get("q"))
    answer = _page(session, is_postgres, args, terms, statuses, open_shops_only)
    if terms and not answer["total"]:
        suggestion = domain.corrected_query(terms, corrections(session, is_postgres, terms))
        if suggestion:
            retry = _page(session, is_postgres, args, domain.search_terms(suggestion), statuses, open_shops_only)
            if retry["total"]:
                answer = {**retry, "did_you_mean": suggestion}
    return answer


# -- "did you mean" ------------------------------------------------------------------------------
def remember_words(session: Session, words) -> None:
    """Add words to the list corrections are taken from (a word already there is left alone)."""
    rows = [{"word": w} for w in dict.fromkeys(words) if 0 < len(w) <= 80]
    if not rows:
        return
    insert = postgresql.insert if on_postgres(session) else sqlite.insert
    session.execute(insert(SearchWord).on_conflict_do_nothing(index_elements=["word"]), rows)


MIN_CORRECTABLE = 4  # "teh" or "ubi" are words, not typos of something longer


def corrections(session: Session, is_postgres: bool, terms: list[str]) -> dict[str, str]:
    """Each term that starts no known word, with the known word closest to it."""
    found: dict[str, str] = {}
    for term in terms:
        if len(term) < MIN_CORRECTABLE or session.scalar(
                select(SearchWord.word).where(SearchWord.word.like(f"{term}%")).limit(1)) is not None:
            continue
        if is_postgres:  # `%`: trigram similarity above pg_trgm.similarity_threshold (0.3), served by the index
            best = session.scalar(select(SearchWord.word).where(SearchWord.word.op("%")(term))
                                  .order_by(func.similarity(SearchWord.word, term).desc(), SearchWord.word).limit(1))
        else:
            same_start = session.scalars(select(SearchWord.word).where(
                SearchWord.word.like(f"{term[0]}%"),
                func.length(SearchWord.word).between(len(term) - 2, len(term) + 2)))
            best = next(iter(domain.close_words(term, list(same_start))), None)
        if best:
            found[term] = best
    return found


# -- views ---------------------------------------------------------------------------------------
def photo_view(photo: Photo) -> dict:
    return {"id": photo.id, "url": media.url_for_key(photo.image_key), "thumb_url": media.url_for_key(photo.thumb_key),
            "width": photo.width, "height": photo.height, "position": photo.position}


def shop_brief(shop: Shop | None) -> dict | None:
    if shop is None:
        return None
    return {"id": shop.id, "name": shop.name, "village": shop.village, "district": shop.district,
            "regency": shop.regency, "province": shop.province, "agent_managed": shop.agent_id is not None,
            "district_code": domain.region_codes(shop.village_code)["district_code"]}


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
    expired = domain.expired(listing.harvested_on, listing.shelf_life_days, utcnow().date())
    return {
        "id": listing.id, "shop_id": listing.shop_id, "seller_id": listing.seller_id, "shop": shop_brief(shop),
        "title": listing.title, "description": listing.description, "category": listing.category,
        "category_name": names.get(listing.category) if listing.category else None, "unit": listing.unit,
        "price": listing.price, "stock": listing.stock, "in_stock": listing.stock > 0 and not expired,
        "min_qty": listing.min_qty or 1, "qty_step": listing.qty_step or 1, "harvested_on": listing.harvested_on,
        "shelf_life_days": listing.shelf_life_days, "expired": expired, "deliver_within": listing.deliver_within or "",
        "delivery_window": bool(listing.delivery_window),
        "sellable_until": domain.sellable_until(listing.harvested_on, listing.shelf_life_days),
        "low_stock_threshold": listing.low_stock_threshold, "sold_count": listing.sold_count,
        "status": listing.status, "thumb_url": media.url_for_key(photos[0].thumb_key) if photos else None,
        "photos": [photo_view(p) for p in photos], "created_at": listing.created_at,
        "updated_at": listing.updated_at, "published_at": listing.published_at,
        **rating_and_moderation(listing),
    }


def listing_detail(session: Session, listing: Listing) -> dict:
    shop = session.get(Shop, listing.shop_id)
    return listing_views(session, [(listing, shop)])[0]


def rating_and_moderation(thing) -> dict:
    """Stars (issue 16) and, for a listing or shop the operator hid, when and why."""
    return {"rating_average": domain.rating_average(thing.rating_total, thing.rating_count),
            "rating_count": thing.rating_count or 0,
            "hidden": {"at": thing.hidden_at, "reason": thing.hidden_reason} if thing.hidden_at else None}


def shop_view(shop: Shop, listing_count: int, manager: bool) -> dict:
    view = {
        "id": shop.id, "seller_id": shop.seller_id, "agent_id": shop.agent_id,
        "agent_managed": shop.agent_id is not None, "name": shop.name, "owner_name": shop.owner_name,
        "village": shop.village, "district": shop.district, "regency": shop.regency, "province": shop.province,
        **domain.region_codes(shop.village_code), "story": shop.story, "photo_url": media.url_for_key(shop.photo_key),
        "photo_thumb_url": media.url_for_key(shop.photo_key.replace(".jpg", "-thumb.jpg")) if shop.photo_key else None,
        "status": shop.status, "listing_count": listing_count, "created_at": shop.created_at, "can_manage": manager,
        "whatsapp_chat": bool(shop.whatsapp_chat), **rating_and_moderation(shop),
        "chat_whatsapp": shop.whatsapp if shop.whatsapp_chat and shop.whatsapp else None,
    }
    if manager:  # contact details stay with the people who run the shop
        view.update(street=shop.street, whatsapp=shop.whatsapp, village_suggestion=shop.village_suggestion,
                    village_flag=shop.village_flag)
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
        query = query.where(Shop.status == "active", Shop.hidden_at.is_(None))
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
