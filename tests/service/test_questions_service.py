"""The catalog's question use cases (issue 19) called directly on a throwaway SQLite file: an order's question finds
its shop from the catalog's own records of order.placed and its reservations; the thread's status and first answer;
who is told; a cs account that stops being cs stops answering; the operator's figures."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pasar.errors import ApiError
from services.catalog import questions, service
from services.catalog.domain import Actor
from services.catalog.models import CsAssignment, QuestionThread
from tests.service.test_catalog_service import ADMIN, SRI, db, new_listing, new_shop, outbox, work  # noqa: F401

SHOPPER = Actor("shopper-ani", "shopper")
CS = Actor("cs-rina", "cs")
DARMI = Actor("seller-darmi", "seller")


def _cs(db):  # noqa: F811
    with work(db) as w:
        questions.remember_cs_staff(w, {"user_id": CS.user_id, "role": "cs", "name": "Rina"})
        w.commit()


def _ordered(db, order_id, listings):  # noqa: F811
    with work(db) as w:  # what the catalog worker does with order.placed
        service.reserve_stock(w, order_id, [{"listing_id": l_id, "qty": 1} for l_id in listings])
        questions.remember_order_shopper(w, order_id, SHOPPER.user_id)
        questions.remember_order_shopper(w, order_id, SHOPPER.user_id)  # the same event again
        w.commit()


def refused(call, *args) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args)
    return caught.value


def test_an_order_from_two_shops_asks_which_one_and_a_line_names_it(db):  # noqa: F811
    sri_listing = new_listing(db, new_shop(db)["id"])
    darmi_shop = new_shop(db, DARMI, "Bu Darmi")
    darmi_listing = new_listing(db, darmi_shop["id"], DARMI, title="Bakul bambu")
    _ordered(db, "order-1", [sri_listing["id"], darmi_listing["id"]])
    with work(db) as w:
        problem = refused(questions.ask, w, SHOPPER, "Ani", {"order_id": "order-1", "body": "Kapan?"})
    assert problem.status == 422 and "shop_id" in problem.fields
    with work(db) as w:
        thread = questions.ask(w, SHOPPER, "Ani", {"order_id": "order-1", "listing_id": darmi_listing["id"],
                                                   "body": "Bakulnya kapan dikirim?"})
    assert (thread["shop_id"], thread["subject"]) == (darmi_shop["id"], "#ORDER-1")
    with work(db) as w:
        assert refused(questions.ask, w, Actor("shopper-other", "shopper"), "X",
                       {"order_id": "order-1", "body": "Kapan?"}).status == 404
    told = outbox(db, "question.message_posted")
    assert [(e["recipients"], e["author_role"]) for e in told] == [([DARMI.user_id], "shopper")]


def test_status_first_answer_and_reopening_and_who_is_told(db):  # noqa: F811
    shop = new_shop(db)
    listing = new_listing(db, shop["id"])
    _cs(db)
    with work(db) as w:
        questions.assign(w, CS.user_id, shop["id"], ADMIN)
    with work(db) as w:
        thread = questions.ask(w, SHOPPER, "Ani", {"listing_id": listing["id"], "body": "Masih ada?"})
    with work(db) as w:
        questions.post_message(w, thread["id"], CS, "Rina", "Masih, Bu.")
    with work(db) as w:
        questions.post_message(w, thread["id"], SRI, "Bu Sri", "Tinggal lima.")
    with db.Session() as session:
        row = session.get(QuestionThread, thread["id"])
        assert (row.status, row.first_answer_by, row.first_answer_role) == ("answered", CS.user_id, "cs")
    with work(db) as w:
        assert questions.resolve(w, thread["id"], CS)["status"] == "resolved"
    with work(db) as w:
        questions.post_message(w, thread["id"], SHOPPER, "Ani", "Satu lagi: ukurannya?")
    with db.Session() as session:
        assert session.get(QuestionThread, thread["id"]).status == "open"  # reopened by the shopper
    told = [(e["author_role"], e["recipients"]) for e in outbox(db, "question.message_posted")]
    assert told == [("shopper", [SRI.user_id, CS.user_id]), ("cs", [SHOPPER.user_id, SRI.user_id]),
                    ("shop", [SHOPPER.user_id, CS.user_id]), ("shopper", [SRI.user_id, CS.user_id])]


def test_a_cs_account_that_is_no_longer_cs_no_longer_answers_for_its_shops(db):  # noqa: F811
    shop = new_shop(db)
    _cs(db)
    with work(db) as w:
        questions.assign(w, CS.user_id, shop["id"], ADMIN)
    with work(db) as w:
        questions.remember_cs_staff(w, {"user_id": CS.user_id, "role": "shopper", "name": "Rina"})
        w.commit()
    with db.Session() as session:
        assert session.scalars(select(CsAssignment)).all() == []
    with work(db) as w:
        assert refused(questions.assign, w, CS.user_id, shop["id"], ADMIN).status == 404


def test_response_times_count_the_first_answer_per_staff_and_shop(db):  # noqa: F811
    shop = new_shop(db)
    listing = new_listing(db, shop["id"])
    _cs(db)
    with work(db) as w:
        questions.assign(w, CS.user_id, shop["id"], ADMIN)
    ids = []
    for n in range(3):
        with work(db) as w:
            ids.append(questions.ask(w, Actor(f"shopper-{n}", "shopper"), "X",
                                     {"listing_id": listing["id"], "body": "Masih ada?"})["id"])
    for thread_id, answerer in ((ids[0], CS), (ids[1], SRI)):
        with work(db) as w:
            questions.post_message(w, thread_id, answerer, "Y", "Ada.")
    with db.Session() as session:  # the answers came 60 s and 180 s after the questions
        for thread_id, seconds in ((ids[0], 60), (ids[1], 180)):
            row = session.get(QuestionThread, thread_id)
            row.first_answer_at = row.created_at + timedelta(seconds=seconds)
        session.commit()
    with db.Session() as session:
        times = questions.response_times(session)
    assert times["overall"]["threads"] == 3
    overall = times["overall"]
    assert (overall["answered"], overall["median_seconds"], overall["waiting"]) == (2, 120, 1)
    assert [(s["user_id"], s["answered"], s["median_seconds"], s["shops"]) for s in times["staff"]] == [
        (CS.user_id, 1, 60, 1)]
    assert [(s["threads"], s["answered"], s["waiting"]) for s in times["shops"]] == [(3, 2, 1)]
