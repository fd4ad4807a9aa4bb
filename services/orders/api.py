"""Orders HTTP API: cart, checkout, order history, sellers' fulfillments, couriers and their deliveries.
Routes parse, authorise and hand over to the domain through the service layer; nothing else."""
from __future__ import annotations

import functools

from flask_smorest import Blueprint
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from pasar.auth import current_identity, require_roles
from pasar.stamps import utcnow
from pasar.errors import ApiError, conflict, not_found
from pasar.idempotency import KEY_PARAMETER, idempotency_key, idempotent
from pasar.web import read_session, uow

from . import domain, service
from .models import CartLine, Courier, Fulfillment, IdempotencyKey, Order, TimelineEntry
from .schemas import (CartLineIn, CartOut, CartQtyIn, CourierIn, CourierOut, DeclinedOut, DeliverIn, DeliveryFeeArgs,
                      DeliveryFeesOut, DeliveryListOut, OrderDetailOut,
                      OrderIn, OrderListOut, OrderOut, PageArgs, WorkListOut, WorkOut)

orders_blp = Blueprint("orders", __name__, url_prefix="/api/v1/orders", description="Checkout and order history")
cart_blp = Blueprint("cart", __name__, url_prefix="/api/v1/cart", description="The shopper's cart")
fulfillments_blp = Blueprint("fulfillments", __name__, url_prefix="/api/v1/fulfillments",
                             description="Sellers' (and their agents') part of each order")
couriers_blp = Blueprint("couriers", __name__, url_prefix="/api/v1/couriers", description="Courier profile")
deliveries_blp = Blueprint("deliveries", __name__, url_prefix="/api/v1/deliveries",
                           description="Couriers' deliveries and their district's open board")
fees_blp = Blueprint("delivery-fees", __name__, url_prefix="/api/v1/delivery-fees",
                     description="The delivery tariff, so a shopper sees the whole price before ordering")
BLUEPRINTS = [orders_blp, cart_blp, fulfillments_blp, couriers_blp, deliveries_blp, fees_blp]
AUTH = [{"bearerAuth": []}]


def domain_errors(view):
    """Domain refusals become the API's error body: another's thing is 404, a wrong amount 422, a move the
    state machine forbids 409."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except domain.NotYours as err:
            raise not_found("delivery") from err
        except domain.CashMismatch as err:
            raise ApiError(422, err.message, err.code, {"cod_amount_collected": [err.message]}) from err
        except domain.DomainError as err:
            raise ApiError(409, err.message, err.code) from err
    return wrapper


# == cart ===========================================================================================
def _cart(session, shopper_id: str) -> dict:
    lines = session.scalars(select(CartLine).where(CartLine.shopper_id == shopper_id)
                            .order_by(CartLine.added_at, CartLine.listing_id)).all()
    return {"lines": [{"listing_id": l.listing_id, "qty": l.qty, "added_at": l.added_at} for l in lines],
            "count": sum(l.qty for l in lines)}


def _ensure_room(session, shopper_id: str) -> None:
    count = session.scalar(select(func.count()).select_from(CartLine).where(CartLine.shopper_id == shopper_id))
    if count >= domain.MAX_CART_LINES:  # one checkout takes at most this many different items
        raise ApiError(422, f"a cart holds at most {domain.MAX_CART_LINES} different items", "cart_full",
                       {"listing_id": ["the cart is full"]})


@cart_blp.route("", methods=["GET"])
@cart_blp.response(200, CartOut)
@cart_blp.doc(security=AUTH)
@require_roles("shopper")
def get_cart():
    with read_session() as session:
        return _cart(session, current_identity().user_id)


@cart_blp.route("/lines", methods=["POST"])
@idempotent
@cart_blp.arguments(CartLineIn)
@cart_blp.response(200, CartOut)
@cart_blp.doc(security=AUTH)
@require_roles("shopper")
@domain_errors
def add_to_cart(body):
    """Add `qty` of a listing (added to what is already there, so a retry should carry an Idempotency-Key).
    Prices and stock are the catalog's, checked at checkout."""
    shopper_id = current_identity().user_id
    with uow() as work:
        line = work.session.scalars(select(CartLine).where(
            CartLine.shopper_id == shopper_id, CartLine.listing_id == body["listing_id"])).first()
        try:
            if line is None:
                _ensure_room(work.session, shopper_id)
                work.session.add(CartLine(shopper_id=shopper_id, listing_id=body["listing_id"], qty=body["qty"]))
            else:
                line.qty = domain.add_to_cart(line.qty, body["qty"])
        except domain.DomainError as err:
            raise ApiError(422, err.message, err.code, {"qty": [err.message]}) from err
        work.commit()
        return _cart(work.session, shopper_id)


@cart_blp.route("/lines/<listing_id>", methods=["PUT"])
@cart_blp.arguments(CartQtyIn)
@cart_blp.response(200, CartOut)
@cart_blp.doc(security=AUTH)
@require_roles("shopper")
def set_cart_qty(body, listing_id: str):
    shopper_id = current_identity().user_id
    with uow() as work:
        line = work.session.scalars(select(CartLine).where(
            CartLine.shopper_id == shopper_id, CartLine.listing_id == listing_id)).first()
        if line is None:
            _ensure_room(work.session, shopper_id)
            work.session.add(CartLine(shopper_id=shopper_id, listing_id=listing_id, qty=body["qty"]))
        else:
            line.qty = body["qty"]
        work.commit()
        return _cart(work.session, shopper_id)


@cart_blp.route("/lines/<listing_id>", methods=["DELETE"])
@cart_blp.response(200, CartOut)
@cart_blp.doc(security=AUTH)
@require_roles("shopper")
def remove_from_cart(listing_id: str):
    shopper_id = current_identity().user_id
    with uow() as work:
        work.session.execute(delete(CartLine).where(CartLine.shopper_id == shopper_id,
                                                    CartLine.listing_id == listing_id))
        work.commit()
        return _cart(work.session, shopper_id)


@cart_blp.route("", methods=["DELETE"])
@cart_blp.response(200, CartOut)
@cart_blp.doc(security=AUTH)
@require_roles("shopper")
def empty_cart():
    shopper_id = current_identity().user_id
    with uow() as work:
        work.session.execute(delete(CartLine).where(CartLine.shopper_id == shopper_id))
        work.commit()
        return _cart(work.session, shopper_id)


# == delivery fees ===================================================================================
@fees_blp.route("", methods=["GET"])
@fees_blp.arguments(DeliveryFeeArgs, location="query")
@fees_blp.response(200, DeliveryFeesOut)
def delivery_fees(args):
    """The fee per seller from each shop's district to the shopper's (public: it is the published tariff).
    Checkout charges exactly this: the catalog's pickup district and the delivery address' district."""
    tariff = service.tariff()
    to = args.get("to")
    fees = [{"from_": district, "fee": tariff.fee(district, to)} for district in args["from_"]] if to else []
    body = {"same_district": tariff.same_district, "other_district": tariff.other_district, "to": to, "fees": fees,
            "total": sum(f["fee"] for f in fees), "currency": "IDR"}
    return body, 200, {"Cache-Control": "public, max-age=300"}


# == orders ==========================================================================================
def _merged(items: list[dict]) -> list[dict]:
    """One line per listing, so the catalog reserves each once."""
    qty: dict[str, int] = {}
    for item in items:
        qty[item["listing_id"]] = qty.get(item["listing_id"], 0) + item["qty"]
    return [{"listing_id": lid, "qty": n} for lid, n in qty.items()]


def _replay(session, shopper_id: str, key: str, fingerprint: str):
    seen = session.get(IdempotencyKey, (shopper_id, key))
    if seen is None:
        return None
    if seen.request_hash != fingerprint:
        raise conflict("this Idempotency-Key was already used for a different order", "idempotency_key_reused")
    return session.get(Order, seen.order_id), 200


@orders_blp.route("", methods=["POST"])
@orders_blp.arguments(OrderIn)
@orders_blp.response(201, OrderOut)
@orders_blp.alt_response(200, schema=OrderOut, description="the same Idempotency-Key and body again: the same order")
@orders_blp.doc(security=AUTH, parameters=[{**KEY_PARAMETER, "description": (
    "Any unique string (a UUID) per checkout. The same key and body again answer 200 with the same order; "
    "the same key with another body is 409 `idempotency_key_reused`.")}])
@require_roles("shopper")
def place_order(body):
    """Check out: the given items, or the cart when `items` is left out. The catalog prices and reserves the
    lines; the order then waits for card payment or is confirmed at once for cash on delivery."""
    shopper_id = current_identity().user_id
    # Not @idempotent: the key is claimed in the order's own transaction below, so a crash can never leave
    # an order without its key (or a key without its order). Only the header's rules are shared.
    key = idempotency_key()
    fingerprint = domain.request_fingerprint(body)
    if key:
        with read_session() as session:
            if again := _replay(session, shopper_id, key, fingerprint):
                return again
    with uow() as work:
        items = body.get("items")
        if not items:
            items = [{"listing_id": l["listing_id"], "qty": l["qty"]} for l in _cart(work.session, shopper_id)["lines"]]
            if not items:
                raise ApiError(422, "your cart is empty", "empty_cart", {"items": ["the cart is empty"]})
        order = service.new_order(shopper_id, body["payment_method"], _merged(items), body["delivery_address"])
        try:
            if key:  # claimed first: a second request with this key waits on the row, then replays
                work.session.add(IdempotencyKey(shopper_id=shopper_id, key=key, request_hash=fingerprint,
                                                order_id=order.id))
                work.session.flush()
            work.session.add(order)
            service.record(work, order, order.placed())
            work.commit()
            return order, 201
        except IntegrityError:
            if not key:
                raise
            # the same key raced in from a second request: answer with that request's order
    with read_session() as session:
        again = _replay(session, shopper_id, key, fingerprint)
        if again is None:
            raise conflict("this Idempotency-Key is being used right now; retry", "idempotency_key_busy")
        return again


def _own_order(session, order_id: str) -> Order:
    who = current_identity()
    order = session.get(Order, order_id)
    # another shopper's order is "not found", not "forbidden": its existence is not theirs to know
    if order is None or (order.shopper_id != who.user_id and not who.is_admin):
        raise not_found("order")
    return order


@orders_blp.route("", methods=["GET"])
@orders_blp.arguments(PageArgs, location="query")
@orders_blp.response(200, OrderListOut)
@orders_blp.doc(security=AUTH)
@require_roles("shopper")
def list_orders(args):
    """The shopper's order history, newest first."""
    where = [Order.shopper_id == current_identity().user_id]
    if args.get("status"):
        where.append(Order.status == args["status"])
    with read_session() as session:
        total = session.scalar(select(func.count()).select_from(Order).where(*where))
        rows = session.scalars(select(Order).where(*where).order_by(Order.created_at.desc())
                               .limit(args["limit"]).offset(args["offset"])).all()
        return {"orders": rows, "total": total}


@orders_blp.route("/<order_id>", methods=["GET"])
@orders_blp.response(200, OrderDetailOut)
@orders_blp.doc(security=AUTH)
def get_order(order_id: str):
    with read_session() as session:
        order = _own_order(session, order_id)
        timeline = session.scalars(select(TimelineEntry).where(TimelineEntry.order_id == order_id)
                                   .order_by(TimelineEntry.id)).all()
        view = {name: getattr(order, name) for name in OrderOut._declared_fields}
        return view | {"timeline": timeline}


@orders_blp.route("/<order_id>/cancel", methods=["POST"])
@orders_blp.response(200, OrderOut)
@orders_blp.doc(security=AUTH)
@require_roles("shopper")
@domain_errors
def cancel_order(order_id: str):
    """The shopper cancels, until a courier picks up the first parcel; a paid order is refunded."""
    with uow() as work:
        _own_order(work.session, order_id)
        order = service.lock_order(work, order_id)
        service.record(work, order, order.cancel("shopper_cancelled", utcnow()))
        work.commit()
        return order


def _with_order(f: Fulfillment) -> Fulfillment:
    """Load the fulfillment's order while the session is open: the response shows its address and status."""
    assert f.order is not None
    return f


# == sellers' fulfillments ===========================================================================
def _is_mine_as_seller(f: Fulfillment) -> bool:
    who = current_identity()
    return who.is_admin or who.user_id in (f.seller_id, f.agent_id)


@fulfillments_blp.route("", methods=["GET"])
@fulfillments_blp.arguments(PageArgs, location="query")
@fulfillments_blp.response(200, WorkListOut)
@fulfillments_blp.doc(security=AUTH)
@require_roles("seller", "agent")
def list_fulfillments(args):
    """Parcels to prepare: fulfillments of confirmed orders whose seller (or managing agent) is me."""
    me = current_identity().user_id
    where = [or_(Fulfillment.seller_id == me, Fulfillment.agent_id == me), Fulfillment.pickup_deadline.is_not(None)]
    if args.get("status"):
        where.append(Fulfillment.status == args["status"])
    with read_session() as session:
        total = session.scalar(select(func.count()).select_from(Fulfillment).where(*where))
        rows = session.scalars(select(Fulfillment).options(joinedload(Fulfillment.order)).where(*where)
                               .order_by(Fulfillment.created_at.desc()).limit(args["limit"])
                               .offset(args["offset"])).unique().all()
        return {"fulfillments": rows, "total": total}


def _seller_fulfillment(session, fulfillment_id: str) -> Fulfillment:
    f = session.scalars(select(Fulfillment).options(joinedload(Fulfillment.order))
                        .where(Fulfillment.id == fulfillment_id)).first()
    if f is None or f.pickup_deadline is None or not _is_mine_as_seller(f):
        raise not_found("fulfillment")
    return f


@fulfillments_blp.route("/<fulfillment_id>", methods=["GET"])
@fulfillments_blp.response(200, WorkOut)
@fulfillments_blp.doc(security=AUTH)
@require_roles("seller", "agent")
def get_fulfillment(fulfillment_id: str):
    with read_session() as session:
        return _seller_fulfillment(session, fulfillment_id)


@fulfillments_blp.route("/<fulfillment_id>/ready", methods=["POST"])
@fulfillments_blp.response(200, WorkOut)
@fulfillments_blp.doc(security=AUTH)
@require_roles("seller", "agent")
@domain_errors
def mark_ready(fulfillment_id: str):
    """The parcel is packed: it is offered to the least loaded available courier of the shop's district,
    or waits on that district's open board."""
    with uow() as work:
        _seller_fulfillment(work.session, fulfillment_id)
        order, f = service.lock_order_of_fulfillment(work, fulfillment_id)
        now = utcnow()
        service.record(work, order, f.mark_ready(order, now))
        service.record(work, order, service.dispatch(work, order, f))
        work.commit()
        return _with_order(f)


# == couriers ========================================================================================
def _courier_view(session, courier: Courier) -> dict:
    active = session.scalar(select(func.count()).select_from(Fulfillment).where(
        Fulfillment.courier_id == courier.user_id, Fulfillment.status.in_(domain.ACTIVE_DELIVERY)))
    return {"user_id": courier.user_id, "name": courier.name, "district": courier.district,
            "available": courier.available, "active_deliveries": active}


@couriers_blp.route("/me", methods=["GET"])
@couriers_blp.response(200, CourierOut)
@couriers_blp.doc(security=AUTH)
@require_roles("courier")
def get_me():
    who = current_identity()
    with read_session() as session:
        courier = session.get(Courier, who.user_id)
        if courier is None:  # not yet heard of from the gateway: what the token says, off duty
            return {"user_id": who.user_id, "name": who.name, "district": who.district, "available": False,
                    "active_deliveries": 0}
        return _courier_view(session, courier)


@couriers_blp.route("/me", methods=["PUT"])
@couriers_blp.arguments(CourierIn)
@couriers_blp.response(200, CourierOut)
@couriers_blp.doc(security=AUTH)
@require_roles("courier")
def set_me(body):
    """Go on or off duty (and optionally set the service district)."""
    who = current_identity()
    with uow() as work:
        courier = work.session.get(Courier, who.user_id)
        if courier is None:
            courier = Courier(user_id=who.user_id, name=who.name or "", district=who.district, available=False)
            work.session.add(courier)
        if body.get("district"):
            courier.district = body["district"]
        if not courier.district:
            raise ApiError(422, "set your service district first", "district_required",
                           {"district": ["required before going on duty"]})
        coming_on_duty = body["available"] and not courier.available
        if coming_on_duty:
            courier.available_since = utcnow()
        courier.available = body["available"]
        if coming_on_duty:
            work.session.flush()
            service.dispatch_waiting(work, courier.district)
        work.commit()
        return _courier_view(work.session, courier)


# == deliveries ======================================================================================
def _courier_district(session, courier_id: str) -> str | None:
    courier = session.get(Courier, courier_id)
    return courier.district if courier else current_identity().district


def _on_board(f: Fulfillment, district: str | None) -> bool:
    return (f.status == domain.READY_FOR_PICKUP and f.courier_id is None and district is not None
            and (f.district or "").strip().lower() == district.strip().lower())


@deliveries_blp.route("", methods=["GET"])
@deliveries_blp.arguments(PageArgs, location="query")
@deliveries_blp.response(200, DeliveryListOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
def list_deliveries(args):
    """My deliveries: offered to me, accepted, picked up, delivered."""
    where = [Fulfillment.courier_id == current_identity().user_id]
    if args.get("status"):
        where.append(Fulfillment.status == args["status"])
    with read_session() as session:
        total = session.scalar(select(func.count()).select_from(Fulfillment).where(*where))
        rows = session.scalars(select(Fulfillment).options(joinedload(Fulfillment.order)).where(*where)
                               .order_by(Fulfillment.updated_at.desc()).limit(args["limit"])
                               .offset(args["offset"])).unique().all()
        return {"deliveries": rows, "total": total}


@deliveries_blp.route("/board", methods=["GET"])
@deliveries_blp.response(200, DeliveryListOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
def open_board():
    """Ready parcels of my district that no courier has: any courier of the district may claim one."""
    with read_session() as session:
        district = _courier_district(session, current_identity().user_id)
        if not district:
            return {"deliveries": [], "total": 0}
        rows = session.scalars(select(Fulfillment).options(joinedload(Fulfillment.order)).where(
            Fulfillment.status == domain.READY_FOR_PICKUP, Fulfillment.courier_id.is_(None),
            func.lower(Fulfillment.district) == district.strip().lower()).order_by(Fulfillment.ready_at)
        ).unique().all()
        return {"deliveries": rows, "total": len(rows)}


def _visible_delivery(session, fulfillment_id: str) -> Fulfillment:
    me = current_identity()
    f = session.scalars(select(Fulfillment).options(joinedload(Fulfillment.order))
                        .where(Fulfillment.id == fulfillment_id)).first()
    if f is None or not (me.is_admin or f.courier_id == me.user_id
                         or _on_board(f, _courier_district(session, me.user_id))):
        raise not_found("delivery")  # another courier's delivery does not exist for me
    return f


@deliveries_blp.route("/<fulfillment_id>", methods=["GET"])
@deliveries_blp.response(200, WorkOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
def get_delivery(fulfillment_id: str):
    with read_session() as session:
        return _visible_delivery(session, fulfillment_id)


def _courier_action(fulfillment_id: str, act) -> Fulfillment:
    me = current_identity().user_id
    with uow() as work:
        _visible_delivery(work.session, fulfillment_id)
        order, f = service.lock_order_of_fulfillment(work, fulfillment_id)
        service.record(work, order, act(work, order, f, me))
        work.commit()
        return _with_order(f)


@deliveries_blp.route("/<fulfillment_id>/accept", methods=["POST"])
@deliveries_blp.response(200, WorkOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
@domain_errors
def accept_delivery(fulfillment_id: str):
    return _courier_action(fulfillment_id, lambda work, order, f, me: f.accept(me))


@deliveries_blp.route("/<fulfillment_id>/decline", methods=["POST"])
@deliveries_blp.response(200, DeclinedOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
@domain_errors
def decline_delivery(fulfillment_id: str):
    """Decline an offer: it goes to the next courier of the district (never back to me), else to the board.
    The answer says only that it is declined: where it went next is no longer my business."""
    def act(work, order, f, me):
        return f.decline(order, me) + service.dispatch(work, order, f)
    _courier_action(fulfillment_id, act)
    return {"fulfillment_id": fulfillment_id, "declined": True}


@deliveries_blp.route("/<fulfillment_id>/claim", methods=["POST"])
@deliveries_blp.response(200, WorkOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
@domain_errors
def claim_delivery(fulfillment_id: str):
    def act(work, order, f, me):
        if not _on_board(f, _courier_district(work.session, me)):
            raise domain.DomainError("this delivery is no longer on the board", "not_on_board")
        return f.assign(order, me, accepted=True)
    return _courier_action(fulfillment_id, act)


@deliveries_blp.route("/<fulfillment_id>/pickup", methods=["POST"])
@deliveries_blp.response(200, WorkOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
@domain_errors
def pick_up(fulfillment_id: str):
    return _courier_action(fulfillment_id, lambda work, order, f, me: f.pick_up(order, me, utcnow()))


@deliveries_blp.route("/<fulfillment_id>/deliver", methods=["POST"])
@deliveries_blp.arguments(DeliverIn)
@deliveries_blp.response(200, WorkOut)
@deliveries_blp.doc(security=AUTH)
@require_roles("courier")
@domain_errors
def deliver(body, fulfillment_id: str):
    """Handed over. Cash on delivery: report the cash collected; it must equal the amount due."""
    def act(work, order, f, me):
        now = utcnow()
        return f.deliver(order, me, body["cod_amount_collected"], now) + order.complete_if_all_delivered(now)
    return _courier_action(fulfillment_id, act)
