"""Every catalog use case, once: the routes in api/ and the event handlers in handlers.py each call one
function here. They take plain arguments (ids, the acting person, validated dicts) and a unit of work (or a
read session), and raise pasar.errors.ApiError the API answers as it is.

Who commits: the use cases behind a request commit their own unit of work (and only then publish or tidy
up files); the ones behind an event leave the commit to the worker, which records the event in the inbox in
the same transaction so it is applied once."""
from __future__ import annotations

from contextlib import closing
from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pasar import quantity
from pasar.db import UnitOfWork
from pasar.errors import ApiError, not_found
from pasar.stamps import new_id, utcnow

from . import domain, media, views
from .domain import Actor
from .models import (Category, HarvestBatch, Listing, ModerationAction, OrderShopper, Photo, Reservation, ReviewRating,
                     Seller, Shop, StockAnswer, StockMovement)
from .views import category_names


# -- locking -------------------------------------------------------------------------------------
def get_for_update(session: Session, is_postgres: bool, model, key):
    """A row locked for the rest of the transaction on PostgreSQL (SQLite already holds the write lock
    from BEGIN IMMEDIATE)."""
    if not is_postgres:
        return session.get(model, key)
    return session.get(model, key, with_for_update=True, populate_existing=True)


# -- the stock ledger ----------------------------------------------------------------------------
def move_stock(session: Session, listing: Listing, kind: str, change: Decimal, qty: Decimal, *, order_id=None,
               actor_id=None, note: str = "") -> StockMovement:
    """Change available stock and record it; the caller holds the listing's row lock."""
    listing.stock = Decimal(listing.stock or 0) + Decimal(change)   # exact: 10 kg - 1.5 kg is 8.5 kg
    if listing.stock < 0:  # the reservation rules prevent this; refuse loudly rather than oversell
        raise ValueError(f"stock of listing {listing.id} would go negative")
    movement = StockMovement(listing_id=listing.id, kind=kind, change=change, qty=qty,
                             stock_after=listing.stock, order_id=order_id, actor_id=actor_id, note=note[:200])
    session.add(movement)
    return movement


def listing_event(listing: Listing, shop: Shop | None) -> dict:
    """Quantities in their wire form (an int when whole, else a decimal string); the buying terms (unit,
    minimum, step, last day it sells, how near it delivers) let orders refuse a bad quantity at once."""
    until = domain.sellable_until(listing.harvested_on, listing.shelf_life_days)
    return {"listing_id": listing.id, "shop_id": listing.shop_id, "title": listing.title, "price": listing.price,
            "stock": quantity.wire(listing.stock), "seller_id": listing.seller_id,
            "agent_id": shop.agent_id if shop else None,
            "shop_name": shop.name if shop else "", "status": listing.status, "unit": listing.unit,
            "low_stock_threshold": listing.low_stock_threshold,
            "min_qty": quantity.wire(listing.min_qty or 1), "qty_step": quantity.wire(listing.qty_step or 1),
            "sellable_until": until.isoformat() if until else None, "deliver_within": listing.deliver_within or "",
            "delivery_window": bool(listing.delivery_window),
            "shop_district": shop.district if shop else "", "shop_regency": shop.regency if shop else "",
            # the version of these terms: taken under the listing's row lock, so a later change has a later stamp
            # and orders keeps the newest terms whatever order the events arrive in
            "as_of": utcnow().isoformat()}


def _produce_terms(listing: Listing) -> None:
    """The listing's own minimum and step must make sense for its unit (422 naming the field)."""
    problems = domain.quantity_rule_problems(listing.unit, Decimal(listing.min_qty or 1),
                                             Decimal(listing.qty_step or 1))
    if listing.unit not in domain.MEASURED_UNITS and listing.stock is not None \
            and Decimal(listing.stock) != Decimal(listing.stock).to_integral_value():
        problems["stock"] = [f"a listing sold per {listing.unit} is counted in whole numbers"]
    if (listing.harvested_on is None) != (listing.shelf_life_days is None):
        problems["shelf_life_days" if listing.shelf_life_days is None else "harvested_on"] = [
            "give the harvest date and the shelf life together"]
    if problems:
        raise _invalid(problems)


def refresh_search_text(session: Session, listing: Listing, shop: Shop | None, category_name: str | None) -> None:
    """The listing's search document and heading again, and any new word into the "did you mean" list."""
    listing.search_text = domain.search_document(
        listing.title, listing.description or "", shop.name if shop else "", category_name or "",
        shop.regency if shop else "", shop.district if shop else "", shop.village if shop else "")
    listing.search_heading = domain.search_heading(listing.title, category_name or "")
    views.remember_words(session, listing.search_text.split())


def pickup_phone(session: Session, shop: Shop) -> str:
    """The shop's WhatsApp number, else its seller's phone, else its agent's (from the sellers directory)."""
    if shop.whatsapp:
        return shop.whatsapp
    for user_id in (shop.seller_id, shop.agent_id):
        if user_id:
            seller = session.get(Seller, user_id)
            if seller is not None and seller.phone:
                return seller.phone
    return ""


# -- who manages what (a shop or listing someone does not manage is simply not found) -------------
def manages(who: Actor | None, shop: Shop | None) -> bool:
    return who is not None and shop is not None and domain.can_manage_shop(who, shop.seller_id, shop.agent_id)


def _managed_shop(work: UnitOfWork, shop_id: str, who: Actor) -> Shop:
    """The shop, locked, if `who` manages it."""
    shop = get_for_update(work.session, work.db.is_postgres, Shop, shop_id)
    if not manages(who, shop):
        raise not_found("shop")
    return shop


def _managed_listing(work: UnitOfWork, listing_id: str, who: Actor) -> tuple[Listing, Shop]:
    """The listing, locked, with its shop, if `who` manages that shop."""
    listing = get_for_update(work.session, work.db.is_postgres, Listing, listing_id)
    shop = work.session.get(Shop, listing.shop_id) if listing else None
    if listing is None or not manages(who, shop):
        raise not_found("product")
    return listing, shop


def _visible_shop(session: Session, shop_id: str, who: Actor | None) -> Shop:
    """An open shop for anyone; a closed one only for its managers."""
    shop = session.get(Shop, shop_id)
    if shop is None or (domain.moderated(shop.status, shop.hidden_at) != "active" and not manages(who, shop)):
        raise not_found("shop")
    return shop


def _invalid(fields: dict) -> ApiError:
    return ApiError(422, "some fields are not valid", fields=fields)


def _category_name(session: Session, slug: str) -> str:
    category = session.get(Category, slug)
    if category is None:
        raise _invalid({"category": [f"unknown category {slug!r}"]})
    return category.name_id


def _publishable(listing: Listing, message: str = "some fields are not valid") -> None:
    problems = domain.publish_problems(listing.title, listing.price, listing.category)
    if problems:
        raise ApiError(422, message, fields=problems)


def _stored_photo(upload: bytes, folder: str, stem: str) -> media.StoredImage:
    """The upload re-encoded with its thumbnail; too large is 413, not a picture 422."""
    if len(upload) > media.max_photo_bytes():
        message = f"the picture is larger than {media.max_photo_bytes() // 1024} KB"
        raise ApiError(413, message, fields={"photo": [message]})
    try:
        return media.store_image(upload, folder, stem)
    except media.BadImage as exc:
        status = 413 if "larger" in str(exc) else 422
        raise ApiError(status, str(exc), fields={"photo": [str(exc)]}) from exc


def _shop_answer(session: Session, shop: Shop, manager: bool) -> dict:
    view = views.shop_view(shop, views.published_counts(session, [shop.id]).get(shop.id, 0), manager)
    if manager:
        view["moderation"] = moderation_history(session, "shop", shop.id)
    return view


# -- categories ----------------------------------------------------------------------------------
def list_categories(session: Session) -> list[Category]:
    return session.scalars(select(Category).order_by(Category.position, Category.slug)).all()


def add_category(work: UnitOfWork, data: dict) -> dict:
    if work.session.get(Category, data["slug"]) is not None:
        raise ApiError(409, "this category already exists", "conflict", {"slug": ["already exists"]})
    category = Category(**data)
    work.session.add(category)
    work.commit()
    category_names(work.session, fresh=True)
    return {"slug": category.slug, "name_id": category.name_id, "name_en": category.name_en,
            "position": category.position}


# -- shops ---------------------------------------------------------------------------------------
def list_shops(session: Session, args: dict, who: Actor | None) -> dict:
    """Open shops for everyone, or (`mine`) the shops `who` manages in any status."""
    query = views.shops_query(args, who if args.get("mine") else None)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page, per_page = args["page"], args["per_page"]
    shops = session.scalars(query.order_by(Shop.name, Shop.id).limit(per_page).offset((page - 1) * per_page)).all()
    counts = views.published_counts(session, [s.id for s in shops])
    return {"items": [views.shop_view(s, counts.get(s.id, 0), manages(who, s)) for s in shops],
            "total": total, "page": page, "per_page": per_page, "pages": -(-total // per_page)}


def create_shop(work: UnitOfWork, who: Actor, data: dict, actor_name: str = "") -> dict:
    """`data` as ShopIn loads it; `actor_name` is the name on the creator's login."""
    data = dict(data)
    shop_id = new_id()
    try:
        seller_id, agent_id = domain.shop_owners(who, shop_id, data.pop("seller_id"), data.pop("agent_id"))
    except domain.FieldProblems as exc:
        raise _invalid(exc.fields) from exc
    owner = _contact(work.session, seller_id)
    manager = _contact(work.session, agent_id) if agent_id else None
    if not data.get("owner_name"):
        data["owner_name"] = domain.default_owner_name(owner, who, actor_name)
    if not data.get("whatsapp"):
        data["whatsapp"] = domain.default_whatsapp(owner, manager)
    shop = Shop(id=shop_id, seller_id=seller_id, agent_id=agent_id, **data)
    work.session.add(shop)
    work.commit()
    return views.shop_view(shop, 0, True)


def _contact(session: Session, user_id: str) -> domain.Contact | None:
    seller = session.get(Seller, user_id)
    return domain.Contact(seller.name, seller.phone) if seller is not None else None


def get_shop(session: Session, shop_id: str, who: Actor | None) -> dict:
    shop = _visible_shop(session, shop_id, who)
    return _shop_answer(session, shop, manages(who, shop))


def update_shop(work: UnitOfWork, shop_id: str, who: Actor, data: dict) -> dict:
    shop = _managed_shop(work, shop_id, who)
    for key, value in data.items():
        setattr(shop, key, value)
    if "village_code" in data:  # a person chose the village: any guess of the migration is settled
        shop.village_suggestion = shop.village_flag = None
    if {"name", "village", "district", "regency"} & set(data):  # these are part of every listing's search text
        session = work.session
        names = category_names(session)
        for listing in session.scalars(select(Listing).where(Listing.shop_id == shop.id)):
            refresh_search_text(session, listing, shop, names.get(listing.category))
    work.commit()
    return _shop_answer(work.session, shop, True)


def set_shop_photo(work: UnitOfWork, shop_id: str, who: Actor, upload: bytes) -> dict:
    """The shop's profile photo, re-encoded with a small thumbnail; the old files go once the new one is saved."""
    shop = _managed_shop(work, shop_id, who)
    stored = _stored_photo(upload, f"shops/{shop.id}", new_id())
    old = shop.photo_key
    shop.photo_key = stored.image_key
    work.commit()
    answer = _shop_answer(work.session, shop, True)
    if old:
        media.remove(old, old.replace(".jpg", "-thumb.jpg"))
    return answer


def shop_products(session: Session, shop_id: str, who: Actor | None, args: dict) -> dict:
    """Published products of a shop; its managers may also ask for drafts, archived ones or all (`status`)."""
    args = dict(args)
    shop = _visible_shop(session, shop_id, who)
    wanted = args.pop("status", None) or "published"
    manager = manages(who, shop)
    if wanted != "published" and not manager:
        raise not_found("shop")
    statuses = domain.STATUSES if wanted == "all" else (wanted,)
    return views.search(session, views.on_postgres(session), {**args, "shop_id": shop.id},
                        statuses=statuses, open_shops_only=not manager)


# -- products ------------------------------------------------------------------------------------
def browse(session: Session, args: dict) -> dict:
    return views.search(session, views.on_postgres(session), args)


def create_listing(work: UnitOfWork, who: Actor, data: dict) -> dict:
    data = dict(data)
    session = work.session
    shop = session.get(Shop, data["shop_id"])
    if not manages(who, shop):
        raise _invalid({"shop_id": ["no shop of yours has this id"]})
    category_name = _category_name(session, data["category"])
    stock = data.pop("stock")
    data.setdefault("min_qty", Decimal(1))
    data.setdefault("qty_step", data["min_qty"] if data["min_qty"] < 1 else Decimal(1))
    listing = Listing(seller_id=shop.seller_id, stock=Decimal(0), sold_count=Decimal(0), **data)
    listing.stock = stock
    _produce_terms(listing)
    listing.stock = Decimal(0)
    if listing.status == "published":
        listing.published_at = utcnow()
    refresh_search_text(session, listing, shop, category_name)
    session.add(listing)
    session.flush()
    move_stock(session, listing, "initial", stock, stock, actor_id=who.user_id, note="listing created")
    if listing.status == "published":
        work.emit("listing.published", listing_event(listing, shop), correlation_id=listing.id)
    work.commit()
    return views.listing_detail(session, listing)


def get_product(session: Session, listing_id: str, who: Actor | None) -> dict:
    listing = session.get(Listing, listing_id)
    shop = session.get(Shop, listing.shop_id) if listing else None
    visible = listing is not None and domain.publicly_visible(
        domain.moderated(listing.status, listing.hidden_at), domain.moderated(shop.status, shop.hidden_at) if shop else None)
    manager = manages(who, shop)
    if not visible and not manager:
        raise not_found("product")
    view = views.listing_views(session, [(listing, shop)])[0]
    if manager:
        view["moderation"] = moderation_history(session, "listing", listing.id)
    batch = open_batches(session, [listing.id]).get(listing.id)
    view["harvest"] = _public_batch(session, batch) if batch is not None else None
    return view


def _public_batch(session: Session, batch: HarvestBatch) -> dict:
    remaining = domain.remaining_cap(batch.cap, _promised(session, batch.id))
    return {"id": batch.id, "expected_on": batch.expected_on.isoformat(), "price": batch.price,
            "pay_at": batch.pay_at, "cap": quantity.wire(batch.cap), "remaining": quantity.wire(remaining)}


def update_listing(work: UnitOfWork, listing_id: str, who: Actor, data: dict) -> dict:
    """Edit fields; a new `stock` is an adjustment in the ledger (with `stock_note`)."""
    data = dict(data)
    session = work.session
    listing, shop = _managed_listing(work, listing_id, who)
    note = data.pop("stock_note", "") or "manual adjustment"
    new_stock = data.pop("stock", None)
    if "category" in data:
        _category_name(session, data["category"])
    for key, value in data.items():
        setattr(listing, key, value)
    if new_stock is not None:
        current = listing.stock
        listing.stock = new_stock
        _produce_terms(listing)
        listing.stock = current
    else:
        _produce_terms(listing)
    if new_stock is not None and new_stock != listing.stock:
        before = listing.stock
        move_stock(session, listing, "adjust", new_stock - before, abs(new_stock - before),
                   actor_id=who.user_id, note=note)
        if domain.dropped_below(before, listing.stock, listing.low_stock_threshold):
            work.emit("stock.low", listing_event(listing, shop), correlation_id=listing.id)
    if listing.status == "published":
        _publishable(listing)
    refresh_search_text(session, listing, shop, category_names(session).get(listing.category))
    listing.updated_at = utcnow()
    if listing.status == "published":
        work.emit("listing.updated", listing_event(listing, shop), correlation_id=listing.id)
    work.commit()
    return views.listing_detail(session, listing)


def change_status(work: UnitOfWork, listing_id: str, who: Actor, wanted: str) -> dict:
    """draft → published → archived (and back: archived → draft/published, published → draft)."""
    listing, shop = _managed_listing(work, listing_id, who)
    try:
        listing.status = domain.next_status(listing.status, wanted)
    except domain.IllegalTransition as exc:
        raise ApiError(409, str(exc), "illegal_transition") from exc
    listing.updated_at = utcnow()
    if listing.status == "published":
        _publishable(listing, "this listing cannot be published yet")
        listing.published_at = utcnow()
        work.emit("listing.published", listing_event(listing, shop), correlation_id=listing.id)
    else:
        work.emit("listing.updated", listing_event(listing, shop), correlation_id=listing.id)
    work.commit()
    return views.listing_detail(work.session, listing)


def add_listing_photo(work: UnitOfWork, listing_id: str, who: Actor, upload: bytes) -> dict:
    session = work.session
    listing, _ = _managed_listing(work, listing_id, who)
    count = session.scalar(select(func.count()).select_from(Photo).where(Photo.listing_id == listing.id))
    if domain.photo_limit_reached(count):
        raise ApiError(409, f"a listing has at most {domain.MAX_LISTING_PHOTOS} photos", "too_many_photos")
    photo_id = new_id()
    stored = _stored_photo(upload, f"listings/{listing.id}", photo_id)
    photo = Photo(id=photo_id, listing_id=listing.id, position=count, image_key=stored.image_key,
                  thumb_key=stored.thumb_key, width=stored.width, height=stored.height)
    session.add(photo)
    listing.updated_at = utcnow()
    work.commit()
    return views.photo_view(photo)


def delete_listing_photo(work: UnitOfWork, listing_id: str, photo_id: str, who: Actor) -> None:
    listing, _ = _managed_listing(work, listing_id, who)
    photo = work.session.get(Photo, photo_id)
    if photo is None or photo.listing_id != listing.id:
        raise not_found("photo")
    keys = (photo.image_key, photo.thumb_key)
    work.session.delete(photo)
    work.commit()
    media.remove(*keys)


def stock_ledger(session: Session, listing_id: str, who: Actor, page: int, per_page: int) -> list[StockMovement]:
    """Every stock movement of a listing, newest first (its managers only)."""
    listing = session.get(Listing, listing_id)
    if listing is None or not manages(who, session.get(Shop, listing.shop_id)):
        raise not_found("product")
    return session.scalars(select(StockMovement).where(StockMovement.listing_id == listing.id)
                           .order_by(StockMovement.created_at.desc(), StockMovement.id)
                           .limit(per_page).offset((page - 1) * per_page)).all()


# -- stock for orders (event use cases: the worker commits) ----------------------------------------
def reserve_stock(work: UnitOfWork, order_id: str, items: list[dict], delivery_address: dict | None = None,
                  today: date | None = None) -> None:
    """All of an order's lines or none: answers `stock.reserved` (with each line's price, shop and pickup)
    or `stock.rejected` (with every problem). A second delivery of the same order changes nothing."""
    session = work.session
    if session.get(StockAnswer, order_id) is not None:
        return  # already answered for this order (the same fact re-sent under a new event id)
    wanted = domain.merged_quantities(items)
    listings = _listings_locked(work, wanted)
    shops = {s.id: s for s in session.scalars(select(Shop).where(Shop.id.in_({l.shop_id for l in listings.values()})))}
    today = today or utcnow().date()
    views_by_id = {l.id: _stock_view(l, shops.get(l.shop_id), delivery_address, today) for l in listings.values()}
    batches, batch_problems = _preorder_views(work, items, views_by_id)
    problems = batch_problems or domain.reservation_problems(items, views_by_id)
    # The answer row's primary key makes a racing duplicate of this order fail (and retry into the
    # early return above) instead of reserving twice.
    session.add(StockAnswer(order_id=order_id, outcome="rejected" if problems else "reserved"))
    session.flush()
    if problems:
        work.emit("stock.rejected", {"order_id": order_id, "problems": problems}, correlation_id=order_id)
        return
    lines = []
    for listing_id, qty in wanted.items():  # in the order the shopper listed them
        listing, shop = listings[listing_id], shops.get(listings[listing_id].shop_id)
        if listing_id in batches:  # a pre-order: promised against the batch's cap, no shelf stock moves
            batch = batches[listing_id]
            session.add(Reservation(order_id=order_id, listing_id=listing.id, seller_id=listing.seller_id, qty=qty,
                                    status=domain.PROMISED, batch_id=batch.id))
            lines.append({**_reserved_line(session, listing, shop, qty), "unit_price": batch.price,
                          "batch_id": batch.id, "expected_on": batch.expected_on.isoformat(), "pay_at": batch.pay_at})
            continue
        before = listing.stock
        move_stock(session, listing, "reserve", -qty, qty, order_id=order_id)
        listing.sold_count = Decimal(listing.sold_count or 0) + qty
        session.add(Reservation(order_id=order_id, listing_id=listing.id, seller_id=listing.seller_id, qty=qty))
        lines.append(_reserved_line(session, listing, shop, qty))
        if domain.dropped_below(before, listing.stock, listing.low_stock_threshold):
            work.emit("stock.low", listing_event(listing, shop), correlation_id=order_id)
    session.flush()
    work.emit("stock.reserved", {"order_id": order_id, "lines": lines}, correlation_id=order_id)


def _stock_view(listing: Listing, shop: Shop | None, dropoff: dict | None, today: date) -> domain.StockView:
    return domain.StockView(
        listing.id, domain.sellable_status(domain.moderated(listing.status, listing.hidden_at), _status(shop)),
        Decimal(listing.stock),
        Decimal(listing.min_qty or 1), Decimal(listing.qty_step or 1),
        expired=domain.expired(listing.harvested_on, listing.shelf_life_days, today),
        delivers=domain.delivers_to(listing.deliver_within or "", shop.district if shop else "",
                                    shop.regency if shop else "", dropoff))


def _preorder_views(work: UnitOfWork, items: list[dict], views_by_id: dict) -> tuple[dict, list[dict]]:
    """The batches an order's pre-order lines are promised against (locked, so two orders never promise the
    same last kilogram), with each such line's stock view replaced by the batch's remaining cap. A pre-order
    is an order of its own (one line): otherwise, or for a batch no longer open, the problems to reject with."""
    wanted = [i for i in items if i.get("batch_id")]
    if not wanted:
        return {}, []
    session = work.session
    if len(items) != 1:
        return {}, [{"listing_id": i["listing_id"], "requested": quantity.wire(quantity.parse(i["qty"])),
                     "available": 0, "reason": "preorder_alone"} for i in wanted]
    item = wanted[0]
    batch = get_for_update(session, work.db.is_postgres, HarvestBatch, str(item["batch_id"])[:36])
    view = views_by_id.get(item["listing_id"])
    if batch is None or batch.listing_id != item["listing_id"] or batch.status != domain.BATCH_OPEN or view is None:
        return {}, [{"listing_id": item["listing_id"], "requested": quantity.wire(quantity.parse(item["qty"])),
                     "available": 0, "reason": "harvest_closed"}]
    views_by_id[item["listing_id"]] = replace(view, stock=domain.remaining_cap(batch.cap, _promised(session, batch.id)),
                                              expired=False)   # the shelf life starts at the harvest
    return {item["listing_id"]: batch}, []


def _promised(session: Session, batch_id: str) -> Decimal:
    return Decimal(session.scalar(select(func.coalesce(func.sum(Reservation.qty), 0)).where(
        Reservation.batch_id == batch_id, Reservation.status == domain.PROMISED)) or 0)


def _status(shop: Shop | None) -> str | None:
    return domain.moderated(shop.status, shop.hidden_at) if shop is not None else None


def _listings_locked(work: UnitOfWork, wanted: dict[str, int]) -> dict[str, Listing]:
    # an id PostgreSQL cannot even compare (NUL) names no listing: it is answered "unknown"
    # instead of failing the message until it is parked and the order waits for ever
    lookup = sorted(listing_id for listing_id in wanted if "\x00" not in listing_id)
    query = select(Listing).where(Listing.id.in_(lookup)).order_by(Listing.id)
    if work.db.is_postgres:
        # row locks taken in id order, so two orders touching the same listings cannot deadlock, and a
        # second order for the last unit waits here and then sees the stock the first one left
        query = query.with_for_update()
    return {listing.id: listing for listing in work.session.scalars(query)}


def _reserved_line(session: Session, listing: Listing, shop: Shop | None, qty: int) -> dict:
    if shop is not None:
        pickup = domain.pickup_address(shop.street, shop.village, shop.district, shop.regency, shop.province,
                                       pickup_phone(session, shop), shop.village_code)
    else:
        pickup = domain.pickup_address("", "", "", "", "", "")
    return {"listing_id": listing.id, "shop_id": listing.shop_id, "seller_id": listing.seller_id,
            "title": listing.title, "qty": quantity.wire(qty), "unit_price": listing.price, "unit": listing.unit,
            "shop_name": shop.name if shop else "", "agent_id": shop.agent_id if shop else None, "pickup": pickup}


def _held(work: UnitOfWork, order_id: str, seller_id: str | None = None,
          shop_id: str | None = None) -> list[tuple[Reservation, Listing]]:
    """Held reservations of an order with their listings locked (id order, as reserve locks them); with
    `shop_id`, only that shop's (one parcel per shop: a seller's two shops are two parcels)."""
    session = work.session
    query = select(Reservation).where(Reservation.order_id == order_id, Reservation.status == "held")
    if seller_id is not None:
        query = query.where(Reservation.seller_id == seller_id)
    if shop_id is not None:
        query = query.where(Reservation.listing_id.in_(select(Listing.id).where(Listing.shop_id == shop_id)))
    held = session.scalars(query.order_by(Reservation.listing_id)).all()
    if not held:
        return []
    listing_query = select(Listing).where(Listing.id.in_([r.listing_id for r in held])).order_by(Listing.id)
    if work.db.is_postgres:
        listing_query = listing_query.with_for_update()
    listings = {l.id: l for l in session.scalars(listing_query)}
    return [(r, listings[r.listing_id]) for r in held]


def release_stock(work: UnitOfWork, order_id: str, note: str, seller_id: str | None = None,
                  shop_id: str | None = None) -> None:
    """Order cancelled or rejected (or, with `seller_id`, one seller's parcel cancelled on its own): the held
    units go back on the shelf. Idempotent by state: only held reservations move, so a second cancel (or a
    cancel after delivery) changes nothing."""
    for reservation, listing in _held(work, order_id, seller_id, shop_id):
        move_stock(work.session, listing, "release", reservation.qty, reservation.qty, order_id=order_id, note=note)
        listing.sold_count = max(Decimal(0), Decimal(listing.sold_count or 0) - Decimal(reservation.qty))
        reservation.status = "released"
    # a pre-order cancelled before the harvest: its promise frees the batch's cap (no shelf stock was taken)
    promised = select(Reservation).where(Reservation.order_id == order_id, Reservation.status == domain.PROMISED)
    if seller_id is not None:
        promised = promised.where(Reservation.seller_id == seller_id)
    for reservation in work.session.scalars(promised):
        reservation.status = "released"


def commit_stock(work: UnitOfWork, order_id: str, seller_id: str | None, fulfillment_id: str = "",
                 shop_id: str | None = None) -> None:
    """Delivered: that seller's reserved units have left for good. Without a seller_id (older producers)
    every held line of the order is committed."""
    for reservation, listing in _held(work, order_id, seller_id, shop_id):
        move_stock(work.session, listing, "commit", 0, reservation.qty, order_id=order_id,
                   note=f"fulfillment {fulfillment_id}")
        reservation.status = "committed"


# -- harvest pre-orders (issue 17) -------------------------------------------------------------------
def batch_view(session: Session, batch: HarvestBatch, unit: str = "") -> dict:
    promised = _promised(session, batch.id) if batch.status == domain.BATCH_OPEN else Decimal(0)
    return {"id": batch.id, "listing_id": batch.listing_id, "shop_id": batch.shop_id, "unit": unit,
            "expected_on": batch.expected_on, "cap": Decimal(batch.cap), "price": batch.price, "pay_at": batch.pay_at,
            "status": batch.status, "promised": promised,
            "remaining": domain.remaining_cap(batch.cap, promised) if batch.status == domain.BATCH_OPEN else Decimal(0),
            "harvested_qty": batch.harvested_qty, "filled_qty": batch.filled_qty,
            "created_at": batch.created_at, "harvested_at": batch.harvested_at}


def open_batch(work: UnitOfWork, listing_id: str, who: Actor, data: dict, today: date | None = None) -> dict:
    """The seller opens a harvest batch on a listing (one open batch per listing at a time)."""
    listing, shop = _managed_listing(work, listing_id, who)
    session = work.session
    if session.scalar(select(HarvestBatch.id).where(HarvestBatch.listing_id == listing.id,
                                                    HarvestBatch.status == domain.BATCH_OPEN)):
        raise ApiError(409, "this product already has an open harvest batch", "batch_open",
                       {"listing_id": ["this product already has an open harvest batch"]})
    price = data.get("price") or listing.price
    problems = domain.batch_problems(listing.unit, data["cap"], price, data["expected_on"],
                                     today or utcnow().date(), Decimal(listing.min_qty or 1),
                                     Decimal(listing.qty_step or 1))
    if problems:
        raise _invalid(problems)
    batch = HarvestBatch(listing_id=listing.id, shop_id=listing.shop_id, seller_id=listing.seller_id,
                         expected_on=data["expected_on"], cap=data["cap"], price=price,
                         pay_at=data.get("pay_at") or domain.PAY_AT_ORDER, status=domain.BATCH_OPEN,
                         opened_by=who.user_id)
    session.add(batch)
    work.commit()
    return batch_view(session, batch, listing.unit)


def listing_batches(session: Session, listing_id: str, who: Actor) -> list[dict]:
    """A listing's harvest batches, newest first (its managers only)."""
    listing = session.get(Listing, listing_id)
    if listing is None or not manages(who, session.get(Shop, listing.shop_id)):
        raise not_found("product")
    batches = session.scalars(select(HarvestBatch).where(HarvestBatch.listing_id == listing.id)
                              .order_by(HarvestBatch.created_at.desc())).all()
    return [batch_view(session, b, listing.unit) for b in batches]


def open_batches(session: Session, listing_ids: list[str]) -> dict[str, HarvestBatch]:
    """The open batch of each of these listings (for the product pages: "Pra-pesan, panen ± ...")."""
    if not listing_ids:
        return {}
    rows = session.scalars(select(HarvestBatch).where(HarvestBatch.listing_id.in_(listing_ids),
                                                      HarvestBatch.status == domain.BATCH_OPEN)).all()
    return {b.listing_id: b for b in rows}


def record_harvest(work: UnitOfWork, batch_id: str, who: Actor, harvested: Decimal) -> dict:
    """The seller weighs the harvest. The promises are filled whole in the order they were placed while the
    harvest lasts (domain.fill_in_order); the filled ones become ordinary held stock of their orders, the others
    are released; what is left goes on the shelf. `harvest.recorded` tells orders which orders were filled (it
    confirms or asks for their money) and which were not (it cancels them: refund, and the shopper is told).
    The same weight recorded again answers the same; a different one is a 409."""
    session = work.session
    batch = get_for_update(session, work.db.is_postgres, HarvestBatch, batch_id)
    if batch is None:
        raise not_found("harvest batch")
    listing, shop = _managed_listing(work, batch.listing_id, who)
    if harvested < 0 or (listing.unit not in domain.MEASURED_UNITS and harvested != harvested.to_integral_value()):
        raise _invalid({"harvested_qty": ["give the harvest in the listing's unit (whole numbers for pieces)"]})
    if batch.status != domain.BATCH_OPEN:
        if Decimal(batch.harvested_qty) == harvested:
            return batch_view(session, batch, listing.unit)
        raise ApiError(409, "the harvest of this batch was already recorded", "already_harvested",
                       {"harvested_qty": ["the harvest of this batch was already recorded"]})
    promises = session.scalars(select(Reservation).where(Reservation.batch_id == batch.id,
                                                         Reservation.status == domain.PROMISED)
                               .order_by(Reservation.created_at, Reservation.id)).all()
    filled_ids, unfilled_ids, _left = domain.fill_in_order([(r.order_id, Decimal(r.qty)) for r in promises], harvested)
    filled = set(filled_ids)
    move_stock(session, listing, "harvest", harvested, harvested, actor_id=who.user_id, note=f"harvest batch {batch.id}")
    filled_qty = Decimal(0)
    for reservation in promises:
        if reservation.order_id in filled:
            move_stock(session, listing, "reserve", -Decimal(reservation.qty), reservation.qty,
                       order_id=reservation.order_id, note=f"harvest batch {batch.id}")
            listing.sold_count = Decimal(listing.sold_count or 0) + Decimal(reservation.qty)
            reservation.status = "held"
            filled_qty += Decimal(reservation.qty)
        else:
            reservation.status = "released"
    batch.status, batch.harvested_qty, batch.filled_qty = domain.BATCH_HARVESTED, harvested, filled_qty
    batch.harvested_at = utcnow()
    by_order = {r.order_id: r for r in promises}
    work.emit("harvest.recorded", {
        "batch_id": batch.id, "listing_id": listing.id, "shop_id": listing.shop_id, "seller_id": listing.seller_id,
        "title": listing.title, "unit": listing.unit, "expected_on": batch.expected_on.isoformat(),
        "harvested_qty": quantity.wire(harvested), "filled_qty": quantity.wire(filled_qty),
        "filled": [{"order_id": o, "qty": quantity.wire(Decimal(by_order[o].qty))} for o in filled_ids],
        "unfilled": [{"order_id": o, "qty": quantity.wire(Decimal(by_order[o].qty))} for o in unfilled_ids]},
        correlation_id=batch.id)
    listing.updated_at = utcnow()
    if listing.status == "published":
        work.emit("listing.updated", listing_event(listing, shop), correlation_id=listing.id)
    work.commit()
    return batch_view(session, batch, listing.unit)


def tell_late_harvests(db, today: date | None = None, limit: int = 50) -> list[str]:
    """A periodic job: an open batch whose expected day has passed tells the shoppers who pre-ordered from it,
    once (`harvest.late`, with each order's shopper from order.placed): they may wait or cancel for a full
    refund. One batch per transaction."""
    today = today or utcnow().date()
    with closing(db.Session()) as session:
        due = session.scalars(select(HarvestBatch.id).where(HarvestBatch.status == domain.BATCH_OPEN,
                                                            HarvestBatch.expected_on < today,
                                                            HarvestBatch.late_told_at.is_(None)).limit(limit)).all()
    emitted: list[str] = []
    for batch_id in due:
        with UnitOfWork(db, source=db.service) as work:
            batch = get_for_update(work.session, work.db.is_postgres, HarvestBatch, batch_id)
            if batch is None or batch.status != domain.BATCH_OPEN or batch.late_told_at is not None:
                continue
            batch.late_told_at = utcnow()
            listing = work.session.get(Listing, batch.listing_id)
            order_ids = work.session.scalars(select(Reservation.order_id).where(
                Reservation.batch_id == batch.id, Reservation.status == domain.PROMISED)
                .order_by(Reservation.created_at, Reservation.id)).all()
            shoppers = dict(work.session.execute(select(OrderShopper.order_id, OrderShopper.shopper_id).where(
                OrderShopper.order_id.in_(order_ids))).all()) if order_ids else {}
            work.emit("harvest.late", {
                "batch_id": batch.id, "listing_id": batch.listing_id, "shop_id": batch.shop_id,
                "seller_id": batch.seller_id, "title": listing.title if listing else "",
                "expected_on": batch.expected_on.isoformat(),
                "orders": [{"order_id": o, "shopper_id": shoppers[o]} for o in order_ids if o in shoppers]},
                correlation_id=batch.id)
            emitted += work.emitted
            work.commit()
    return emitted


# -- the sellers directory -----------------------------------------------------------------------
def remember_seller(work: UnitOfWork, user_id: str, role: str, name: str, phone: str | None = None,
                    email: str | None = None, district: str | None = None) -> None:
    """Keep name, phone and district of sellers and agents: the default pickup phone of their shops."""
    session = work.session
    seller = session.get(Seller, user_id)
    if seller is None:
        if role not in ("seller", "agent"):
            return
        seller = Seller(user_id=user_id)
        session.add(seller)
    seller.role, seller.name, seller.phone, seller.email, seller.district = role, name, phone, email, district


# -- ratings from reviews (issue 16) ---------------------------------------------------------------------
# Orders publishes a review (`review.published`) and may later hide it (`review.hidden`). A shopper's review
# counts once into each listing of its parcel and into their shop; hidden, it is taken back once. The
# review_ratings row is the state that makes both idempotent beyond the inbox (a re-sent fact under a new
# event id, or the hide overtaking the publication, changes nothing twice); sums are added in SQL so two
# reviews of one listing never lose one another.
def _add_rating(session: Session, model, ids: list[str], stars: int, one: int) -> None:
    if ids:
        session.execute(update(model).where(model.id.in_(ids)).values(
            rating_total=model.rating_total + stars, rating_count=model.rating_count + one))


def count_review(work: UnitOfWork, review_id: str, side: str, rating: int, listing_ids: list[str]) -> None:
    if side != "shopper":
        return  # a seller's review of a shopper has no stars on the market
    session = work.session
    if session.get(ReviewRating, review_id) is not None:
        return  # counted already, or hidden before its publication arrived
    listings = session.scalars(select(Listing.id).where(Listing.id.in_(listing_ids))).all() if listing_ids else []
    shop_ids = sorted(set(session.scalars(select(Listing.shop_id).where(Listing.id.in_(listings)))) if listings else [])
    session.add(ReviewRating(review_id=review_id, rating=rating, listing_ids=list(listings), shop_ids=shop_ids,
                             counted=True, hidden=False))
    session.flush()  # the primary key: a racing copy of this fact fails here and retries into the return above
    _add_rating(session, Listing, list(listings), rating, 1)
    _add_rating(session, Shop, shop_ids, rating, 1)


def uncount_review(work: UnitOfWork, review_id: str, side: str, rating: int) -> None:
    if side != "shopper":
        return
    session = work.session
    row = get_for_update(session, work.db.is_postgres, ReviewRating, review_id)
    if row is None:  # hidden before its publication arrived: remember, so the publication counts nothing
        session.add(ReviewRating(review_id=review_id, rating=rating, listing_ids=[], shop_ids=[], counted=False,
                                 hidden=True))
        session.flush()
        return
    if row.hidden:
        return
    if row.counted:
        _add_rating(session, Listing, list(row.listing_ids or []), -row.rating, -1)
        _add_rating(session, Shop, list(row.shop_ids or []), -row.rating, -1)
    row.counted, row.hidden = False, True


# -- the operator's moderation of listings and shops (issue 16) ------------------------------------------
def moderation_history(session: Session, target: str, target_id: str) -> list[dict]:
    rows = session.scalars(select(ModerationAction).where(ModerationAction.target == target,
                                                          ModerationAction.target_id == target_id)
                           .order_by(ModerationAction.id.desc()))
    return [{"action": r.action, "reason": r.reason, "actor_id": r.actor_id, "at": r.at} for r in rows]


def moderate(work: UnitOfWork, target: str, target_id: str, who: Actor, action: str, reason: str) -> dict:
    """The operator hides a listing or a shop from the market (browse, search, its page, new orders), or shows
    it again, with a reason: recorded (who, when, why), and its owner is told (`moderation.applied`). The same
    action again changes nothing and tells nobody twice."""
    if who.role != "admin":
        raise not_found("product" if target == "listing" else "shop")
    model = Listing if target == "listing" else Shop
    thing = get_for_update(work.session, work.db.is_postgres, model, target_id)
    if thing is None:
        raise not_found("product" if target == "listing" else "shop")
    shop = thing if target == "shop" else work.session.get(Shop, thing.shop_id)
    hide = action == "hide"
    if (thing.hidden_at is not None) != hide:
        now = utcnow()
        thing.hidden_at, thing.hidden_by, thing.hidden_reason = (now, who.user_id, reason) if hide else (None, None, None)
        work.session.add(ModerationAction(target=target, target_id=target_id, action=action, reason=reason,
                                          actor_id=who.user_id, at=now))
        work.emit("moderation.applied", {
            "target": target, "target_id": target_id, "action": action, "reason": reason, "actor_id": who.user_id,
            "name": thing.title if target == "listing" else thing.name,
            "seller_id": shop.seller_id if shop else thing.seller_id, "agent_id": shop.agent_id if shop else None},
            correlation_id=target_id)
    work.commit()
    if target == "listing":
        view = views.listing_views(work.session, [(thing, shop)])[0]
        view["moderation"] = moderation_history(work.session, "listing", target_id)
        return view
    return _shop_answer(work.session, thing, True)


def hidden_things(session: Session, target: str) -> list[dict]:
    """For the operator: the listings (or shops) hidden from the market, last hidden first."""
    if target == "listing":
        rows = session.execute(select(Listing, Shop).join(Shop, Shop.id == Listing.shop_id)
                               .where(Listing.hidden_at.is_not(None)).order_by(Listing.hidden_at.desc())).all()
        return views.listing_views(session, rows)
    shops = session.scalars(select(Shop).where(Shop.hidden_at.is_not(None)).order_by(Shop.hidden_at.desc())).all()
    counts = views.published_counts(session, [s.id for s in shops])
    return [views.shop_view(s, counts.get(s.id, 0), True) for s in shops]
