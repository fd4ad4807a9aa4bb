"""The demo people `pasar seed` creates, said once: the gateway makes their accounts and the catalog gives the
sellers and agents their shops, so every demo shop has an owner or agent who can log in.

Ids are fixed (other services' seeds refer to them); everyone's password is DEMO_PASSWORD."""
from __future__ import annotations

import uuid

DEMO_PASSWORD = "pasar-desa-demo"


def _person(n: str, role: str, name: str, phone: str, email: str, district: str, regency: str,
            locale: str = "id") -> dict:
    return {"id": f"8a6f3c10-1b2d-4e5f-{n}", "role": role, "name": name, "phone": phone,
            "email": f"{email}@demo.pasardesa.id", "district": district, "regency": regency, "locale": locale}


DEMO_SELLERS = [
    _person("8a01-000000000001", "seller", "Sri Wahyuni", "+6281334560001", "sri.wahyuni", "Sanankulon", "Blitar"),
    _person("8a01-000000000002", "seller", "Yulianus Dahan", "+6281152560002", "yulianus.dahan", "Jekan Raya",
            "Palangkaraya"),
    _person("8a01-000000000003", "seller", "Darto Wiyono", "+6281327560003", "darto.wiyono", "Karangreja",
            "Purbalingga"),
    _person("8a01-000000000004", "seller", "Sumiyati", "+6281228560004", "sumiyati", "Turi", "Sleman"),
    _person("8a01-000000000005", "seller", "Hj. Rohmah", "+6285742560005", "rohmah", "Wiradesa", "Pekalongan"),
    _person("8a01-000000000006", "seller", "Asep Saepudin", "+6282218560006", "asep.saepudin", "Garut Kota", "Garut"),
    _person("8a01-000000000007", "seller", "Kasiyem", "+6285648560007", "kasiyem", "Kerek", "Tuban"),
    _person("8a01-000000000008", "seller", "I Wayan Sudarma", "+6281338560008", "wayan.sudarma", "Kintamani",
            "Bangli"),
]
# agents of the "marketing village" model: they run the shops of crafters who have no account
DEMO_AGENTS = [
    _person("8a02-000000000001", "agent", "Lalu Hamdani", "+6281907560101", "lalu.hamdani", "Pujut",
            "Lombok Tengah"),
    _person("8a02-000000000002", "agent", "Yohana Rante", "+6281242560102", "yohana.rante", "Rantepao",
            "Toraja Utara"),
]
DEMO_SHOPPERS = [
    _person("8a03-000000000001", "shopper", "Siti Rahayu", "+6281234500001", "siti", "Sanankulon", "Blitar"),
    _person("8a03-000000000002", "shopper", "Emma", "+6281234500007", "emma", "Kintamani", "Bangli", locale="en"),
]
# one courier in each district where demo shops are, so a demo order can travel all the way
DEMO_COURIERS = [
    _person("8a04-000000000001", "courier", "Joko", "+6281234500005", "joko", "Sanankulon", "Blitar"),
    _person("8a04-000000000002", "courier", "Wati", "+6281234500006", "wati", "Pujut", "Lombok Tengah"),
    _person("8a04-000000000003", "courier", "Yosef", "+6281234500008", "yosef", "Sa'dan", "Toraja Utara"),
]
# the village network's customer service (issue 19): answers shoppers' questions for every demo shop
DEMO_CS = [
    _person("8a05-000000000001", "cs", "Rina Layanan Desa", "+6281234500009", "rina.cs", "Sanankulon", "Blitar"),
]
# the officer (ketua) of the demo cooperative: a weaver with an account of her own, no shop yet
DEMO_OFFICERS = [
    _person("8a07-000000000001", "seller", "Baiq Nurul Aini", "+6281907560201", "baiq.nurul", "Pujut",
            "Lombok Tengah"),
]
DEMO_PEOPLE = DEMO_SHOPPERS + DEMO_SELLERS + DEMO_AGENTS + DEMO_COURIERS + DEMO_CS + DEMO_OFFICERS

# the catalog's demo ids are uuid5 of "<kind>:<key>" in this namespace (services/catalog/seed.py `_id`)
DEMO_ID_NAMESPACE = uuid.UUID("6f1d1c1e-5a7b-4c2e-9f3a-0d5e8b7a6c41")


def demo_shop_id(key: str) -> str:
    return str(uuid.uuid5(DEMO_ID_NAMESPACE, f"shop:{key}"))


# A cooperative of the "marketing village" model: agent Lalu Hamdani's weavers and potter (crafters without an
# account, paid through their shops) and the officer who is a member too; every sale of the agent's shops is
# shared 80 % crafter / 5 % agent / 5 % cooperative / 10 % Pasar Desa.
DEMO_COOPERATIVE = {
    "id": "8a6f3c10-1b2d-4e5f-8a06-000000000001", "name": "Koperasi Tenun Lombok Tengah",
    "village": "Sukarara", "district": "Pujut", "regency": "Lombok Tengah",
    "officers": [(DEMO_OFFICERS[0]["id"], DEMO_OFFICERS[0]["name"])],
    "members": [(DEMO_OFFICERS[0]["id"], DEMO_OFFICERS[0]["name"]),
                ("shop:" + demo_shop_id("lombok-sade"), "Inaq Sumiati (Tenun Dusun Sade)"),
                ("shop:" + demo_shop_id("lombok-sukarara"), "Inaq Rahmah (Kelompok Tenun Sukarara)"),
                ("shop:" + demo_shop_id("lombok-banyumulek"), "Amaq Sahli (Gerabah Banyumulek)")],
    "agents": [(DEMO_AGENTS[0]["id"], DEMO_AGENTS[0]["name"])],
    "agent_split": {"crafter_bp": 8000, "agent_bp": 500, "cooperative_bp": 500, "platform_bp": 1000},
}

# An open harvest batch (issue 17): Pak Darto's next chili harvest, pre-ordered ahead — expected 10 days after the
# seed, at most 30 kg, Rp 40.000/kg, paid when ordering (cash on delivery is always allowed).
DEMO_HARVEST_BATCH = {
    "id": "8a6f3c10-1b2d-4e5f-8a08-000000000001", "shop_key": "purbalingga-darto",
    "title": "Cabai rawit merah segar", "days_ahead": 10, "cap": "30", "price": 40000, "pay_at": "order",
}
