"""Catalog rules, free of Flask and SQLAlchemy: who may manage a shop, how a listing's status moves,
whether an order's items can be reserved (all or none), when stock counts as low, how search reads a query."""
from __future__ import annotations

import difflib
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from pasar import quantity

# The managed category list: slug -> (Bahasa Indonesia, English). New ones are added by an admin
# (POST /api/v1/categories); these are the ones every installation starts with.
DEFAULT_CATEGORIES: list[tuple[str, str, str]] = [
    ("kerajinan-tangan", "Kerajinan tangan", "Handicrafts"),
    ("anyaman", "Anyaman", "Woven goods"),
    ("batik-tekstil", "Batik & tenun", "Batik & textiles"),
    ("gerabah-keramik", "Gerabah & keramik", "Pottery & ceramics"),
    ("hasil-bumi", "Hasil bumi", "Produce"),
    ("makanan-olahan", "Makanan olahan", "Processed food"),
    ("kopi-rempah", "Kopi & rempah", "Coffee & spices"),
    ("madu-herbal", "Madu & jamu", "Honey & herbal"),
    ("hasil-laut", "Hasil laut & perikanan", "Fish & seafood"),
]
UNITS = ("pcs", "kg", "100g", "gram", "pack", "liter", "lembar", "ikat")
# units sold by measure: their quantities may have decimals (1.5 kg); the others are counted whole
MEASURED_UNITS = ("kg", "100g", "gram", "liter")
DELIVER_WITHIN = ("", "district", "regency")   # anywhere | the shop's district | the shop's regency
MAX_SHELF_LIFE_DAYS = 3650
SORTS = ("relevance", "newest", "price_asc", "price_desc", "popular", "rating")
MIN_PRICE = 100                 # rupiah; below this is a typo, not a price
MAX_PRICE = 100_000_000
MAX_STOCK = 1_000_000
DEFAULT_LOW_STOCK_THRESHOLD = 3

# Listing status machine: draft -> published -> archived; an archived listing can come back as a
# draft (to edit) or straight to published; a published one can be taken back to draft.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"published", "archived"}),
    "published": frozenset({"draft", "archived"}),
    "archived": frozenset({"draft", "published"}),
}
STATUSES = tuple(TRANSITIONS)
SHOP_STATUSES = ("active", "closed")


class IllegalTransition(ValueError):
    pass


def next_status(current: str, wanted: str) -> str:
    if wanted not in TRANSITIONS:
        raise IllegalTransition(f"unknown status {wanted!r}")
    if wanted not in TRANSITIONS[current]:
        raise IllegalTransition(f"a {current} listing cannot become {wanted}")
    return wanted


def publish_problems(title: str, price: int, category: str | None) -> dict[str, list[str]]:
    """Fields that stop a listing from being published (drafts may be incomplete)."""
    problems: dict[str, list[str]] = {}
    if not title or len(title.strip()) < 3:
        problems["title"] = ["a published listing needs a title of at least 3 characters"]
    if price < MIN_PRICE:
        problems["price"] = [f"a published listing needs a price of at least Rp {MIN_PRICE}"]
    if not category:
        problems["category"] = ["a published listing needs a category"]
    return problems


# -- who may manage what ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    user_id: str
    role: str


def can_manage_shop(actor: Actor, shop_seller_id: str, shop_agent_id: str | None) -> bool:
    """A seller manages the shops it owns, an agent the shops it manages for crafters, an admin all."""
    if actor.role == "admin":
        return True
    if actor.role == "seller":
        return shop_seller_id == actor.user_id
    if actor.role == "agent":
        return shop_agent_id is not None and shop_agent_id == actor.user_id
    return False


def crafter_seller_id(shop_id: str) -> str:
    """A crafter without an account is paid and addressed through the shop itself."""
    return f"shop:{shop_id}"


class FieldProblems(ValueError):
    """Input that breaks a rule, said per field (the API answers it as a 422 with these fields)."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("some fields are not valid")
        self.fields = fields


def shop_owners(actor: Actor, shop_id: str, seller_id: str | None, agent_id: str | None) -> tuple[str, str | None]:
    """Who owns and who manages a new shop. A seller's shop is its own and an agent's belongs to the crafter
    (the shop itself); only an admin names them, and must name at least one."""
    if actor.role != "admin" and (seller_id or agent_id):
        raise FieldProblems(_named_by_non_admin(seller_id, agent_id))
    if actor.role == "seller":
        return actor.user_id, None
    if actor.role == "agent":  # a crafter without an account: the shop itself is the seller
        return crafter_seller_id(shop_id), actor.user_id
    if not seller_id and not agent_id:
        raise FieldProblems({"seller_id": ["give seller_id or agent_id"]})
    return seller_id or crafter_seller_id(shop_id), agent_id


def _named_by_non_admin(seller_id: str | None, agent_id: str | None) -> dict[str, list[str]]:
    named = {"seller_id": seller_id, "agent_id": agent_id}
    return {key: ["only an admin may set this"] for key, value in named.items() if value}


@dataclass(frozen=True)
class Contact:
    """A person from the sellers directory (kept from account events)."""
    name: str | None
    phone: str | None


def default_owner_name(owner: Contact | None, actor: Actor, actor_name: str) -> str:
    """The directory's name for the owner; a seller opening its own shop before the directory knows it
    goes by the name on its login."""
    if owner is not None:
        return owner.name
    return actor_name if actor.role == "seller" else ""


def default_whatsapp(owner: Contact | None, manager: Contact | None) -> str | None:
    """The directory's phone is the default pickup contact: the owner's, else the managing agent's."""
    return (owner and owner.phone) or (manager and manager.phone) or None


# -- photos --------------------------------------------------------------------------------------------
MAX_LISTING_PHOTOS = 8


def photo_limit_reached(photo_count: int) -> bool:
    return photo_count >= MAX_LISTING_PHOTOS


# -- produce: quantities, perishables ------------------------------------------------------------------
def quantity_rule_problems(unit: str, min_qty: Decimal, qty_step: Decimal) -> dict[str, list[str]]:
    """A listing's own minimum and step: positive; whole for a counted unit (pieces, bunches)."""
    problems: dict[str, list[str]] = {}
    for name, value in (("min_qty", min_qty), ("qty_step", qty_step)):
        if value <= 0:
            problems[name] = ["must be more than 0"]
        elif unit not in MEASURED_UNITS and value != value.to_integral_value():
            problems[name] = [f"a listing sold per {unit} is bought in whole numbers"]
    return problems


def sellable_until(harvested_on: date | None, shelf_life_days: int | None) -> date | None:
    """The last day a perishable may be sold: harvest day + shelf life (None: keeps)."""
    if harvested_on is None or shelf_life_days is None:
        return None
    return harvested_on + timedelta(days=shelf_life_days)


def expired(harvested_on: date | None, shelf_life_days: int | None, today: date) -> bool:
    until = sellable_until(harvested_on, shelf_life_days)
    return until is not None and today > until


def _near(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and a.strip().casefold() == b.strip().casefold()


def delivers_to(deliver_within: str, shop_district: str, shop_regency: str, dropoff: dict | None) -> bool:
    """A perishable limited to nearby delivery goes only to the shop's own district (or regency)."""
    if not deliver_within or dropoff is None:
        return True
    if deliver_within == "district":
        return _near(shop_district, dropoff.get("district"))
    return _near(shop_regency, dropoff.get("regency")) or _near(shop_district, dropoff.get("district"))


# -- stock ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StockView:
    listing_id: str
    status: str
    stock: Decimal
    min_qty: Decimal = Decimal(1)
    qty_step: Decimal = Decimal(1)
    expired: bool = False
    delivers: bool = True


def reservation_problems(items: list[dict], listings: dict[str, StockView]) -> list[dict]:
    """Every reason the order cannot be reserved; empty means reserve everything.

    Quantities of the same listing on several lines are added up before comparing with stock. Quantities are
    exact decimals in the listing's unit; on the wire (the problem's `requested`, `available`) in their wire
    form (pasar.quantity.wire)."""
    wanted = merged_quantities(items)
    problems = []
    for listing_id, qty in wanted.items():
        view = listings.get(listing_id)
        shown = quantity.wire(qty)
        if view is None:
            problems.append({"listing_id": listing_id, "requested": shown, "available": 0, "reason": "unknown"})
        elif view.status != "published":
            problems.append({"listing_id": listing_id, "requested": shown, "available": 0, "reason": "unpublished"})
        elif view.expired:
            problems.append({"listing_id": listing_id, "requested": shown, "available": 0, "reason": "expired"})
        elif not view.delivers:
            problems.append({"listing_id": listing_id, "requested": shown, "available": 0, "reason": "too_far"})
        elif quantity.step_problem(qty, view.min_qty, view.qty_step):
            problems.append({"listing_id": listing_id, "requested": shown,
                             "available": quantity.wire(max(view.stock, 0)),
                             "reason": quantity.step_problem(qty, view.min_qty, view.qty_step),
                             "min_qty": quantity.wire(view.min_qty), "qty_step": quantity.wire(view.qty_step)})
        elif view.stock < qty:
            problems.append({"listing_id": listing_id, "requested": shown,
                             "available": quantity.wire(max(view.stock, 0)), "reason": "insufficient"})
    return problems


def sellable_status(listing_status: str, shop_status: str | None) -> str:
    """A closed (or hidden) shop's listings are off the market, whatever their own status."""
    return "closed" if shop_status is not None and shop_status != "active" else listing_status


def moderated(status: str | None, hidden_at) -> str | None:
    """What the market sees of a status: a listing or shop the operator hid is "hidden", whatever its own."""
    return "hidden" if hidden_at is not None and status is not None else status


def publicly_visible(listing_status: str, shop_status: str | None) -> bool:
    """Anyone may see a published listing of an open shop (or of a shop that is not known here)."""
    return listing_status == "published" and (shop_status is None or shop_status == "active")


def merged_quantities(items: list[dict]) -> dict[str, Decimal]:
    """One quantity per listing: an order naming a listing twice reserves the sum once (exact decimals; the
    event carries ints or decimal strings)."""
    merged: dict[str, Decimal] = {}
    for item in items:
        merged[item["listing_id"]] = merged.get(item["listing_id"], Decimal(0)) + quantity.parse(item["qty"])
    return merged


def dropped_below(before: int, after: int, threshold: int) -> bool:
    """True only when this movement crosses the threshold downwards, so `stock.low` is said once."""
    return threshold > 0 and before >= threshold > after


# -- search --------------------------------------------------------------------------------------------
# Indonesian words are found whole: no prefix stripping (PostgreSQL's `indonesian` stemmer turns "keranjang"
# into "ranjang", a bed), only the enclitic "-nya" ("harganya" -> "harga") and reduplication ("kue-kue" ->
# "kue"), which never turn one product into another. Accents go ("kafé" -> "kafe") so both spellings meet.
_WORD = re.compile(r"[0-9a-z]+(?:-[0-9a-z]+)*")
MAX_TERMS = 8
MIN_STEM = 3


def fold(text: str) -> str:
    """Lower case without accents: the one spelling the index and the query share."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def stem(word: str) -> str:
    """The word without "-nya"; a reduplicated word ("kue-kue", "sayur-sayuran") as its first half."""
    if "-" in word:
        first, _, rest = word.partition("-")
        if rest.startswith(first) or first.startswith(rest):
            word = first
        else:
            return word
    if word.endswith("nya") and len(word) - 3 >= MIN_STEM:
        return word[:-3]
    return word


def words(text: str) -> list[str]:
    """The words of a text as the index keeps them: folded, each with its stem, hyphenated words also in parts."""
    found: list[str] = []
    for token in _WORD.findall(fold(text)):
        for word in (token, stem(token), *token.split("-")):
            word = word.replace("-", "")
            if word and word not in found:
                found.append(word)
    return found


def search_terms(query: str | None) -> list[str]:
    """The words of a free-text query, stemmed like the index; punctuation and operators are dropped, so the
    words are safe for LIKE patterns and trigram lookups alike."""
    if not query:
        return []
    terms: list[str] = []
    for token in _WORD.findall(fold(query)):
        term = stem(token).replace("-", "")[:40]
        if term and term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def indexed(parts) -> str:
    """' w1 w2 w3 ': a space on both sides, so `LIKE '% term%'` is "a word starting with term" everywhere."""
    seen: list[str] = []
    for part in parts:
        for word in words(part or ""):
            if word not in seen:
                seen.append(word)
    return f" {' '.join(seen)} " if seen else ""


def search_document(title: str, description: str, shop_name: str, category_name: str, regency: str = "",
                    district: str = "", village: str = "") -> str:
    """The text a listing is found by: its own words, its shop's name, its category, and where it is."""
    return indexed((title, description, shop_name, category_name, village, district, regency))


def search_heading(title: str, category_name: str = "") -> str:
    """The words that say what the listing is (its title and category): a match here ranks first."""
    return indexed((title, category_name))


def corrected_query(terms: list[str], corrections: dict[str, str]) -> str | None:
    """'kopi arabika' for terms ['kopi', 'arabica'] and {'arabica': 'arabika'}; None when nothing changed."""
    fixed = [corrections.get(t, t) for t in terms]
    return " ".join(fixed) if fixed != terms else None


def close_words(term: str, vocabulary, limit: int = 1, cutoff: float = 0.75) -> list[str]:
    """The SQLite fallback for pg_trgm: difflib's ratio over the words that start with the same letter and
    are of about the same length (a typo rarely hits the first letter; this keeps the candidate set small)."""
    candidates = [w for w in vocabulary if w[:1] == term[:1] and abs(len(w) - len(term)) <= 2 and w != term]
    return difflib.get_close_matches(term, candidates, n=limit, cutoff=cutoff)


def pickup_address(street: str, village: str, district: str, regency: str, province: str,
                   phone: str | None, village_code: str | None = None) -> dict:
    """The shop's pickup, with its official region codes when the shop has a village code (issue 18): orders then
    prices delivery and finds the courier district by code, not by typed names."""
    pickup = {"street": street or "", "village": village or "", "district": district or "",
              "regency": regency or "", "province": province or "", "phone": phone or ""}
    if village_code:
        pickup.update(region_codes(village_code))
    return pickup


def region_codes(village_code: str | None) -> dict:
    """A village code's own code and every code above it: "35.05.07.2004" is in district "35.05.07", regency
    "35.05" and province "35" (Kemendagri codes are prefixes of each other)."""
    if not village_code:
        return {"village_code": None, "district_code": None}
    parts = village_code.split(".")
    return {"village_code": village_code, "district_code": ".".join(parts[:3]), "regency_code": ".".join(parts[:2]),
            "province_code": parts[0]}


# -- questions and conversations (issue 19) -------------------------------------------------------------------
# A thread is one shopper's question to one shop. Its parties take a *part*: the shopper who asked, the shop (its
# seller or agent), the cs staff assigned to the shop, and the operator (admin). Nobody else learns it exists.
QUESTION_STATUSES = ("open", "answered", "handed_over", "resolved")
WAITING_STATUSES = ("open", "handed_over")      # the shop's side owes an answer
QUEUE_STATUSES = ("open", "handed_over", "answered")  # what staff see until it is resolved
SHOP_SIDE_PARTS = ("shop", "cs", "admin")
QUESTION_BODY_MAX = 1000   # characters of one message (after trimming)
QUESTION_EXCERPT = 140     # characters of a message carried to the notification (WhatsApp line)
# messages per account per rolling hour: a shopper asks a few things; staff answer many threads
MESSAGES_PER_HOUR = {"shopper": 20, "shop": 120, "cs": 300, "admin": 300}
THREADS_PER_HOUR = 5       # new questions a shopper may open per hour


class QuestionRefused(ValueError):
    """A move the thread's rules refuse: `status` is the HTTP answer (409 conflict, 429 too many)."""

    def __init__(self, message: str, code: str, status: int = 409):
        super().__init__(message)
        self.code, self.status = code, status


def question_part(actor: Actor, *, shopper_id: str, seller_id: str, agent_id: str | None,
                  cs_ids: set[str] | frozenset[str]) -> str | None:
    """The part `actor` plays in a thread, or None: not a party (the thread is then "not found" to them)."""
    if actor.role == "admin":
        return "admin"
    if actor.role == "shopper":
        return "shopper" if actor.user_id == shopper_id else None
    if actor.role in ("seller", "agent"):
        if actor.user_id.startswith("shop:"):  # a crafter without an account: nobody signs in as them
            return None
        return "shop" if can_manage_shop(actor, seller_id, agent_id) else None
    if actor.role == "cs":
        return "cs" if actor.user_id in cs_ids else None
    return None


def status_after_message(status: str, part: str) -> str:
    """A shopper's message waits for the shop (a handed-over thread stays with the seller); any answer from the
    shop's side (shop, cs, operator) makes it answered. A resolved thread reopens when someone writes again."""
    if part == "shopper":
        return "handed_over" if status == "handed_over" else "open"
    return "answered"


def is_first_answer(first_answer_at, part: str) -> bool:
    """The first message from the shop's side is the one the operator's response times count."""
    return first_answer_at is None and part in SHOP_SIDE_PARTS


def check_hand_over(part: str, status: str) -> None:
    """Customer service (or the operator) passes a thread to the seller; a resolved one is closed."""
    if part not in ("cs", "admin"):
        raise QuestionRefused("only customer service hands a question over to the seller", "not_cs", 403)
    if status == "resolved":
        raise QuestionRefused("this question is resolved; a new message reopens it", "question_resolved")


def check_message_rate(part: str, sent_last_hour: int) -> None:
    if sent_last_hour >= MESSAGES_PER_HOUR.get(part, MESSAGES_PER_HOUR["shopper"]):
        raise QuestionRefused("too many messages in the last hour; try again later", "too_many_messages", 429)


def check_thread_rate(opened_last_hour: int) -> None:
    if opened_last_hour >= THREADS_PER_HOUR:
        raise QuestionRefused("too many new questions in the last hour; try again later", "too_many_questions",
                              429)


def question_recipients(author_id: str, *, shopper_id: str, seller_id: str, agent_id: str | None,
                        cs_ids) -> list[str]:
    """Everyone in the thread but the author: the shopper, the shop's seller and agent (a crafter without an
    account, "shop:<id>", is reached through their agent), and the assigned cs staff. The operator reads the
    report, not every message."""
    people = [shopper_id, seller_id, agent_id, *sorted(cs_ids)]
    return [p for p in dict.fromkeys(people) if p and p != author_id and not str(p).startswith("shop:")]


def excerpt(body: str, limit: int = QUESTION_EXCERPT) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


def response_summary(seconds: list[float], waiting_seconds: list[float]) -> dict:
    """The operator's figures for one group of threads: how many were answered, how fast the first answer came
    (median, 90th percentile, mean, in whole seconds) and how many still wait, the oldest for how long."""
    ordered = sorted(max(0.0, s) for s in seconds)

    def rank(fraction: float) -> int | None:
        if not ordered:
            return None
        return round(ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))])  # nearest rank

    middle = len(ordered) // 2
    median = None
    if ordered:
        median = round(ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2)
    return {"answered": len(ordered), "median_seconds": median, "p90_seconds": rank(0.9),
            "mean_seconds": round(sum(ordered) / len(ordered)) if ordered else None,
            "waiting": len(waiting_seconds),
            "oldest_waiting_seconds": round(max(waiting_seconds)) if waiting_seconds else None}
# -- ratings (issue 16) ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rating:
    """A listing's or shop's stars from published shoppers' reviews, kept as sum and count (integers: exact,
    and hiding a review takes back exactly what it added)."""
    total: int = 0
    count: int = 0

    def add(self, stars: int) -> "Rating":
        return Rating(self.total + stars, self.count + 1)

    def remove(self, stars: int) -> "Rating":
        if self.count <= 0:
            return self
        return Rating(max(0, self.total - stars), self.count - 1)

    @property
    def average(self) -> float | None:
        return round(self.total / self.count, 1) if self.count else None


def rating_average(total: int | None, count: int | None) -> float | None:
    return Rating(total or 0, count or 0).average


# -- harvest pre-orders (issue 17) -----------------------------------------------------------------------
# A seller opens a harvest batch on a listing: the expected day, a cap (in the listing's unit, exact), a price
# per unit and when the shopper pays (at order, or at harvest; cash on delivery is always allowed). Shoppers
# order ahead against the batch: each order's quantity is *promised* against the cap and never more than the
# cap is promised (an order beyond it is rejected like one beyond stock, reason "insufficient"). When the
# seller records the harvest, the promises are filled whole, walking them in the order they were placed: each
# one that still fits in what is left is filled, one that does not fit is not (and is refunded). An earlier
# order never loses to a later one: a later, smaller order is filled only from what the earlier one could not
# use. What is left of the harvest goes on the listing's shelf.
BATCH_OPEN, BATCH_HARVESTED = "open", "harvested"
PAY_AT_ORDER, PAY_AT_HARVEST = "order", "harvest"
PAY_AT = (PAY_AT_ORDER, PAY_AT_HARVEST)
PROMISED = "promised"  # a reservation against an open batch: counts against its cap, holds no shelf stock


def batch_problems(unit: str, cap: Decimal, price: int, expected_on: date, today: date,
                   min_qty: Decimal, qty_step: Decimal) -> dict:
    """Why a harvest batch cannot be opened, by field (empty: it can)."""
    problems: dict = {}
    if cap <= 0:
        problems["cap"] = ["the quantity cap must be more than zero"]
    elif unit not in MEASURED_UNITS and cap != cap.to_integral_value():
        problems["cap"] = [f"a listing sold per {unit} is counted in whole numbers"]
    elif cap < min_qty:
        problems["cap"] = [f"the cap is less than the smallest order ({quantity.wire(min_qty)} {unit})"]
    if price <= 0:
        problems["price"] = ["the price must be more than zero"]
    if expected_on < today:
        problems["expected_on"] = ["the harvest day cannot be in the past"]
    return problems


def remaining_cap(cap: Decimal, promised: Decimal) -> Decimal:
    return max(Decimal(0), Decimal(cap) - Decimal(promised))


def fill_in_order(promises: list[tuple[str, Decimal]], harvested: Decimal) -> tuple[list[str], list[str], Decimal]:
    """`promises` in the order they were placed: (order_id, qty). Answers (filled, not filled, left over), each
    list in placement order. Orders are filled whole, never in part."""
    left = Decimal(harvested)
    filled: list[str] = []
    unfilled: list[str] = []
    for order_id, qty in promises:
        if Decimal(qty) <= left:
            filled.append(order_id)
            left -= Decimal(qty)
        else:
            unfilled.append(order_id)
    return filled, unfilled, left
