"""Partial refunds on the local rails, called straight (SQLite file, no broker) against the fake Xendit and
Midtrans over HTTP: a refused parcel refunded through Xendit (e-wallet) and Midtrans (GoPay); a VA refund owed
to the shopper by hand; a split share taken back from the seller's sub-account; the generic `service.refund`
idempotent per key; reconcile reporting a refund made at the provider that the ledger does not know."""
from __future__ import annotations

import pytest

from services.payments import domain, service
from services.payments.commands import reconcile
from services.payments.models import Payment, SubAccount
from tests.support.fake_midtrans import FakeMidtrans
from tests.support.fake_xendit import BUSINESS_ID, FakeXendit

from .test_payments_service import db, new, work  # noqa: F401  (the fixture)

KEY, TOKEN, MIDTRANS_KEY = "xnd_development_refunds", "refunds-callback-token", "SB-Mid-server-refunds"


@pytest.fixture
def rails(monkeypatch):
    xendit = FakeXendit(secret_key=KEY, callback_token=TOKEN, webhook_url="http://127.0.0.1:9/unused").start()
    midtrans = FakeMidtrans(server_key=MIDTRANS_KEY, webhook_url="http://127.0.0.1:9/unused").start()
    for name, value in {"PAYMENT_PROVIDERS": "xendit,midtrans", "XENDIT_SECRET_KEY": KEY,
                        "XENDIT_CALLBACK_TOKEN": TOKEN, "XENDIT_API_BASE": xendit.url,
                        "XENDIT_MASTER_ACCOUNT_ID": BUSINESS_ID, "MIDTRANS_SERVER_KEY": MIDTRANS_KEY,
                        "MIDTRANS_API_BASE": midtrans.url, "MIDTRANS_SNAP_BASE": midtrans.snap_url}.items():
        monkeypatch.setenv(name, value)
    yield xendit, midtrans
    xendit.stop()
    midtrans.stop()


def paid_order(db, channel: str, pay, sellers=("seller-a", "seller-b")):  # noqa: F811
    """A two-parcel order (25.000 goods + 5.000 delivery each) opened at `channel` and paid with `pay(order)`."""
    order, shopper = new("order"), new("shopper")
    service.choose_channel(work(db), order_id=order, shopper_id=shopper, channel=channel)
    shares = [{"fulfillment_id": f"{order}-f{i}", "seller_id": seller, "goods_amount": 25_000, "delivery_fee": 5_000}
              for i, seller in enumerate(sellers)]
    with work(db) as uow:
        payment = service.open_payment(uow, order_id=order, shopper_id=shopper, method="card", amount=60_000,
                                       shares=shares)
        uow.commit()
        payment_id = payment.id
    pay(order)
    assert service.check_payment(work(db), payment_id=payment_id, shopper_id=shopper)["status"] == "succeeded"
    return payment_id, order, shares


def refuse(db, order, share):  # noqa: F811
    with work(db) as uow:
        amount = service.refund_parcel(uow, {**share, "order_id": order, "reason": "seller_refused"})
        uow.commit()
    return amount


def accounts(db, order):  # noqa: F811
    with db.Session() as s:
        return service.order_accounts(s, order)


def test_a_refused_parcel_is_refunded_partially_through_a_xendit_ewallet(db, rails):  # noqa: F811
    xendit, _ = rails
    paid = lambda order: xendit.request_for(order).__setitem__("status", "SUCCEEDED")  # noqa: E731
    payment_id, order, shares = paid_order(db, "ewallet_dana", paid)
    assert refuse(db, order, shares[0]) == 30_000
    assert refuse(db, order, shares[0]) == 0                          # redelivered: nothing twice
    pr = xendit.request_for(order)
    refunds = [r for r in xendit.refunds.values() if r["payment_request_id"] == pr["id"]]
    assert [(r["amount"], r["status"]) for r in refunds] == [(30_000, "SUCCEEDED")]
    sent = [r for r in xendit.received if r["path"] == "/refunds" and r["method"] == "POST"]
    assert sent[0]["headers"].get("Idempotency-Key") == f"pasar-refund-{shares[0]['fulfillment_id']}"
    assert accounts(db, order)[domain.PLATFORM_FUNDS] == 30_000 and sum(accounts(db, order).values()) == 0
    with db.Session() as s:
        payment = s.get(Payment, payment_id)
        assert payment.status == domain.SUCCEEDED and service.refunded_amount(s, payment) == 30_000
    # the generic use case: the same key refunds once, a new key what is left at most
    with work(db) as uow:
        payment = uow.session.get(Payment, payment_id)
        again = service.refund(uow, payment, 30_000, shares[0]["fulfillment_id"])
        complaint = service.refund(uow, payment, 45_000, "complaint-1", reason="complaint")
        uow.commit()
    assert again == domain.RefundResult(30_000, again.provider_ref, False)
    assert complaint.amount == 30_000 and not complaint.owed          # capped at what is left of the capture
    assert sum(r["amount"] for r in xendit.refunds.values() if r["payment_request_id"] == pr["id"]) == 60_000
    assert sum(accounts(db, order).values()) == 0


def test_a_refused_parcel_is_refunded_partially_through_midtrans(db, rails):  # noqa: F811
    _, midtrans = rails
    paid = lambda order: midtrans.transactions[order].__setitem__("transaction_status", "settlement")  # noqa: E731
    payment_id, order, shares = paid_order(db, "gopay", paid)
    assert refuse(db, order, shares[1]) == 30_000
    tx = midtrans.transactions[order]
    assert tx["transaction_status"] == "partial_refund" and tx["refund_amount"] == "30000.00"
    refund_call = next(r for r in midtrans.received if r["path"] == f"/v2/{order}/refund")
    assert refund_call["body"]["refund_key"] == f"{shares[1]['fulfillment_id']}-refund"
    assert refund_call["body"]["amount"] == 30_000
    assert accounts(db, order)[domain.PLATFORM_FUNDS] == 30_000 and sum(accounts(db, order).values()) == 0
    assert refuse(db, order, shares[0]) == 30_000                     # the other parcel too: all refunded
    assert midtrans.transactions[order]["transaction_status"] == "refund"
    with db.Session() as s:
        assert s.get(Payment, payment_id).status == domain.REFUNDED


def test_a_va_refund_is_owed_to_the_shopper_and_shown_to_the_operator(db, rails, capsys):  # noqa: F811
    xendit, _ = rails
    paid = lambda order: xendit.request_for(order).__setitem__("status", "SUCCEEDED")  # noqa: E731
    payment_id, order, shares = paid_order(db, "va_bca", paid)
    assert refuse(db, order, shares[0]) == 30_000
    assert not xendit.refunds                                         # a VA cannot be refunded through the API
    with db.Session() as s:
        payment = s.get(Payment, payment_id)
        assert payment.attention == "refund_owed" and service.owed_refunds(s, payment) == 30_000
        assert service.refunded_amount(s, payment) == 0
        owed_account = domain.shopper_refund_owed(payment.shopper_id)
    assert accounts(db, order)[owed_account] == -30_000 and sum(accounts(db, order).values()) == 0
    assert refuse(db, order, shares[0]) == 0                          # once
    assert accounts(db, order)[owed_account] == -30_000
    assert reconcile(["--older-than", "0"], db=db, publisher=None) == 0
    said = capsys.readouterr().out
    assert f"{payment_id}: DIFFERENCE flagged: refund_owed" in said and "Rp 30000 owed back to shopper" in said


def test_a_split_share_is_taken_back_from_the_sub_account_when_its_parcel_is_refused(db, rails):  # noqa: F811
    xendit, _ = rails
    with work(db) as uow:
        uow.session.add(SubAccount(seller_id="seller-a", provider="xendit", account_id="acc_subA_refund"))
        uow.commit()
    paid = lambda order: xendit.request_for(order).__setitem__("status", "SUCCEEDED")  # noqa: E731
    payment_id, order, shares = paid_order(db, "qris", paid)
    rule = xendit.split_rules[xendit.request_for(order)["split_rule_id"]]
    assert [(r["destination_account_id"], r["flat_amount"]) for r in rule["routes"]] == [("acc_subA_refund", 23_750)]
    assert accounts(db, order)[domain.seller_payable("seller-a")] == 23_750   # routed at payment time
    assert refuse(db, order, shares[0]) == 30_000                   # seller-a refuses their parcel
    assert [(t["source_user_id"], t["destination_user_id"], t["amount"]) for t in xendit.transfers] == [
        ("acc_subA_refund", BUSINESS_ID, 23_750)]
    books = accounts(db, order)
    assert books[domain.seller_payable("seller-a")] == 0 and books[domain.PLATFORM_FUNDS] == 30_000
    assert sum(books.values()) == 0
    assert refuse(db, order, shares[0]) == 0 and len(xendit.transfers) == 1


def test_reconcile_reports_a_refund_made_at_the_provider_that_the_ledger_does_not_know(db, rails, capsys):  # noqa: F811
    xendit, _ = rails
    paid = lambda order: xendit.request_for(order).__setitem__("status", "SUCCEEDED")  # noqa: E731
    payment_id, order, shares = paid_order(db, "qris", paid)
    assert refuse(db, order, shares[0]) == 30_000
    assert reconcile(["--older-than", "0"], db=db, publisher=None) == 0
    assert f"{payment_id}: DIFFERENCE" not in capsys.readouterr().out   # our refund matches Xendit's
    pr = xendit.request_for(order)
    xendit.refunds["rfd-dashboard"] = {"id": "rfd-dashboard", "payment_request_id": pr["id"], "amount": 10_000,
                                       "status": "SUCCEEDED"}         # someone refunded in Xendit's dashboard
    assert reconcile(["--older-than", "0"], db=db, publisher=None) == 0
    said = capsys.readouterr().out
    assert f"{payment_id}: DIFFERENCE provider refunded Rp 40000 in all, ledger records refunds of Rp 30000" in said


def test_a_single_sellers_order_is_made_on_their_sub_account_and_refunded_from_it(db, rails, capsys):  # noqa: F811
    """The whole order is seller-a's and they have a sub-account: the payment request is made `for-user-id` their
    account, the split rule routes the platform's part (commission + delivery) to the master account. Refunding
    their refused parcel: the platform's part goes back to the sub-account, the refund is made from it."""
    xendit, _ = rails
    with work(db) as uow:
        uow.session.add(SubAccount(seller_id="seller-a", provider="xendit", account_id="acc_subA_own"))
        uow.commit()
    paid = lambda order: xendit.request_for(order).__setitem__("status", "SUCCEEDED")  # noqa: E731
    payment_id, order, shares = paid_order(db, "ewallet_ovo", paid, sellers=("seller-a", "seller-a"))
    pr = xendit.request_for(order)
    sent = next(r for r in xendit.received if r["path"] == "/payment_requests")
    assert sent["headers"].get("For-User-Id") == "acc_subA_own" and pr["business_id"] == "acc_subA_own"
    rule = xendit.split_rules[pr["split_rule_id"]]
    # 60.000 paid: 47.500 is seller-a's (goods less 5% commission), 12.500 (commission + delivery) the platform's
    assert [(r["destination_account_id"], r["flat_amount"]) for r in rule["routes"]] == [(BUSINESS_ID, 12_500)]
    with db.Session() as s:
        assert s.get(Payment, payment_id).for_user_id == "acc_subA_own"
    books = accounts(db, order)
    assert books[domain.seller_payable("seller-a")] == 47_500 and books[domain.PLATFORM_FUNDS] == 12_500
    assert refuse(db, order, shares[0]) == 30_000
    # the platform's part of that parcel's refund (30.000 - 23.750) goes to the sub-account, then the refund
    assert [(t["source_user_id"], t["destination_user_id"], t["amount"]) for t in xendit.transfers] == [
        (BUSINESS_ID, "acc_subA_own", 6_250)]
    refunds = [r for r in xendit.refunds.values() if r["payment_request_id"] == pr["id"]]
    assert [(r["amount"], r["for_user_id"], r["status"]) for r in refunds] == [(30_000, "acc_subA_own", "SUCCEEDED")]
    books = accounts(db, order)
    assert books[domain.seller_payable("seller-a")] == 23_750 and books[domain.PLATFORM_FUNDS] == 6_250
    assert sum(books.values()) == 0
    assert reconcile(["--older-than", "0"], db=db, publisher=None) == 0       # asked with its for-user-id
    said = capsys.readouterr().out
    assert "0 error(s)" in said and "0 difference(s)" in said
    # the other parcel is cancelled with the order: the rest refunded from the sub-account the same way
    with work(db) as uow:
        service.cancel_for_order(uow, order_id=order, shopper_id=None, method="card", reason="shopper_cancelled")
        uow.commit()
    assert [t["amount"] for t in xendit.transfers] == [6_250, 6_250]
    books = accounts(db, order)
    assert books[domain.seller_payable("seller-a")] == 0 and books[domain.PLATFORM_FUNDS] == 0
    assert sum(books.values()) == 0
    with db.Session() as s:
        assert s.get(Payment, payment_id).status == domain.REFUNDED
