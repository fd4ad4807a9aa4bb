"""Local-rail use cases called straight (SQLite file, no broker, no gateway) against the fake Xendit over HTTP:
the shopper's channel choice, "Saya sudah bayar", and `pasar payments reconcile` reporting and (with --repair)
applying what a lost callback would have said."""
from __future__ import annotations

import pytest

from pasar.errors import ApiError
from services.payments import domain, service
from services.payments.commands import reconcile
from services.payments.models import Payment
from tests.support.fake_xendit import FakeXendit

from .test_payments_service import db, new, work  # noqa: F401  (the fixture)

KEY, TOKEN = "xnd_development_service", "service-callback-token"


@pytest.fixture
def xendit(monkeypatch):
    fake = FakeXendit(secret_key=KEY, callback_token=TOKEN, webhook_url="http://127.0.0.1:9/unused").start()
    for name, value in {"PAYMENT_PROVIDERS": "xendit", "XENDIT_SECRET_KEY": KEY, "XENDIT_CALLBACK_TOKEN": TOKEN,
                        "XENDIT_API_BASE": fake.url}.items():
        monkeypatch.setenv(name, value)
    yield fake
    fake.stop()


def open_by(db, channel: str):  # noqa: F811
    order, shopper = new("order"), new("shopper")
    assert service.choose_channel(work(db), order_id=order, shopper_id=shopper, channel=channel)["payment"] is None
    shares = [{"fulfillment_id": f"{order}-f0", "seller_id": "seller-a", "goods_amount": 45_000, "delivery_fee": 5_000}]
    with work(db) as uow:
        payment = service.open_payment(uow, order_id=order, shopper_id=shopper, method="card", amount=50_000,
                                       shares=shares)
        uow.commit()
        return payment.id, order, shopper


def test_the_choice_opens_the_payment_at_xendit_and_bad_choices_are_refused(db, xendit):  # noqa: F811
    payment_id, order, shopper = open_by(db, "va_bri")
    with db.Session() as s:
        payment = s.get(Payment, payment_id)
        assert (payment.provider, payment.channel, payment.next_kind, payment.va_bank) == ("xendit", "va_bri", "va", "BRI")
        assert payment.va_number and payment.expires_at is not None
    with pytest.raises(ApiError) as unknown:
        service.choose_channel(work(db), order_id=order, shopper_id=shopper, channel="gopay")  # not offered here
    assert unknown.value.status == 422
    with pytest.raises(ApiError) as stranger:
        service.choose_channel(work(db), order_id=order, shopper_id="someone-else", channel="qris")
    assert stranger.value.status == 404
    # the shopper changes their mind before paying: the VA is expired at Xendit, a QR opened instead
    moved = service.choose_channel(work(db), order_id=order, shopper_id=shopper, channel="qris")["payment"]
    assert moved["channel"] == "qris" and moved["next_action"]["kind"] == "qr"
    assert [pr["status"] for pr in xendit.payment_requests.values()] == ["EXPIRED", "PENDING"]


def test_saya_sudah_bayar_applies_the_providers_word_once(db, xendit):  # noqa: F811
    payment_id, order, shopper = open_by(db, "qris")
    assert service.check_payment(work(db), payment_id=payment_id, shopper_id=shopper)["status"] == "pending"
    xendit.request_for(order)["status"] = "SUCCEEDED"  # paid; the callback is lost
    assert service.check_payment(work(db), payment_id=payment_id, shopper_id=shopper)["status"] == "succeeded"
    assert service.check_payment(work(db), payment_id=payment_id, shopper_id=shopper)["status"] == "succeeded"
    with db.Session() as s:
        assert service.order_accounts(s, order)[domain.PLATFORM_FUNDS] == 50_000
    with pytest.raises(ApiError):
        service.check_payment(work(db), payment_id=payment_id, shopper_id="someone-else")


def test_reconcile_settles_stuck_payments_and_reports_differences_until_told_to_repair(db, xendit, capsys):  # noqa: F811
    stuck_id, stuck_order, _ = open_by(db, "qris")
    xendit.request_for(stuck_order)["status"] = "SUCCEEDED"        # paid, callback lost
    ended_id, ended_order, _ = open_by(db, "ewallet_dana")
    with work(db) as uow:                                          # the order was cancelled: voided at Xendit
        service.cancel_for_order(uow, order_id=ended_order, shopper_id=None, method="card", reason="shopper_cancelled")
        uow.commit()
    xendit.request_for(ended_order)["status"] = "SUCCEEDED"        # ...but the wallet had paid just before

    assert reconcile(["--older-than", "0"], db=db, publisher=None) == 0
    said = capsys.readouterr().out
    assert f"{stuck_id}: applied" in said
    assert f"{ended_id}: DIFFERENCE provider says paid" in said and "--repair" in said
    with db.Session() as s:
        assert s.get(Payment, stuck_id).status == domain.SUCCEEDED
        assert s.get(Payment, ended_id).status == domain.CANCELLED   # reported only

    assert reconcile(["--older-than", "0", "--repair"], db=db, publisher=None) == 0
    assert "applied" in capsys.readouterr().out
    with db.Session() as s:
        assert s.get(Payment, ended_id).status == domain.REFUNDED   # captured, then sent back (order cancelled)
        assert sum(service.order_accounts(s, ended_order).values()) == 0
    assert any(r["payment_request_id"] == xendit.request_for(ended_order)["id"] for r in xendit.refunds.values())
    assert reconcile(["--older-than", "0"], db=db, publisher=None) == 0
    assert "0 difference(s)" in capsys.readouterr().out
