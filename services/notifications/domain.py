"""Notifications rules, free of Flask and SQLAlchemy: who hears about an event, on which channels,
how money and times are written, and how long a failed send waits before the next try."""
from __future__ import annotations

from dataclasses import dataclass, field

from pasar import regions

INAPP, EMAIL, WHATSAPP = "inapp", "email", "whatsapp"
EXTERNAL_CHANNELS = (EMAIL, WHATSAPP)
LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"

# delivery statuses (one row per recipient and channel)
PENDING, SENDING, SENT, PARKED = "pending", "sending", "sent", "parked"


@dataclass(frozen=True)
class Intent:
    """One person to tell about one event, with what the template needs."""
    recipient_id: str
    kind: str                      # the template's name
    context: dict = field(default_factory=dict)
    order_id: str | None = None


@dataclass(frozen=True)
class Contact:
    user_id: str
    role: str = ""
    name: str = ""
    email: str | None = None
    phone: str | None = None
    locale: str = DEFAULT_LOCALE
    district: str | None = None
    channels: tuple[str, ...] = ()


def reachable_person(recipient_id) -> bool:
    """A crafter without an account is "shop:<id>": nobody can log in as them, their agent is told."""
    return bool(recipient_id) and not str(recipient_id).startswith("shop:")


def short_order(order_id) -> str:
    return str(order_id or "")[:8].upper()


# Times are written on the clock of the place they matter for (WIB/WITA/WIT, pasar.regions): each intent's context
# carries `time_province`, the province whose zone the `when` filter uses by default (and the inbox page too):
#   shopper: the delivery address (order.confirmed `delivery_address`, delivery.* `dropoff`);
#   seller/agent "new order": each fulfillment's shop (`pickup.province`; see pickup_province);
#   courier: the pickup (`pickup.province`).
# No province in the event -> None -> WIB (regions.DEFAULT_ZONE), still labelled "WIB".
def province_of(address) -> str | None:
    value = address.get("province") if isinstance(address, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def pickup_province(fulfillment: dict) -> str | None:
    """The shop's province for one of order.confirmed's fulfillments (`pickup.province`, or a flat `province`);
    an order confirmed before orders sent the pickup address has none: WIB."""
    return province_of(fulfillment.get("pickup")) or province_of(fulfillment)


def _shopper(event_type: str, data: dict, kind: str, **extra) -> list[Intent]:
    shopper = data.get("shopper_id")
    if not reachable_person(shopper):
        return []
    where = province_of(data.get("delivery_address")) or province_of(data.get("dropoff"))
    context = {**data, "order_ref": short_order(data.get("order_id")), "time_province": where, **extra}
    return [Intent(shopper, kind, context, data.get("order_id"))]


def _preparers(data: dict) -> list[Intent]:
    """order.confirmed: each seller, and each agent for the shops it manages, gets the fulfillments
    that are theirs to prepare, merged into one message per person (dedupe is per event and person)."""
    per_person: dict[str, list[dict]] = {}
    for fulfillment in data.get("fulfillments") or []:
        fulfillment = {**fulfillment, "time_province": pickup_province(fulfillment)}  # its deadline: shop's clock
        for person in (fulfillment.get("seller_id"), fulfillment.get("agent_id")):
            if reachable_person(person):
                mine = per_person.setdefault(person, [])
                if fulfillment not in mine:
                    mine.append(fulfillment)
    order_id = data.get("order_id")
    return [Intent(person, "new_order", {"order_id": order_id, "order_ref": short_order(order_id),
                                         "payment_method": data.get("payment_method"),
                                         "time_province": fulfillments[0]["time_province"],
                                         "fulfillments": fulfillments}, order_id)
            for person, fulfillments in per_person.items()]


def _sellers_of_listing(data: dict, kind: str) -> list[Intent]:
    people = []
    for person in (data.get("seller_id"), data.get("agent_id")):
        if reachable_person(person) and person not in people:
            people.append(person)
    return [Intent(person, kind, dict(data)) for person in people]


def _courier(data: dict, kind: str) -> list[Intent]:
    courier = data.get("courier_id")
    if not reachable_person(courier):
        return []
    context = {**data, "order_ref": short_order(data.get("order_id")),
               "pickup": data.get("pickup") or {}, "dropoff": data.get("dropoff") or {},
               "time_province": province_of(data.get("pickup"))}  # pickup times: the shop's clock
    return [Intent(courier, kind, context, data.get("order_id"))]


def _payee(data: dict, kind: str = "payout_created") -> list[Intent]:
    payee = data.get("payee_id")
    return [Intent(payee, kind, dict(data), data.get("order_id"))] if reachable_person(payee) else []


def _parcel_cancelled(event_type: str, data: dict) -> list[Intent]:
    """One parcel cancelled alone: the shopper hears what it means for their money, its seller (and agent) to
    stop preparing it."""
    out = _shopper(event_type, data, "parcel_cancelled")
    context = {**data, "order_ref": short_order(data.get("order_id"))}
    for person in dict.fromkeys((data.get("seller_id"), data.get("agent_id"))):
        if reachable_person(person):
            out.append(Intent(person, "parcel_cancelled_seller", context, data.get("order_id")))
    return out


def _question(data: dict, kind: str) -> list[Intent]:
    """A question thread (issue 19): catalog names the parties to tell (never the author); each gets the line."""
    context = {**data, "order_ref": short_order(data.get("order_id")) if data.get("order_id") else ""}
    return [Intent(person, kind, context, data.get("order_id"))
            for person in dict.fromkeys(data.get("recipients") or []) if reachable_person(person)]
def _one(person, kind: str, data: dict) -> list[Intent]:
    context = {**data, "order_ref": short_order(data.get("order_id"))}
    return [Intent(person, kind, context, data.get("order_id"))] if reachable_person(person) else []


def _owners(data: dict, kind: str) -> list[Intent]:
    """A listing's or shop's seller and its agent (issue 16: the operator hid it or showed it again)."""
    context = {**data, "thing_name": data.get("name") or ""}  # `name` is the reader's own in every message
    return [Intent(p, kind, context) for p in dict.fromkeys((data.get("seller_id"), data.get("agent_id")))
            if reachable_person(p)]


def _complaint(event_type: str, data: dict) -> list[Intent]:
    """Every step of a complaint: the shopper and the seller (and agent) each hear it, in their own words
    (`step` says which: opened, rejected, return_requested, return_sent, escalated, refund, release)."""
    out = _shopper(event_type, data, "complaint_shopper")
    context = {**data, "order_ref": short_order(data.get("order_id"))}
    for person in dict.fromkeys((data.get("seller_id"), data.get("agent_id"))):
        if reachable_person(person):
            out.append(Intent(person, "complaint_seller", context, data.get("order_id")))
    return out


def _return_trip(event_type: str, data: dict) -> list[Intent]:
    """A return's courier trip (issue 16): its courier hears the job (the shopper's door only once accepted, as
    for a delivery); once a courier has accepted, the shopper hears one is coming for the goods. The seller hears
    of the trip through the complaint's own steps (return_sent when picked up, resolved when handed over)."""
    context = {**data, "order_ref": short_order(data.get("order_id")), "pickup": data.get("pickup") or {},
               "dropoff": data.get("dropoff") or {}, "time_province": province_of(data.get("pickup"))}
    out = []
    courier = data.get("courier_id")
    if reachable_person(courier):
        out.append(Intent(courier, "return_pickup_courier", context, data.get("order_id")))
    shopper = data.get("shopper_id")
    if data.get("accepted") and reachable_person(shopper):
        out.append(Intent(shopper, "return_pickup_shopper", context, data.get("order_id")))
    return out


RETURN_TRIP_EVENTS = ("return.assigned", "return.accepted")

def _late_harvest(data: dict) -> list[Intent]:
    """A harvest batch is late (issue 17): every shopper who pre-ordered from it hears it, for their own order."""
    return [Intent(o["shopper_id"], "harvest_late", {**data, "order_id": o["order_id"],
                                                      "order_ref": short_order(o["order_id"])}, o["order_id"])
            for o in data.get("orders") or [] if reachable_person(o.get("shopper_id"))]


COMPLAINT_EVENTS = ("complaint.opened", "complaint.answered", "complaint.return_sent", "complaint.escalated",
                    "complaint.resolved")

# event type -> who is told what (the template's name is the kind)
_WHO_HEARS = {
    "question.message_posted": lambda t, d: _question(d, "question_message"),
    "question.handed_over": lambda t, d: _question(d, "question_handed_over"),
    "order.confirmed": lambda t, d: _shopper(t, d, "order_confirmed") + _preparers(d),
    "order.rejected": lambda t, d: _shopper(t, d, "order_rejected"),
    "order.cancelled": lambda t, d: _shopper(t, d, "order_cancelled"),
    "delivery.picked_up": lambda t, d: _shopper(t, d, "delivery_on_its_way", pickup=d.get("pickup") or {}),
    "delivery.delivered": lambda t, d: _shopper(t, d, "delivery_delivered", pickup=d.get("pickup") or {}),
    "payment.refunded": lambda t, d: _shopper(t, d, "payment_refunded"),
    # a pre-order paid at harvest (issue 17): the harvest is in, the money is asked for now
    "payment.requested": lambda t, d: _shopper(t, d, "harvest_pay") if d.get("harvest_filled") else [],
    "harvest.late": lambda t, d: _late_harvest(d),
    "stock.low": lambda t, d: _sellers_of_listing(d, "stock_low"),
    "payout.created": lambda t, d: _payee(d),
    "payout.released": lambda t, d: _payee(d, "payout_released"),
    "fulfillment.cancelled": _parcel_cancelled,
    "delivery.accepted": lambda t, d: _courier(d, "delivery_accepted"),
    "delivery.assigned": lambda t, d: _courier(d, "delivery_assigned"),
    "delivery.unassigned": lambda t, d: _courier(d, "delivery_unassigned"),
    # reviews and moderation (issue 16): the reviewed party hears of a published review, an author of a hidden one
    "review.published": lambda t, d: _one(d.get("subject_id"), "review_published", d),
    "review.hidden": lambda t, d: _one(d.get("author_id"), "review_hidden", d),
    "moderation.applied": lambda t, d: _owners(d, "moderation_applied"),
    **{event_type: _complaint for event_type in COMPLAINT_EVENTS},
    **{event_type: _return_trip for event_type in RETURN_TRIP_EVENTS},
}


def intents_for(event_type: str, data: dict) -> list[Intent]:
    """Who is told what about an event. Optional fields may be missing: the rules tell whom they can."""
    rule = _WHO_HEARS.get(event_type)
    return rule(event_type, data) if rule else []


def cancelled_for_preparers(order_id: str, people: list[str], data: dict) -> list[Intent]:
    """A confirmed order cancelled before pickup: whoever was asked to prepare it is told to stop."""
    return [Intent(person, "order_cancelled_seller", {**data, "order_ref": short_order(order_id)}, order_id)
            for person in people if reachable_person(person)]


def channels_for(contact: Contact | None) -> list[str]:
    """The inbox always; email / WhatsApp when the person chose them and we have the address.
    An account that never said (empty list) gets every channel we can reach it on."""
    if contact is None:
        return [INAPP]
    chosen = set(contact.channels) if contact.channels else {EMAIL, WHATSAPP}
    out = [INAPP]
    if EMAIL in chosen and contact.email:
        out.append(EMAIL)
    if WHATSAPP in chosen and contact.phone:
        out.append(WHATSAPP)
    return out


def account_locale(locale) -> str:
    """The language an account asked for, if we speak it; else Bahasa Indonesia."""
    return locale if locale in LOCALES else DEFAULT_LOCALE


def chosen_channels(channels) -> list[str]:
    """The channels an account chose, the ones we know only."""
    return [c for c in (channels or []) if c in (INAPP, *EXTERNAL_CHANNELS)]


def channel_message(channel: str, contact: Contact, short: str, text: str, html: str) -> tuple[str | None, str,
                                                                                               str | None]:
    """(address, text, html) one external channel sends: the whole email, or the short line on WhatsApp."""
    if channel == EMAIL:
        return contact.email, text, html
    return contact.phone, f"Pasar Desa: {short}", None


def resume_point(after: int | None, last_event_id: str | None) -> int | None:
    """Where a live feed resumes: `?after=`, else a numeric Last-Event-ID; None = from now on."""
    if after is not None:
        return after
    header = (last_event_id or "").strip()
    return int(header) if header.isdigit() else None


def locale_of(contact: Contact | None) -> str:
    return contact.locale if contact is not None and contact.locale in LOCALES else DEFAULT_LOCALE


def format_rupiah(amount) -> str:
    """Rp 10.000 — whole rupiah with dots between thousands, as Indonesians write it."""
    if amount is None or amount == "":
        return ""
    value = int(amount)
    text = f"{abs(value):,}".replace(",", ".")
    return f"-Rp {text}" if value < 0 else f"Rp {text}"


_MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
           "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}


def format_when(value, locale: str = DEFAULT_LOCALE, province: str | None = None) -> str:
    """An ISO time on the province's clock, named: `25 November 2026 14.00 WITA` (`14:00` in English).
    Unknown or missing province: WIB (pasar.regions says why)."""
    if not value:
        return ""
    try:
        local, zone = regions.local_time(value, province)
    except ValueError:
        return str(value)
    month = _MONTHS.get(locale, _MONTHS["id"])[local.month - 1]
    clock = f"{local.hour:02d}.{local.minute:02d}" if locale == "id" else f"{local.hour:02d}:{local.minute:02d}"
    return f"{local.day} {month} {local.year} {clock} {zone}"


def retry_delay(attempts_made: int, delays: tuple[float, ...]) -> float | None:
    """Seconds to wait before the next try after `attempts_made` failed ones, or None: park it."""
    if attempts_made < 1 or attempts_made > len(delays):
        return None
    return delays[attempts_made - 1]


def parse_delays(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in (text or "").split(",") if part.strip())


# -- one-time codes (account.code_requested): sent where the gateway says, whatever the person's settings ----
CODE_KIND = "one_time_code"


def code_delivery(data: dict) -> tuple[str, str] | None:
    """(channel, address) for a one-time code, or None if the event names no channel we can send on."""
    channel, address = data.get("channel"), data.get("address")
    if channel not in EXTERNAL_CHANNELS or not isinstance(address, str) or not address.strip():
        return None
    return channel, address.strip()
