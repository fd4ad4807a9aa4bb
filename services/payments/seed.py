"""Demo data for `pasar seed`: `pasar.demo`'s cooperative, its officer, members (the officer and agent Lalu Hamdani's
crafters' shops) and agent, and the four-way split of the agent's sales. Idempotent: what is there stays."""
from __future__ import annotations

from pasar.db import Database
from pasar.demo import DEMO_COOPERATIVE

from .models import Base, Cooperative, CoopPerson, SaleSplit


def seed(db: Database | None = None) -> str:
    db = db or Database("payments", Base.metadata)
    coop_def = DEMO_COOPERATIVE
    added = 0
    with db.WriteSession() as session:
        if session.get(Cooperative, coop_def["id"]) is None:
            session.add(Cooperative(id=coop_def["id"], name=coop_def["name"], village=coop_def["village"],
                                    district=coop_def["district"], regency=coop_def["regency"]))
            session.flush()
            added += 1
        for role, people in (("officer", coop_def["officers"]), ("member", coop_def["members"]),
                             ("agent", coop_def["agents"])):
            for person_id, name in people:
                if session.get(CoopPerson, (coop_def["id"], person_id, role)) is None:
                    session.add(CoopPerson(coop_id=coop_def["id"], person_id=person_id, role=role, name=name))
                    added += 1
        agent_id = coop_def["agents"][0][0]
        if session.get(SaleSplit, ("agent", agent_id)) is None:
            session.add(SaleSplit(scope="agent", subject_id=agent_id, coop_id=coop_def["id"],
                                  updated_by="seed", **coop_def["agent_split"]))
            added += 1
        session.commit()
    return f"cooperative {coop_def['name']}: {added} rows added"
