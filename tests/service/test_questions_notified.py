"""A question's new message (issue 19) reaches the other parties like any notification: the inbox at once, WhatsApp
to a person who has a phone number, each once even when the event comes again."""
from __future__ import annotations

import uuid

from services.notifications import service
from tests.service.test_notifications_service import account, db, deliver, deliveries, senders  # noqa: F401
from tests.unit.test_questions_notifications import POSTED


def test_a_new_message_goes_to_the_inbox_and_whatsapp_of_each_other_party_once(db, senders):  # noqa: F811
    account(db, "cs-1", role="cs", name="Rina", phone="+6281234500009", locale="id", channels=["whatsapp"])
    event_id = str(uuid.uuid4())
    assert deliver(db, "question.message_posted", POSTED, event_id) == 2   # shopper-1 and cs-1
    assert deliver(db, "question.message_posted", POSTED, event_id) == 0   # the same event again: nothing more
    sent = deliveries(db, "cs-1")
    assert sorted(sent) == ["inapp", "whatsapp"]
    assert sent["whatsapp"].address == "+6281234500009" and sent["whatsapp"].status == "pending"
    assert "Bisa, ukuran 2x3 m." in sent["whatsapp"].text
    assert sorted(deliveries(db, "shopper-1")) == ["inapp"]   # no contact known: the inbox only
    inbox = service.inbox(db, "cs-1", unread=False, before=None, limit=10)
    assert [(n["kind"], n["data"]["thread_id"]) for n in inbox["items"]] == [("question_message", "t-1")]
    assert "woken" in senders
