"""Catalog's event handlers: reserve stock for placed orders (all lines or none), release it when orders
end early, commit it when a seller's parcel is delivered, and keep the sellers directory current."""
from __future__ import annotations

from sqlalchemy import select

from pasar.db import UnitOfWork
from pasar.events import Event

from . import domain
from .domain import StockView, merged_quantities, reservation_problems
from .models import Listing, Reservation, Seller, Shop, StockAnswer
from .service import listing_event, move_stock, pickup_phone


def reserve_stock(event: Event, uow: UnitOfWork) -> None:
    order_id = event.data["order_id"]
    session = uow.session
    if session.get(StockAnswer, order_id) is not None:
        return  # already answered for this order (the same fact re-sent under a new event id)
    wanted = merged_quantities(event.data["items"])
    # an id PostgreSQL cannot even compare (NUL) names no listing: it is answered "unknown" below
    # instead of failing the message until it is parked and the order waits for ever
    lookup = sorted(listing_id for listing_id in wanted if "\x00" not in listing_id)
    query = select(Listing).where(Listing.id.in_(lookup)).order_by(Listing.id)
    if uow.db.is_postgres:
        # row locks taken in id order, so two orders touching the same listings cannot deadlock, and a
        # second order for the last unit waits here and then sees the stock the first one left
        query = query.with_for_update()
    listings = {listing.id: listing for listing in session.scalars(query)}
    shops = {s.id: s for s in session.scalars(select(Shop).where(Shop.id.in_({l.shop_id for l in listings.values()})))}

    def sellable_status(listing: Listing) -> str:  # a closed shop's listings are off the market
        shop = shops.get(listing.shop_id)
        return "closed" if shop is not None and shop.status != "active" else listing.status

    problems = reservation_problems(event.data["items"], {
        l.id: StockView(l.id, sellable_status(l), l.stock) for l in listings.values()})
    # The answer row's primary key makes a racing duplicate of this order fail (and retry into the
    # early return above) instead of reserving twice.
    session.add(StockAnswer(order_id=order_id, outcome="rejected" if problems else "reserved"))
    session.flush()
    if problems:
        uow.emit("stock.rejected", {"order_id": order_id, "problems": problems}, correlation_id=order_id)
        return

    lines = []
    for listing_id, qty in wanted.items():  # in the order the shopper listed them
        listing = listings[listing_id]
        before = listing.stock
        move_stock(session, listing, "reserve", -qty, qty, order_id=order_id)
        listing.sold_count += qty
        session.add(Reservation(order_id=order_id, listing_id=listing.id, seller_id=listing.seller_id, qty=qty))
        shop = shops.get(listing.shop_id)
        lines.append({
            "listing_id": listing.id, "shop_id": listing.shop_id, "seller_id": listing.seller_id,
            "title": listing.title, "qty": qty, "unit_price": listing.price, "unit": listing.unit,
            "shop_name": shop.name if shop else "", "agent_id": shop.agent_id if shop else None,
            "pickup": domain.pickup_address(shop.street, shop.village, shop.district, shop.regency, shop.province,
                                            pickup_phone(session, shop)) if shop else domain.pickup_address(
                "", "", "", "", "", ""),
        })
        if domain.dropped_below(before, listing.stock, listing.low_stock_threshold):
            uow.emit("stock.low", listing_event(listing, shop), correlation_id=order_id)
    session.flush()
    uow.emit("stock.reserved", {"order_id": order_id, "lines": lines}, correlation_id=order_id)


def _held(uow: UnitOfWork, order_id: str, seller_id: str | None = None) -> list[tuple[Reservation, Listing]]:
    """Held reservations of an order with their listings locked (id order, as reserve locks them)."""
    session = uow.session
    query = select(Reservation).where(Reservation.order_id == order_id, Reservation.status == "held")
    if seller_id is not None:
        query = query.where(Reservation.seller_id == seller_id)
    held = session.scalars(query.order_by(Reservation.listing_id)).all()
    if not held:
        return []
    listing_query = select(Listing).where(Listing.id.in_([r.listing_id for r in held])).order_by(Listing.id)
    if uow.db.is_postgres:
        listing_query = listing_query.with_for_update()
    listings = {l.id: l for l in session.scalars(listing_query)}
    return [(r, listings[r.listing_id]) for r in held]


def release_stock(event: Event, uow: UnitOfWork) -> None:
    """Order cancelled or rejected: the held units go back on the shelf. Idempotent by state: only held
    reservations move, so a second cancel (or a cancel after delivery) changes nothing."""
    order_id = event.data["order_id"]
    for reservation, listing in _held(uow, order_id):
        move_stock(uow.session, listing, "release", reservation.qty, reservation.qty, order_id=order_id,
                   note=event.data.get("reason") or event.type)
        listing.sold_count = max(0, listing.sold_count - reservation.qty)
        reservation.status = "released"


def commit_stock(event: Event, uow: UnitOfWork) -> None:
    """Delivered: that seller's reserved units have left for good. Without a seller_id in the event
    (older producers) every held line of the order is committed."""
    order_id = event.data["order_id"]
    for reservation, listing in _held(uow, order_id, event.data.get("seller_id")):
        move_stock(uow.session, listing, "commit", 0, reservation.qty, order_id=order_id,
                   note=f"fulfillment {event.data.get('fulfillment_id', '')}")
        reservation.status = "committed"


def remember_seller(event: Event, uow: UnitOfWork) -> None:
    """Keep name, phone and district of sellers and agents: the default pickup phone of their shops."""
    data = event.data
    session = uow.session
    seller = session.get(Seller, data["user_id"])
    if seller is None:
        if data["role"] not in ("seller", "agent"):
            return
        seller = Seller(user_id=data["user_id"])
        session.add(seller)
    seller.role = data["role"]
    seller.name = data["name"]
    seller.phone = data.get("phone")
    seller.email = data.get("email")
    seller.district = data.get("district")


HANDLERS = {
    "order.placed": [reserve_stock],
    "order.cancelled": [release_stock],
    "order.rejected": [release_stock],
    "delivery.delivered": [commit_stock],
    "account.registered": [remember_seller],
    "account.updated": [remember_seller],
}
