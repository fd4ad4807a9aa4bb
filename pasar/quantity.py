"""Quantities as exact decimals (issue 17, produce by weight): 1.5 kg of chilies is Decimal("1.5") from the
JSON body to the SQL Numeric column and back, never a float.

- On the wire (API answers, events) a quantity is a JSON integer when it is whole (so piece listings read
  exactly as before: `"qty": 2`) and a decimal string otherwise (`"qty": "1.5"`). Readers parse both with
  `parse()`.
- A line's total is price per unit (whole rupiah) x quantity, rounded to whole rupiah HALF-UP (half a rupiah
  and more goes up): `line_total(Decimal("1.5"), 42000) == 63000`, `line_total(Decimal("0.333"), 1000) == 333`.
- At most `PLACES` decimal places (grams of a kilogram)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from marshmallow import ValidationError, fields

PLACES = 3
QUANTUM = Decimal(1).scaleb(-PLACES)   # 0.001
ONE = Decimal(1)


class NotAQuantity(ValueError):
    pass


def parse(value) -> Decimal:
    """An int, a Decimal or a decimal string as an exact Decimal; a float, a bool or anything else is refused."""
    if isinstance(value, bool) or isinstance(value, float):
        raise NotAQuantity("a quantity is a whole number or a decimal string, like 2 or \"1.5\"")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        text = value.strip().replace(",", ".", 1) if value.count(",") == 1 and "." not in value else value.strip()
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise NotAQuantity("Not a valid number.") from None
    else:
        raise NotAQuantity("Not a valid number.")
    if not result.is_finite():
        raise NotAQuantity("Not a valid number.")
    if abs(result) >= 10 ** 12:
        raise NotAQuantity("too large")
    if result != result.quantize(QUANTUM, rounding=ROUND_HALF_UP):
        raise NotAQuantity(f"at most {PLACES} decimal places")
    return result


def wire(value) -> int | str:
    """What the API and events carry: an integer when whole, else the shortest decimal string ("1.5")."""
    q = value if isinstance(value, Decimal) else parse(value)
    if q == q.to_integral_value():
        return int(q)
    return format(q.normalize(), "f")


def text(value, decimal_mark: str = ",") -> str:
    """For pages: "1,5" in Bahasa Indonesia (decimal_mark=","), "1.5" in English."""
    shown = str(wire(value))
    return shown.replace(".", decimal_mark)


def line_total(qty, unit_price: int) -> int:
    """Whole rupiah, rounded half-up: the rule written down in the module docstring."""
    exact = (qty if isinstance(qty, Decimal) else parse(qty)) * Decimal(int(unit_price))
    return int(exact.quantize(ONE, rounding=ROUND_HALF_UP))


BELOW_MINIMUM, OFF_STEP = "below_minimum", "off_step"   # reasons (codes), not messages


def step_problem(qty: Decimal, minimum: Decimal, step: Decimal) -> str | None:
    """Why `qty` breaks a listing's minimum or step (from the minimum, in steps), or None."""
    if qty < minimum:
        return BELOW_MINIMUM
    if step > 0 and (qty - minimum) % step != 0:
        return OFF_STEP
    return None


class Quantity(fields.Field):
    """A marshmallow field for an exact quantity: loads ints, Decimals and decimal strings (never floats),
    dumps the wire form (an integer when whole, else a string)."""

    default_error_messages = {"invalid": "Not a valid quantity."}

    def __init__(self, *, minimum: Decimal | int | None = None, maximum: Decimal | int | None = None,
                 positive: bool = False, **kwargs):
        """`minimum`, `maximum`: inclusive bounds; `positive`: more than 0 (a quantity to buy)."""
        super().__init__(**kwargs)
        self.minimum = None if minimum is None else Decimal(minimum)
        self.maximum = None if maximum is None else Decimal(maximum)
        self.positive = positive

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else wire(value)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            q = parse(value)
        except NotAQuantity as exc:
            raise ValidationError(str(exc)) from None
        if self.positive and q <= 0:
            raise ValidationError("must be more than 0")
        if self.minimum is not None and q < self.minimum:
            least = wire(self.minimum)
            raise ValidationError(f"must be at least {least}")
        if self.maximum is not None and q > self.maximum:
            most = wire(self.maximum)
            raise ValidationError(f"must be at most {most}")
        return q


class WireQuantity(fields.Field):
    """An event's quantity: validated (an int, or a decimal string, more than `minimum`) and kept in its wire
    form, so the loaded event stays JSON as it was sent."""

    def __init__(self, *, more_than: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.minimum = more_than

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, Decimal):
            raise ValidationError("a quantity on the wire is an int or a decimal string")
        try:
            q = parse(value)
        except NotAQuantity as exc:
            raise ValidationError(str(exc)) from None
        if self.minimum is not None and q <= 0:
            raise ValidationError("must be more than 0")
        return wire(q)
