"""Orders' rules, free of Flask and SQLAlchemy: the order and fulfillment state machines, dispatch, tariffs.

`Order` and `Fulfillment` are plain classes; models.py maps them onto tables (imperative mapping), so the
same objects are tested here without a database and persisted there without a second model. Every
transition is a method that refuses an illegal move and returns the events it causes; the caller emits
them through the outbox in the same transaction."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Callable, Iterable

from pasar import quantity

# -- order -----------------------------------------------------------------------------------------
PLACED, AWAITING_PAYMENT, CONFIRMED, COMPLETED = "PLACED", "AWAITING_PAYMENT", "CONFIRMED", "COMPLETED"
REJECTED, CANCELLED = "REJECTED", "CANCELLED"
# a pre-order (issue 17) waits for its harvest: paid already (pay at order), or not yet (pay at harvest, or cash)
AWAITING_HARVEST = "AWAITING_HARVEST"
ORDER_STATUSES = (PLACED, AWAITING_PAYMENT, AWAITING_HARVEST, CONFIRMED, COMPLETED, REJECTED, CANCELLED)

ORDER_TRANSITIONS = {
    PLACED: {AWAITING_PAYMENT, AWAITING_HARVEST, CONFIRMED, REJECTED},
    AWAITING_PAYMENT: {CONFIRMED, AWAITING_HARVEST, CANCELLED},
    AWAITING_HARVEST: {AWAITING_PAYMENT, CONFIRMED, CANCELLED},
    CONFIRMED: {COMPLETED, CANCELLED},
    COMPLETED: set(),
    REJECTED: set(),
    CANCELLED: set(),
}
TRANSITIONS = ORDER_TRANSITIONS  # the thin slice's name

# -- fulfillment -----------------------------------------------------------------------------------
PENDING, READY_FOR_PICKUP, ASSIGNED, PICKED_UP, DELIVERED = (
    "PENDING", "READY_FOR_PICKUP", "ASSIGNED", "PICKED_UP", "DELIVERED")
FULFILLMENT_STATUSES = (PENDING, READY_FOR_PICKUP, ASSIGNED, PICKED_UP, DELIVERED, CANCELLED)

FULFILLMENT_TRANSITIONS = {
    PENDING: {READY_FOR_PICKUP, CANCELLED},
    READY_FOR_PICKUP: {ASSIGNED, CANCELLED},
    # back to READY_FOR_PICKUP when the courier declines: the parcel waits for the next courier
    ASSIGNED: {PICKED_UP, READY_FOR_PICKUP, CANCELLED},
    PICKED_UP: {DELIVERED},
    DELIVERED: set(),
    CANCELLED: set(),
}
ACTIVE_DELIVERY = (ASSIGNED, PICKED_UP)  # what counts towards a courier's load

CANCEL_REASONS = ("payment_failed", "payment_timeout", "shopper_cancelled", "harvest_short")
# One fulfillment cancelled on its own, the rest of the order going on: the seller cannot fill it, or nobody
# handed it to a courier in time (the unshipped timer).
SELLER_REFUSALS = ("out_of_stock", "harvest_failed", "cannot_fill")
NOT_SHIPPED = "not_shipped"
FULFILLMENT_CANCEL_REASONS = SELLER_REFUSALS + (NOT_SHIPPED,)
NOT_YET_PICKED_UP = (PENDING, READY_FOR_PICKUP, ASSIGNED)
RECEIVED_BY_SHOPPER, RECEIVED_BY_TIMER = "shopper", "timer"


class DomainError(Exception):
    """A rule was broken; `code` is stable for API clients."""
    code = "rule_broken"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class IllegalTransition(DomainError):
    code = "illegal_transition"

    def __init__(self, current: str, target: str, what: str = "order"):
        super().__init__(f"{'an' if what == 'order' else 'a'} {what} cannot go from {current} to {target}")
        self.current, self.target, self.what = current, target, what


class NotYours(DomainError):
    """Somebody else's delivery: the API answers 404, as if it did not exist."""
    code = "not_found"


class CashMismatch(DomainError):
    code = "cash_mismatch"


@dataclass(frozen=True)
class DomainEvent:
    type: str
    data: dict
    fulfillment_id: str | None = None


@dataclass(frozen=True)
class DeliveryTariff:
    """One delivery fee per seller: cheaper when the shop and the shopper share a district."""
    same_district: int
    other_district: int

    def fee(self, pickup_district: str | None, dropoff_district: str | None) -> int:
        same = (pickup_district or "").strip().casefold() == (dropoff_district or "").strip().casefold()
        return self.same_district if same and pickup_district else self.other_district

    def fee_between(self, pickup: dict, dropoff: dict) -> int:
        """By official district codes when the shop and the address both have one (issue 18: a shop with a village
        code, a saved address); else by the typed district names, as before codes."""
        if pickup.get("district_code") and dropoff.get("district_code"):
            same = pickup["district_code"] == dropoff["district_code"]
            return self.same_district if same else self.other_district
        return self.fee(pickup.get("district") or dropoff.get("district"), dropoff.get("district"))

    def quote(self, pickup_districts: list[str], dropoff_district: str | None) -> dict:
        """The fee per seller's district to the shopper's, and their sum: exactly what checkout charges.
        Without a destination there is nothing to price yet, only the tariff itself."""
        fees = ([{"from_": district, "fee": self.fee(district, dropoff_district)} for district in pickup_districts]
                if dropoff_district else [])
        return {"same_district": self.same_district, "other_district": self.other_district, "to": dropoff_district,
                "fees": fees, "total": sum(f["fee"] for f in fees), "currency": "IDR"}


def transition(current: str, target: str, table: dict = ORDER_TRANSITIONS, what: str = "order") -> str:
    if target not in table[current]:
        raise IllegalTransition(current, target, what)
    return target


def after_reservation(payment_method: str) -> str:
    """Card orders wait for the money; cash on delivery is confirmed at once."""
    return AWAITING_PAYMENT if payment_method == "card" else CONFIRMED


def line_total(line: dict) -> int:
    """Price per unit (whole rupiah) x exact quantity, rounded HALF-UP to whole rupiah (pasar.quantity):
    1.5 kg at Rp 42.000/kg is Rp 63.000."""
    return quantity.line_total(quantity.parse(line["qty"]), int(line["unit_price"]))


def goods_total(lines: list[dict]) -> int:
    """The sum of the rounded line totals (each line is rounded once, then added)."""
    return sum(line_total(line) for line in lines)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their zone; every timestamp here is UTC."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


class Order:
    def __init__(self, id: str, shopper_id: str, payment_method: str, items: list[dict],
                 delivery_address: dict, created_at: datetime | None = None, delivery_window: dict | None = None):
        if payment_method not in ("card", "cod"):
            raise DomainError(f"unknown payment method {payment_method!r}", "bad_payment_method")
        self.id = id
        self.shopper_id = shopper_id
        self.payment_method = payment_method
        self.items = [dict(i) for i in items]
        self.delivery_address = dict(delivery_address)
        self.status = PLACED
        self.lines: list[dict] = []
        self.problems: list[dict] = []
        self.goods_total = 0
        self.delivery_total = 0
        self.total = 0
        self.paid = False
        self.payment_id: str | None = None
        self.payment_due_at: datetime | None = None
        self.cancel_reason: str | None = None
        self.confirmed_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.created_at = created_at
        self.fulfillments: list[Fulfillment] = []
        # a pre-order (issue 17): {batch_id, expected_on, pay_at, harvest: None | "filled" | "short"}
        self.preorder: dict | None = None
        # perishables (issue 17): the delivery window the shopper picked, {"date": ISO day, "slot": pagi|siang|sore}
        self.delivery_window: dict | None = dict(delivery_window) if delivery_window else None

    def _move(self, target: str) -> None:
        self.status = transition(self.status, target)

    # -- placing -----------------------------------------------------------------------------------
    def placed(self) -> list[DomainEvent]:
        return [DomainEvent("order.placed", {
            "order_id": self.id, "shopper_id": self.shopper_id, "items": self.items,
            "payment_method": self.payment_method, "delivery_address": self.delivery_address})]

    def reserve(self, lines: list[dict], tariff: DeliveryTariff, now: datetime, payment_timeout: timedelta,
                pickup_window: timedelta, new_id: Callable[[], str],
                ship_window: timedelta | None = None) -> list[DomainEvent]:
        """The catalog priced and reserved every line: split per seller, price delivery, ask for the money.
        A pre-order (its line promised against a harvest batch) asks for the money now only when it is paid by
        card at order; otherwise it waits for the harvest (harvest_filled asks then)."""
        if self.status != PLACED:
            raise IllegalTransition(self.status, AWAITING_PAYMENT)
        batch_line = next((l for l in lines if l.get("batch_id")), None)
        if batch_line is not None:
            self.preorder = {"batch_id": batch_line["batch_id"], "expected_on": batch_line.get("expected_on"),
                             "pay_at": batch_line.get("pay_at") or "order", "harvest": None}
        self._move(after_reservation(self.payment_method) if self._pays_now() else AWAITING_HARVEST)
        self.lines = [{**l, "line_total": line_total(l)} for l in lines]
        # one parcel per SHOP, not per seller (issue 17, "one seller, two shops, one parcel"): a seller's two
        # shops in two districts are two pickups, two fees, two couriers
        by_shop: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for line in self.lines:
            by_shop[(line["seller_id"], line.get("shop_id") or "")].append(line)
        dropoff = self.delivery_address.get("district")
        self.fulfillments = []
        for (seller_id, shop_id), seller_lines in by_shop.items():
            first = seller_lines[0]
            pickup = dict(first.get("pickup") or {})
            district = pickup.get("district") or dropoff
            district_code = (pickup.get("district_code") if pickup.get("district")
                             else self.delivery_address.get("district_code"))
            goods = goods_total(seller_lines)
            fee = tariff.fee_between(pickup, self.delivery_address)
            self.fulfillments.append(Fulfillment(
                id=new_id(), order_id=self.id, seller_id=seller_id, shop_id=shop_id or None,
                agent_id=first.get("agent_id"), shop_name=first.get("shop_name") or "", pickup=pickup, district=district,
                district_code=district_code or None,
                items=[{"listing_id": l["listing_id"], "title": l["title"], "qty": l["qty"],
                        "unit_price": l["unit_price"], "unit": l.get("unit") or "pcs",
                        "line_total": line_total(l)} for l in seller_lines],
                goods_amount=goods, delivery_fee=fee,
                cod_amount_due=goods + fee if self.payment_method == "cod" else 0))
        for f in self.fulfillments:
            f.order = self
        self.goods_total = sum(f.goods_amount for f in self.fulfillments)
        self.delivery_total = sum(f.delivery_fee for f in self.fulfillments)
        self.total = self.goods_total + self.delivery_total
        if self.status == AWAITING_HARVEST:
            return []
        return self._ask_for_money(now, payment_timeout, pickup_window, ship_window)

    def _pays_now(self) -> bool:
        return self.preorder is None or (self.payment_method == "card" and self.preorder.get("pay_at") == "order")

    def _ask_for_money(self, now: datetime, payment_timeout: timedelta, pickup_window: timedelta,
                       ship_window: timedelta | None) -> list[DomainEvent]:
        events = [DomainEvent("payment.requested", {
            "order_id": self.id, "shopper_id": self.shopper_id, "method": self.payment_method,
            "amount": self.total, "currency": "IDR", "goods_total": self.goods_total,
            "delivery_total": self.delivery_total,
            "subtotals": [{"seller_id": f.seller_id, "fulfillment_id": f.id, "amount": f.goods_amount,
                           "delivery_fee": f.delivery_fee} for f in self.fulfillments]})]
        if self.status == AWAITING_PAYMENT:
            self.payment_due_at = now + payment_timeout
            events[0].data["payment_due_at"] = _iso(self.payment_due_at)
        else:
            events += self._confirmed(now, pickup_window, ship_window)
        return events

    # -- a pre-order's harvest (issue 17) ------------------------------------------------------------
    def harvest_filled(self, now: datetime, payment_timeout: timedelta, pickup_window: timedelta,
                       ship_window: timedelta | None = None) -> list[DomainEvent]:
        """The seller's harvest covered this pre-order: paid already → confirmed (the pickup and shipping clocks
        start now, not at the order); not yet → the money is asked for now (card) or on delivery (cash)."""
        if self.preorder is None:
            raise DomainError("this order is not a pre-order", "not_a_preorder")
        if self.preorder.get("harvest"):
            return []
        self.preorder = {**self.preorder, "harvest": "filled"}  # a new dict: JSON columns see reassignment only
        if self.status == AWAITING_PAYMENT:
            return []   # paid at order but the money is not in yet: payment_succeeded confirms it
        if self.status != AWAITING_HARVEST:
            raise IllegalTransition(self.status, CONFIRMED)
        if self.paid:
            self._move(CONFIRMED)
            return self._confirmed(now, pickup_window, ship_window)
        self._move(after_reservation(self.payment_method))
        events = self._ask_for_money(now, payment_timeout, pickup_window, ship_window)
        events[0].data["harvest_filled"] = True   # notifications asks the shopper to pay now
        return events

    def harvest_short(self, now: datetime) -> list[DomainEvent]:
        """The harvest ran out before this pre-order: cancelled, its money (if paid) given back."""
        if self.preorder is None:
            raise DomainError("this order is not a pre-order", "not_a_preorder")
        if self.status not in (AWAITING_HARVEST, AWAITING_PAYMENT):
            return []   # cancelled by the shopper already, or ended some other way
        self.preorder = {**self.preorder, "harvest": "short"}
        return self.cancel("harvest_short", now)

    def reject(self, problems: list[dict], now: datetime) -> list[DomainEvent]:
        self._move(REJECTED)
        self.problems = [dict(p) for p in problems]
        self.closed_at = now
        return [DomainEvent("order.rejected", {"order_id": self.id, "shopper_id": self.shopper_id,
                                               "reason": "stock", "problems": self.problems})]

    # -- money -------------------------------------------------------------------------------------
    def payment_succeeded(self, payment_id: str, now: datetime, pickup_window: timedelta,
                          ship_window: timedelta | None = None) -> list[DomainEvent]:
        if self.status != AWAITING_PAYMENT:  # PLACED -> CONFIRMED is cash on delivery's move, not this one
            raise IllegalTransition(self.status, CONFIRMED)
        self.paid = True
        self.payment_id = payment_id
        self.payment_due_at = None
        if self.preorder is not None and self.preorder.get("harvest") != "filled":
            self._move(AWAITING_HARVEST)   # paid ahead (payments tells the shopper): confirmed when the harvest is in
            return []
        self._move(CONFIRMED)
        return self._confirmed(now, pickup_window, ship_window)

    def payment_failed(self, payment_id: str | None, now: datetime) -> list[DomainEvent]:
        if self.status != AWAITING_PAYMENT:  # a failure matters only while we are waiting for the money
            raise IllegalTransition(self.status, CANCELLED)
        self.payment_id = payment_id or self.payment_id
        return self.cancel("payment_failed", now)

    def payment_overdue(self, now: datetime) -> bool:
        return self.status == AWAITING_PAYMENT and self.payment_due_at is not None and as_utc(self.payment_due_at) <= now

    def late_payment(self, payment_id: str) -> list[DomainEvent]:
        """Money arrived for an order we already cancelled (timed out): no transition, but payments must
        give it back, so the cancellation is told again, this time as paid."""
        if self.status != CANCELLED or self.paid:
            return []
        self.paid = True
        self.payment_id = payment_id
        return [self._cancelled_event()]

    def _confirmed(self, now: datetime, pickup_window: timedelta,
                   ship_window: timedelta | None = None) -> list[DomainEvent]:
        """`ship_window`: how long a parcel may wait for its courier before the unshipped timer cancels it
        (AUTO_CANCEL_UNSHIPPED_HOURS); without one, the pickup window."""
        self.confirmed_at = now
        for f in self.fulfillments:
            f.pickup_deadline = now + pickup_window
            f.ship_by = now + (ship_window or pickup_window)
        return [DomainEvent("order.confirmed", {
            "order_id": self.id, "reason": None, "shopper_id": self.shopper_id,
            "payment_method": self.payment_method, "total": self.total, "goods_total": self.goods_total,
            "delivery_total": self.delivery_total, "delivery_address": self.delivery_address,
            "fulfillments": [f.summary() for f in self.fulfillments]})]

    # -- ending ------------------------------------------------------------------------------------
    @property
    def picked_up_any(self) -> bool:
        return any(f.status in (PICKED_UP, DELIVERED) for f in self.fulfillments)

    def cancel(self, reason: str, now: datetime) -> list[DomainEvent]:
        if reason not in CANCEL_REASONS:
            raise DomainError(f"unknown cancel reason {reason!r}", "bad_reason")
        if self.status == PLACED:
            # the catalog has not answered yet; cancelling now could race its reservation and leak stock
            raise DomainError("the order is still being checked against stock; try again in a moment",
                              "still_placing")
        if reason == "shopper_cancelled" and self.picked_up_any:
            raise DomainError("a courier already picked up part of this order; it can no longer be cancelled",
                              "already_picked_up")
        if reason in ("payment_failed", "payment_timeout") and self.status != AWAITING_PAYMENT:
            raise IllegalTransition(self.status, CANCELLED)
        if reason == "harvest_short" and self.status not in (AWAITING_HARVEST, AWAITING_PAYMENT):
            raise IllegalTransition(self.status, CANCELLED)
        self._move(CANCELLED)
        self.cancel_reason = reason
        self.payment_due_at = None
        self.closed_at = now
        events = []
        for f in self.fulfillments:
            if f.status != CANCELLED:  # a parcel cancelled on its own earlier was refunded then
                events += f.cancel(self)
        return [self._cancelled_event()] + events

    def _cancelled_event(self) -> DomainEvent:
        return DomainEvent("order.cancelled", {
            "order_id": self.id, "shopper_id": self.shopper_id, "payment_method": self.payment_method,
            "reason": self.cancel_reason, "paid": self.paid, "amount": self.total,
            "payment_id": self.payment_id})

    def complete_if_all_delivered(self, now: datetime) -> list[DomainEvent]:
        if self.status != CONFIRMED or not self.fulfillments:
            return []
        if any(f.status not in (DELIVERED, CANCELLED) for f in self.fulfillments):
            return []
        if not any(f.status == DELIVERED for f in self.fulfillments):
            return []  # every parcel was cancelled: see cancel_fulfillment
        self._move(COMPLETED)
        self.closed_at = now
        return [DomainEvent("order.completed", {"order_id": self.id, "shopper_id": self.shopper_id,
                                                "reason": None, "total": self.total})]

    def cancel_fulfillment(self, fulfillment: "Fulfillment", reason: str, now: datetime) -> list[DomainEvent]:
        """One parcel is cancelled before pickup, the rest of the order goes on. Its shopper is refunded that
        part (card) or simply does not owe it (cash on delivery); the catalog releases its stock. When it was
        the last parcel still open, the order ends: completed if anything was delivered, else cancelled (its
        money was already given back parcel by parcel, so no order.cancelled asks for it again)."""
        if reason not in FULFILLMENT_CANCEL_REASONS:
            raise DomainError(f"unknown reason {reason!r}", "bad_reason")
        if self.status != CONFIRMED:
            raise DomainError(f"the order is {self.status}; only a confirmed order's parcel is cancelled alone",
                              "order_not_confirmed")
        events = fulfillment.cancel_alone(self, reason, now)
        if all(f.status == CANCELLED for f in self.fulfillments):
            self._move(CANCELLED)
            self.cancel_reason = "parcels_cancelled"
            self.closed_at = now
        else:
            events += self.complete_if_all_delivered(now)
        events[0].data["order_status"] = self.status
        return events

    def fulfillment(self, fulfillment_id: str) -> "Fulfillment":
        for f in self.fulfillments:
            if f.id == fulfillment_id:
                return f
        raise NotYours("fulfillment not found")


class CourierJob:
    """What a delivery and a return trip share as a courier's job: the district's open board, and only the
    courier who has the job may move it. A job without an official district code (a return trip) is matched
    by the district's name, as parcels were before codes."""

    def on_board_of(self, district: str | None, district_code: str | None = None) -> bool:
        """Ready, with no courier, in this district: any courier of the district may claim it."""
        return (self.status == READY_FOR_PICKUP and self.courier_id is None and district is not None
                and same_area(self.district, getattr(self, "district_code", None), district, district_code))

    def _ensure_courier(self, courier_id: str) -> None:
        if self.courier_id != courier_id:
            raise NotYours("delivery not found")


class Fulfillment(CourierJob):
    """One shop's part of an order: picked up at that shop, delivered on its own (a seller with two shops has
    two parcels)."""

    def __init__(self, id: str, order_id: str, seller_id: str, agent_id: str | None, shop_name: str,
                 pickup: dict, district: str | None, items: list[dict], goods_amount: int, delivery_fee: int,
                 cod_amount_due: int, shop_id: str | None = None, district_code: str | None = None):
        self.id = id
        self.order_id = order_id
        self.seller_id = seller_id
        self.shop_id = shop_id
        self.agent_id = agent_id
        self.shop_name = shop_name
        self.pickup = pickup
        self.district = district
        self.district_code = district_code
        self.items = items
        self.goods_amount = goods_amount
        self.delivery_fee = delivery_fee
        self.cod_amount_due = cod_amount_due
        self.status = PENDING
        self.courier_id: str | None = None
        self.accepted = False
        self.declined_by: list[str] = []
        self.cod_amount_collected: int | None = None
        self.pickup_deadline: datetime | None = None
        self.ready_at: datetime | None = None
        self.picked_up_at: datetime | None = None
        self.delivered_at: datetime | None = None
        self.ship_by: datetime | None = None          # not handed to a courier by then: cancelled (timer)
        self.receipt_due_at: datetime | None = None   # not confirmed by the shopper by then: confirmed (timer)
        self.received_at: datetime | None = None
        self.received_by: str | None = None           # RECEIVED_BY_SHOPPER | RECEIVED_BY_TIMER
        self.cancel_reason: str | None = None
        self.cancelled_at: datetime | None = None

    def _move(self, target: str) -> None:
        self.status = transition(self.status, target, FULFILLMENT_TRANSITIONS, "fulfillment")

    def summary(self) -> dict:
        return {"fulfillment_id": self.id, "seller_id": self.seller_id, "agent_id": self.agent_id,
                "shop_id": self.shop_id, "shop_name": self.shop_name, "goods_amount": self.goods_amount, "delivery_fee": self.delivery_fee,
                "items": [{"title": i["title"], "qty": i["qty"], "unit_price": i["unit_price"]} for i in self.items],
                "pickup_deadline": _iso(self.pickup_deadline),
                "pickup": self.pickup}  # the shop's address: its province sets the clock of the deadline

    def _delivery_event(self, event_type: str, order: Order, courier_id: str, **extra) -> DomainEvent:
        data = {"order_id": self.order_id, "fulfillment_id": self.id, "courier_id": courier_id,
                "cod_amount_collected": self.cod_amount_collected, "seller_id": self.seller_id,
                "shop_id": self.shop_id, "agent_id": self.agent_id, "shopper_id": order.shopper_id, "goods_amount": self.goods_amount,
                "delivery_fee": self.delivery_fee, "cod_amount_due": self.cod_amount_due,
                "payment_method": order.payment_method, "delivery_window": order.delivery_window,
                "pickup": {**self.pickup, "shop_name": self.shop_name}, "dropoff": order.delivery_address}
        data.update(extra)
        return DomainEvent(event_type, data, self.id)

    # -- seller ------------------------------------------------------------------------------------
    def mark_ready(self, order: Order, now: datetime) -> list[DomainEvent]:
        if order.status != CONFIRMED:
            raise DomainError(f"the order is {order.status}; only a confirmed order is prepared for pickup",
                              "order_not_confirmed")
        if self.status != PENDING:  # ASSIGNED -> READY_FOR_PICKUP is a courier declining, not the seller
            raise IllegalTransition(self.status, READY_FOR_PICKUP, "fulfillment")
        self._move(READY_FOR_PICKUP)
        self.ready_at = now
        return [DomainEvent("fulfillment.ready", {
            "order_id": self.order_id, "fulfillment_id": self.id, "seller_id": self.seller_id,
            "shop_id": self.shop_id, "agent_id": self.agent_id, "shop_name": self.shop_name,
            "shopper_id": order.shopper_id, "pickup_address": {**self.pickup, "shop_name": self.shop_name}, "district": self.district}, self.id)]

    # -- courier -----------------------------------------------------------------------------------
    def assign(self, order: Order, courier_id: str, *, accepted: bool = False) -> list[DomainEvent]:
        """Dispatch offers it (accepted=False, the courier may decline); a board claim is accepted at once."""
        if courier_id in self.declined_by and not accepted:
            raise DomainError("this courier already declined this delivery", "already_declined")
        self._move(ASSIGNED)
        self.courier_id = courier_id
        self.accepted = accepted
        event = self._delivery_event("delivery.assigned", order, courier_id, accepted=accepted)
        if not accepted:  # an offer: enough to choose the job, not the shopper's name, phone and street
            event.data["dropoff"] = dropoff_area(order.delivery_address)
        return [event]

    def claim(self, order: Order, courier_id: str, courier_district: str | None,
              courier_district_code: str | None = None) -> list[DomainEvent]:
        """A courier takes a parcel off their district's board: accepted at once, nobody offered it."""
        if not self.on_board_of(courier_district, courier_district_code):
            raise DomainError("this delivery is no longer on the board", "not_on_board")
        return self.assign(order, courier_id, accepted=True)

    def accept(self, courier_id: str) -> list[DomainEvent]:
        self._ensure_courier(courier_id)
        if self.status != ASSIGNED:
            raise IllegalTransition(self.status, ASSIGNED, "fulfillment")
        if self.accepted:
            return []
        self.accepted = True
        # now the job is theirs: the shopper's name, phone and street (the offer carried only the area)
        return [self._delivery_event("delivery.accepted", self.order, courier_id)]

    def decline(self, order: Order, courier_id: str) -> list[DomainEvent]:
        self._ensure_courier(courier_id)
        if self.status == ASSIGNED and self.accepted:
            raise DomainError("you accepted this delivery; it can no longer be declined", "already_accepted")
        self._move(READY_FOR_PICKUP)
        self.courier_id = None
        self.accepted = False
        self.declined_by = [*self.declined_by, courier_id]  # a new list: JSON columns see reassignment only
        return [self._delivery_event("delivery.unassigned", order, courier_id, reason="declined")]

    def pick_up(self, order: Order, courier_id: str, now: datetime) -> list[DomainEvent]:
        self._ensure_courier(courier_id)
        if order.status != CONFIRMED:
            raise DomainError(f"the order is {order.status}; nothing to pick up", "order_not_confirmed")
        self._move(PICKED_UP)
        self.accepted = True  # picking the parcel up is the plainest acceptance
        self.picked_up_at = now
        return [self._delivery_event("delivery.picked_up", order, courier_id)]

    def deliver(self, order: Order, courier_id: str, cash_collected: int | None, now: datetime,
                receipt_window: timedelta = timedelta(days=3)) -> list[DomainEvent]:
        self._ensure_courier(courier_id)
        if self.status != PICKED_UP:
            raise IllegalTransition(self.status, DELIVERED, "fulfillment")
        if self.cod_amount_due:
            if cash_collected is None:
                raise CashMismatch(f"cash on delivery: report the cash collected (Rp {self.cod_amount_due})")
            if cash_collected != self.cod_amount_due:
                raise CashMismatch(f"cash collected (Rp {cash_collected}) must equal the amount due "
                                   f"(Rp {self.cod_amount_due})")
        elif cash_collected:
            raise CashMismatch("this order was paid by card; no cash is due")
        self._move(DELIVERED)
        self.cod_amount_collected = cash_collected if self.cod_amount_due else None
        self.delivered_at = now
        self.receipt_due_at = now + receipt_window
        return [self._delivery_event("delivery.delivered", order, courier_id,
                                     receipt_due_at=_iso(self.receipt_due_at))]

    # -- after the door: receipt -------------------------------------------------------------------
    @property
    def received(self) -> bool:
        return self.received_at is not None

    def confirm_receipt(self, order: Order, by: str, now: datetime) -> list[DomainEvent]:
        """The shopper says the parcel arrived ("Pesanan diterima"), or the receipt window closed without a
        word. Either way the seller's share stops being held. A second confirmation changes nothing."""
        if self.status != DELIVERED:
            raise DomainError("this parcel has not been delivered yet", "not_delivered")
        if self.received:
            return []
        self.received_at = now
        self.received_by = by
        return [DomainEvent("fulfillment.received", {
            "order_id": self.order_id, "fulfillment_id": self.id, "seller_id": self.seller_id,
            "agent_id": self.agent_id, "shop_name": self.shop_name, "shopper_id": order.shopper_id,
            "courier_id": self.courier_id, "payment_method": order.payment_method,
            "goods_amount": self.goods_amount, "delivery_fee": self.delivery_fee, "received_by": by,
            "received_at": _iso(now)}, self.id)]

    def receipt_overdue(self, now: datetime) -> bool:
        return (self.status == DELIVERED and not self.received and self.receipt_due_at is not None
                and as_utc(self.receipt_due_at) <= now)

    def shipping_overdue(self, now: datetime) -> bool:
        return self.status in NOT_YET_PICKED_UP and self.ship_by is not None and as_utc(self.ship_by) <= now

    def cancel_alone(self, order: Order, reason: str, now: datetime) -> list[DomainEvent]:
        """This parcel only (see Order.cancel_fulfillment): before a courier has it in hand."""
        if self.status == CANCELLED:
            raise DomainError("this parcel is already cancelled", "already_cancelled")
        if self.status not in NOT_YET_PICKED_UP:
            raise DomainError("a courier already picked this parcel up; it can no longer be cancelled",
                              "already_picked_up")
        events = self.cancel(order, "fulfillment_cancelled")
        self.cancel_reason = reason
        self.cancelled_at = now
        refund = self.goods_amount + self.delivery_fee if order.paid and order.payment_method == "card" else 0
        return [DomainEvent("fulfillment.cancelled", {
            "order_id": self.order_id, "fulfillment_id": self.id, "seller_id": self.seller_id,
            "shop_id": self.shop_id, "agent_id": self.agent_id, "shop_name": self.shop_name,
            "shopper_id": order.shopper_id, "payment_method": order.payment_method, "reason": reason, "goods_amount": self.goods_amount,
            "delivery_fee": self.delivery_fee, "refund_amount": refund, "payment_id": order.payment_id,
            "items": [{"listing_id": i["listing_id"], "qty": i["qty"]} for i in self.items if "listing_id" in i]},
            self.id)] + events

    def cancel(self, order: Order, reason: str = "order_cancelled") -> list[DomainEvent]:
        was_with = self.courier_id if self.status == ASSIGNED else None
        self._move(CANCELLED)
        if was_with:  # tell the courier the trip is off
            return [self._delivery_event("delivery.unassigned", order, was_with, reason=reason)]
        return []


def same_district(a: str | None, b: str | None) -> bool:
    """Districts are typed by people: the same name in another case or with spaces around is the same place."""
    return (a or "").strip().lower() == (b or "").strip().lower()


def same_area(name_a: str | None, code_a: str | None, name_b: str | None, code_b: str | None) -> bool:
    """Two places are one district by their official codes when both have one (issue 18: two districts of one name
    in two regencies stay two); else by name, as before codes."""
    if code_a and code_b:
        return code_a == code_b
    return same_district(name_a, name_b)


# the area of a drop-off, names and official region codes: enough to choose a job, nothing personal
DROPOFF_AREA = ("village", "district", "regency", "province",
                "village_code", "district_code", "regency_code", "province_code")


def dropoff_area(address: dict | None) -> dict:
    return {key: address[key] for key in DROPOFF_AREA if key in (address or {})}


def dropoff_for(viewer_role: str | None, viewer_id: str | None, courier_id: str | None, address: dict,
                accepted: bool = True) -> dict:
    """A courier sees where a parcel goes only roughly (village and district, enough to choose a job) until they
    accepted it: the shopper's name, phone and street are not for every courier on duty in the district, nor for
    one merely offered the job."""
    if viewer_role == "courier" and (courier_id != viewer_id or not accepted):
        return dropoff_area(address)
    return address


def courier_contact_visible(status: str) -> bool:
    """The shopper sees their courier's name and phone once the parcel is on its way, not before (an offer may
    still be declined)."""
    return status in (PICKED_UP, DELIVERED)


@dataclass(frozen=True)
class CourierLoad:
    courier_id: str
    active: int          # deliveries assigned or picked up, not yet delivered
    available_since: datetime | None = None


def choose_courier(candidates: Iterable[CourierLoad], declined: Iterable[str] = ()) -> str | None:
    """The least loaded available courier who has not declined this delivery; ties go to the one who
    has been waiting longest, then by id so the choice is stable."""
    refused = set(declined)
    pool = [c for c in candidates if c.courier_id not in refused]
    if not pool:
        return None
    best = min(pool, key=lambda c: (c.active, c.available_since.timestamp() if c.available_since else 0.0,
                                    c.courier_id))
    return best.courier_id


def request_fingerprint(body: dict) -> str:
    """Stable hash of a checkout request, so a replayed Idempotency-Key can be compared with its first use."""
    import hashlib
    import json
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def merged_items(items: list[dict]) -> list[dict]:
    """One line per listing (first appearance keeps its place), so the catalog reserves each once. Quantities
    are added exactly and carried in their wire form (2, or "1.5": pasar.quantity.wire)."""
    qty: dict[str, Decimal] = {}
    batch: dict[str, str] = {}
    for item in items:
        qty[item["listing_id"]] = qty.get(item["listing_id"], Decimal(0)) + quantity.parse(item["qty"])
        if item.get("batch_id"):  # a pre-order against a harvest batch (issue 17)
            batch[item["listing_id"]] = item["batch_id"]
    return [{"listing_id": lid, "qty": quantity.wire(n), **({"batch_id": batch[lid]} if lid in batch else {})}
            for lid, n in qty.items()]


# -- produce: a listing's buying terms, as the catalog announced them (listing.published / listing.updated) --
@dataclass(frozen=True)
class BuyingTerms:
    unit: str = "pcs"
    min_qty: Decimal = Decimal(1)
    qty_step: Decimal = Decimal(1)
    sellable_until: str | None = None   # ISO date: the last day a perishable sells
    deliver_within: str = ""            # "" | "district" | "regency"
    shop_district: str = ""
    shop_regency: str = ""
    delivery_window: bool = False       # the seller wants the shopper to pick a delivery window


def terms_version(stamp) -> datetime | None:
    """A listing event's version as a UTC time (an ISO string or a datetime; None when the producer sent none)."""
    if stamp is None or stamp == "":
        return None
    moment = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    return as_utc(moment)


def newer_terms(incoming: datetime | None, kept: datetime | None) -> bool:
    """Whether terms of version `incoming` replace the ones kept: not when they are older. Equal is a
    redelivery (same values); unversioned terms (older producers) replace unversioned ones, as before."""
    if kept is None:
        return True
    if incoming is None:
        return False
    return as_utc(incoming) >= as_utc(kept)


def quantity_problem(terms: BuyingTerms, qty: Decimal) -> str | None:
    """Why this quantity cannot be bought (a field message), or None."""
    reason = quantity.step_problem(qty, terms.min_qty, terms.qty_step)
    minimum, step, unit = quantity.wire(terms.min_qty), quantity.wire(terms.qty_step), terms.unit
    if reason == quantity.BELOW_MINIMUM:
        return f"buy at least {minimum} {unit}"
    if reason == quantity.OFF_STEP:
        return f"buy in steps of {step} {unit} from {minimum}"
    return None


def sale_problem(terms: BuyingTerms, today_iso: str) -> str | None:
    if terms.sellable_until and today_iso > terms.sellable_until:
        return "no longer sold: past its shelf life"
    return None


def delivery_problem(terms: BuyingTerms, dropoff: dict) -> str | None:
    """A perishable limited to nearby delivery, checked against the shopper's address at checkout."""
    near = lambda a, b: bool(a) and bool(b) and a.strip().casefold() == b.strip().casefold()  # noqa: E731
    if terms.deliver_within == "district" and not near(terms.shop_district, dropoff.get("district")):
        return "delivered only within the shop's district"
    if terms.deliver_within == "regency" and not (near(terms.shop_regency, dropoff.get("regency"))
                                                  or near(terms.shop_district, dropoff.get("district"))):
        return "delivered only within the shop's regency"
    return None


# -- perishables: the delivery window (issue 17) -------------------------------------------------------
# A seller may limit a perishable to a delivery window (the listing's `delivery_window`): an order with such a line
# is delivered in a window the shopper picks at checkout: a day (from today until the earliest last selling day of
# those lines, at most DELIVERY_WINDOW_DAYS ahead) and a part of it. The courier sees it with the job.
DELIVERY_SLOTS = {"pagi": ("06.00", "10.00"), "siang": ("10.00", "14.00"), "sore": ("14.00", "18.00")}
DELIVERY_WINDOW_DAYS = 3


def needs_window(terms: BuyingTerms | None) -> bool:
    """The seller limited this perishable to a delivery window (a listing option, like nearby delivery)."""
    return terms is not None and terms.delivery_window


def window_problem(window: dict | None, today: date, last_days: list[str | None]) -> str | None:
    """Why this delivery window cannot be used for an order whose windowed lines sell until `last_days` (ISO days,
    None without a shelf life; empty: no line needs a window, and any window or none is fine)."""
    if not last_days:
        return None
    if not window:
        return "choose a delivery window for fresh produce"
    day = date.fromisoformat(window["date"])
    last = min([date.fromisoformat(d) for d in last_days if d] + [today + timedelta(days=DELIVERY_WINDOW_DAYS)])
    if day < today or day > last:
        first, last_day = today.isoformat(), last.isoformat()
        return f"deliver between {first} and {last_day}"
    return None


# -- cart --------------------------------------------------------------------------------------------
MAX_CART_QTY = 999
MAX_CART_LINES = 50  # the checkout's own limit on items


class CartFull(DomainError):
    code = "cart_full"

    def __init__(self):
        super().__init__(f"a cart holds at most {MAX_CART_LINES} different items")


def ensure_cart_room(lines_in_cart: int) -> None:
    """Room for one more different item: one checkout takes at most MAX_CART_LINES of them."""
    if lines_in_cart >= MAX_CART_LINES:
        raise CartFull()


def add_to_cart(current_qty, more):
    qty = current_qty + more
    if qty > MAX_CART_QTY:
        raise DomainError(f"at most {MAX_CART_QTY} of one item", "too_many")
    return qty


def merge_carts(current: dict[str, int], incoming: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    """A visitor's cookie cart joins the account's cart at login: quantities of the same item are added (at most
    MAX_CART_QTY), new items join while there is room (MAX_CART_LINES). Returns the merged cart and the items that
    did not fit. The account's own lines always stay."""
    merged = dict(current)
    left_out = []
    for listing_id, qty in incoming.items():
        if qty <= 0:
            continue
        if listing_id in merged:
            merged[listing_id] = min(MAX_CART_QTY, merged[listing_id] + qty)
        elif len(merged) < MAX_CART_LINES:
            merged[listing_id] = min(MAX_CART_QTY, qty)
        else:
            left_out.append(listing_id)
    return merged, left_out


# -- couriers ----------------------------------------------------------------------------------------
class DistrictRequired(DomainError):
    code = "district_required"

    def __init__(self):
        super().__init__("set your service district first")


@dataclass(frozen=True)
class DutyChange:
    district: str
    available: bool
    coming_on_duty: bool  # off duty before, on duty now: the district's waiting parcels are offered again


def change_duty(available_now: bool, district_now: str | None, want_available: bool,
                want_district: str | None) -> DutyChange:
    """A courier goes on or off duty, optionally moving district; nobody is on duty nowhere, and even going
    off duty needs a district on record (the profile always has one once it has been saved)."""
    district = want_district or district_now
    if not district:
        raise DistrictRequired()
    return DutyChange(district, want_available, want_available and not available_now)


# -- complaints and returns (issue 16) ----------------------------------------------------------------
# Within the receipt window the shopper complains about one delivered parcel. While the complaint is open the
# receipt timer leaves the parcel alone and payments keeps the seller's share held. The seller answers (a
# refund, a return then a refund, or a rejection); the shopper accepts or escalates a rejection; whatever
# waits on somebody longer than COMPLAINT_RESPONSE_HOURS goes to the operator, who decides. The one event that
# moves money is `complaint.resolved`: `refund_amount` goes back to the shopper, the rest is released to the
# seller.
COMPLAINT_REASONS = ("not_arrived", "damaged", "not_as_described", "wrong_item", "incomplete")
C_OPEN, C_REJECTED, C_RETURN_REQUESTED, C_RETURN_SENT, C_ESCALATED, C_RESOLVED = (
    "open", "rejected", "return_requested", "return_sent", "escalated", "resolved")
COMPLAINT_STATUSES = (C_OPEN, C_REJECTED, C_RETURN_REQUESTED, C_RETURN_SENT, C_ESCALATED, C_RESOLVED)
COMPLAINT_UNRESOLVED = (C_OPEN, C_REJECTED, C_RETURN_REQUESTED, C_RETURN_SENT, C_ESCALATED)
WAITING_ON_A_PARTY = (C_OPEN, C_REJECTED, C_RETURN_REQUESTED, C_RETURN_SENT)  # the timer escalates these
SELLER_ANSWERS = ("refund", "return", "reject")
OPERATOR_DECISIONS = ("refund", "return", "release")
RESOLVED_REFUND, RESOLVED_RELEASE = "refund", "release"
RECEIVED_BY_COMPLAINT = "complaint"
MAX_COMPLAINT_PHOTOS = 3
COMPLAINT_TEXT_MAX = 2000


class ComplaintRefused(DomainError):
    """A complaint step that is not possible now (window closed, wrong state): 409."""
    code = "complaint_refused"


class ComplaintInvalid(DomainError):
    """A complaint step with a bad value (an amount above the parcel, no reason): 422 naming `field`."""
    code = "invalid_complaint"

    def __init__(self, message: str, field: str, code: str | None = None):
        super().__init__(message, code)
        self.field = field


def complaint_amount(amount, parcel_total: int, *, allow_zero: bool = False) -> int:
    """A refund in whole rupiah, above 0 (a release is its own decision) and at most what the parcel cost."""
    if amount is None:
        return parcel_total
    if type(amount) is not int or amount < (0 if allow_zero else 1):
        raise ComplaintInvalid("the refund must be a whole number of rupiah above 0", "amount", "bad_amount")
    if amount > parcel_total:
        raise ComplaintInvalid(f"the refund cannot be more than the parcel's total (Rp {parcel_total})", "amount",
                               "amount_above_total")
    return amount


def may_complain(f: "Fulfillment", now: datetime) -> None:
    """Only a delivered parcel, not yet received, inside its receipt window."""
    if f.status != DELIVERED:
        raise ComplaintRefused("only a delivered parcel can be complained about", "not_delivered")
    if f.received:
        raise ComplaintRefused("receipt of this parcel is already confirmed", "already_received")
    if f.receipt_due_at is None or as_utc(f.receipt_due_at) <= now:
        raise ComplaintRefused("the time to complain about this parcel is over", "complaint_window_closed")


class Complaint:
    """One shopper's complaint about one parcel, with every step anyone took on it (`actions`)."""

    def __init__(self, id: str, order: Order, f: "Fulfillment", reason: str, text: str, photos: list[str],
                 now: datetime, window: timedelta):
        if reason not in COMPLAINT_REASONS:
            raise ComplaintInvalid(f"unknown reason {reason!r}", "reason", "bad_reason")
        text = (text or "").strip()
        if len(text) > COMPLAINT_TEXT_MAX:
            raise ComplaintInvalid(f"at most {COMPLAINT_TEXT_MAX} characters", "text")
        if len(photos or []) > MAX_COMPLAINT_PHOTOS:
            raise ComplaintInvalid(f"at most {MAX_COMPLAINT_PHOTOS} photos", "photos", "too_many_photos")
        may_complain(f, now)
        self.id = id
        self.order_id = order.id
        self.fulfillment_id = f.id
        self.shopper_id = order.shopper_id
        self.seller_id = f.seller_id
        self.agent_id = f.agent_id
        self.shop_name = f.shop_name
        self.payment_method = order.payment_method
        self.parcel_total = int(f.goods_amount) + int(f.delivery_fee)
        self.reason = reason
        self.text = text
        self.photos = list(photos or [])
        self.status = C_OPEN
        self.respond_by = now + window
        self.answer: str | None = None
        self.answer_reason: str | None = None
        self.refund_amount: int | None = None
        self.resolution: str | None = None
        self.resolved_by: str | None = None
        self.resolved_at: datetime | None = None
        self.escalated_at: datetime | None = None
        self.actions: list[dict] = []
        self.uploads: list[dict] = []
        self.created_at = now
        self._act("opened", order.shopper_id, "shopper", now, why=text or None)

    # -- photos the shopper uploads as evidence ------------------------------------------------------------
    def photo_count(self) -> int:
        """Addresses given on opening and uploaded photos count together against the limit of 3."""
        return len(self.photos or []) + len(self.uploads or [])

    def may_add_photo(self, by: str) -> int:
        """The number (1, 2, 3) the next uploaded photo gets; only the complaint's shopper, while unresolved."""
        if by != self.shopper_id:
            raise NotYours("not your complaint")
        if self.status == C_RESOLVED:
            raise ComplaintRefused("this complaint is resolved; photos can no longer be added", "complaint_resolved")
        if self.photo_count() >= MAX_COMPLAINT_PHOTOS:
            raise ComplaintInvalid(f"at most {MAX_COMPLAINT_PHOTOS} photos", "photo", "too_many_photos")
        return max((u["n"] for u in self.uploads or []), default=0) + 1

    def add_photo(self, key: str, thumb_key: str, by: str, now: datetime) -> int:
        n = self.may_add_photo(by)
        self.uploads = [*(self.uploads or []), {"n": n, "key": key, "thumb_key": thumb_key, "at": _iso(now)}]
        self._act("photo_added", by, "shopper", now)
        return n

    def upload(self, n: int) -> dict | None:
        return next((u for u in self.uploads or [] if u["n"] == n), None)

    # -- what happened, and the events -----------------------------------------------------------------
    def _act(self, action: str, by: str, role: str, now: datetime, *, amount: int | None = None,
             why: str | None = None) -> None:
        entry = {"action": action, "by": by, "role": role, "at": _iso(now)}
        if amount is not None:
            entry["amount"] = amount
        if why:
            entry["why"] = why
        self.actions = [*(self.actions or []), entry]  # a new list: JSON columns see reassignment only

    def event(self, event_type: str, step: str, by_role: str) -> DomainEvent:
        return DomainEvent(event_type, {
            "complaint_id": self.id, "order_id": self.order_id, "fulfillment_id": self.fulfillment_id,
            "shopper_id": self.shopper_id, "seller_id": self.seller_id, "agent_id": self.agent_id,
            "shop_name": self.shop_name, "payment_method": self.payment_method, "parcel_total": self.parcel_total,
            "reason": self.reason, "status": self.status, "step": step, "by_role": by_role,
            "answer": self.answer, "answer_reason": self.answer_reason, "refund_amount": self.refund_amount,
            "resolution": self.resolution, "respond_by": _iso(self.respond_by)}, self.fulfillment_id)

    def opened(self) -> list[DomainEvent]:
        return [self.event("complaint.opened", "opened", "shopper")]

    def _require(self, *statuses: str) -> None:
        if self.status not in statuses:
            raise ComplaintRefused(f"this complaint is {self.status}; that step is not possible now",
                                   "already_resolved" if self.status == C_RESOLVED else "complaint_state")

    def _resolve(self, f: "Fulfillment", by: str, role: str, amount: int, now: datetime,
                 why: str | None = None) -> list[DomainEvent]:
        self.status = C_RESOLVED
        self.resolution = RESOLVED_REFUND if amount else RESOLVED_RELEASE
        self.refund_amount = amount
        self.resolved_by = role
        self.resolved_at = now
        self._act("refunded" if amount else "released", by, role, now, amount=amount, why=why)
        # the parcel's receipt ends here: no timer confirms it later, payments settles it on complaint.resolved
        f.received_at = now
        f.received_by = RECEIVED_BY_COMPLAINT
        return [self.event("complaint.resolved", self.resolution, role)]

    # -- the seller ----------------------------------------------------------------------------------
    def answer_by_seller(self, f: "Fulfillment", by: str, answer: str, amount: int | None, why: str | None,
                         now: datetime, window: timedelta) -> list[DomainEvent]:
        if answer not in SELLER_ANSWERS:
            raise ComplaintInvalid(f"unknown answer {answer!r}", "answer", "bad_answer")
        self._require(C_OPEN)
        why = (why or "").strip() or None
        self.answer = answer
        if answer == "refund":
            return self._resolve(f, by, "seller", complaint_amount(amount, self.parcel_total), now, why)
        if answer == "return":
            return self._ask_return(by, "seller", complaint_amount(amount, self.parcel_total), why, now, window)
        if not why:
            raise ComplaintInvalid("say why you reject the complaint", "reason", "reason_required")
        self.answer_reason = why
        self.status = C_REJECTED
        self.respond_by = now + window
        self._act("rejected", by, "seller", now, why=why)
        return [self.event("complaint.answered", "rejected", "seller")]

    def _ask_return(self, by: str, role: str, amount: int, why: str | None, now: datetime,
                    window: timedelta) -> list[DomainEvent]:
        self.status = C_RETURN_REQUESTED
        self.refund_amount = amount  # refunded once the seller has the goods back
        self.respond_by = now + window
        self._act("return_requested", by, role, now, amount=amount, why=why)
        return [self.event("complaint.answered", "return_requested", role)]

    def return_received(self, f: "Fulfillment", by: str, now: datetime) -> list[DomainEvent]:
        """The seller has the goods back: the shopper gets the refund agreed for the return."""
        self._require(C_RETURN_REQUESTED, C_RETURN_SENT)
        self._act("return_received", by, "seller", now)
        return self._resolve(f, by, "seller", int(self.refund_amount or self.parcel_total), now)

    # -- the shopper ---------------------------------------------------------------------------------
    def return_sent(self, by: str, now: datetime, window: timedelta, role: str = "shopper") -> list[DomainEvent]:
        """The goods are on their way back: the shopper says so, or the return's courier picked them up."""
        self._require(C_RETURN_REQUESTED)
        self.status = C_RETURN_SENT
        self.respond_by = now + window
        self._act("return_sent", by, role, now)
        return [self.event("complaint.return_sent", "return_sent", role)]

    def return_delivered(self, f: "Fulfillment", courier_id: str, now: datetime) -> list[DomainEvent]:
        """The return's courier handed the goods over at the shop: that is the seller's receipt, and the agreed
        refund goes to the shopper. An escalated return that was already on its way ends the same way."""
        if self.status == C_RESOLVED:
            return []  # settled another way meanwhile: the goods are simply back
        self._require(C_RETURN_REQUESTED, C_RETURN_SENT, C_ESCALATED)
        self._act("return_received", courier_id, "courier", now)
        return self._resolve(f, courier_id, "courier", int(self.refund_amount or self.parcel_total), now)

    def accept_rejection(self, f: "Fulfillment", by: str, now: datetime) -> list[DomainEvent]:
        self._require(C_REJECTED)
        self._act("accepted", by, "shopper", now)
        return self._resolve(f, by, "shopper", 0, now)

    def escalate(self, by: str, role: str, now: datetime, why: str | None = None) -> list[DomainEvent]:
        """To the operator: the shopper disputes a rejection, or the timer found somebody silent too long."""
        if role == "shopper":
            self._require(C_REJECTED)
        else:
            self._require(*WAITING_ON_A_PARTY)
        self.status = C_ESCALATED
        self.escalated_at = now
        self._act("escalated", by, role, now, why=why)
        return [self.event("complaint.escalated", "escalated", role)]

    def overdue(self, now: datetime) -> bool:
        return (self.status in WAITING_ON_A_PARTY and self.respond_by is not None
                and as_utc(self.respond_by) <= now)

    # -- the operator --------------------------------------------------------------------------------
    def decide(self, f: "Fulfillment", by: str, decision: str, amount: int | None, why: str | None,
               now: datetime, window: timedelta) -> list[DomainEvent]:
        """The operator's word on any unresolved complaint, always with a reason (shown on the complaint)."""
        if decision not in OPERATOR_DECISIONS:
            raise ComplaintInvalid(f"unknown decision {decision!r}", "decision", "bad_decision")
        why = (why or "").strip()
        if not why:
            raise ComplaintInvalid("write why you decide so; the shopper and the seller read it", "note",
                                   "note_required")
        self._require(*COMPLAINT_UNRESOLVED)
        self.answer = decision
        if decision == "release":
            return self._resolve(f, by, "operator", 0, now, why)
        amount = complaint_amount(amount, self.parcel_total)
        if decision == "return":
            return self._ask_return(by, "operator", amount, why, now, window)
        return self._resolve(f, by, "operator", amount, now, why)


# -- a return's courier pickup (issue 16) --------------------------------------------------------------
# "Return then refund" sends a courier: a return pickup job goes to the same dispatch as a delivery (offered to
# the least loaded courier of the district, else the district's open board; accept, decline, claim, picked
# up, delivered), but from the shopper's door back to the shop. It is its own row, not a fulfillment: a
# fulfillment's delivery events pay the seller and the courier and commit stock, a return must do none of
# that. Its events are `return.*`. The courier's hand-over at the shop is the seller's receipt (a village
# seller is at home when the goods come back, and a refund should not wait on a button the party who pays it
# may never press): delivering the return resolves the complaint with the refund agreed for it.
RETURN_KIND, DELIVERY_KIND = "return", "delivery"


class ReturnPickup(CourierJob):
    """One courier trip taking a complained-about parcel's goods from the shopper back to its shop."""
    kind = RETURN_KIND
    # what a delivery has and a return never does (the courier pages read one shape for both)
    cod_amount_due = 0
    cod_amount_collected = None
    pickup_deadline = None
    ship_by = receipt_due_at = received_at = received_by = None

    def __init__(self, id: str, complaint: "Complaint", order: Order, f: Fulfillment, fee: int, now: datetime):
        self.id = id
        self.complaint_id = complaint.id
        self.order_id = order.id
        self.fulfillment_id = f.id
        self.shopper_id = order.shopper_id
        self.seller_id = f.seller_id
        self.agent_id = f.agent_id
        self.shop_id = f.shop_id
        self.shop_name = f.shop_name
        self.pickup = dict(order.delivery_address)            # the shopper's door
        self.dropoff = {**(f.pickup or {}), "shop_name": f.shop_name}  # the shop, where the parcel came from
        self.district = order.delivery_address.get("district") or f.district
        self.items = list(f.items or [])
        self.goods_amount = int(f.goods_amount)
        self.delivery_fee = int(fee)  # the courier's fee for the trip back, borne by the platform
        self.status = READY_FOR_PICKUP
        self.courier_id: str | None = None
        self.accepted = False
        self.declined_by: list[str] = []
        self.ready_at = now
        self.picked_up_at: datetime | None = None
        self.delivered_at: datetime | None = None
        self.cancel_reason: str | None = None
        self.cancelled_at: datetime | None = None

    def _move(self, target: str) -> None:
        self.status = transition(self.status, target, FULFILLMENT_TRANSITIONS, "return pickup")

    def _event(self, event_type: str, courier_id: str | None, **extra) -> DomainEvent:
        data = {"return_id": self.id, "complaint_id": self.complaint_id, "order_id": self.order_id,
                "fulfillment_id": self.fulfillment_id, "courier_id": courier_id, "shopper_id": self.shopper_id,
                "seller_id": self.seller_id, "agent_id": self.agent_id, "shop_name": self.shop_name,
                "goods_amount": self.goods_amount, "delivery_fee": self.delivery_fee, "district": self.district,
                "accepted": self.accepted, "pickup": self.pickup, "dropoff": self.dropoff}
        if not self.accepted:  # an offer: the shopper's area is enough to choose the job, not their door
            data["pickup"] = dropoff_area(self.pickup)
        data.update(extra)
        return DomainEvent(event_type, data, self.fulfillment_id)

    def opened(self) -> list[DomainEvent]:
        return [self._event("return.ready", None)]

    def assign(self, courier_id: str, *, accepted: bool = False) -> list[DomainEvent]:
        if courier_id in self.declined_by and not accepted:
            raise DomainError("this courier already declined this return", "already_declined")
        self._move(ASSIGNED)
        self.courier_id = courier_id
        self.accepted = accepted
        return [self._event("return.assigned", courier_id)]

    def claim(self, courier_id: str, courier_district: str | None,
              courier_district_code: str | None = None) -> list[DomainEvent]:
        if not self.on_board_of(courier_district, courier_district_code):
            raise DomainError("this return is no longer on the board", "not_on_board")
        return self.assign(courier_id, accepted=True)

    def accept(self, courier_id: str) -> list[DomainEvent]:
        self._ensure_courier(courier_id)
        if self.status != ASSIGNED:
            raise IllegalTransition(self.status, ASSIGNED, "return pickup")
        if self.accepted:
            return []
        self.accepted = True
        return [self._event("return.accepted", courier_id)]

    def decline(self, courier_id: str) -> list[DomainEvent]:
        self._ensure_courier(courier_id)
        if self.status == ASSIGNED and self.accepted:
            raise DomainError("you accepted this return; it can no longer be declined", "already_accepted")
        self._move(READY_FOR_PICKUP)
        self.courier_id = None
        self.accepted = False
        self.declined_by = [*self.declined_by, courier_id]
        return [self._event("return.unassigned", courier_id, reason="declined")]

    def pick_up(self, courier_id: str, now: datetime) -> list[DomainEvent]:
        self._ensure_courier(courier_id)
        self._move(PICKED_UP)
        self.accepted = True
        self.picked_up_at = now
        return [self._event("return.picked_up", courier_id)]

    def deliver(self, courier_id: str, cash_collected: int | None, now: datetime) -> list[DomainEvent]:
        self._ensure_courier(courier_id)
        if self.status != PICKED_UP:
            raise IllegalTransition(self.status, DELIVERED, "return pickup")
        if cash_collected:
            raise CashMismatch("a return collects no cash")
        self._move(DELIVERED)
        self.delivered_at = now
        return [self._event("return.delivered", courier_id)]

    def cancel(self, reason: str, now: datetime) -> list[DomainEvent]:
        """The complaint was settled another way before a courier had the goods: the trip is off."""
        if self.status not in NOT_YET_PICKED_UP:
            return []
        was_with = self.courier_id
        self._move(CANCELLED)
        self.cancel_reason = reason
        self.cancelled_at = now
        return [self._event("return.cancelled", was_with, reason=reason)]


def return_fee(tariff: DeliveryTariff, f: Fulfillment, order: Order) -> int:
    """The trip back costs what the trip there cost: the same tariff, from the shopper's district to the shop's."""
    return tariff.fee(order.delivery_address.get("district"), (f.pickup or {}).get("district") or f.district)
