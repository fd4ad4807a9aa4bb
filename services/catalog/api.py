"""Catalog HTTP API: categories, shops, products (browse, search, manage, photos, stock ledger), media."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from flask import current_app, request, send_from_directory
from flask_smorest import Blueprint
from sqlalchemy import func, select

from pasar.auth import bearer_token, current_identity, require_roles
from pasar.stamps import new_id, utcnow
from pasar.errors import ApiError, not_found
from pasar.idempotency import idempotent
from pasar.web import ErrorOut, documents_errors, ctx, read_session, uow

from . import domain, media, service
from .models import Category, Listing, Photo, Seller, Shop, StockMovement
from .schemas import (CategoryIn, CategoryOut, ListingIn, ListingOut, ListingPage, ListingPatch, MovementOut,
                      PhotoOut, PhotoUpload, ShopIn, ShopListingArgs, ShopOut, ShopPage, ShopPatch, ShopQuery,
                      StatusIn, BrowseArgs)

categories_blp = Blueprint("categories", __name__, url_prefix="/api/v1/categories",
                           description="The managed list of product categories")
shops_blp = Blueprint("shops", __name__, url_prefix="/api/v1/shops",
                      description="Village shops, run by their seller or by an agent for crafters")
products_blp = Blueprint("products", __name__, url_prefix="/api/v1/products",
                         description="Village products: browse, search, manage")
media_blp = Blueprint("media", __name__, url_prefix="/api/v1/media", description="Photos and thumbnails")
BLUEPRINTS = (categories_blp, shops_blp, products_blp, media_blp)
BEARER = [{"bearerAuth": []}]
PUBLIC_MAX_AGE = 30  # seconds a browser or proxy may reuse a public read without asking


def conditional_get(response):
    """ETag on every successful read, 304 when the client already has it. Anonymous reads are public
    for a short while; reads with a token may differ per person, so they are private and revalidated."""
    if request.method != "GET" or response.status_code != 200 or response.direct_passthrough:
        return response
    if bearer_token() is None:
        response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Authorization")
    response.add_etag()
    return response.make_conditional(request)


for _bp in (categories_blp, shops_blp, products_blp):
    _bp.after_request(conditional_get)


MAX_PATH_ID = 250  # ids are 36 characters, media keys at most 200


def refuse_impossible_ids():
    """An id in the path longer than any key is simply not found, before it reaches the database (a NUL is
    refused for every app by the kernel's `refuse_unstorable_text`)."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and len(value) > MAX_PATH_ID:
            raise not_found()


for _bp in BLUEPRINTS:
    _bp.before_request(refuse_impossible_ids)




def _json_default(value):
    if isinstance(value, datetime):  # SQLite hands back naive UTC datetimes
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def plain_json(payload):
    """Hot public reads: the views are already plain dicts shaped like their documented schema, and
    dumping 20 listings through marshmallow again cost about a third of a page's time."""
    body = json.dumps(payload, ensure_ascii=False, default=_json_default, separators=(",", ":"))
    return current_app.response_class(body, mimetype="application/json")


def actor() -> domain.Actor:
    ident = current_identity()
    return domain.Actor(ident.user_id, ident.role)


def optional_actor() -> domain.Actor | None:
    ident = current_identity(optional=True)
    return domain.Actor(ident.user_id, ident.role) if ident else None


def manages(who: domain.Actor | None, shop: Shop | None) -> bool:
    return who is not None and shop is not None and domain.can_manage_shop(who, shop.seller_id, shop.agent_id)


def managed_shop(session, shop_id: str, who: domain.Actor, lock: bool = False) -> Shop:
    """The shop if `who` manages it; anyone else's shop is simply not found."""
    shop = service.get_for_update(session, ctx().db.is_postgres, Shop, shop_id) if lock else session.get(Shop, shop_id)
    if not manages(who, shop):
        raise not_found("shop")
    return shop


def managed_listing(session, listing_id: str, who: domain.Actor) -> tuple[Listing, Shop]:
    listing = service.get_for_update(session, ctx().db.is_postgres, Listing, listing_id)
    shop = session.get(Shop, listing.shop_id) if listing else None
    if listing is None or not manages(who, shop):
        raise not_found("product")
    return listing, shop


def check_category(session, slug: str) -> str:
    category = session.get(Category, slug)
    if category is None:
        raise ApiError(422, "some fields are not valid", fields={"category": [f"unknown category {slug!r}"]})
    return category.name_id


def read_upload() -> bytes:
    upload = request.files.get("photo")
    data = upload.read(media.max_photo_bytes() + 1) if upload else b""
    if len(data) > media.max_photo_bytes():
        message = f"the picture is larger than {media.max_photo_bytes() // 1024} KB"
        raise ApiError(413, message, fields={"photo": [message]})
    return data


# -- categories ----------------------------------------------------------------------------------
@categories_blp.route("")
@categories_blp.response(200, CategoryOut(many=True))
def list_categories():
    with read_session() as session:
        return session.scalars(select(Category).order_by(Category.position, Category.slug)).all()


@categories_blp.route("", methods=["POST"])
@documents_errors(categories_blp, 401, 403, 409, 422)
@categories_blp.arguments(CategoryIn)
@categories_blp.response(201, CategoryOut)
@categories_blp.doc(security=BEARER)
@require_roles("admin")
def add_category(data):
    with uow() as work:
        if work.session.get(Category, data["slug"]) is not None:
            raise ApiError(409, "this category already exists", "conflict", {"slug": ["already exists"]})
        category = Category(**data)
        work.session.add(category)
        work.commit()
        service.category_names(work.session, fresh=True)
        return {"slug": category.slug, "name_id": category.name_id, "name_en": category.name_en,
                "position": category.position}


# -- shops ---------------------------------------------------------------------------------------
@shops_blp.route("")
@documents_errors(shops_blp, 401, 422)
@shops_blp.arguments(ShopQuery, location="query")
@shops_blp.response(200, ShopPage)
def list_shops(args):
    who = actor() if args.get("mine") else optional_actor()
    with read_session() as session:
        query = service.shops_query(args, who if args.get("mine") else None)
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        page, per_page = args["page"], args["per_page"]
        shops = session.scalars(query.order_by(Shop.name, Shop.id).limit(per_page).offset((page - 1) * per_page)).all()
        counts = service.published_counts(session, [s.id for s in shops])
        return {"items": [service.shop_view(s, counts.get(s.id, 0), manages(who, s)) for s in shops],
                "total": total, "page": page, "per_page": per_page, "pages": -(-total // per_page)}


@shops_blp.route("", methods=["POST"])
@idempotent
@documents_errors(shops_blp, 401, 403, 422)
@shops_blp.arguments(ShopIn)
@shops_blp.response(201, ShopOut)
@shops_blp.doc(security=BEARER)
@require_roles("seller", "agent")
def create_shop(data):
    who = actor()
    shop_id = new_id()
    seller_id, agent_id = data.pop("seller_id"), data.pop("agent_id")
    if who.role != "admin" and (seller_id or agent_id):
        raise ApiError(422, "some fields are not valid", fields={
            k: ["only an admin may set this"] for k, v in (("seller_id", seller_id), ("agent_id", agent_id)) if v})
    if who.role == "seller":
        seller_id, agent_id = who.user_id, None
    elif who.role == "agent":  # a crafter without an account: the shop itself is the seller
        seller_id, agent_id = domain.crafter_seller_id(shop_id), who.user_id
    elif not seller_id and not agent_id:
        raise ApiError(422, "some fields are not valid", fields={"seller_id": ["give seller_id or agent_id"]})
    else:
        seller_id = seller_id or domain.crafter_seller_id(shop_id)
    with uow() as work:
        owner = work.session.get(Seller, seller_id)
        manager = work.session.get(Seller, agent_id) if agent_id else None
        if not data.get("owner_name"):
            data["owner_name"] = owner.name if owner else (current_identity().name if who.role == "seller" else "")
        if not data.get("whatsapp"):  # the directory's phone is the default pickup contact
            data["whatsapp"] = (owner and owner.phone) or (manager and manager.phone) or None
        shop = Shop(id=shop_id, seller_id=seller_id, agent_id=agent_id, **data)
        work.session.add(shop)
        work.commit()
        return service.shop_view(shop, 0, True)


@shops_blp.route("/<shop_id>")
@documents_errors(shops_blp, 404)
@shops_blp.response(200, ShopOut)
def get_shop(shop_id: str):
    who = optional_actor()
    with read_session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or (shop.status != "active" and not manages(who, shop)):
            raise not_found("shop")
        return service.shop_view(shop, service.published_counts(session, [shop.id]).get(shop.id, 0), manages(who, shop))


@shops_blp.route("/<shop_id>", methods=["PATCH"])
@documents_errors(shops_blp, 401, 403, 404, 422)
@shops_blp.arguments(ShopPatch)
@shops_blp.response(200, ShopOut)
@shops_blp.doc(security=BEARER)
@require_roles("seller", "agent")
def update_shop(data, shop_id: str):
    who = actor()
    with uow() as work:
        shop = managed_shop(work.session, shop_id, who, lock=True)
        for key, value in data.items():
            setattr(shop, key, value)
        if {"name", "district", "regency"} & set(data):  # these are part of every listing's search text
            names = service.category_names(work.session)
            for listing in work.session.scalars(select(Listing).where(Listing.shop_id == shop.id)):
                service.refresh_search_text(listing, shop, names.get(listing.category))
        work.commit()
        return service.shop_view(shop, service.published_counts(work.session, [shop.id]).get(shop.id, 0), True)


@shops_blp.route("/<shop_id>/photo", methods=["POST"])
@idempotent
@documents_errors(shops_blp, 401, 403, 404, 413, 422)
@shops_blp.arguments(PhotoUpload, location="files")
@shops_blp.response(200, ShopOut)
@shops_blp.doc(security=BEARER)
@require_roles("seller", "agent")
def upload_shop_photo(files, shop_id: str):
    """The shop's profile photo (JPEG/PNG/WebP), re-encoded with a small thumbnail."""
    return store_shop_photo(shop_id)


def store_shop_photo(shop_id: str) -> dict:
    who = actor()
    with uow() as work:
        shop = managed_shop(work.session, shop_id, who, lock=True)
        stored = store_or_422(read_upload(), f"shops/{shop.id}", new_id())
        old = shop.photo_key
        shop.photo_key = stored.image_key
        work.commit()
        view = service.shop_view(shop, service.published_counts(work.session, [shop.id]).get(shop.id, 0), True)
    if old:
        media.remove(old, old.replace(".jpg", "-thumb.jpg"))
    return view


@shops_blp.route("/<shop_id>/products")
@documents_errors(shops_blp, 404, 422)
@shops_blp.arguments(ShopListingArgs, location="query")
@shops_blp.response(200, ListingPage)
def shop_products(args, shop_id: str):
    """Published products of a shop; the shop's managers also see drafts and archived ones (`status`)."""
    who = optional_actor()
    with read_session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or (shop.status != "active" and not manages(who, shop)):
            raise not_found("shop")
        wanted = args.pop("status", None) or "published"
        manager = manages(who, shop)
        if wanted != "published" and not manager:
            raise not_found("shop")
        statuses = domain.STATUSES if wanted == "all" else (wanted,)
        return plain_json(service.search(session, ctx().db.is_postgres, {**args, "shop_id": shop.id},
                                         statuses=statuses, open_shops_only=not manager))


def store_or_422(data: bytes, folder: str, stem: str) -> media.StoredImage:
    try:
        return media.store_image(data, folder, stem)
    except media.BadImage as exc:
        status = 413 if "larger" in str(exc) else 422
        raise ApiError(status, str(exc), fields={"photo": [str(exc)]}) from exc


# -- products ------------------------------------------------------------------------------------
@products_blp.route("")
@documents_errors(products_blp, 422)
@products_blp.arguments(BrowseArgs, location="query")
@products_blp.response(200, ListingPage)
def browse(args):
    """Browse and search published products: words (`q`), filters, sort, pages with totals."""
    with read_session() as session:
        return plain_json(service.search(session, ctx().db.is_postgres, args))


@products_blp.route("", methods=["POST"])
@idempotent
@documents_errors(products_blp, 401, 403, 422)
@products_blp.arguments(ListingIn)
@products_blp.response(201, ListingOut)
@products_blp.doc(security=BEARER)
@require_roles("seller", "agent")
def create_listing(data):
    who = actor()
    with uow() as work:
        session = work.session
        shop = session.get(Shop, data["shop_id"])
        if not manages(who, shop):
            raise ApiError(422, "some fields are not valid", fields={"shop_id": ["no shop of yours has this id"]})
        category_name = check_category(session, data["category"])
        stock = data.pop("stock")
        listing = Listing(seller_id=shop.seller_id, stock=0, sold_count=0, **data)
        if listing.status == "published":
            listing.published_at = utcnow()
        service.refresh_search_text(listing, shop, category_name)
        session.add(listing)
        session.flush()
        service.move_stock(session, listing, "initial", stock, stock, actor_id=who.user_id, note="listing created")
        if listing.status == "published":
            work.emit("listing.published", service.listing_event(listing, shop), correlation_id=listing.id)
        work.commit()
        return service.listing_detail(session, listing)


@products_blp.route("/<listing_id>")
@documents_errors(products_blp, 404)
@products_blp.response(200, ListingOut)
def get_product(listing_id: str):
    who = optional_actor()
    with read_session() as session:
        listing = session.get(Listing, listing_id)
        shop = session.get(Shop, listing.shop_id) if listing else None
        visible = listing is not None and (listing.status == "published" and (shop is None or shop.status == "active"))
        if not visible and not manages(who, shop):
            raise not_found("product")
        return plain_json(service.listing_views(session, [(listing, shop)])[0])


@products_blp.route("/<listing_id>", methods=["PATCH"])
@documents_errors(products_blp, 401, 403, 404, 422)
@products_blp.arguments(ListingPatch)
@products_blp.response(200, ListingOut)
@products_blp.doc(security=BEARER)
@require_roles("seller", "agent")
def update_listing(data, listing_id: str):
    who = actor()
    with uow() as work:
        session = work.session
        listing, shop = managed_listing(session, listing_id, who)
        note = data.pop("stock_note", "") or "manual adjustment"
        new_stock = data.pop("stock", None)
        if "category" in data:
            check_category(session, data["category"])
        for key, value in data.items():
            setattr(listing, key, value)
        if new_stock is not None and new_stock != listing.stock:
            before = listing.stock
            service.move_stock(session, listing, "adjust", new_stock - before, abs(new_stock - before),
                               actor_id=who.user_id, note=note)
            if domain.dropped_below(before, listing.stock, listing.low_stock_threshold):
                work.emit("stock.low", service.listing_event(listing, shop), correlation_id=listing.id)
        if listing.status == "published":
            problems = domain.publish_problems(listing.title, listing.price, listing.category)
            if problems:
                raise ApiError(422, "some fields are not valid", fields=problems)
        service.refresh_search_text(listing, shop, service.category_names(session).get(listing.category))
        listing.updated_at = utcnow()
        if listing.status == "published":
            work.emit("listing.updated", service.listing_event(listing, shop), correlation_id=listing.id)
        work.commit()
        return service.listing_detail(session, listing)


@products_blp.route("/<listing_id>/status", methods=["POST"])
@documents_errors(products_blp, 401, 403, 404, 409, 422)
@products_blp.arguments(StatusIn)
@products_blp.response(200, ListingOut)
@products_blp.doc(security=BEARER)
@require_roles("seller", "agent")
def change_status(data, listing_id: str):
    """draft → published → archived (and back: archived → draft/published, published → draft)."""
    who = actor()
    with uow() as work:
        session = work.session
        listing, shop = managed_listing(session, listing_id, who)
        try:
            listing.status = domain.next_status(listing.status, data["status"])
        except domain.IllegalTransition as exc:
            raise ApiError(409, str(exc), "illegal_transition") from exc
        listing.updated_at = utcnow()
        if listing.status == "published":
            problems = domain.publish_problems(listing.title, listing.price, listing.category)
            if problems:
                raise ApiError(422, "this listing cannot be published yet", fields=problems)
            listing.published_at = utcnow()
            work.emit("listing.published", service.listing_event(listing, shop), correlation_id=listing.id)
        else:
            work.emit("listing.updated", service.listing_event(listing, shop), correlation_id=listing.id)
        work.commit()
        return service.listing_detail(session, listing)


@products_blp.route("/<listing_id>/photos", methods=["POST"])
@idempotent
@documents_errors(products_blp, 401, 403, 404, 409, 413, 422)
@products_blp.arguments(PhotoUpload, location="files")
@products_blp.response(201, PhotoOut)
@products_blp.doc(security=BEARER)
@require_roles("seller", "agent")
def upload_listing_photo(files, listing_id: str):
    """Upload a photo (JPEG/PNG/WebP); it is re-encoded and a small thumbnail is made for lists."""
    return store_listing_photo(listing_id)


def store_listing_photo(listing_id: str) -> dict:
    who = actor()
    with uow() as work:
        session = work.session
        listing, _ = managed_listing(session, listing_id, who)
        count = session.scalar(select(func.count()).select_from(Photo).where(Photo.listing_id == listing.id))
        if count >= 8:
            raise ApiError(409, "a listing has at most 8 photos", "too_many_photos")
        photo_id = new_id()
        stored = store_or_422(read_upload(), f"listings/{listing.id}", photo_id)
        photo = Photo(id=photo_id, listing_id=listing.id, position=count, image_key=stored.image_key,
                      thumb_key=stored.thumb_key, width=stored.width, height=stored.height)
        session.add(photo)
        listing.updated_at = utcnow()
        work.commit()
        return service.photo_view(photo)


@products_blp.route("/<listing_id>/photos/<photo_id>", methods=["DELETE"])
@documents_errors(products_blp, 401, 403, 404)
@products_blp.response(204)
@products_blp.doc(security=BEARER)
@require_roles("seller", "agent")
def delete_listing_photo(listing_id: str, photo_id: str):
    who = actor()
    with uow() as work:
        listing, _ = managed_listing(work.session, listing_id, who)
        photo = work.session.get(Photo, photo_id)
        if photo is None or photo.listing_id != listing.id:
            raise not_found("photo")
        keys = (photo.image_key, photo.thumb_key)
        work.session.delete(photo)
        work.commit()
    media.remove(*keys)
    return ""


@products_blp.route("/<listing_id>/stock-ledger")
@documents_errors(products_blp, 401, 403, 404, 422)
@products_blp.arguments(ShopQuery(only=("page", "per_page")), location="query")
@products_blp.response(200, MovementOut(many=True))
@products_blp.doc(security=BEARER)
@require_roles("seller", "agent")
def stock_ledger(args, listing_id: str):
    """Every stock movement of a listing, newest first (its managers only)."""
    who = actor()
    with read_session() as session:
        listing = session.get(Listing, listing_id)
        if listing is None or not manages(who, session.get(Shop, listing.shop_id)):
            raise not_found("product")
        return session.scalars(select(StockMovement).where(StockMovement.listing_id == listing.id)
                               .order_by(StockMovement.created_at.desc(), StockMovement.id)
                               .limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])).all()


# -- media ---------------------------------------------------------------------------------------
@media_blp.route("/<path:key>")
@documents_errors(media_blp, 404)
@media_blp.doc(responses={"200": {"description": "the JPEG picture",
                                  "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}})
def get_media(key: str):
    """A stored picture. Keys never change content (new uploads get new keys), so they cache for a year."""
    root = media.media_root()
    try:
        found = ".." not in key and key.endswith(".jpg") and (root / key).is_file()
    except (OSError, ValueError):  # a name the file system cannot even look up
        found = False
    if not found:
        raise not_found("picture")
    response = send_from_directory(root, key, mimetype="image/jpeg", max_age=365 * 24 * 3600, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


# The gateway allows large bodies only for multipart requests under /api/v1/media, so the uploads are
# also offered there (same handlers, same rules); phones' photos are often larger than a JSON body.
@media_blp.route("/products/<listing_id>/photos", methods=["POST"])
@idempotent
@documents_errors(media_blp, 401, 403, 404, 409, 413, 422)
@media_blp.arguments(PhotoUpload, location="files")
@media_blp.response(201, PhotoOut)
@media_blp.doc(security=BEARER)
@require_roles("seller", "agent")
def upload_listing_photo_via_media(files, listing_id: str):
    """Same as POST /api/v1/products/{listing_id}/photos, on the gateway's upload path."""
    return store_listing_photo(listing_id)


@media_blp.route("/shops/<shop_id>/photo", methods=["POST"])
@idempotent
@documents_errors(media_blp, 401, 403, 404, 413, 422)
@media_blp.arguments(PhotoUpload, location="files")
@media_blp.response(200, ShopOut)
@media_blp.doc(security=BEARER)
@require_roles("seller", "agent")
def upload_shop_photo_via_media(files, shop_id: str):
    """Same as POST /api/v1/shops/{shop_id}/photo, on the gateway's upload path."""
    return store_shop_photo(shop_id)
