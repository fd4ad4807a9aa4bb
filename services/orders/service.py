"""Orders' service layer: every use case once, for routes and event handlers alike — load, ask the domain,
emit what it returns through the outbox, keep the timeline, commit.

Two kinds of caller, two habits:
- a route's use case takes a *fresh* `UnitOfWork` (or a read `Session`) and plain arguments — who asks, what
  they sent — and owns the transaction: it opens the unit of work, commits it, and returns what the route
  shapes into its answer; it raises `ApiError` for refusals that carry an HTTP answer and
  `domain.DomainError` for the domain's own (the API maps those the same way for every route);
- an event's use case takes the worker's *open* unit of work, which commits together with the inbox row, so
  a redelivered event is never applied twice.
Nothing here knows about Flask: the caller's identity arrives as plain values."""
from __future__ import annotations

from contextlib import closing
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, delete, exists, func, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, object_session

from pasar import images, metrics, quantity
from pasar.config import int_setting, setting
from pasar.db import Database, UnitOfWork
from pasar.errors import ApiError, conflict, not_found
from pasar.stamps import new_id, utcnow

from . import complaint_photos, domain
from .models import (CartLine, Complaint, Courier, Fulfillment, IdempotencyKey, ListingTerms, Order, ReturnPickup,
                     TimelineEntry)


# -- settings (read per call: cheap, and tests can change them) -------------------------------------
def tariff() -> domain.DeliveryTariff:
    return domain.DeliveryTariff(same_district=int_setting("DELIVERY_FEE_SAME_DISTRICT", 10000),
                                 other_district=int_setting("DELIVERY_FEE_OTHER", 20000))


def payment_timeout() -> timedelta:
    return timedelta(seconds=int_setting("PAYMENT_TIMEOUT_SECONDS", 1800))


def pickup_window() -> timedelta:
    return timedelta(hours=int_setting("PICKUP_WINDOW_HOURS", 24))


def _duration(name: str, default: float, unit: str) -> timedelta:
    """A timer's length from the environment; decimals allowed (tests shorten AUTO_CONFIRM_DAYS to seconds)."""
    text = setting(name)
    try:
        value = float(text) if text not in (None, "") else default
    except ValueError as err:
        raise ValueError(f"{name} must be a number like {default}, not {text!r}") from err
    if value <= 0:
        raise ValueError(f"{name} must be above 0")
    return timedelta(**{unit: value})


def receipt_window() -> timedelta:
    """How long after delivery the shopper may confirm receipt (or complain) before it is confirmed for them."""
    return _duration("AUTO_CONFIRM_DAYS", 3, "days")


def complaint_window() -> timedelta:
    """How long a complaint waits on the seller (or the shopper) before the operator takes it."""
    return _duration("COMPLAINT_RESPONSE_HOURS", 48, "hours")


def ship_window() -> timedelta:
    """How long after confirmation a parcel may wait to be handed to a courier before it is cancelled."""
    return _duration("AUTO_CANCEL_UNSHIPPED_HOURS", 48, "hours")


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
_DETAIL_KEYS = ("reason", "courier_id", "paid", "amount", "total", "cod_amount_collected", "payment_id",
                "refund_amount", "received_by")


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
def _in_area(name_column, code_column, district: str | None, district_code: str | None):
    """SQL for domain.same_area: the same code when both have one, else the same name (case and spaces aside)."""
    by_name = func.lower(name_column) == (district or "").strip().lower()
    if not district_code:
        return by_name
    return or_(code_column == district_code, and_(code_column.is_(None), by_name))


def courier_loads(session, district: str | None, district_code: str | None = None) -> list[domain.CourierLoad]:
    # a return trip in hand is as much load as a delivery
    trips = union_all(
        select(Fulfillment.courier_id.label("courier_id")).where(Fulfillment.status.in_(domain.ACTIVE_DELIVERY)),
        select(ReturnPickup.courier_id.label("courier_id")).where(ReturnPickup.status.in_(domain.ACTIVE_DELIVERY)),
    ).subquery()
    active = select(trips.c.courier_id, func.count().label("n")).group_by(trips.c.courier_id).subquery()
    rows = session.execute(
        select(Courier.user_id, func.coalesce(active.c.n, 0), Courier.available_since)
        .outerjoin(active, active.c.courier_id == Courier.user_id)
        .where(and_(Courier.available.is_(True), _in_area(Courier.district, Courier.district_code, district,
                                                          district_code)))
    ).all()
    return [domain.CourierLoad(uid, int(n), domain.as_utc(since)) for uid, n, since in rows]


def dispatch(uow: UnitOfWork, order: Order, fulfillment: Fulfillment) -> list[domain.DomainEvent]:
    """Offer a ready parcel to the least loaded available courier of its district; with nobody there it
    stays READY_FOR_PICKUP without a courier: the district's open board."""
    if fulfillment.status != domain.READY_FOR_PICKUP:
        return []
    chosen = domain.choose_courier(courier_loads(uow.session, fulfillment.district,
                                                         fulfillment.district_code), fulfillment.declined_by)
    if chosen is None:
        return []
    return fulfillment.assign(order, chosen)


def dispatch_waiting(uow: UnitOfWork, district: str, limit: int = 20, district_code: str | None = None) -> None:
    """A courier came on duty: offer the district's open board (oldest ready first) again, so parcels that
    waited for somebody do not wait for a courier to think of claiming them."""
    waiting = uow.session.scalars(_board_query(district, district_code).with_only_columns(Fulfillment.id).limit(limit)).all()
    for fulfillment_id in waiting:
        found = lock_order_of_fulfillment(uow, fulfillment_id)
        if found:
            order, fulfillment = found
            record(uow, order, dispatch(uow, order, fulfillment))
    for return_id in uow.session.scalars(_return_board_query(district).with_only_columns(ReturnPickup.id)
                                         .limit(limit)).all():
        r = uow.session.get(ReturnPickup, return_id)
        order = lock_order(uow, r.order_id)
        uow.session.refresh(r)
        record(uow, order, dispatch_return(uow, r))


def dispatch_return(uow: UnitOfWork, r: ReturnPickup) -> list[domain.DomainEvent]:
    """A return trip is offered like a delivery: the least loaded courier of the shopper's district who has not
    declined it, else it waits on the district's open board."""
    if r.status != domain.READY_FOR_PICKUP:
        return []
    chosen = domain.choose_courier(courier_loads(uow.session, r.district), r.declined_by)
    return r.assign(chosen) if chosen else []


def _return_board_query(district: str):
    return (select(ReturnPickup).where(ReturnPickup.status == domain.READY_FOR_PICKUP,
                                       ReturnPickup.courier_id.is_(None),
                                       func.lower(ReturnPickup.district) == district.strip().lower())
            .order_by(ReturnPickup.ready_at))


def _board_query(district: str, district_code: str | None = None):
    """The district's open board: ready parcels without a courier, the longest waiting first."""
    return (select(Fulfillment).where(Fulfillment.status == domain.READY_FOR_PICKUP, Fulfillment.courier_id.is_(None),
                                      _in_area(Fulfillment.district, Fulfillment.district_code, district,
                                               district_code))
            .order_by(Fulfillment.ready_at))


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


# -- the after-the-sale timers -------------------------------------------------------------------------
# Durable like the payment sweeper (the deadline is a column; a restarted worker finds what fell due), and
# once-only with two sweepers: each due parcel's order is locked with SKIP LOCKED on PostgreSQL (another
# sweeper holds it: leave it to that one), then the rule is asked again after the lock, so a parcel a
# sweeper already handled (or the shopper confirmed meanwhile) is left alone. SQLite's writers queue anyway.
def _lock_order_or_skip(uow: UnitOfWork, order_id: str) -> Order | None:
    query = select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
    if uow.db.is_postgres:
        query = query.with_for_update(skip_locked=True)
    order = uow.session.scalars(query).first()
    if order is not None:
        uow.session.refresh(order, ["fulfillments"])
    return order


def _sweep(db: Database, due_query, act, limit: int) -> list[str]:
    now = utcnow()
    emitted: list[str] = []
    with closing(db.Session()) as session:
        due = session.execute(due_query(now).limit(limit)).all()
    for fulfillment_id, order_id in due:
        with UnitOfWork(db, source=db.service) as uow:  # one parcel per transaction: one bad row stops no other
            order = _lock_order_or_skip(uow, order_id)
            if order is None:
                continue
            record(uow, order, act(order, order.fulfillment(fulfillment_id), now))
            emitted += uow.emitted
            uow.commit()
    return emitted


def auto_confirm_receipts(db: Database, limit: int = 100) -> list[str]:
    """Delivered parcels whose receipt window closed without the shopper's word are received (the seller's
    share is released by payments on fulfillment.received). Returns the emitted event ids."""
    def due(now):
        return (select(Fulfillment.id, Fulfillment.order_id)
                .where(Fulfillment.status == domain.DELIVERED, Fulfillment.received_at.is_(None),
                       Fulfillment.receipt_due_at <= now, ~_complained_about(Fulfillment.id))
                .order_by(Fulfillment.receipt_due_at))

    def act(order, f, now):
        if not f.receipt_overdue(now) or _open_complaint(object_session(order), f.id) is not None:
            return []  # asked again after the lock: an open complaint stops the receipt timer
        return f.confirm_receipt(order, domain.RECEIVED_BY_TIMER, now)
    return _sweep(db, due, act, limit)


def cancel_unshipped(db: Database, limit: int = 100) -> list[str]:
    """Parcels nobody handed to a courier within AUTO_CANCEL_UNSHIPPED_HOURS of confirmation are cancelled on
    their own (refunded, stock released); the rest of their order goes on."""
    def due(now):
        return (select(Fulfillment.id, Fulfillment.order_id).join(Order, Order.id == Fulfillment.order_id)
                .where(Order.status == domain.CONFIRMED, Fulfillment.status.in_(domain.NOT_YET_PICKED_UP),
                       Fulfillment.ship_by <= now).order_by(Fulfillment.ship_by))

    def act(order, f, now):
        if order.status != domain.CONFIRMED or not f.shipping_overdue(now):
            return []
        return order.cancel_fulfillment(f, domain.NOT_SHIPPED, now)
    return _sweep(db, due, act, limit)


# == cart ==============================================================================================
def cart(session: Session, shopper_id: str) -> dict:
    """`count` is what the cart badge says: pieces counted, a line sold by measure (1.5 kg) counts once."""
    lines = session.scalars(select(CartLine).where(CartLine.shopper_id == shopper_id)
                            .order_by(CartLine.added_at, CartLine.listing_id)).all()
    return {"lines": [{"listing_id": l.listing_id, "qty": Decimal(l.qty), "added_at": l.added_at} for l in lines],
            "count": sum(int(l.qty) if Decimal(l.qty) == int(l.qty) else 1 for l in lines)}


# -- produce: a listing's buying terms (issue 17) -------------------------------------------------------
def remember_listing_terms(uow: UnitOfWork, data: dict, occurred_at=None) -> None:
    """listing.published / listing.updated: keep how the listing is bought. The newest terms win, by their
    version (`as_of` in the event, else the event's `occurred_at`): an older event redelivered after a newer
    one (a retry queue, a replayed parked message) changes nothing; the same event again writes the same
    values."""
    as_of = domain.terms_version(data.get("as_of") or occurred_at)
    row = uow.session.get(ListingTerms, data["listing_id"], with_for_update=uow.db.is_postgres or None,
                          populate_existing=True)
    if row is None:
        row = ListingTerms(listing_id=data["listing_id"])
        uow.session.add(row)
    elif not domain.newer_terms(as_of, row.as_of):
        return
    row.as_of = as_of
    row.unit = data.get("unit") or "pcs"
    row.min_qty = quantity.parse(data.get("min_qty") or 1)
    row.qty_step = quantity.parse(data.get("qty_step") or 1)
    row.sellable_until = data.get("sellable_until")
    row.deliver_within = data.get("deliver_within") or ""
    row.delivery_window = bool(data.get("delivery_window"))
    row.shop_district = data.get("shop_district") or ""
    row.shop_regency = data.get("shop_regency") or ""


def _terms(session: Session, listing_ids) -> dict[str, domain.BuyingTerms]:
    rows = session.scalars(select(ListingTerms).where(ListingTerms.listing_id.in_(list(listing_ids)))).all()
    return {r.listing_id: domain.BuyingTerms(r.unit, Decimal(r.min_qty), Decimal(r.qty_step), r.sellable_until,
                                             r.deliver_within or "", r.shop_district or "", r.shop_regency or "",
                                             bool(r.delivery_window))
            for r in rows}


def _check_quantity(session: Session, listing_id: str, qty: Decimal) -> None:
    """A cart quantity off its listing's step or under its minimum, or a perishable past its shelf life: 422."""
    terms = _terms(session, [listing_id]).get(listing_id)
    if terms is None:
        return  # not heard of yet: the catalog decides at reservation
    problem = domain.sale_problem(terms, utcnow().date().isoformat())
    if problem:
        raise ApiError(422, problem, "expired", {"listing_id": [problem]})
    problem = domain.quantity_problem(terms, qty)
    if problem:
        raise ApiError(422, problem, "bad_quantity", {"qty": [problem]})


def _check_items(session: Session, items: list[dict], dropoff: dict, from_cart: bool) -> None:
    """Checkout: every line's quantity, shelf life and delivery distance, each named by its field."""
    terms = _terms(session, {i["listing_id"] for i in items})
    today = utcnow().date().isoformat()
    fields: dict = {}
    for index, item in enumerate(items):
        t = terms.get(item["listing_id"])
        if t is None:
            continue
        qty_problem = domain.quantity_problem(t, quantity.parse(item["qty"]))
        # a pre-order's shelf life starts at its harvest: only how near it delivers matters now
        other = (None if item.get("batch_id") else domain.sale_problem(t, today)) or domain.delivery_problem(t, dropoff)
        line: dict = {}
        if other:
            line["listing_id"] = [other]
        if qty_problem:
            line["qty"] = [qty_problem]
        if line:
            fields[str(index)] = line
    if fields:
        first = next(iter(fields.values()))
        message = next(iter(first.values()))[0]
        raise ApiError(422, message, "bad_quantity" if "qty" in first else "cannot_sell",
                       {"cart" if from_cart else "items": fields})


def _cart_line(session: Session, shopper_id: str, listing_id: str) -> CartLine | None:
    return session.scalars(select(CartLine).where(CartLine.shopper_id == shopper_id,
                                                  CartLine.listing_id == listing_id)).first()


def _new_cart_line(session: Session, shopper_id: str, listing_id: str, qty: int) -> None:
    count = session.scalar(select(func.count()).select_from(CartLine).where(CartLine.shopper_id == shopper_id))
    try:
        domain.ensure_cart_room(count)
    except domain.CartFull as err:
        raise ApiError(422, err.message, err.code, {"listing_id": ["the cart is full"]}) from err
    session.add(CartLine(shopper_id=shopper_id, listing_id=listing_id, qty=qty))


def add_to_cart(uow: UnitOfWork, shopper_id: str, listing_id: str, qty) -> dict:
    """`qty` more of a listing (a new line, or added to the one there). Prices and stock are the
    catalog's, checked at checkout; the listing's minimum and step (when known) are checked here."""
    qty = quantity.parse(qty)
    with uow:
        line = _cart_line(uow.session, shopper_id, listing_id)
        _check_quantity(uow.session, listing_id, qty + (Decimal(line.qty) if line is not None else 0))
        if line is None:
            _new_cart_line(uow.session, shopper_id, listing_id, qty)
        else:
            try:
                line.qty = domain.add_to_cart(Decimal(line.qty), qty)
            except domain.DomainError as err:
                raise ApiError(422, err.message, err.code, {"qty": [err.message]}) from err
        uow.commit()
        return cart(uow.session, shopper_id)


def set_cart_qty(uow: UnitOfWork, shopper_id: str, listing_id: str, qty) -> dict:
    qty = quantity.parse(qty)
    with uow:
        _check_quantity(uow.session, listing_id, qty)
        line = _cart_line(uow.session, shopper_id, listing_id)
        if line is None:
            _new_cart_line(uow.session, shopper_id, listing_id, qty)
        else:
            line.qty = qty
        uow.commit()
        return cart(uow.session, shopper_id)


def remove_from_cart(uow: UnitOfWork, shopper_id: str, listing_id: str) -> dict:
    with uow:
        uow.session.execute(delete(CartLine).where(CartLine.shopper_id == shopper_id,
                                                   CartLine.listing_id == listing_id))
        uow.commit()
        return cart(uow.session, shopper_id)


def merge_cart(uow: UnitOfWork, shopper_id: str, lines: list[dict]) -> dict:
    """The cookie cart a visitor filled before logging in, added into the account's cart (domain.merge_carts)."""
    incoming: dict[str, Decimal] = {}
    for line in lines:
        incoming[line["listing_id"]] = incoming.get(line["listing_id"], Decimal(0)) + quantity.parse(line["qty"])
    with uow:
        rows = {l.listing_id: l for l in uow.session.scalars(select(CartLine).where(CartLine.shopper_id == shopper_id))}
        merged, left_out = domain.merge_carts({k: Decimal(r.qty) for k, r in rows.items()}, incoming)
        for listing_id, qty in merged.items():
            if listing_id in rows:
                rows[listing_id].qty = qty
            else:
                uow.session.add(CartLine(shopper_id=shopper_id, listing_id=listing_id, qty=qty))
        uow.commit()
        return {**cart(uow.session, shopper_id), "left_out": left_out}


def empty_cart(uow: UnitOfWork, shopper_id: str) -> dict:
    with uow:
        uow.session.execute(delete(CartLine).where(CartLine.shopper_id == shopper_id))
        uow.commit()
        return cart(uow.session, shopper_id)


def delivery_fees(pickup_districts: list[str], dropoff_district: str | None) -> dict:
    return tariff().quote(pickup_districts, dropoff_district)


# == checkout and the shopper's orders =================================================================
def new_order(shopper_id: str, payment_method: str, items: list[dict], delivery_address: dict,
              delivery_window: dict | None = None) -> Order:
    return Order(id=new_id(), shopper_id=shopper_id, payment_method=payment_method, items=items,
                 delivery_address=delivery_address, created_at=utcnow(), delivery_window=delivery_window)


def _check_window(session: Session, items: list[dict], window: dict | None) -> None:
    """Perishables (issue 17): an order with a line that has a shelf life needs a delivery window within it (422
    naming `delivery_window`). A pre-order's line is fresh from its harvest: not counted here."""
    terms = _terms(session, {i["listing_id"] for i in items if not i.get("batch_id")})
    last_days = [t.sellable_until for t in terms.values() if domain.needs_window(t)]
    problem = domain.window_problem(window, utcnow().date(), last_days)
    if problem:
        raise ApiError(422, problem, "delivery_window", {"delivery_window": [problem]})


def _replay(session: Session, shopper_id: str, key: str, fingerprint: str) -> tuple[Order, int] | None:
    seen = session.get(IdempotencyKey, (shopper_id, key))
    if seen is None:
        return None
    if seen.request_hash != fingerprint:
        raise conflict("this Idempotency-Key was already used for a different order", "idempotency_key_reused")
    return session.get(Order, seen.order_id), 200


def order_placed_with_key(session: Session, shopper_id: str, key: str) -> Order:
    """The order a shopper's Idempotency-Key placed: a checkout resent after its answer was lost (a slow link)
    finds the order it already made, even though the cart it came from is empty now."""
    seen = session.get(IdempotencyKey, (shopper_id, key[:128]))
    order = session.get(Order, seen.order_id) if seen is not None else None
    if order is None or order.shopper_id != shopper_id:
        raise not_found("order")
    return order


def _items_to_check_out(session: Session, shopper_id: str, items: list[dict] | None) -> list[dict]:
    """The items sent, else the cart's lines; one line per listing either way. A pre-order (an item with a
    harvest batch) is checked out on its own."""
    if not items:
        items = [{"listing_id": l["listing_id"], "qty": l["qty"]} for l in cart(session, shopper_id)["lines"]]
        if not items:
            raise ApiError(422, "your cart is empty", "empty_cart", {"items": ["the cart is empty"]})
    merged = domain.merged_items(items)
    if any(i.get("batch_id") for i in merged) and len(merged) > 1:
        message = "a pre-order for a coming harvest is ordered on its own"
        raise ApiError(422, message, "preorder_alone", {"items": [message]})
    return merged


def place_order(uow: UnitOfWork, shopper_id: str, body: dict, key: str | None) -> tuple[Order, int]:
    """Check out `body` (its items, or the cart without them) and answer (order, 201); the same key and body
    again answer (that order, 200). The key is claimed in the order's own transaction, so a crash never
    leaves an order without its key (or a key without its order)."""
    body = {**body, "items": [{**i, "qty": quantity.wire(i["qty"])} for i in body["items"]]} \
        if body.get("items") else body   # exact decimals hashed (and carried) in their wire form
    if body.get("delivery_window"):
        window = body["delivery_window"]
        body = {**body, "delivery_window": {"date": str(window["date"]), "slot": window["slot"]}}
    else:
        body = {k: v for k, v in body.items() if k != "delivery_window"}
    fingerprint = domain.request_fingerprint(body)
    with uow:
        # the replay is looked up in the order's own transaction: one connection and one transaction per
        # checkout, not a second pair just to find no key (issue 14: a checkout's time is its round trips)
        if key and (again := _replay(uow.session, shopper_id, key, fingerprint)):
            uow.session.expunge(again[0])  # loaded as it is (with its parcels), kept out of the rollback
            return again
        items = _items_to_check_out(uow.session, shopper_id, body.get("items"))
        _check_items(uow.session, items, body["delivery_address"], not body.get("items"))
        _check_window(uow.session, items, body.get("delivery_window"))
        order = new_order(shopper_id, body["payment_method"], items, body["delivery_address"],
                          body.get("delivery_window"))
        try:
            if key:  # claimed first: a second request with this key waits on the row, then replays
                uow.session.add(IdempotencyKey(shopper_id=shopper_id, key=key, request_hash=fingerprint,
                                               order_id=order.id))
                uow.session.flush()
            uow.session.add(order)
            record(uow, order, order.placed())
            uow.commit()
            return order, 201
        except IntegrityError:
            if not key:
                raise
            # the same key raced in from a second request: answer with that request's order
    with closing(uow.db.Session()) as session:
        again = _replay(session, shopper_id, key, fingerprint)
        if again is None:
            raise conflict("this Idempotency-Key is being used right now; retry", "idempotency_key_busy")
        return again


def _own_order(session: Session, order_id: str, viewer_id: str, is_admin: bool) -> Order:
    order = session.get(Order, order_id)
    # another shopper's order is "not found", not "forbidden": its existence is not theirs to know
    if order is None or (order.shopper_id != viewer_id and not is_admin):
        raise not_found("order")
    return order


def list_orders(session: Session, shopper_id: str, status: str | None, limit: int, offset: int) -> dict:
    """The shopper's order history, newest first."""
    where = [Order.shopper_id == shopper_id]
    if status:
        where.append(Order.status == status)
    total = session.scalar(select(func.count()).select_from(Order).where(*where))
    rows = session.scalars(select(Order).where(*where).order_by(Order.created_at.desc())
                           .limit(limit).offset(offset)).all()
    return {"orders": rows, "total": total}


def order_with_timeline(session: Session, order_id: str, viewer_id: str,
                        is_admin: bool) -> tuple[Order, list[TimelineEntry]]:
    order = _own_order(session, order_id, viewer_id, is_admin)
    _show_courier_contacts(session, order)
    timeline = session.scalars(select(TimelineEntry).where(TimelineEntry.order_id == order_id)
                               .order_by(TimelineEntry.id)).all()
    return order, list(timeline)


def _show_courier_contacts(session: Session, order: Order) -> None:
    """Each parcel on its way carries its courier's name and phone for the shopper (a plain attribute for the
    answer, never stored)."""
    ids = {f.courier_id for f in order.fulfillments if f.courier_id and domain.courier_contact_visible(f.status)}
    couriers = {c.user_id: c for c in session.scalars(select(Courier).where(Courier.user_id.in_(ids)))} if ids else {}
    for f in order.fulfillments:
        c = couriers.get(f.courier_id) if domain.courier_contact_visible(f.status) else None
        f.courier_contact = {"name": c.name, "phone": c.phone} if c else None


def cancel_order(uow: UnitOfWork, order_id: str, viewer_id: str, is_admin: bool) -> Order:
    """The shopper cancels, until a courier picks up the first parcel; a paid order is refunded."""
    with uow:
        _own_order(uow.session, order_id, viewer_id, is_admin)
        order = lock_order(uow, order_id)
        record(uow, order, order.cancel("shopper_cancelled", utcnow()))
        uow.commit()
        return order


def confirm_receipt(uow: UnitOfWork, order_id: str, fulfillment_id: str, viewer_id: str,
                    is_admin: bool) -> Fulfillment:
    """"Pesanan diterima": the shopper says the parcel arrived; the seller's share is released. Again: the
    same answer, nothing emitted twice."""
    with uow:
        _own_order(uow.session, order_id, viewer_id, is_admin)
        order = lock_order(uow, order_id)
        uow.session.refresh(order, ["fulfillments"])
        try:
            f = order.fulfillment(fulfillment_id)
        except domain.NotYours as err:
            raise not_found("fulfillment") from err
        if not f.received and _open_complaint(uow.session, f.id) is not None:
            raise conflict("this parcel has an open complaint; it ends with the complaint", "complaint_open")
        record(uow, order, f.confirm_receipt(order, domain.RECEIVED_BY_SHOPPER, utcnow()))
        uow.commit()
        return _with_order(f)


def _with_order(f: Fulfillment) -> Fulfillment:
    """Load the fulfillment's order while the session is open: the answer shows its address and status."""
    assert f.order is not None
    return f


# == sellers' fulfillments =============================================================================
def list_fulfillments(session: Session, seller_id: str, status: str | None, limit: int, offset: int) -> dict:
    """Parcels to prepare: fulfillments of confirmed orders whose seller (or managing agent) is `seller_id`."""
    where = [or_(Fulfillment.seller_id == seller_id, Fulfillment.agent_id == seller_id),
             Fulfillment.pickup_deadline.is_not(None)]
    if status:
        where.append(Fulfillment.status == status)
    total = session.scalar(select(func.count()).select_from(Fulfillment).where(*where))
    rows = session.scalars(select(Fulfillment).options(joinedload(Fulfillment.order)).where(*where)
                           .order_by(Fulfillment.created_at.desc()).limit(limit).offset(offset)).unique().all()
    return {"fulfillments": rows, "total": total}


def _fulfillment(session: Session, fulfillment_id: str) -> Fulfillment | None:
    return session.scalars(select(Fulfillment).options(joinedload(Fulfillment.order))
                           .where(Fulfillment.id == fulfillment_id)).first()


def sellers_fulfillment(session: Session, fulfillment_id: str, viewer_id: str, is_admin: bool) -> Fulfillment:
    """A confirmed order's fulfillment, for its seller, their managing agent or an admin; 404 for anyone else."""
    f = _fulfillment(session, fulfillment_id)
    if f is None or f.pickup_deadline is None or not (is_admin or viewer_id in (f.seller_id, f.agent_id)):
        raise not_found("fulfillment")
    return f


def mark_ready(uow: UnitOfWork, fulfillment_id: str, viewer_id: str, is_admin: bool) -> Fulfillment:
    """The parcel is packed: it is offered to the least loaded available courier of the shop's district,
    or waits on that district's open board."""
    with uow:
        sellers_fulfillment(uow.session, fulfillment_id, viewer_id, is_admin)
        order, f = lock_order_of_fulfillment(uow, fulfillment_id)
        record(uow, order, f.mark_ready(order, utcnow()))
        record(uow, order, dispatch(uow, order, f))
        uow.commit()
        return _with_order(f)


def refuse_fulfillment(uow: UnitOfWork, fulfillment_id: str, viewer_id: str, is_admin: bool,
                       reason: str) -> Fulfillment:
    """The seller cannot fill this parcel (out of stock, harvest failed) before a courier has it: it alone is
    cancelled, its stock released, the shopper refunded for it; the order's other parcels go on."""
    with uow:
        sellers_fulfillment(uow.session, fulfillment_id, viewer_id, is_admin)
        order, f = lock_order_of_fulfillment(uow, fulfillment_id)
        record(uow, order, order.cancel_fulfillment(f, reason, utcnow()))
        uow.commit()
        return _with_order(f)


# == couriers ==========================================================================================
def _courier_view(session: Session, courier: Courier) -> dict:
    active = session.scalar(select(func.count()).select_from(Fulfillment).where(
        Fulfillment.courier_id == courier.user_id, Fulfillment.status.in_(domain.ACTIVE_DELIVERY)))
    return {"user_id": courier.user_id, "name": courier.name, "district": courier.district,
            "district_code": courier.district_code, "available": courier.available, "active_deliveries": active}


def courier_profile(session: Session, courier_id: str, token_name: str, token_district: str | None) -> dict:
    courier = session.get(Courier, courier_id)
    if courier is None:  # not yet heard of from the gateway: what the token says, off duty
        return {"user_id": courier_id, "name": token_name, "district": token_district, "available": False,
                "active_deliveries": 0}
    return _courier_view(session, courier)


def set_duty(uow: UnitOfWork, courier_id: str, token_name: str | None, token_district: str | None,
             available: bool, district: str | None, district_code: str | None = None) -> dict:
    """Go on or off duty (and optionally move district). Coming on duty offers the district's waiting
    parcels again at once."""
    with uow:
        courier = uow.session.get(Courier, courier_id)
        if courier is None:
            courier = Courier(user_id=courier_id, name=token_name or "", district=token_district, available=False)
            uow.session.add(courier)
        try:
            change = domain.change_duty(courier.available, courier.district, available, district)
        except domain.DistrictRequired as err:
            raise ApiError(422, err.message, err.code, {"district": ["required before going on duty"]}) from err
        # a district chosen from the official list comes with its code; another typed name drops the old code
        # (the same name sent again, as the duty form does, keeps it)
        if district_code or (district and not domain.same_district(district, courier.district)):
            courier.district_code = district_code or None
        courier.district = change.district
        if change.coming_on_duty:
            courier.available_since = utcnow()
        courier.available = change.available
        if change.coming_on_duty:
            uow.session.flush()
            dispatch_waiting(uow, courier.district, district_code=courier.district_code)
        uow.commit()
        return _courier_view(uow.session, courier)


def courier_account_changed(uow: UnitOfWork, user_id: str, role: str, name: str | None, phone: str | None,
                            district: str | None) -> None:
    """Orders keeps couriers (id, name, phone, district) so it can dispatch without asking the gateway."""
    courier = uow.session.get(Courier, user_id)
    if role != "courier":
        if courier is not None:
            courier.available = False  # no longer a courier: never dispatch to them again
        return
    if courier is None:
        courier = Courier(user_id=user_id, available=False)
        uow.session.add(courier)
    courier.name = name or ""
    courier.phone = phone
    if district and district != courier.district:  # the account's typed district: no official code
        courier.district, courier.district_code = district, None


# == deliveries ========================================================================================
def _courier_district(session: Session, courier_id: str, token_district: str | None) -> str | None:
    """The district on record, else the token's (a courier the gateway has not told us about yet)."""
    courier = session.get(Courier, courier_id)
    return courier.district if courier else token_district


def _courier_district_code(session: Session, courier_id: str) -> str | None:
    courier = session.get(Courier, courier_id)
    return courier.district_code if courier else None


def list_deliveries(session: Session, courier_id: str, status: str | None, limit: int, offset: int) -> dict:
    """The courier's deliveries: offered to them, accepted, picked up, delivered."""
    where = [Fulfillment.courier_id == courier_id]
    if status:
        where.append(Fulfillment.status == status)
    total = session.scalar(select(func.count()).select_from(Fulfillment).where(*where))
    rows = session.scalars(select(Fulfillment).options(joinedload(Fulfillment.order)).where(*where)
                           .order_by(Fulfillment.updated_at.desc()).limit(limit + offset)).unique().all()
    # return trips (issue 16) are the courier's jobs too: one list, newest first
    returns_where = [ReturnPickup.courier_id == courier_id]
    if status:
        returns_where.append(ReturnPickup.status == status)
    total += session.scalar(select(func.count()).select_from(ReturnPickup).where(*returns_where))
    returns = session.scalars(select(ReturnPickup).where(*returns_where)
                              .order_by(ReturnPickup.updated_at.desc()).limit(limit + offset)).unique().all()
    jobs = sorted([*rows, *returns], key=lambda job: domain.as_utc(job.updated_at), reverse=True)
    return {"deliveries": jobs[offset:offset + limit], "total": total}


def open_board(session: Session, courier_id: str, token_district: str | None) -> dict:
    """Ready parcels of the courier's district that no courier has: any courier of the district may claim one."""
    district = _courier_district(session, courier_id, token_district)
    if not district:
        return {"deliveries": [], "total": 0}
    rows = session.scalars(_board_query(district, _courier_district_code(session, courier_id))
                           .options(joinedload(Fulfillment.order))).unique().all()
    rows = [*rows, *session.scalars(_return_board_query(district)).unique().all()]
    return {"deliveries": rows, "total": len(rows)}


def visible_delivery(session: Session, fulfillment_id: str, courier_id: str, is_admin: bool,
                     token_district: str | None) -> Fulfillment:
    """A delivery the courier has, or one on their district's board; another courier's does not exist (404)."""
    f = _fulfillment(session, fulfillment_id) or session.get(ReturnPickup, fulfillment_id)
    if f is None or not (is_admin or f.courier_id == courier_id
                         or f.on_board_of(_courier_district(session, courier_id, token_district),
                                          _courier_district_code(session, courier_id))):
        raise not_found("delivery")
    return f


def _courier_action(uow: UnitOfWork, fulfillment_id: str, courier_id: str, is_admin: bool,
                    token_district: str | None, act, act_on_return=None) -> Fulfillment | ReturnPickup:
    """Check the courier may see the delivery, lock its order, let `act(order, f)` move it, record, commit.
    A return trip (same endpoints, same pages) is moved by `act_on_return(order, r)` instead."""
    with uow:
        job = visible_delivery(uow.session, fulfillment_id, courier_id, is_admin, token_district)
        if isinstance(job, ReturnPickup):
            order = lock_order(uow, job.order_id)
            uow.session.refresh(order, ["fulfillments"])
            uow.session.refresh(job)
            record(uow, order, act_on_return(order, job))
            uow.commit()
            return _with_order(job)
        order, f = lock_order_of_fulfillment(uow, fulfillment_id)
        record(uow, order, act(order, f))
        uow.commit()
        return _with_order(f)


def _complaint_of(uow: UnitOfWork, r: ReturnPickup) -> Complaint:
    return uow.session.get(Complaint, r.complaint_id, populate_existing=True)


def _return_picked_up(uow: UnitOfWork, order: Order, r: ReturnPickup, courier_id: str) -> list[domain.DomainEvent]:
    """The courier has the goods: the complaint says they are on their way back (the seller is told)."""
    now = utcnow()
    events = r.pick_up(courier_id, now)
    c = _complaint_of(uow, r)
    if c.status == domain.C_RETURN_REQUESTED:
        events += c.return_sent(courier_id, now, complaint_window(), role="courier")
    return events


def _return_delivered(uow: UnitOfWork, order: Order, r: ReturnPickup, courier_id: str,
                      cash: int | None) -> list[domain.DomainEvent]:
    """Handed over at the shop: the seller has the goods back, so the agreed refund is released."""
    now = utcnow()
    events = r.deliver(courier_id, cash, now)
    return events + _complaint_of(uow, r).return_delivered(order.fulfillment(r.fulfillment_id), courier_id, now)


def accept_delivery(uow: UnitOfWork, fulfillment_id: str, courier_id: str, is_admin: bool,
                    token_district: str | None) -> Fulfillment:
    return _courier_action(uow, fulfillment_id, courier_id, is_admin, token_district,
                           lambda order, f: f.accept(courier_id), lambda order, r: r.accept(courier_id))


def decline_delivery(uow: UnitOfWork, fulfillment_id: str, courier_id: str, is_admin: bool,
                     token_district: str | None) -> Fulfillment:
    """Declined: offered to the next courier of the district (never back to this one), else the board."""
    return _courier_action(uow, fulfillment_id, courier_id, is_admin, token_district,
                           lambda order, f: f.decline(order, courier_id) + dispatch(uow, order, f),
                           lambda order, r: r.decline(courier_id) + dispatch_return(uow, r))


def claim_delivery(uow: UnitOfWork, fulfillment_id: str, courier_id: str, is_admin: bool,
                   token_district: str | None) -> Fulfillment:
    district = lambda: _courier_district(uow.session, courier_id, token_district)  # noqa: E731
    code = lambda: _courier_district_code(uow.session, courier_id)  # noqa: E731
    return _courier_action(uow, fulfillment_id, courier_id, is_admin, token_district,
                           lambda order, f: f.claim(order, courier_id, district(), code()),
                           lambda order, r: r.claim(courier_id, district(), code()))


def pick_up(uow: UnitOfWork, fulfillment_id: str, courier_id: str, is_admin: bool,
            token_district: str | None) -> Fulfillment:
    return _courier_action(uow, fulfillment_id, courier_id, is_admin, token_district,
                           lambda order, f: f.pick_up(order, courier_id, utcnow()),
                           lambda order, r: _return_picked_up(uow, order, r, courier_id))


def deliver(uow: UnitOfWork, fulfillment_id: str, courier_id: str, is_admin: bool, token_district: str | None,
            cod_amount_collected: int | None) -> Fulfillment:
    """Handed over (cash on delivery: with exactly the cash due); the last parcel completes the order."""
    def act(order: Order, f: Fulfillment) -> list[domain.DomainEvent]:
        now = utcnow()
        return (f.deliver(order, courier_id, cod_amount_collected, now, receipt_window())
                + order.complete_if_all_delivered(now))
    return _courier_action(uow, fulfillment_id, courier_id, is_admin, token_district, act,
                           lambda order, r: _return_delivered(uow, order, r, courier_id, cod_amount_collected))


# == the saga: answers from the catalog and payments ===================================================
# Idempotent by state as well as by event id: each looks at where the order is before moving it, so a
# repeated business fact (a second event with a new id) changes nothing.
def stock_reserved(uow: UnitOfWork, order_id: str, lines: list[dict]) -> None:
    order = lock_order(uow, order_id)
    if order is None or order.status != domain.PLACED:
        return  # late or repeated answer: the order has moved on
    events = order.reserve(lines, tariff(), utcnow(), payment_timeout(), pickup_window(), new_id, ship_window())
    record(uow, order, events)
    # what was bought leaves the cart; a rejected order leaves it in place to be fixed
    bought = [item["listing_id"] for item in order.items]
    uow.session.execute(delete(CartLine).where(CartLine.shopper_id == order.shopper_id,
                                               CartLine.listing_id.in_(bought)))


def stock_rejected(uow: UnitOfWork, order_id: str, problems: list[dict]) -> None:
    order = lock_order(uow, order_id)
    if order is None or order.status != domain.PLACED:
        return
    record(uow, order, order.reject(problems, utcnow()))


def payment_succeeded(uow: UnitOfWork, order_id: str, payment_id: str) -> None:
    order = lock_order(uow, order_id)
    if order is None:
        return
    if order.status == domain.AWAITING_PAYMENT:
        record(uow, order, order.payment_succeeded(payment_id, utcnow(), pickup_window(), ship_window()))
    elif order.status == domain.CANCELLED:
        record(uow, order, order.late_payment(payment_id))


class NotReservedYet(RuntimeError):
    """A harvest outcome for an order whose reservation orders has not heard yet: the worker retries later."""


def harvest_recorded(uow: UnitOfWork, filled: list[str], unfilled: list[str]) -> None:
    """The catalog recorded a batch's harvest (issue 17): the filled pre-orders are confirmed or asked for their
    money; the others are cancelled through the ordinary cancel (order.cancelled: payments refunds what was
    paid, the catalog has nothing left to release, notifications tells the shopper). Idempotent by state: an
    order already told (or cancelled by its shopper) changes nothing."""
    now = utcnow()
    for order_id in sorted(set(filled) | set(unfilled)):   # id order: the same lock order as any other writer
        order = lock_order(uow, order_id)
        if order is None:
            continue
        if order.status == domain.PLACED:
            raise NotReservedYet(f"order {order_id} is still waiting for its reservation")
        if order.preorder is None:
            continue
        if order_id in filled:
            events = order.harvest_filled(now, payment_timeout(), pickup_window(), ship_window())
        else:
            events = order.harvest_short(now)
        record(uow, order, events)


def payment_failed(uow: UnitOfWork, order_id: str, payment_id: str | None) -> None:
    order = lock_order(uow, order_id)
    if order is None or order.status != domain.AWAITING_PAYMENT:
        return
    record(uow, order, order.payment_failed(payment_id, utcnow()))


# == complaints and returns (issue 16) ==================================================================
# Every step locks the complaint's order first (the same lock as the receipt timer and the shopper's receipt),
# then reads the complaint again, so a step and the timer never both act on one complaint.
def _complained_about(fulfillment_id_column):
    """SQL: the parcel has a complaint that is not resolved (the receipt timer leaves it alone)."""
    return exists(select(Complaint.id).where(Complaint.fulfillment_id == fulfillment_id_column,
                                             Complaint.status != domain.C_RESOLVED))


def _open_complaint(session: Session, fulfillment_id: str) -> Complaint | None:
    return session.scalars(select(Complaint).where(Complaint.fulfillment_id == fulfillment_id,
                                                   Complaint.status != domain.C_RESOLVED)).first()


def _may_see_complaint(c: Complaint, viewer_id: str, role: str | None, is_admin: bool) -> bool:
    if is_admin:
        return True
    if role == "shopper":
        return c.shopper_id == viewer_id
    if role in ("seller", "agent"):
        return viewer_id in (c.seller_id, c.agent_id)
    return False


def complaint_for(session: Session, complaint_id: str, viewer_id: str, role: str | None,
                  is_admin: bool) -> Complaint:
    """The complaint for its shopper, its seller (or their agent) and the operator; a 404 for anyone else."""
    c = session.get(Complaint, complaint_id)
    if c is None or not _may_see_complaint(c, viewer_id, role, is_admin):
        raise not_found("complaint")
    return c


def list_complaints(session: Session, viewer_id: str, role: str | None, is_admin: bool, status: str | None,
                    fulfillment_id: str | None, limit: int, offset: int, order_id: str | None = None) -> dict:
    """The shopper's complaints, the seller's (or agent's) about their parcels, or (operator) all of them."""
    where = []
    if not is_admin:
        if role == "shopper":
            where.append(Complaint.shopper_id == viewer_id)
        elif role in ("seller", "agent"):
            where.append(or_(Complaint.seller_id == viewer_id, Complaint.agent_id == viewer_id))
        else:
            return {"complaints": [], "total": 0}
    if status:
        where.append(Complaint.status == status)
    if fulfillment_id:
        where.append(Complaint.fulfillment_id == fulfillment_id)
    if order_id:
        where.append(Complaint.order_id == order_id)
    total = session.scalar(select(func.count()).select_from(Complaint).where(*where))
    rows = session.scalars(select(Complaint).where(*where).order_by(Complaint.created_at.desc())
                           .limit(limit).offset(offset)).all()
    return {"complaints": list(rows), "total": total}


def _complaint_step(uow: UnitOfWork, complaint_id: str, viewer_id: str, role: str | None, is_admin: bool,
                    act) -> Complaint:
    """Check who may see it, lock its order, read it again, let `act(c, order, f)` move it, record, commit."""
    with uow:
        c = complaint_for(uow.session, complaint_id, viewer_id, role, is_admin)
        order = lock_order(uow, c.order_id)
        uow.session.refresh(order, ["fulfillments"])
        uow.session.refresh(c)
        f = order.fulfillment(c.fulfillment_id)
        events = act(c, order, f)
        record(uow, order, events + _returns_follow(uow, c, order, f))
        uow.session.flush()
        uow.session.refresh(c, ["return_trips"])  # the answer shows the trip this step started or called off
        uow.commit()
        return c


def live_return(session: Session, complaint_id: str) -> ReturnPickup | None:
    """The complaint's return trip that is not called off (at most one at a time)."""
    return session.scalars(select(ReturnPickup).where(ReturnPickup.complaint_id == complaint_id,
                                                      ReturnPickup.status != domain.CANCELLED)
                           .order_by(ReturnPickup.created_at.desc())).first()


def _returns_follow(uow: UnitOfWork, c: Complaint, order: Order, f: Fulfillment) -> list[domain.DomainEvent]:
    """After a complaint step: a return asked (by the seller or the operator) gets its courier trip; a complaint
    settled another way before the courier has the goods calls the trip off."""
    live = live_return(uow.session, c.id)
    now = utcnow()
    if c.status == domain.C_RETURN_REQUESTED and live is None:
        r = domain.ReturnPickup(new_id(), c, order, f, domain.return_fee(tariff(), f, order), now)
        uow.session.add(r)
        uow.session.flush()
        return r.opened() + dispatch_return(uow, r)
    if c.status == domain.C_RESOLVED and live is not None:
        return live.cancel("complaint_resolved", now)
    return []


def open_complaint(uow: UnitOfWork, order_id: str, fulfillment_id: str, viewer_id: str, reason: str,
                   text: str, photos: list[str]) -> tuple[Complaint, int]:
    """The shopper complains about one delivered parcel within its receipt window. The receipt timer stops and
    the seller's share stays held. One complaint per parcel: asking again answers (the same complaint, 200)."""
    with uow:
        _own_order(uow.session, order_id, viewer_id, False)
        order = lock_order(uow, order_id)
        uow.session.refresh(order, ["fulfillments"])
        f = order.fulfillment(fulfillment_id)
        existing = uow.session.scalars(select(Complaint).where(Complaint.fulfillment_id == f.id)).first()
        if existing is not None:
            uow.commit()  # nothing to write; committing (not rolling back) keeps the answer loaded
            return existing, 200
        c = domain.Complaint(new_id(), order, f, reason, text, photos, utcnow(), complaint_window())
        uow.session.add(c)
        record(uow, order, c.opened())
        uow.session.flush()
        uow.session.refresh(c, ["return_trips"])  # none yet, but loaded: the answer is shaped after the session
        uow.commit()
        return c, 201


def add_complaint_photo(uow: UnitOfWork, complaint_id: str, viewer_id: str, role: str | None, is_admin: bool,
                        upload: bytes) -> Complaint:
    """The complaint's shopper adds one photo (at most 3 with any addresses given on opening): checked and
    re-encoded before anything is kept; too large is 413, not a picture (or too many pixels) 422, a 4th 422.
    Anybody else gets the same 404 as for a complaint they cannot see."""
    with uow:  # cheap refusals before the picture is decoded (read only: rolled back)
        c = complaint_for(uow.session, complaint_id, viewer_id, role, is_admin)
        if role != "shopper" or is_admin:
            raise not_found("complaint")
        c.may_add_photo(viewer_id)
    try:
        key, thumb_key = complaint_photos.store(complaint_id, upload)
    except images.BadImage as exc:
        status = 413 if exc.too_large else 422
        raise ApiError(status, str(exc), "bad_photo", {"photo": [str(exc)]}) from exc
    try:
        with uow:
            c = complaint_for(uow.session, complaint_id, viewer_id, role, is_admin)
            lock_order(uow, c.order_id)
            uow.session.refresh(c)  # under the order's lock: two uploads at once cannot both be the 3rd
            c.add_photo(key, thumb_key, viewer_id, utcnow())
            uow.session.flush()
            uow.session.refresh(c, ["return_trips"])
            uow.commit()
            return c
    except BaseException:
        complaint_photos.remove(key, thumb_key)  # refused after all: keep no orphan files
        raise


def complaint_photo(session: Session, complaint_id: str, n: int, viewer_id: str, role: str | None,
                    is_admin: bool, thumb: bool) -> bytes:
    """Photo `n` of a complaint (or its thumbnail) for its shopper, seller (or agent) and the operator."""
    c = complaint_for(session, complaint_id, viewer_id, role, is_admin)
    upload = c.upload(n)
    data = complaint_photos.read(upload["thumb_key" if thumb else "key"]) if upload else None
    if data is None:
        raise not_found("photo")
    return data


def answer_complaint(uow: UnitOfWork, complaint_id: str, viewer_id: str, role: str | None, is_admin: bool,
                     answer: str, amount: int | None, reason: str | None) -> Complaint:
    """The seller (or their agent): a refund (the whole parcel, or `amount`), a return then refund, or a
    rejection with a reason."""
    if role not in ("seller", "agent"):
        raise not_found("complaint")
    return _complaint_step(uow, complaint_id, viewer_id, role, is_admin, lambda c, order, f: c.answer_by_seller(
        f, viewer_id, answer, amount, reason, utcnow(), complaint_window()))


def _as_shopper(role: str | None) -> None:
    if role != "shopper":
        raise not_found("complaint")


def accept_rejection(uow: UnitOfWork, complaint_id: str, viewer_id: str, role: str | None) -> Complaint:
    _as_shopper(role)
    return _complaint_step(uow, complaint_id, viewer_id, role, False,
                           lambda c, order, f: c.accept_rejection(f, viewer_id, utcnow()))


def escalate_complaint(uow: UnitOfWork, complaint_id: str, viewer_id: str, role: str | None,
                       why: str | None) -> Complaint:
    _as_shopper(role)
    return _complaint_step(uow, complaint_id, viewer_id, role, False,
                           lambda c, order, f: c.escalate(viewer_id, "shopper", utcnow(), why))


def return_sent(uow: UnitOfWork, complaint_id: str, viewer_id: str, role: str | None) -> Complaint:
    """The shopper handed the goods over for the way back to the seller."""
    _as_shopper(role)
    return _complaint_step(uow, complaint_id, viewer_id, role, False,
                           lambda c, order, f: c.return_sent(viewer_id, utcnow(), complaint_window()))


def return_received(uow: UnitOfWork, complaint_id: str, viewer_id: str, role: str | None,
                    is_admin: bool) -> Complaint:
    """The seller has the goods back: the agreed refund goes to the shopper."""
    if role not in ("seller", "agent"):
        raise not_found("complaint")
    return _complaint_step(uow, complaint_id, viewer_id, role, is_admin,
                           lambda c, order, f: c.return_received(f, viewer_id, utcnow()))


def decide_complaint(uow: UnitOfWork, complaint_id: str, operator_id: str, decision: str, amount: int | None,
                     note: str) -> Complaint:
    """The operator decides: a refund of `amount`, a return, or release to the seller; who, when and why are
    kept on the complaint."""
    return _complaint_step(uow, complaint_id, operator_id, "admin", True, lambda c, order, f: c.decide(
        f, operator_id, decision, amount, note, utcnow(), complaint_window()))


def escalate_overdue_complaints(db: Database, limit: int = 100) -> list[str]:
    """Complaints that waited on somebody longer than COMPLAINT_RESPONSE_HOURS go to the operator. Durable and
    once-only like the receipt timers: the deadline is a column, each order is taken with SKIP LOCKED, and the
    rule is asked again after the lock."""
    now = utcnow()
    emitted: list[str] = []
    with closing(db.Session()) as session:
        due = session.execute(select(Complaint.id, Complaint.order_id)
                              .where(Complaint.status.in_(domain.WAITING_ON_A_PARTY), Complaint.respond_by <= now)
                              .order_by(Complaint.respond_by).limit(limit)).all()
    for complaint_id, order_id in due:
        with UnitOfWork(db, source=db.service) as uow:
            order = _lock_order_or_skip(uow, order_id)
            if order is None:
                continue
            c = uow.session.get(Complaint, complaint_id, populate_existing=True)
            if c is None or not c.overdue(now):
                continue
            record(uow, order, c.escalate("timer", "timer", now))
            emitted += uow.emitted
            uow.commit()
    return emitted
