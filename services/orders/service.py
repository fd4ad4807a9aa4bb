"""Orders' service layer: what a route or a handler does around the domain — load, call the domain,
emit what it returns through the outbox, keep the timeline — so both sides say it once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, func, select

from pasar import metrics
from pasar.config import int_setting
from pasar.db import Database, UnitOfWork
from pasar.stamps import new_id, utcnow

from . import domain
from .models import Courier, Fulfillment, Order, TimelineEntry


# -- settings (read per call: cheap, and tests can change them) -------------------------------------
def tariff() -> domain.DeliveryTariff:
    return domain.DeliveryTariff(same_district=int_setting("DELIVERY_FEE_SAME_DISTRICT", 10000),
                                 other_district=int_setting("DELIVERY_FEE_OTHER", 20000))


def payment_timeout() -> timedelta:
    return timedelta(seconds=int_setting("PAYMENT_TIMEOUT_SECONDS", 1800))


def pickup_window() -> timedelta:
    return timedelta(hours=int_setting("PICKUP_WINDOW_HOURS", 24))


# -- loading -----------------------------------------------------------------------------------------
def lock_order(uow: UnitOfWork, order_id: str) -> Order | None:
    """The order row, locked on PostgreSQL so two events for one order apply one after the other
    (SQLite's writers already queue on BEGIN IMMEDIATE)."""
    query = select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
    if uow.db.is_postgres:
        query = query.with_for_update()
    return uow.session.scalars(query).first()


def lock_order_of_fulfillment(uow: UnitOfWork, fulfillment_id: str) -> tuple[Order, Fulfillment] | None:
    order_id = uow.session.scalar(select(Fulfillment.order_id).where(Fulfillment.id == fulfillment_id))
    order = lock_order(uow, order_id) if order_id else None
    if order is None:
        return None
    uow.session.refresh(order, ["fulfillments"])  # read after the lock, not before
    return order, order.fulfillment(fulfillment_id)


# -- emitting ----------------------------------------------------------------------------------------
_DETAIL_KEYS = ("reason", "courier_id", "paid", "amount", "total", "cod_amount_collected", "payment_id")


def record(uow: UnitOfWork, order: Order, events: list[domain.DomainEvent]) -> None:
    """Emit each event through the outbox and add it to the order's timeline, in the caller's transaction."""
    for event in events:
        uow.emit(event.type, event.data, correlation_id=order.id)
        if event.type == "order.confirmed" and order.created_at and order.confirmed_at:
            metrics.order_confirmed((domain.as_utc(order.confirmed_at) - domain.as_utc(order.created_at)).total_seconds())
        status = order.status
        if event.fulfillment_id:
            status = next((f.status for f in order.fulfillments if f.id == event.fulfillment_id), status)
        uow.session.add(TimelineEntry(
            order_id=order.id, fulfillment_id=event.fulfillment_id, event=event.type, status=status,
            detail={k: event.data[k] for k in _DETAIL_KEYS if event.data.get(k) is not None}, at=utcnow()))


# -- dispatch ----------------------------------------------------------------------------------------
def courier_loads(session, district: str | None) -> list[domain.CourierLoad]:
    active = (select(Fulfillment.courier_id, func.count().label("n"))
              .where(Fulfillment.status.in_(domain.ACTIVE_DELIVERY)).group_by(Fulfillment.courier_id).subquery())
    rows = session.execute(
        select(Courier.user_id, func.coalesce(active.c.n, 0), Courier.available_since)
        .outerjoin(active, active.c.courier_id == Courier.user_id)
        .where(and_(Courier.available.is_(True), func.lower(Courier.district) == (district or "").strip().lower()))
    ).all()
    return [domain.CourierLoad(uid, int(n), domain.as_utc(since)) for uid, n, since in rows]


def dispatch(uow: UnitOfWork, order: Order, fulfillment: Fulfillment) -> list[domain.DomainEvent]:
    """Offer a ready parcel to the least loaded available courier of its district; with nobody there it
    stays READY_FOR_PICKUP without a courier: the district's open board."""
    if fulfillment.status != domain.READY_FOR_PICKUP:
        return []
    chosen = domain.choose_courier(courier_loads(uow.session, fulfillment.district), fulfillment.declined_by)
    if chosen is None:
        return []
    return fulfillment.assign(order, chosen)


def dispatch_waiting(uow: UnitOfWork, district: str, limit: int = 20) -> None:
    """A courier came on duty: offer the district's open board (oldest ready first) again, so parcels that
    waited for somebody do not wait for a courier to think of claiming them."""
    waiting = uow.session.scalars(
        select(Fulfillment.id).where(Fulfillment.status == domain.READY_FOR_PICKUP, Fulfillment.courier_id.is_(None),
                                     func.lower(Fulfillment.district) == district.strip().lower())
        .order_by(Fulfillment.ready_at).limit(limit)).all()
    for fulfillment_id in waiting:
        found = lock_order_of_fulfillment(uow, fulfillment_id)
        if found:
            order, fulfillment = found
            record(uow, order, dispatch(uow, order, fulfillment))


# -- the payment timeout sweeper ---------------------------------------------------------------------
def cancel_overdue_payments(db: Database, limit: int = 100) -> list[str]:
    """Cancel card orders whose payment deadline passed. The deadline is a column, so a restart loses
    nothing: the next sweep finds whatever fell due while the worker was down. Returns emitted ids."""
    now = utcnow()
    with UnitOfWork(db, source=db.service) as uow:
        query = (select(Order).where(Order.status == domain.AWAITING_PAYMENT, Order.payment_due_at <= now)
                 .order_by(Order.payment_due_at).limit(limit))
        if db.is_postgres:
            query = query.with_for_update(skip_locked=True)  # two workers never cancel the same order twice
        for order in uow.session.scalars(query).all():
            if order.payment_overdue(now):
                record(uow, order, order.cancel("payment_timeout", now))
        emitted = list(uow.emitted)
        uow.commit()
        return emitted


def new_order(shopper_id: str, payment_method: str, items: list[dict], delivery_address: dict) -> Order:
    return Order(id=new_id(), shopper_id=shopper_id, payment_method=payment_method, items=items,
                 delivery_address=delivery_address, created_at=utcnow())
