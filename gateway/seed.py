"""Demo accounts for `pasar seed`: a shopper, sellers and an agent (the catalog's demo shops belong to
them), couriers in the seed districts. Fixed ids so other services' seeds can refer to them.
Idempotent: an account whose id exists is left alone. Each new one publishes account.registered."""
from __future__ import annotations

import uuid

DEMO_PASSWORD = "pasar-desa-demo"


def _id(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://pasardesa.id/demo/{key}"))


# key -> account. Sellers/agent ids are what the catalog's demo shops use as seller_id / agent_id.
DEMO = {
    "shopper": {"id": _id("shopper-siti"), "role": "shopper", "name": "Siti Rahayu", "phone": "+6281234500001",
                "email": "siti@demo.pasardesa.id", "district": "Sanankulon", "locale": "id"},
    "seller": {"id": _id("seller-darmo"), "role": "seller", "name": "Pak Darmo", "phone": "+6281234500002",
               "email": "darmo@demo.pasardesa.id", "district": "Sanankulon", "locale": "id"},
    "seller2": {"id": _id("seller-lastri"), "role": "seller", "name": "Bu Lastri", "phone": "+6281234500003",
                "email": "lastri@demo.pasardesa.id", "district": "Kademangan", "locale": "id"},
    "agent": {"id": _id("agent-agus"), "role": "agent", "name": "Mas Agus (Koperasi Sumberejo)",
              "phone": "+6281234500004", "email": "agus@demo.pasardesa.id", "district": "Sanankulon",
              "locale": "id"},
    "courier": {"id": _id("courier-joko"), "role": "courier", "name": "Joko", "phone": "+6281234500005",
                "email": "joko@demo.pasardesa.id", "district": "Sanankulon", "locale": "id"},
    "courier2": {"id": _id("courier-wati"), "role": "courier", "name": "Wati", "phone": "+6281234500006",
                 "email": "wati@demo.pasardesa.id", "district": "Kademangan", "locale": "id"},
    "shopper_en": {"id": _id("shopper-emma"), "role": "shopper", "name": "Emma", "phone": "+6281234500007",
                   "email": "emma@demo.pasardesa.id", "district": "Kademangan", "locale": "en"},
}
DEMO_IDS = {key: account["id"] for key, account in DEMO.items()}


def seed() -> str:
    from . import accounts
    from .app import create_app

    created = 0
    with create_app().app_context():
        for account in DEMO.values():
            if accounts.get_account(account["id"]) is not None:
                continue
            data = {k: v for k, v in account.items() if k != "id"}
            accounts.register({**data, "password": DEMO_PASSWORD}, account_id=account["id"])
            created += 1
    return f"{created} demo accounts created ({len(DEMO) - created} already there); password {DEMO_PASSWORD!r}"
