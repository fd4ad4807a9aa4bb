"""Authorisation matrix: every endpoint in the merged OpenAPI of the running stack × every role (and no
token at all) × a resource owned by someone else. Nobody may read or change another person's things.
The owner's things are real: their order, its fulfillment, their payment, their inbox message, the
seller's shop and listing. Admin, who may see everything, is only checked for server errors on reads.

The operations come from /api/v1/openapi.json at run time, so endpoints other engineers add are covered
without touching this file. A failure lists every offending (role, method, path, status)."""
from __future__ import annotations

import io
import json
import re
import uuid

import requests
from PIL import Image

from tests.support.infra import wait_until

INTRUDER_ROLES = ("shopper", "seller", "agent", "courier", "cs")  # cs: customer-service staff (issue 19)
# the operator's desk (issue 16): the operator alone, every other role is refused whatever it sends
ADMIN_ONLY = {("GET", "/api/v1/balances/cod-outstanding"), ("POST", "/api/v1/balances/cod-handovers"),
              ("GET", "/api/v1/balances/cod-handovers"), ("GET", "/api/v1/auth/queues"),
              ("POST", "/api/v1/auth/queues/{app}/replay")}
# admin legitimately sees (and may change) everything: the matrix only reads as admin, and expects no server error
METHODS = ("get", "post", "put", "patch", "delete")
REFUSALS = {400, 401, 403, 404, 405, 422}  # a write on someone else's resource must end in one of these
# Paths whose ids name public things the caller uses for themself (a listing in *my* cart), not someone's property.
CALLERS_OWN = ("/api/v1/cart",)
# Signed by the payment provider, not by a user token; their answers are the payments service's business.
PROVIDER_CALLBACKS = ("/api/v1/webhooks/",)


class Owners:
    """The victim: a shopper with an order, and the seller whose shop and listing it bought from."""

    def __init__(self, stack):
        tag = uuid.uuid4().hex[:8]
        self.shopper_id = f"owner-shopper-{tag}"
        self.seller_id = f"owner-seller-{tag}"
        self.secret_phone = "+62857" + str(uuid.uuid4().int)[:8]
        seller = stack.client(self.seller_id, "seller", name="Pemilik", district="Sanankulon")
        admin = stack.client(f"admin-{tag}", "admin")
        self.shopper = stack.client(self.shopper_id, "shopper", name="Pemilik", district="Sanankulon")
        slug = f"matrix-{tag}"
        admin.post("/api/v1/categories", json={"slug": slug, "name_id": "Tikar", "name_en": "Mats"})
        status, shop = seller.post("/api/v1/shops", json={"name": f"Toko {tag}", "district": "Sanankulon",
                                                          "regency": "Blitar", "village": "Sumberejo"})
        assert status == 201, shop
        self.shop_id = shop["id"]
        status, listing = seller.post("/api/v1/products", json={
            "shop_id": self.shop_id, "title": "Tikar pandan", "category": slug, "price": 25000, "stock": 5,
            "status": "published"})
        assert status == 201, listing
        self.listing_id = listing["id"]
        status, order = self.shopper.post("/api/v1/orders", json={
            "items": [{"listing_id": self.listing_id, "qty": 1}], "payment_method": "cod",
            "delivery_address": {"name": "Pemilik", "phone": self.secret_phone, "street": "Jl. Rahasia 7",
                                 "village": "Sumberejo", "district": "Sanankulon", "regency": "Blitar",
                                 "province": "Jawa Timur"}})
        assert status == 201, order
        self.order_id = order["id"]
        self.order = wait_until(lambda: (lambda r: r[1] if r[1]["status"] != "PLACED" else None)(
            self.shopper.get(f"/api/v1/orders/{self.order_id}")), timeout=15, message="owner's order answered")
        fulfillments = self.order.get("fulfillments") or []
        self.fulfillment_id = (fulfillments[0].get("id") or fulfillments[0].get("fulfillment_id")) if fulfillments \
            else str(uuid.uuid4())
        self.complaint_id = self.complain_about_the_parcel(stack, seller, tag) if fulfillments else str(uuid.uuid4())
        self.order = self.shopper.get(f"/api/v1/orders/{self.order_id}")[1]  # delivered now
        _, self.listing_before = seller.get(f"/api/v1/products/{self.listing_id}")
        # the shopper's own inbox message about the order and their payment record: real ids, not made-up ones
        self.notifications_before = wait_until(
            lambda: (self.shopper.get("/api/v1/notifications")[1] or {}).get("items"), timeout=15,
            message="owner's order notification")
        self.notification_id = self.notifications_before[0]["id"]
        status, payment = self.shopper.get(f"/api/v1/payments/orders/{self.order_id}")
        assert status == 200, payment
        self.payment_id = payment["payment_id"]
        # the shopper's question to the shop about the order (issue 19): private to the shopper and the shop's side
        self.question_text = f"Pertanyaan rahasia {tag}"
        status, thread = self.shopper.post("/api/v1/questions", json={"order_id": self.order_id,
                                                                      "body": self.question_text},
                                           headers={"Idempotency-Key": uuid.uuid4().hex})
        assert status == 201, thread
        self.thread_id = thread["id"]
        # the seller is an officer of a cooperative whose member is the shopper (listed with their id: a secret)
        status, coop = admin.post("/api/v1/cooperatives", json={"name": f"Koperasi {tag}", "officers": [
            {"person_id": self.seller_id, "name": "Ketua"}]})
        assert status == 201, coop
        self.coop_id = coop["id"]
        status, _ = seller.post(f"/api/v1/cooperatives/{self.coop_id}/people",
                                json={"person_id": self.shopper_id, "role": "member", "name": "Anggota"})
        assert status == 200
        status, split = seller.put(f"/api/v1/cooperatives/{self.coop_id}/splits", json={
            "scope": "shop", "subject_id": self.shopper_id, "crafter_bp": 9000, "agent_bp": 0,
            "cooperative_bp": 500, "platform_bp": 500})
        assert status == 200, split
        self.month = "2026-12"

    def complain_about_the_parcel(self, stack, seller, tag: str) -> str:
        """Deliver the owner's parcel (to whichever courier dispatch offers it, or off the board) and complain about
        it: the complaint is the owner's, for the complaint endpoints (issue 16)."""
        courier_id = f"owner-courier-{tag}"
        courier = stack.client(courier_id, "courier", name="Kurir", district="Sanankulon")
        assert courier.put("/api/v1/couriers/me", json={"available": True})[0] == 200
        status, work = seller.post(f"/api/v1/fulfillments/{self.fulfillment_id}/ready")
        assert status == 200, work
        offered_to = work.get("courier_id")
        courier = stack.client(offered_to or courier_id, "courier", name="Kurir", district="Sanankulon")
        first = "accept" if offered_to else "claim"
        for step in (first, "pickup"):
            status, body = courier.post(f"/api/v1/deliveries/{self.fulfillment_id}/{step}")
            assert status == 200, (step, body)
        status, body = courier.post(f"/api/v1/deliveries/{self.fulfillment_id}/deliver",
                                    json={"cod_amount_collected": work["cod_amount_due"]})
        assert status == 200, body
        assert courier.put("/api/v1/couriers/me", json={"available": False})[0] == 200
        status, complaint = self.shopper.post("/api/v1/complaints", json={
            "order_id": self.order_id, "fulfillment_id": self.fulfillment_id, "reason": "damaged",
            "text": "Rusak"})
        assert status == 201, complaint
        photo = io.BytesIO()
        Image.new("RGB", (64, 48), (150, 30, 30)).save(photo, "JPEG")
        status, body = self.shopper.post(f"/api/v1/complaints/{complaint['id']}/photos",
                                         files={"photo": ("rusak.jpg", photo.getvalue(), "image/jpeg")})
        assert status == 201, body  # the owner's evidence photo 1: nobody else may read it
        return complaint["id"]

    def path_value(self, name: str) -> str:
        by_name = {"order_id": self.order_id, "listing_id": self.listing_id, "shop_id": self.shop_id,
                   "fulfillment_id": self.fulfillment_id, "user_id": self.shopper_id, "payee_id": self.shopper_id,
                   "shopper_id": self.shopper_id, "seller_id": self.seller_id,
                   "notification_id": self.notification_id, "payment_id": self.payment_id,
                   "thread_id": self.thread_id, "complaint_id": self.complaint_id,
                   "coop_id": self.coop_id, "member_id": self.shopper_id, "month": self.month, "n": "1"}
        return by_name.get(name, self.order_id if name == "id" else str(uuid.uuid4()))

    def secrets(self) -> list[str]:
        """What no one else may ever see: who the shopper is, their order, their address."""
        return [self.shopper_id, self.order_id, self.secret_phone, "Jl. Rahasia 7", self.question_text]


def _resolve(spec: dict, node: dict) -> dict:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node, seen = target, seen + 1
    return node or {}


def example(spec: dict, schema: dict, depth: int = 0):
    """A plausible value that passes the schema's basic validation, so refusals are about who, not what."""
    schema = _resolve(spec, schema)
    if depth > 6:
        return None
    if "allOf" in schema:
        merged: dict = {}
        for part in schema["allOf"]:
            merged.update(example(spec, part, depth + 1) or {})
        return merged
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: example(spec, prop, depth + 1) for name, prop in (schema.get("properties") or {}).items()
                if name in (schema.get("required") or []) and not _resolve(spec, prop).get("readOnly")}
    if kind == "array":
        return [example(spec, schema.get("items") or {}, depth + 1)] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return max(float(schema.get("minimum", 1)), 1.0)
    if kind == "boolean":
        return True
    fmt = schema.get("format")
    if fmt == "email":
        return "matrix@example.id"
    if fmt == "date-time":
        return "2026-01-01T00:00:00+00:00"
    if fmt == "uuid":
        return str(uuid.uuid4())
    return "x" * max(int(schema.get("minLength", 3)), 3)


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                params = (item.get("parameters") or []) + (op.get("parameters") or [])
                yield method.upper(), path, op, [_resolve(spec, p) for p in params]


def call(stack, token, method, path, op, params, owners, spec):
    url_path = re.sub(r"\{([^}]+)\}", lambda m: owners.path_value(m.group(1)), path)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = None
    content = (op.get("requestBody") or {}).get("content") or {}
    if "application/json" in content:
        body = example(spec, content["application/json"].get("schema") or {})
    query = {}
    for p in params:
        if p.get("in") == "header" and p.get("required"):
            headers[p["name"]] = uuid.uuid4().hex
        if p.get("in") == "query" and p["name"].endswith("seconds"):
            query[p["name"]] = 1  # live feeds: end after a second so they do not hold the server's threads
    resp = requests.request(method, stack.url + url_path, headers=headers, json=body, params=query, timeout=15)
    text = resp.text
    return url_path, resp.status_code, text


def test_no_role_can_read_or_change_another_persons_resources(stack):
    owners = Owners(stack)
    spec = requests.get(stack.url + "/api/v1/openapi.json", timeout=15).json()
    assert not spec.get("x-unavailable-services"), spec.get("x-unavailable-services")
    ops = list(operations(spec))
    assert ADMIN_ONLY <= {(method, path) for method, path, _, _ in ops}, "the desk's endpoints are in the matrix"
    assert len(ops) >= 10, "the merged document lists every service's endpoints"
    tokens = {"anonymous": None}
    for role in INTRUDER_ROLES:
        tokens[role] = stack.token(f"intruder-{role}-{uuid.uuid4().hex[:6]}", role, name="Penyusup",
                                   district="Sanankulon")
    problems = []
    # the desk first, with fresh logins (the loop below signs its intruders out everywhere on the way): exactly 403
    for role in INTRUDER_ROLES:
        fresh = stack.token(f"desk-{role}-{uuid.uuid4().hex[:6]}", role, name="Penyusup", district="Sanankulon")
        for method, path, op, params in ops:
            if (method, path) in ADMIN_ONLY:
                url_path, status, text = call(stack, fresh, method, path, op, params, owners, spec)
                if status != 403:
                    problems.append(f"{role:<9} {method:<6} {url_path} -> {status}: the operator's desk, not 403")
    admin = stack.token(f"matrix-admin-{uuid.uuid4().hex[:6]}", "admin", name="Operator")
    for method, path, op, params in ops:
        if method == "GET":
            url_path, status, text = call(stack, admin, method, path, op, params, owners, spec)
            if status >= 500:
                problems.append(f"admin     GET    {url_path} -> {status}: server error {text[:120]}")
        secured = bool(op.get("security"))
        foreign = "{" in path and not path.startswith(CALLERS_OWN)
        for role, token in tokens.items():
            url_path, status, text = call(stack, token, method, path, op, params, owners, spec)
            where = f"{role:<9} {method:<6} {url_path} -> {status}"
            if status >= 500 and not path.startswith(PROVIDER_CALLBACKS):
                problems.append(f"{where}: server error {text[:120]}")
            elif token is None and secured and status != 401 and not (method != "GET" and status in (400, 422)):
                # (a write refused for its body before the login check changes nothing and shows nothing)
                problems.append(f"{where}: needs a login but answered without one")
            elif (method, path) in ADMIN_ONLY and token is not None and status not in (401, 403):
                problems.append(f"{where}: the operator's desk answered another role")
            elif method != "GET" and foreign and status not in REFUSALS:
                problems.append(f"{where}: changed someone else's resource")
            leaked = [s for s in owners.secrets() if s in text]
            if 200 <= status < 300 and leaked:
                problems.append(f"{where}: leaked {leaked}")
    # and nothing the intruders tried changed the owner's things
    status, order = owners.shopper.get(f"/api/v1/orders/{owners.order_id}")
    assert status == 200 and order["status"] == owners.order["status"]
    # positive control: the owner's own view does contain the secrets, so the leak check can see them
    assert owners.order_id in json.dumps(order) and owners.secret_phone in json.dumps(order)
    _, listing_after = stack.client(owners.seller_id, "seller").get(f"/api/v1/products/{owners.listing_id}")
    _, notifications_after = owners.shopper.get("/api/v1/notifications")
    assert [n for n in notifications_after["items"] if n["id"] == owners.notification_id] == [
        owners.notifications_before[0]]  # nobody else marked it read
    assert json.dumps(listing_after, sort_keys=True) == json.dumps(owners.listing_before, sort_keys=True)
    status, thread = owners.shopper.get(f"/api/v1/questions/{owners.thread_id}")  # nobody wrote in it nor closed it
    assert status == 200 and thread["status"] == "open"
    assert [m["body"] for m in thread["messages"]] == [owners.question_text]
    assert not problems, f"{len(problems)} authorisation problems:\n" + "\n".join(problems)
