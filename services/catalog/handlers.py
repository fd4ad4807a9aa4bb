"""Catalog's event handlers: reserve stock for placed orders, release it when orders end early."""
from __future__ import annotations

from sqlalchemy import select

from pasar.db import UnitOfWork
from pasar.events import Event

from .domain import StockView, reservation_problems
from .models import Listing, Reservation


def reserve_stock(event: Event, uow: UnitOfWork) -> None:
    order_id = event.data["order_id"]
    session = uow.session
    if session.scalar(select(Reservation.id).where(Reservation.order_id == order_id).limit(1)):
        return  # already answered for this order (a re-placed event with a new id)
    ids = sorted({item["listing_id"] for item in event.data["items"]})
    query = select(Listing).where(Listing.id.in_(ids)).order_by(Listing.id)
    if uow.db.is_postgres:
        query = query.with_for_update()  # row locks in id order: concurrent orders cannot oversell
    listings = {l.id: l for l in session.scalars(query)}
    views = {l.id: StockView(l.id, l.status, l.stock) for l in listings.values()}
    problems = reservation_problems(event.data["items"], views)
    if problems:
        uow.emit("stock.rejected", {"order_id": order_id, "problems": problems}, correlation_id=order_id)
        return
    lines = []
    for item in event.data["items"]:
        listing = listings[item["listing_id"]]
        listing.stock -= item["qty"]
        session.add(Reservation(order_id=order_id, listing_id=listing.id, qty=item["qty"]))
        lines.append({"listing_id": listing.id, "shop_id": listing.shop_id, "seller_id": listing.seller_id,
                      "title": listing.title, "qty": item["qty"], "unit_price": listing.price})
    session.flush()
    uow.emit("stock.reserved", {"order_id": order_id, "lines": lines}, correlation_id=order_id)


def release_stock(event: Event, uow: UnitOfWork) -> None:
    session = uow.session
    held = session.scalars(select(Reservation).where(
        Reservation.order_id == event.data["order_id"], Reservation.status == "held")).all()
    for reservation in held:
        listing = session.get(Listing, reservation.listing_id)
        listing.stock += reservation.qty
        reservation.status = "released"


HANDLERS = {
    "order.placed": [reserve_stock],
    "order.cancelled": [release_stock],
    "order.rejected": [release_stock],
}
