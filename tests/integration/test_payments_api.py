"""What shoppers, sellers, couriers and admins see through the payments API (sandbox mode)."""
from __future__ import annotations

import pytest

from tests.integration.test_payments_kit import (received, auth, client, delivered, harness, new, payment_requested,  # noqa: F401
                                                 payments_db)



def sandbox_order(harness, shares=(("f1", "seller-a", 45_000, 5_000),), method="card"):
    order, shopper = new("order"), new("shopper")
    shares = [(f"{order}-{f}", s, g, d) for f, s, g, d in shares]
    harness.deliver("payment.requested", payment_requested(order, shopper, method, shares))
    return order, shopper, shares


def test_shopper_sees_a_clearly_labelled_test_mode_payment(harness, client):
    order, shopper, _ = sandbox_order(harness)
    resp = client.get(f"/api/v1/payments/orders/{order}", headers=auth(shopper))
    assert resp.status_code == 200
    body = resp.json
    assert body["status"] == "pending" and body["method"] == "card" and body["provider"] == "sandbox"
    assert body["amount"] == 50_000 and type(body["amount"]) is int and body["currency"] == "IDR"
    assert body["client_secret"] is None
    assert body["sandbox"]["test_mode"] is True and "TEST MODE" in body["sandbox"]["label"]
    assert body["sandbox"]["pay_url"] == f"/api/v1/payments/{body['payment_id']}/sandbox"
    assert set(body["sandbox"]["test_cards"]) == {"4242424242424242", "4000000000000002"}


def test_a_payment_is_never_shown_to_another_shopper(harness, client):
    order, shopper, _ = sandbox_order(harness)
    payment_id = client.get(f"/api/v1/payments/orders/{order}", headers=auth(shopper)).json["payment_id"]
    for who in (auth("another-shopper"), auth("a-seller", "seller"), auth("a-courier", "courier")):
        resp = client.get(f"/api/v1/payments/orders/{order}", headers=who)
        assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"
    stranger = client.post(f"/api/v1/payments/{payment_id}/sandbox", json={"card_number": "4242424242424242"},
                           headers=auth("another-shopper"))
    assert stranger.status_code == 404
    assert client.get(f"/api/v1/payments/orders/{order}", headers=auth(shopper)).json["status"] == "pending"
    assert client.get("/api/v1/payments/orders/no-such-order", headers=auth(shopper)).status_code == 404


def test_test_card_4242_pays_and_4000_0002_is_declined(harness, client):
    order, shopper, _ = sandbox_order(harness)
    payment_id = client.get(f"/api/v1/payments/orders/{order}", headers=auth(shopper)).json["payment_id"]
    resp = client.post(f"/api/v1/payments/{payment_id}/sandbox", json={"card_number": "4242 4242 4242 4242"},
                       headers=auth(shopper))
    assert resp.status_code == 200 and resp.json["status"] == "succeeded"
    assert [e["type"] for e in harness.emitted(order_id=order)] == ["payment.succeeded"]
    again = client.post(f"/api/v1/payments/{payment_id}/sandbox", json={"card_number": "4242424242424242"},
                        headers=auth(shopper))
    assert again.status_code == 409 and again.json["error"]["code"] == "payment_final"

    order2, shopper2, _ = sandbox_order(harness)
    payment2 = client.get(f"/api/v1/payments/orders/{order2}", headers=auth(shopper2)).json["payment_id"]
    declined = client.post(f"/api/v1/payments/{payment2}/sandbox", json={"card_number": "4000000000000002"},
                           headers=auth(shopper2))
    assert declined.status_code == 402 and declined.json["error"]["code"] == "card_declined"
    assert declined.json["payment"]["status"] == "pending"  # one failed attempt: the shopper may try again
    assert harness.emitted("payment.failed", order2) == []


def test_a_declined_card_leaves_the_payment_open_with_the_attempts_left_until_they_are_used_up(harness, client):
    order, shopper, _ = sandbox_order(harness)
    view = client.get(f"/api/v1/payments/orders/{order}", headers=auth(shopper)).json
    assert (view["attempts"], view["attempts_left"], view["last_decline"]) == (0, 3, None)
    for attempts_left in (2, 1):
        declined = client.post(view["sandbox"]["pay_url"], json={"card_number": "4000 0000 0000 0002"},
                               headers=auth(shopper))
        assert declined.status_code == 402
        assert declined.json["error"]["code"] == "card_declined" and declined.json["error"]["fields"] == {}
        payment = declined.json["payment"]
        assert (payment["status"], payment["attempts_left"], payment["last_decline"]) == (
            "pending", attempts_left, "card_declined")
        assert payment["failure_reason"] is None and payment["amount"] == 50_000
        shown = client.get(f"/api/v1/payments/orders/{order}", headers=auth(shopper)).json
        assert (shown["status"], shown["attempts"], shown["attempts_left"], shown["last_decline"]) == (
            "pending", 3 - attempts_left, attempts_left, "card_declined")
    assert harness.emitted(order_id=order) == []  # orders hears nothing while the shopper may still pay
    last = client.post(view["sandbox"]["pay_url"], json={"card_number": "4000000000000002"}, headers=auth(shopper))
    assert last.status_code == 402 and last.json["error"]["code"] == "too_many_declines"
    assert (last.json["payment"]["status"], last.json["payment"]["attempts"], last.json["payment"]["attempts_left"],
            last.json["payment"]["failure_reason"]) == ("failed", 3, 0, "too_many_declines")
    (failed,) = harness.emitted("payment.failed", order)
    assert failed["reason"] == "too_many_declines"
    after = client.post(view["sandbox"]["pay_url"], json={"card_number": "4242424242424242"}, headers=auth(shopper))
    assert after.status_code == 409 and after.json["error"]["code"] == "payment_final"
    assert harness.order_ledger(order) == {}


def test_the_shopper_pays_with_the_right_card_after_a_decline(harness, client):
    order, shopper, _ = sandbox_order(harness)
    pay_url = client.get(f"/api/v1/payments/orders/{order}", headers=auth(shopper)).json["sandbox"]["pay_url"]
    assert client.post(pay_url, json={"card_number": "4000000000000002"}, headers=auth(shopper)).status_code == 402
    paid = client.post(pay_url, json={"card_number": "4242424242424242"}, headers=auth(shopper))
    assert paid.status_code == 200
    assert (paid.json["status"], paid.json["attempts"], paid.json["attempts_left"]) == ("succeeded", 1, 0)
    assert [e["type"] for e in harness.emitted(order_id=order)] == ["payment.succeeded"]
    assert harness.order_ledger(order) == {"platform:funds": 50_000, "platform:shopper_payments_clearing": -50_000}


def test_the_openapi_document_describes_the_decline_answer(client):
    spec = client.get("/openapi.json").json
    sandbox = spec["paths"]["/api/v1/payments/{payment_id}/sandbox"]["post"]["responses"]
    assert "402" in sandbox and "200" in sandbox
    payment = spec["components"]["schemas"]["PaymentOut"]["properties"]
    assert {"attempts", "attempts_left", "last_decline"} <= set(payment)
    assert payment["attempts_left"]["type"] == "integer"


@pytest.mark.parametrize("body", [{"card_number": "5555555555554444"}, {"card_number": "abc"}, {}, {"card": 1}])
def test_bad_card_input_is_a_422_with_fields(harness, client, body):
    order, shopper, _ = sandbox_order(harness)
    payment_id = client.get(f"/api/v1/payments/orders/{order}", headers=auth(shopper)).json["payment_id"]
    resp = client.post(f"/api/v1/payments/{payment_id}/sandbox", json=body, headers=auth(shopper))
    assert resp.status_code == 422
    assert resp.json["error"]["fields"]
    assert harness.payment(order).status == "pending"


def test_cash_on_delivery_has_no_card_form(harness, client):
    order, shopper, _ = sandbox_order(harness, method="cod")
    body = client.get(f"/api/v1/payments/orders/{order}", headers=auth(shopper)).json
    assert body["status"] == "cod_pending" and body["sandbox"] is None and body["method"] == "cod"
    resp = client.post(f"/api/v1/payments/{body['payment_id']}/sandbox", json={"card_number": "4242424242424242"},
                       headers=auth(shopper))
    assert resp.status_code == 409


def test_seller_and_courier_see_their_own_balances_and_payouts(harness, client):
    order, shopper, shares = sandbox_order(harness, shares=(("f1", "seller-bal", 100_001, 12_000),), method="cod")
    harness.deliver("delivery.delivered", delivered(order, shares[0][0], "courier-bal", cod_collected=112_001))
    harness.deliver("fulfillment.received", received(order, shares[0][0]))  # the receipt releases the held share
    seller = client.get("/api/v1/balances/me", headers=auth("seller-bal", "seller"))
    assert seller.status_code == 200
    assert seller.json == {"user_id": "seller-bal", "seller_payable": 95_001, "seller_available": 95_001,
                           "seller_held": 0, "courier_earnings": 0, "cod_cash_held": 0, "net": 95_001,
                           "currency": "IDR"}
    courier = client.get("/api/v1/balances/me", headers=auth("courier-bal", "courier")).json
    assert (courier["courier_earnings"], courier["cod_cash_held"], courier["net"]) == (12_000, 112_001, -100_001)
    assert client.get("/api/v1/balances/me", headers=auth(shopper)).status_code == 403
    assert client.get("/api/v1/balances/seller-bal", headers=auth("seller-other", "seller")).status_code == 403
    admin = client.get("/api/v1/balances/seller-bal", headers=auth("admin-1", "admin"))
    assert admin.status_code == 200 and admin.json["seller_payable"] == 95_001
    platform = client.get("/api/v1/balances", headers=auth("admin-1", "admin")).json
    assert platform["total"] == 0 and platform["accounts"]["platform:commission"] == -5_000

    payouts = client.get("/api/v1/payouts", headers=auth("seller-bal", "seller")).json
    assert [(p["payee_role"], p["amount"], p["fee"], p["order_id"]) for p in payouts] == [
        ("seller", 95_001, 5_000, order)]
    assert client.get("/api/v1/payouts", headers=auth("courier-bal", "courier")).json[0]["amount"] == 12_000
    everyone = client.get("/api/v1/payouts?payee_id=seller-bal", headers=auth("admin-1", "admin")).json
    assert len(everyone) == 1


def test_connected_accounts_are_admin_only_and_validated(client):
    resp = client.put("/api/v1/payouts/connected-accounts/seller-x", json={"stripe_account_id": "acct_1"},
                      headers=auth("seller-x", "seller"))
    assert resp.status_code == 403
    bad = client.put("/api/v1/payouts/connected-accounts/seller-x", json={"stripe_account_id": "nope"},
                     headers=auth("admin-1", "admin"))
    assert bad.status_code == 422 and "stripe_account_id" in bad.json["error"]["fields"]


def test_operator_records_hand_payouts_and_cash_handovers_once(harness, client):
    order, shopper, shares = sandbox_order(harness, shares=(("f1", "seller-hand", 40_000, 6_000),), method="cod")
    fid = shares[0][0]
    harness.deliver("delivery.delivered", delivered(order, fid, "courier-hand", cod_collected=46_000))
    harness.deliver("fulfillment.received", received(order, fid))  # the receipt releases the held share
    admin = auth("admin-1", "admin")
    seller_payout = client.get("/api/v1/payouts", headers=auth("seller-hand", "seller")).json[0]
    assert client.post(f"/api/v1/payouts/{seller_payout['id']}/paid",
                       headers=auth("seller-hand", "seller")).status_code == 403
    paid = client.post(f"/api/v1/payouts/{seller_payout['id']}/paid", headers=admin)
    assert paid.status_code == 200 and paid.json["status"] == "paid"
    assert client.post(f"/api/v1/payouts/{seller_payout['id']}/paid", headers=admin).status_code == 409
    assert client.post("/api/v1/payouts/nope/paid", headers=admin).status_code == 404
    assert client.get("/api/v1/balances/me", headers=auth("seller-hand", "seller")).json["seller_payable"] == 0

    handed = client.post(f"/api/v1/balances/cod-remittances/{fid}", headers=admin)
    assert handed.status_code == 200
    assert (handed.json["cod_cash_held"], handed.json["courier_earnings"], handed.json["net"]) == (0, 6_000, 6_000)
    assert client.post(f"/api/v1/balances/cod-remittances/{fid}", headers=admin).status_code == 409
    assert sum(harness.order_ledger(order).values()) == 0
    assert harness.order_ledger(order) == {"platform:funds": 46_000 - 38_000, "platform:commission": -2_000,
                                           "courier_earnings:courier-hand": -6_000}
