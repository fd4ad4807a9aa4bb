"""Demo accounts for `pasar seed`: `pasar.demo`'s shoppers, sellers and agents (the catalog's demo shops belong
to them) and couriers in the demo shops' districts, with their fixed ids.
Idempotent: an account whose id exists is left alone. Each new one publishes account.registered."""
from __future__ import annotations

from pasar.demo import DEMO_PASSWORD, DEMO_PEOPLE

ACCOUNT_FIELDS = ("role", "name", "phone", "email", "district", "locale")


def seed() -> str:
    from . import accounts
    from .app import create_app

    from . import regions

    created = 0
    with create_app().app_context():
        if regions.loaded() == 0:  # the pickers need them; loading takes a few seconds, once
            regions.load()
        for person in DEMO_PEOPLE:
            if accounts.get_account(person["id"]) is not None:
                continue
            data = {key: person[key] for key in ACCOUNT_FIELDS}
            accounts.register({**data, "password": DEMO_PASSWORD}, account_id=person["id"],
                              phone_verified=True,  # demo sellers and couriers work at once
                              allow_admin=person["role"] == "cs")  # cs staff: an admin's to create, here the seed's
            created += 1
    return (f"{created} demo accounts created ({len(DEMO_PEOPLE) - created} already there); "
            f"password {DEMO_PASSWORD!r}")
