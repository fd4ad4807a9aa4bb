"""The order state machine, free of Flask and SQLAlchemy."""
from __future__ import annotations

PLACED, AWAITING_PAYMENT, CONFIRMED, COMPLETED = "PLACED", "AWAITING_PAYMENT", "CONFIRMED", "COMPLETED"
REJECTED, CANCELLED = "REJECTED", "CANCELLED"

TRANSITIONS = {
    PLACED: {AWAITING_PAYMENT, CONFIRMED, REJECTED},
    AWAITING_PAYMENT: {CONFIRMED, CANCELLED},
    CONFIRMED: {COMPLETED, CANCELLED},
    COMPLETED: set(),
    REJECTED: set(),
    CANCELLED: set(),
}


class IllegalTransition(Exception):
    def __init__(self, current: str, target: str):
        super().__init__(f"an order cannot go from {current} to {target}")
        self.current, self.target = current, target


def transition(current: str, target: str) -> str:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
    return target


def after_reservation(payment_method: str) -> str:
    """Card orders wait for the money; cash on delivery is confirmed at once."""
    return AWAITING_PAYMENT if payment_method == "card" else CONFIRMED


def goods_total(lines: list[dict]) -> int:
    return sum(line["qty"] * line["unit_price"] for line in lines)
