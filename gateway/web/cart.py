"""One cart (issue 18): a signed-in shopper's cart is the orders service's (`/api/v1/cart`), the same one the API
and the app see; a visitor's lives in a small cookie until they log in, when it is added into the account's cart
(POST /api/v1/cart/merge: quantities added, the service's limits kept) and the cookie is dropped.

Pages call `items()`, `add()`, `set_qty()`, `clear()`; each write takes the response, because a visitor's
cart is written into it."""
from __future__ import annotations

import hashlib
from decimal import Decimal

from flask import after_this_request, g

from pasar import quantity

from . import session

PAGE_MAX_QTY = 99  # what one tap on the pages may ask for; the service's own limit is higher


def _server_side() -> bool:
    who = session.user()
    return who is not None and who.role == "shopper"


def items() -> dict[str, Decimal]:
    """{listing_id: qty}, in the order the lines were added."""
    if not _server_side():
        return session.cart()
    _adopt_visitor_cart()
    if "server_cart" not in g:
        reply = session.get("/api/v1/cart")
        lines = reply.body.get("lines", []) if reply.ok and isinstance(reply.body, dict) else []
        g.server_cart = {line["listing_id"]: quantity.parse(line["qty"]) for line in lines}
        g.server_cart_unavailable = not reply.ok
    return g.server_cart


def _forget() -> None:
    g.pop("server_cart", None)


CANNOT_BUY = ("bad_quantity", "expired")  # orders' refusals of the listing itself, not of the cart's size


def add(response, listing_id: str, qty: Decimal, key: dict | None = None) -> bool | str:
    """`qty` more of a listing. True when taken; else why not: "bad_qty" (off the listing's minimum or step, or
    past its shelf life) or False (the cart is full, too many of one)."""
    if not _server_side():
        cart = dict(session.cart())
        cart[listing_id] = min(PAGE_MAX_QTY, cart.get(listing_id, 0) + qty)
        session.save_cart(response, cart)
        return True
    _forget()
    reply = session.post("/api/v1/cart/lines", json_body={"listing_id": listing_id, "qty": quantity.wire(qty)},
                         headers=key)
    if reply.ok:
        return True
    return "bad_qty" if reply.code in CANNOT_BUY else False


def set_qty(response, listing_id: str, qty: Decimal) -> None:
    """A line's new quantity; 0 removes it."""
    if not _server_side():
        cart = dict(session.cart())
        if qty <= 0:
            cart.pop(listing_id, None)
        else:
            cart[listing_id] = min(PAGE_MAX_QTY, qty)
        session.save_cart(response, cart)
        return
    _forget()
    if qty <= 0:
        session.call("DELETE", f"/api/v1/cart/lines/{listing_id}")
    else:
        session.call("PUT", f"/api/v1/cart/lines/{listing_id}", json_body={"qty": quantity.wire(min(PAGE_MAX_QTY, qty))})


def clear(response) -> None:
    session.save_cart(response, {})
    if _server_side():
        _forget()
        session.call("DELETE", "/api/v1/cart")


def _adopt_visitor_cart() -> None:
    """A signed-in shopper whose browser still holds a visitor's cart (filled while signed out, then signed in by a
    path that did not pass the login form: a token refreshed, a login in another tab, the merge refused for a
    moment): it joins the account's cart on the next page, once, instead of vanishing from view."""
    if g.get("visitor_cart_adopted") or not session.cart():
        return
    g.visitor_cart_adopted = True
    if _merge(g.get("access_token")):
        g.cart = {}

        @after_this_request
        def _drop_cookie(response):
            session.save_cart(response, {})
            return response


def _merge(access_token: str | None) -> bool:
    """The cookie's lines added into the account's cart; True when the orders service took them. Once per cookie:
    the Idempotency-Key is the cookie's own digest, so a repeated request (a double tap, a lost answer) adds
    nothing twice."""
    visitor = session.cart()
    digest = hashlib.sha256(repr(sorted(visitor.items())).encode()).hexdigest()[:32]
    reply = session.post("/api/v1/cart/merge", token=access_token,
                         json_body={"lines": [{"listing_id": k, "qty": quantity.wire(v)} for k, v in visitor.items()]},
                         headers={"Idempotency-Key": f"cart-merge-{digest}"})
    return reply.ok


def merge_at_login(response, access_token: str, role: str) -> None:
    """The visitor's cookie cart into the shopper's cart, once: the Idempotency-Key is the cookie's own digest, so
    a login repeated with the same cookie (a double tap, a lost answer) adds nothing twice. Kept in the cookie if
    the orders service cannot take it now (it merges at the next login)."""
    if not session.cart() or role != "shopper":
        return
    if _merge(access_token):
        session.save_cart(response, {})
        g.visitor_cart_adopted = True
