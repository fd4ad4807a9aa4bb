"""Cooperatives in the payments service, called straight (a SQLite file per test): a sale of a cooperative's shop
is shared four ways in the ledger and held until receipt; officers record member payouts once per key; members
see only their own; statements add up."""
from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from pasar.auth import Identity
from pasar.db import Database, UnitOfWork
from pasar.errors import ApiError
from services.payments import domain, service
from services.payments.models import Base, LedgerEntry


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv("COMMISSION_RATE", raising=False)
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    database = Database("payments", Base.metadata, f"sqlite:///{tmp_path / 'payments.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def work(db) -> UnitOfWork:
    return UnitOfWork(db, source="payments")


def new(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def this_month() -> str:
    """Statements are by the month in WIB."""
    return datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m")


ADMIN = Identity(user_id="operator", role="admin")


def refused(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


class Coop:
    """A cooperative with an officer, a crafter member (an account), an agent and a 70/10/15/5 agent split."""

    def __init__(self, db):
        self.db = db
        self.officer = Identity(user_id=new("officer"), role="seller")
        self.crafter = Identity(user_id=new("crafter"), role="seller")
        self.agent = new("agent")
        coop = service.create_cooperative(work(db), ADMIN, {"name": "Koperasi Anyaman Sumberejo", "village": "Sumberejo",
                                                            "officers": [{"person_id": self.officer.user_id,
                                                                          "name": "Bu Ketua"}]})
        self.id = coop["id"]
        service.add_coop_person(work(db), self.officer, self.id, {"person_id": self.crafter.user_id, "role": "member",
                                                                  "name": "Mbah Sarni"})
        service.add_coop_person(work(db), self.officer, self.id, {"person_id": self.agent, "role": "agent",
                                                                  "name": "Mas Agen"})
        service.set_sale_split(work(db), self.officer, self.id, {
            "scope": "agent", "subject_id": self.agent, "crafter_bp": 7000, "agent_bp": 1000,
            "cooperative_bp": 1500, "platform_bp": 500})

    def sell(self, goods: int, fee: int = 5_000) -> str:
        order, fid, courier = new("order"), new("f"), new("courier")
        with work(self.db) as uow:
            service.open_payment(uow, order_id=order, shopper_id=new("shopper"), method="cod", amount=goods + fee,
                                 shares=[{"fulfillment_id": fid, "seller_id": self.crafter.user_id,
                                          "goods_amount": goods, "delivery_fee": fee}])
            uow.commit()
        with work(self.db) as uow:
            service.settle_delivery(uow, {"order_id": order, "fulfillment_id": fid, "courier_id": courier,
                                          "seller_id": self.crafter.user_id, "agent_id": self.agent,
                                          "cod_amount_collected": goods + fee})
            uow.commit()
        return fid

    def receive(self, fid: str) -> None:
        with work(self.db) as uow:
            service.release_seller_share(uow, {"fulfillment_id": fid, "received_by": "shopper"})
            uow.commit()


def ledger(db) -> dict[str, int]:
    with db.Session() as s:
        return {a: int(t) for a, t in s.execute(select(LedgerEntry.account, func.sum(LedgerEntry.amount))
                                                .group_by(LedgerEntry.account))}


def every_transaction_balances(db) -> bool:
    with db.Session() as s:
        sums = s.execute(select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount))
                         .group_by(LedgerEntry.transaction_id)).all()
    return bool(sums) and all(int(total) == 0 for _, total in sums)


def test_a_sale_is_shared_four_ways_held_until_receipt_then_available(db):
    coop = Coop(db)
    fid = coop.sell(33_333)
    accounts = ledger(db)
    # 70 / 10 / 15 / 5 % of Rp 33.333: exact 23333.1 / 3333.3 / 4999.95 / 1666.65 -> two leftover rupiah go to
    # the largest fractions (cooperative .95, platform .65)
    assert accounts[domain.seller_held(coop.crafter.user_id)] == -23_333
    assert accounts[domain.agent_held(coop.agent)] == -3_333
    assert accounts[domain.coop_held(coop.id)] == -5_000
    assert accounts[domain.PLATFORM_COMMISSION] == -1_667
    assert sum(accounts.values()) == 0 and every_transaction_balances(db)
    view = service.cooperative_view(db, coop.officer, coop.id)
    assert view["balance"] == {"held": 5_000, "available": 0, "members_available": 0, "currency": "IDR"}
    coop.receive(fid)
    coop.receive(fid)  # a second receipt changes nothing
    view = service.cooperative_view(db, coop.officer, coop.id)
    assert view["balance"]["available"] == 5_000 and view["balance"]["held"] == 0
    assert [(m["held"], m["available"]) for m in view["members"]] == [(0, 23_333)]
    assert [(a["held"], a["available"]) for a in view["agents"]] == [(0, 3_333)]
    with db.Session() as s:
        own = service.managed_balances(s, coop.agent)
    assert (own["agent_held"], own["agent_available"]) == (0, 3_333)
    assert sum(ledger(db).values()) == 0 and every_transaction_balances(db)


def test_an_officer_pays_a_member_once_per_key_and_the_member_sees_it(db):
    coop = Coop(db)
    coop.receive(coop.sell(100_000))
    body = {"member_id": coop.crafter.user_id, "amount": 50_000, "method": "bank", "reference": "BRI-7781"}
    payout, replayed = service.record_member_payout(work(db), coop.officer, coop.id, "key-1", body)
    again, replayed_again = service.record_member_payout(work(db), coop.officer, coop.id, "key-1", body)
    assert (replayed, replayed_again, again["id"]) == (False, True, payout["id"])
    reused = refused(service.record_member_payout, work(db), coop.officer, coop.id, "key-1", {**body, "amount": 1})
    assert (reused.status, reused.code) == (409, "idempotency_key_reused")
    too_much = refused(service.record_member_payout, work(db), coop.officer, coop.id, "key-2",
                       {**body, "amount": 20_001})
    assert (too_much.status, too_much.code) == (409, "insufficient_balance")
    no_ref = refused(service.record_member_payout, work(db), coop.officer, coop.id, "key-3",
                     {**body, "reference": None})
    assert no_ref.status == 422 and "reference" in no_ref.fields
    mine = service.my_coop_payouts(db, coop.crafter)
    assert [(p["amount"], p["method"], p["reference"]) for p in mine["payouts"]] == [(50_000, "bank", "BRI-7781")]
    assert mine["available"] == 70_000 - 50_000 and mine["paid_total"] == 50_000
    assert sum(ledger(db).values()) == 0 and every_transaction_balances(db)


def test_only_officers_manage_and_members_see_only_their_own(db):
    coop = Coop(db)
    coop.receive(coop.sell(100_000))
    other = Identity(user_id=new("member"), role="seller")
    service.add_coop_person(work(db), coop.officer, coop.id, {"person_id": other.user_id, "role": "member"})
    service.record_member_payout(work(db), coop.officer, coop.id, "k", {
        "member_id": coop.crafter.user_id, "amount": 10_000, "method": "cash"})
    stranger = Identity(user_id=new("stranger"), role="seller")
    assert refused(service.cooperative_view, db, stranger, coop.id).status == 404
    assert refused(service.cooperative_view, db, other, coop.id).status == 403
    assert refused(service.record_member_payout, work(db), other, coop.id, "x", {
        "member_id": other.user_id, "amount": 1, "method": "cash"}).status == 403
    assert refused(service.set_sale_split, work(db), coop.crafter, coop.id, {
        "scope": "agent", "subject_id": coop.agent, "crafter_bp": 9000, "agent_bp": 0, "cooperative_bp": 500,
        "platform_bp": 500}).status == 403
    assert service.coop_payouts(db, other, coop.id, coop.crafter.user_id) == []  # asks for another's: gets own
    assert len(service.coop_payouts(db, coop.crafter, coop.id, None)) == 1
    month = this_month()
    assert refused(service.member_statement, db, other, coop.id, coop.crafter.user_id, month).status == 404
    assert refused(service.member_statement, db, stranger, coop.id, coop.crafter.user_id, month).status == 404


def test_split_settings_are_validated(db):
    coop = Coop(db)
    bad = refused(service.set_sale_split, work(db), coop.officer, coop.id, {
        "scope": "agent", "subject_id": coop.agent, "crafter_bp": 7000, "agent_bp": 1000, "cooperative_bp": 1500,
        "platform_bp": 400})
    assert bad.status == 422 and "shares" in bad.fields
    low = refused(service.set_sale_split, work(db), coop.officer, coop.id, {
        "scope": "agent", "subject_id": coop.agent, "crafter_bp": 7100, "agent_bp": 1000, "cooperative_bp": 1500,
        "platform_bp": 400})
    assert low.status == 422 and "platform_bp" in low.fields  # below the 5% commission
    stranger = refused(service.set_sale_split, work(db), coop.officer, coop.id, {
        "scope": "shop", "subject_id": "shop:nobody", "crafter_bp": 9000, "agent_bp": 0, "cooperative_bp": 500,
        "platform_bp": 500})
    assert stranger.status == 422 and "subject_id" in stranger.fields
    other = service.create_cooperative(work(db), ADMIN, {"name": "Kelompok Tani", "officers": [
        {"person_id": coop.officer.user_id}]})
    taken = refused(service.add_coop_person, work(db), coop.officer, other["id"], {"person_id": coop.agent,
                                                                                   "role": "agent"})
    assert (taken.status, taken.code) == (409, "agent_in_other_cooperative")


def test_monthly_statements_add_up(db):
    coop = Coop(db)
    coop.receive(coop.sell(100_000))
    coop.sell(10_000)  # delivered, not yet received: held
    service.record_member_payout(work(db), coop.officer, coop.id, "k", {
        "member_id": coop.crafter.user_id, "amount": 30_000, "method": "cash"})
    month = this_month()
    mine = service.member_statement(db, coop.crafter, coop.id, coop.crafter.user_id, month)
    assert [s["amount"] for s in mine["sales"]] == [70_000, 7_000]
    assert (mine["earned"], mine["released"], mine["paid_by_cooperative"]) == (77_000, 70_000, 30_000)
    assert (mine["opening_available"], mine["closing_available"], mine["closing_held"]) == (0, 40_000, 7_000)
    whole = service.coop_statement(db, coop.officer, coop.id, month)
    assert (whole["earned"], whole["released"], whole["closing_available"], whole["closing_held"]) == (
        16_500, 15_000, 15_000, 1_500)
    assert whole["paid_to_members"] == 30_000 and whole["members"][0]["closing_available"] == 40_000
    bad = refused(service.coop_statement, db, coop.officer, coop.id, "2026-13")
    assert bad.status == 422 and "month" in bad.fields


def test_the_demo_cooperative_seeds_once_with_the_catalogs_crafter_shops(db):
    from pasar.demo import DEMO_AGENTS, DEMO_COOPERATIVE, demo_shop_id
    from services.catalog.seed import SHOPS, _id
    from services.payments import seed
    lombok = [key for key, seller, agent, *_ in SHOPS if agent == DEMO_AGENTS[0]["id"]]
    assert [demo_shop_id(key) for key in lombok] == [_id("shop", key) for key in lombok]
    assert {f"shop:{_id('shop', key)}" for key in lombok} <= {m for m, _ in DEMO_COOPERATIVE["members"]}
    seed.seed(db)
    assert seed.seed(db).endswith(": 0 rows added")
    officer = Identity(user_id=DEMO_COOPERATIVE["officers"][0][0], role="seller")
    view = service.cooperative_view(db, officer, DEMO_COOPERATIVE["id"])
    assert len(view["members"]) == 4 and [a["person_id"] for a in view["agents"]] == [DEMO_AGENTS[0]["id"]]
    assert view["splits"][0]["crafter_bp"] == 8000


def test_money_a_cooperative_handed_out_cannot_be_marked_paid_again_by_the_operator(db):
    from services.payments.models import Payout
    coop = Coop(db)
    fid = coop.sell(100_000)
    coop.receive(fid)
    service.record_member_payout(work(db), coop.officer, coop.id, "all", {
        "member_id": coop.crafter.user_id, "amount": 70_000, "method": "cash"})
    with db.Session() as s:
        payout_id = s.scalar(select(Payout.id).where(Payout.key == f"seller:{fid}"))
    again = refused(service.mark_payout_paid, work(db), payout_id)
    assert (again.status, again.code) == (409, "payout_not_owed")
    assert ledger(db)[domain.seller_payable(coop.crafter.user_id)] == 0


def test_an_officer_listed_twice_when_the_cooperative_opens_is_one_officer(db):
    # the fuzz run's input: the same account nineteen times (two rows broke the key: a 500)
    officer = new("officer")
    coop = service.create_cooperative(work(db), ADMIN, {"name": "00", "district": "", "officers": [
        {"person_id": officer}] * 18 + [{"person_id": officer, "name": "Bu Ketua"}]})
    view = service.cooperative_view(db, ADMIN, coop["id"])
    assert [(o["person_id"], o["name"]) for o in view["officers"]] == [(officer, "Bu Ketua")]
