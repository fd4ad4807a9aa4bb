"""Question events (issue 19) become notifications: one message per named recipient, in their language, with the
excerpt of what was written (the WhatsApp line is the `short` block)."""
from __future__ import annotations

from services.notifications import messages
from services.notifications.domain import intents_for

POSTED = {"thread_id": "t-1", "shop_id": "s-1", "shop_name": "Anyaman Darmi", "subject": "Tikar pandan",
          "recipients": ["shopper-1", "shop:s-1", "shopper-1", "cs-1"], "author_id": "seller-1",
          "author_role": "shop", "author_name": "Bu Darmi", "excerpt": "Bisa, ukuran 2x3 m.", "order_id": None}


def test_each_named_recipient_is_told_once_and_a_crafters_placeholder_never():
    intents = intents_for("question.message_posted", POSTED)
    assert [(i.recipient_id, i.kind) for i in intents] == [("shopper-1", "question_message"),
                                                          ("cs-1", "question_message")]
    assert intents[0].context["thread_id"] == "t-1" and intents[0].order_id is None
    handed = intents_for("question.handed_over", {**POSTED, "recipients": ["seller-1"], "author_role": "cs"})
    assert [(i.recipient_id, i.kind) for i in handed] == [("seller-1", "question_handed_over")]


def test_the_words_name_the_shop_the_subject_and_what_was_written_in_both_languages():
    context = intents_for("question.message_posted", POSTED)[0].context
    id_words = messages.render("question_message", "id", context)
    en_words = messages.render("question_message", "en", context)
    assert id_words.title == "Jawaban dari Anyaman Darmi: Tikar pandan"
    assert id_words.short == ('Bu Darmi (Anyaman Darmi) menulis tentang Tikar pandan: "Bisa, ukuran 2x3 m." '
                              "Buka Pertanyaan di Pasar Desa untuk membalas.")
    assert en_words.short.startswith('Bu Darmi (Anyaman Darmi) wrote about Tikar pandan: "Bisa, ukuran 2x3 m."')
    asked = messages.render("question_message", "id", {**context, "author_role": "shopper", "author_name": "Siti"})
    assert asked.title == "Pertanyaan dari Siti: Tikar pandan"
