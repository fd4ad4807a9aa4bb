"""The notifications use cases called straight, without HTTP or a broker: a SQLite file per test. The
sender threads are replaced by a recorder (what is sent, and how, is tests/integration/
test_notifications_channels.py's); these pin who gets which message, the inbox and the parked list."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from pasar.db import Database, UnitOfWork
from pasar.errors import ApiError
from services.notifications import dispatch, domain, service
from services.notifications.models import Base, Contact, Delivery
from tests.unit.test_notifications_rules import CONFIRMED


@pytest.fixture
def db(tmp_path):
    database = Database("notifications", Base.metadata, f"sqlite:///{tmp_path / 'notifications.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def senders(monkeypatch):
    """Records the service starting and waking the sender threads instead of starting them."""
    calls = []
    monkeypatch.setattr(dispatch, "ensure_running", lambda db: calls.append("running"))
    monkeypatch.setattr(dispatch, "wake", lambda db: calls.append("woken"))
    return calls


def work(db) -> UnitOfWork:
    return UnitOfWork(db, source="notifications")


def account(db, user_id, **fields):
    with work(db) as uow:
        service.remember_contact(uow, {"user_id": user_id, **fields})
        uow.commit()


def deliver(db, event_type, data, event_id=None) -> int:
    with work(db) as uow:
        count = service.notify(uow, event_id=event_id or str(uuid.uuid4()), event_type=event_type, data=data)
        uow.commit()
    return count


def deliveries(db, recipient_id):
    with db.Session() as s:
        return {d.channel: d for d in s.scalars(select(Delivery).where(Delivery.recipient_id == recipient_id))}


def refused(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_an_account_is_kept_with_a_language_and_channels_we_know(db):
    account(db, "u-1", role="seller", name="Sri", locale="fr", channels=["email", "pigeon", "inapp"])
    account(db, "u-1", role="", name="", email="sri@example.id", locale="en")  # an update without name keeps it
    with db.Session() as s:
        contact = s.get(Contact, "u-1")
    assert (contact.role, contact.name, contact.email, contact.locale, contact.channels) == \
        ("seller", "Sri", "sri@example.id", "en", [])


def test_a_confirmed_order_tells_each_person_once_in_the_inbox(db, senders):
    event_id = str(uuid.uuid4())
    assert deliver(db, "order.confirmed", CONFIRMED, event_id) == 3  # shopper, seller, agent (not the crafter)
    assert deliver(db, "order.confirmed", CONFIRMED, event_id) == 0  # the same event again
    page = service.inbox(db, "seller-1", unread=False, before=None, limit=20)
    assert [n["kind"] for n in page["items"]] == ["new_order"] and page["unread"] == 1
    assert [f["fulfillment_id"] for f in page["items"][0]["data"]["fulfillments"]] == ["f-1"]
    inapp = deliveries(db, "seller-1")
    assert list(inapp) == ["inapp"] and inapp["inapp"].status == domain.SENT
    assert senders == []  # nobody to email or message: no sender needed


def test_a_cancelled_order_tells_whoever_was_asked_to_prepare_it(db, senders):
    deliver(db, "order.confirmed", CONFIRMED)
    assert deliver(db, "order.cancelled", {"order_id": CONFIRMED["order_id"], "shopper_id": "shopper-1",
                                           "reason": "shopper_cancelled"}) == 3
    kinds = {who: [n["kind"] for n in service.inbox(db, who, unread=False, before=None, limit=5)["items"]]
             for who in ("shopper-1", "seller-1", "agent-1")}
    assert kinds == {"shopper-1": ["order_cancelled", "order_confirmed"],
                     "seller-1": ["order_cancelled_seller", "new_order"],
                     "agent-1": ["order_cancelled_seller", "new_order"]}


def test_email_and_whatsapp_wait_for_the_senders_after_commit(db, senders):
    account(db, "shopper-1", role="shopper", name="Ani", email="ani@example.id", phone="+6281234567890",
            locale="en")
    deliver(db, "order.confirmed", CONFIRMED)
    rows = deliveries(db, "shopper-1")
    assert set(rows) == {"inapp", "email", "whatsapp"}
    assert rows["email"].status == rows["whatsapp"].status == domain.PENDING
    assert rows["email"].address == "ani@example.id" and rows["email"].html
    assert rows["whatsapp"].address == "+6281234567890" and rows["whatsapp"].text.startswith("Pasar Desa: ")
    assert rows["whatsapp"].html is None and rows["email"].locale == "en"
    assert senders == ["running", "woken"]  # woken only once the rows are committed


def test_the_inbox_pages_counts_and_marks_only_my_messages(db, senders):
    for n in range(3):
        deliver(db, "payout.created", {"payee_id": "courier-1", "order_id": f"order-{n}", "amount": 5_000 + n,
                                       "fee": 0, "payee_role": "courier"})
    deliver(db, "payout.created", {"payee_id": "courier-2", "order_id": "order-x", "amount": 1, "fee": 0})
    first = service.inbox(db, "courier-1", unread=False, before=None, limit=2)
    assert [n["data"]["amount"] for n in first["items"]] == [5_002, 5_001] and first["next_before"]
    rest = service.inbox(db, "courier-1", unread=False, before=first["next_before"], limit=2)
    assert [n["data"]["amount"] for n in rest["items"]] == [5_000] and rest["next_before"] is None
    theirs = service.inbox(db, "courier-2", unread=False, before=None, limit=1)["items"][0]["id"]
    assert refused(service.notification, db, theirs, "courier-1").status == 404
    assert refused(service.mark_read, work(db), theirs, "courier-1").message == "notification not found"
    read = service.mark_read(work(db), first["items"][0]["id"], "courier-1")
    assert read["read"] and service.mark_read(work(db), read["id"], "courier-1")["read_at"] == read["read_at"]
    assert service.unread_count(db, "courier-1") == {"unread": 2}
    assert service.mark_all_read(work(db), "courier-1") == {"marked": 2, "unread": 0}
    assert service.unread_count(db, "courier-2") == {"unread": 1}
    assert service.inbox(db, "courier-1", unread=True, before=None, limit=20)["items"] == []


def test_the_live_feed_starts_where_it_is_told_and_then_from_now(db, senders):
    deliver(db, "payout.created", {"payee_id": "seller-1", "order_id": "o-1", "amount": 1, "fee": 0})
    newest = service.feed_start(db, "seller-1", after=None, last_event_id=None)
    assert newest > 0 and service.feed_after(db, "seller-1", newest) == []
    assert service.feed_start(db, "seller-1", after=0, last_event_id="99") == 0
    assert service.feed_start(db, "seller-1", after=None, last_event_id=" 7 ") == 7
    assert service.feed_start(db, "seller-1", after=None, last_event_id="abc") == newest
    assert service.feed_start(db, "nobody", after=None, last_event_id=None) == 0
    deliver(db, "payout.created", {"payee_id": "seller-1", "order_id": "o-2", "amount": 2, "fee": 0})
    assert [n.order_id for n in service.feed_after(db, "seller-1", newest)] == ["o-2"]
    assert [n.order_id for n in service.feed_after(db, "seller-1", 0)] == ["o-1", "o-2"]


def test_only_a_parked_delivery_is_sent_again(db, senders):
    account(db, "shopper-1", email="ani@example.id", channels=["email"])
    deliver(db, "order.confirmed", CONFIRMED)
    email = deliveries(db, "shopper-1")["email"]
    busy = refused(service.retry_delivery, work(db), email.id)
    assert (busy.status, busy.code, busy.message) == (409, "not_parked",
                                                      "delivery is pending, only parked ones can be retried")
    with work(db) as uow:
        uow.session.get(Delivery, email.id).status, uow.session.get(Delivery, email.id).attempts = domain.PARKED, 5
        uow.commit()
    parked = service.parked_deliveries(db, channel="email", limit=10)
    assert parked["total"] == 1 and [d.id for d in parked["items"]] == [email.id]
    assert service.parked_deliveries(db, channel="whatsapp", limit=10)["total"] == 0
    again = service.retry_delivery(work(db), email.id)
    assert (again.status, again.attempts) == (domain.PENDING, 0)
    assert service.parked_deliveries(db, channel=None, limit=10)["total"] == 0
    assert refused(service.retry_delivery, work(db), "no-such-delivery").status == 404
