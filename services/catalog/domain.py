"""Catalog rules, free of Flask and SQLAlchemy: who may manage a shop, how a listing's status moves,
whether an order's items can be reserved (all or none), when stock counts as low, how search reads a query."""
from __future__ import annotations

import re
from dataclasses import dataclass

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
UNITS = ("pcs", "kg", "gram", "pack", "liter", "lembar", "ikat")
SORTS = ("newest", "price_asc", "price_desc", "popular")
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


# -- stock ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StockView:
    listing_id: str
    status: str
    stock: int


def reservation_problems(items: list[dict], listings: dict[str, StockView]) -> list[dict]:
    """Every reason the order cannot be reserved; empty means reserve everything.

    Quantities of the same listing on several lines are added up before comparing with stock."""
    wanted: dict[str, int] = {}
    for item in items:
        wanted[item["listing_id"]] = wanted.get(item["listing_id"], 0) + item["qty"]
    problems = []
    for listing_id, qty in wanted.items():
        view = listings.get(listing_id)
        if view is None:
            problems.append({"listing_id": listing_id, "requested": qty, "available": 0, "reason": "unknown"})
        elif view.status != "published":
            problems.append({"listing_id": listing_id, "requested": qty, "available": 0, "reason": "unpublished"})
        elif view.stock < qty:
            problems.append({"listing_id": listing_id, "requested": qty, "available": max(view.stock, 0),
                             "reason": "insufficient"})
    return problems


def sellable_status(listing_status: str, shop_status: str | None) -> str:
    """A closed shop's listings are off the market, whatever their own status."""
    return "closed" if shop_status is not None and shop_status != "active" else listing_status


def publicly_visible(listing_status: str, shop_status: str | None) -> bool:
    """Anyone may see a published listing of an open shop (or of a shop that is not known here)."""
    return listing_status == "published" and (shop_status is None or shop_status == "active")


def merged_quantities(items: list[dict]) -> dict[str, int]:
    """One quantity per listing: an order naming a listing twice reserves the sum once."""
    merged: dict[str, int] = {}
    for item in items:
        merged[item["listing_id"]] = merged.get(item["listing_id"], 0) + item["qty"]
    return merged


def dropped_below(before: int, after: int, threshold: int) -> bool:
    """True only when this movement crosses the threshold downwards, so `stock.low` is said once."""
    return threshold > 0 and before >= threshold > after


# -- search --------------------------------------------------------------------------------------------
_WORD = re.compile(r"[0-9a-zA-Z\u00C0-\u024F]+")
MAX_TERMS = 8


def search_terms(query: str | None) -> list[str]:
    """Lower-case words of a free-text query; punctuation and tsquery operators are dropped so the
    words are safe to hand to to_tsquery and LIKE alike."""
    if not query:
        return []
    return [w.lower()[:40] for w in _WORD.findall(query)][:MAX_TERMS]


def tsquery_text(terms: list[str]) -> str:
    """'kopi:* & robusta:*' — every word must match, each also as a prefix (typing 'anyam' finds 'anyaman')."""
    return " & ".join(f"{t}:*" for t in terms)


def search_document(title: str, description: str, shop_name: str, category_name: str, regency: str = "",
                    district: str = "") -> str:
    """The text a listing is found by: its own words, its shop's name, its category, and where it is."""
    return " ".join(p for p in (title, description, shop_name, category_name, district, regency) if p).lower()


def pickup_address(street: str, village: str, district: str, regency: str, province: str,
                   phone: str | None) -> dict:
    return {"street": street or "", "village": village or "", "district": district or "",
            "regency": regency or "", "province": province or "", "phone": phone or ""}
