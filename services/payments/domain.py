"""Payments rules, free of Flask and SQLAlchemy: payment states, the commission split, the double-entry
movements of money, the provider interface every payment provider implements, and the sandbox cards.

Money is an int of whole rupiah everywhere here. Only the Stripe adapter converts (IDR is two-decimal at
Stripe: Rp 10.000 is amount=1000000)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Protocol

# -- payment states ---------------------------------------------------------------------------------
PENDING = "pending"            # card: waiting for the shopper / the provider (declined attempts included)
SUCCEEDED = "succeeded"        # card: money captured
FAILED = "failed"              # card: declined MAX_CARD_ATTEMPTS times; final, orders cancels the order
CANCELLED = "cancelled"        # never paid: voided (order cancelled or timed out)
REFUNDED = "refunded"          # paid, then money returned to the shopper
COD_PENDING = "cod_pending"    # cash on delivery: recorded, cash not yet collected
COD_COLLECTED = "cod_collected"  # cash on delivery: every fulfillment's cash reported by its courier

FINAL = frozenset({FAILED, CANCELLED, REFUNDED, COD_COLLECTED})

# What a provider can tell us happened to a payment.
OUTCOME_SUCCEEDED = "succeeded"
OUTCOME_FAILED = "failed"
OUTCOME_CANCELLED = "cancelled"
OUTCOME_REFUNDED = "refunded"


def next_status(current: str, outcome: str) -> str | None:
    """The state a card payment moves to when the provider reports `outcome`; None = nothing to do.

    Providers deliver reports late, twice and out of order, so this is total and forgiving:
    - a report that repeats the current state changes nothing;
    - "failed" / "cancelled" never undo money already captured (an old decline arriving after success);
    - "failed" is where a *final* decline leads; whether a decline is final (the card attempts are used
      up) or only a failed attempt that leaves the payment pending is `decline()`'s decision;
    - "succeeded" is accepted after declines and after "failed"/"cancelled": at Stripe a shopper may
      retry after a decline and the money really is taken; the caller then refunds it if the order is gone;
    - "refunded" is accepted from any non-refunded state (a refund implies the money was captured).
    """
    if outcome == OUTCOME_SUCCEEDED:
        return SUCCEEDED if current in (PENDING, FAILED, CANCELLED) else None
    if outcome == OUTCOME_FAILED:
        return FAILED if current == PENDING else None
    if outcome == OUTCOME_CANCELLED:
        return CANCELLED if current in (PENDING, FAILED) else None
    if outcome == OUTCOME_REFUNDED:
        return REFUNDED if current != REFUNDED and current not in (COD_PENDING, COD_COLLECTED) else None
    raise ValueError(f"unknown outcome {outcome!r}")


# -- card attempts ----------------------------------------------------------------------------------
# A declined card is a failed *attempt*, not the end of the payment: at Stripe the PaymentIntent goes back to
# `requires_payment_method` and the shopper may try again (a mistyped number, another card). The payment
# stays pending — orders hears nothing and keeps waiting until its own payment deadline — until the
# MAX_CARD_ATTEMPTS-th decline, which is final: the payment fails and orders is told (payment.failed).
DEFAULT_MAX_CARD_ATTEMPTS = 3
TOO_MANY_DECLINES = "too_many_declines"  # payment.failed reason when the attempts are used up


def parse_max_attempts(text: str | None, default: int = DEFAULT_MAX_CARD_ATTEMPTS) -> int:
    if text in (None, ""):
        return default
    try:
        value = int(str(text).strip())
    except ValueError as exc:
        raise ValueError(f"MAX_CARD_ATTEMPTS must be a whole number like 3, not {text!r}") from exc
    if value < 1:
        raise ValueError("MAX_CARD_ATTEMPTS must be at least 1")
    return value


@dataclass(frozen=True)
class Decline:
    """What one declined card attempt does to a payment."""
    attempts: int        # declined attempts so far, this one included
    attempts_left: int   # how many more times the shopper may try
    status: str          # PENDING: the shopper may try again; FAILED: the attempts are used up

    @property
    def final(self) -> bool:
        """The payment is over: orders must hear payment.failed (reason TOO_MANY_DECLINES)."""
        return self.status == FAILED


def decline(current: str, attempts: int, max_attempts: int) -> Decline | None:
    """A provider says a card attempt was declined. None: it changes nothing (the payment is no longer
    pending — paid, failed, voided or refunded — so the decline is late or repeated)."""
    if next_status(current, OUTCOME_FAILED) is None:
        return None
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    made = max(0, int(attempts or 0)) + 1
    return Decline(attempts=made, attempts_left=max(0, max_attempts - made),
                   status=FAILED if made >= max_attempts else PENDING)


def attempts_left(status: str, attempts: int, max_attempts: int) -> int:
    """How many more card attempts a payment takes: only a pending payment takes any."""
    return max(0, max_attempts - int(attempts or 0)) if status == PENDING else 0


def decline_answer(final: bool, last_decline: str | None, attempts_left: int) -> tuple[str, str]:
    """What the shopper is told when the sandbox declines their card: the error code and message."""
    if final:
        return (TOO_MANY_DECLINES, f"the card was declined ({last_decline}) and the card attempts are used up; "
                                   "the order will be cancelled")
    return "card_declined", f"the card was declined ({last_decline}); {attempts_left} attempt(s) left"


def orders_must_hear_failure(previous: str, order_cancelled: bool) -> bool:
    """A payment just ended unpaid (attempts used up, or voided at the provider). Orders hears
    payment.failed once: not when orders itself cancelled the order (it is the one who asked), and not
    when the payment had already failed (orders was told then)."""
    return previous == PENDING and not order_cancelled


# -- who opens a payment, who sees one ---------------------------------------------------------------
def confirmation_opens_payment(method: str | None, fulfillments, total) -> bool:
    """order.confirmed opens a payment only for cash on delivery (it needs no answer from us), and only
    when the event carries what the payment is made of."""
    return method == "cod" and bool(fulfillments) and total is not None


def may_see_payment(shopper_id: str, viewer_id: str, is_admin: bool) -> bool:
    """A payment is its shopper's (and an admin's): to anyone else it does not exist."""
    return shopper_id == viewer_id or is_admin


# -- commission -------------------------------------------------------------------------------------
def parse_rate(text: str | None, default: str = "0.05") -> Decimal:
    try:
        rate = Decimal(text if text not in (None, "") else default)
    except InvalidOperation as exc:
        raise ValueError(f"COMMISSION_RATE must be a decimal like 0.05, not {text!r}") from exc
    if not Decimal(0) <= rate < Decimal(1):
        raise ValueError("COMMISSION_RATE must be at least 0 and below 1")
    return rate


def commission(goods_amount: int, rate: Decimal) -> int:
    """Platform commission on a fulfillment's goods, in whole rupiah, ROUNDED DOWN: a fraction of a
    rupiah always stays with the seller. The delivery fee carries no commission."""
    _require_money(goods_amount)
    return int((Decimal(goods_amount) * rate).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class Split:
    seller: int       # seller payable: goods less commission
    commission: int   # platform
    courier: int      # the delivery fee, all of it

    @property
    def total(self) -> int:
        return self.seller + self.commission + self.courier


def split(goods_amount: int, delivery_fee: int, rate: Decimal) -> Split:
    fee = commission(goods_amount, rate)
    _require_money(delivery_fee)
    return Split(seller=goods_amount - fee, commission=fee, courier=delivery_fee)


# -- agents and the crafters they manage ------------------------------------------------------------
CRAFTER_PREFIX = "shop:"  # a crafter without an account is paid through its shop: seller_id "shop:<shop_id>"


class AgentNotNamed(ValueError):
    """An admin reading managed balances must say whose."""


def agent_to_read(viewer_id: str, is_admin: bool, asked_agent_id: str | None) -> str:
    """Whose crafters' balances a reader sees: an agent its own; an admin the agent it names."""
    if not is_admin:
        return viewer_id
    if not asked_agent_id:
        raise AgentNotNamed("an admin names the agent")
    return asked_agent_id


def is_manager_claim(payee_id, agent_id) -> bool:
    """An event's (payee, agent) pair worth remembering: two ids that fit (64 characters) and a managed crafter."""
    return (isinstance(payee_id, str) and isinstance(agent_id, str) and len(payee_id) <= 64 and len(agent_id) <= 64
            and agent_manages(payee_id, agent_id))


def clean_shop_name(shop_name) -> str | None:
    return (shop_name.strip()[:200] or None) if isinstance(shop_name, str) else None


def agent_manages(payee_id: str | None, agent_id: str | None) -> bool:
    """Whether a fulfillment's (payee, agent) pair says the agent manages that payee's money.

    Only crafters' shops ("shop:<id>") are managed: a seller with an account of its own reads its own
    balance, and an agent that helps such a seller with a shop never sees the seller's whole ledger."""
    return bool(agent_id) and bool(payee_id) and payee_id.startswith(CRAFTER_PREFIX) \
        and len(payee_id) > len(CRAFTER_PREFIX)


# -- ledger -----------------------------------------------------------------------------------------
# Sign convention: a positive amount is a debit, a negative amount a credit; every movement sums to 0.
# Asset accounts (money the platform holds or is owed) have positive balances; liabilities (what the
# platform owes sellers and couriers) negative ones. The API shows liabilities as positive "owed to you".
PLATFORM_FUNDS = "platform:funds"                        # money the platform holds (processor or bank)
SHOPPER_CLEARING = "platform:shopper_payments_clearing"  # received from shoppers, not yet earned by anyone
PLATFORM_COMMISSION = "platform:commission"


def seller_payable(seller_id: str) -> str:
    """What a seller is owed and may be paid: their "available" balance."""
    return f"seller_payable:{seller_id}"


def seller_held(seller_id: str) -> str:
    """A seller's share of delivered parcels whose receipt window is still open: "held", not yet payable."""
    return f"seller_held:{seller_id}"


def courier_earnings(courier_id: str) -> str:
    return f"courier_earnings:{courier_id}"


def shopper_refund_owed(shopper_id: str) -> str:
    """Money the platform owes a shopper back by hand: a refund the channel cannot make (a bank transfer into a
    virtual account, cash on delivery). The operator sees it in the balances and in reconcile."""
    return f"shopper_refund_owed:{shopper_id}"


def cod_cash_held(courier_id: str) -> str:
    return f"cod_cash_held:{courier_id}"


class UnbalancedMovement(ValueError):
    pass


@dataclass(frozen=True)
class Movement:
    """One balanced ledger transaction. `key` makes it happen at most once (e.g. "capture:<payment>")."""
    key: str
    kind: str
    order_id: str
    entries: tuple[tuple[str, int], ...]
    memo: str = ""

    def __post_init__(self):
        for account, amount in self.entries:
            if type(amount) is not int:
                raise UnbalancedMovement(f"{account}: amount {amount!r} is not an integer of rupiah")
        if sum(amount for _, amount in self.entries) != 0:
            raise UnbalancedMovement(f"{self.kind} {self.key} does not balance: {self.entries}")


def capture(payment_id: str, order_id: str, amount: int) -> Movement:
    """Card money received from the shopper: the platform holds it, owed to the order's parties."""
    return Movement(f"capture:{payment_id}", "capture", order_id,
                    ((PLATFORM_FUNDS, amount), (SHOPPER_CLEARING, -amount)))


def refund(payment_id: str, order_id: str, amount: int) -> Movement:
    """Money returned to the shopper: the exact reverse of the capture."""
    return Movement(f"refund:{payment_id}", "refund", order_id,
                    ((SHOPPER_CLEARING, amount), (PLATFORM_FUNDS, -amount)))


def cod_collected(fulfillment_id: str, order_id: str, courier_id: str, amount: int) -> Movement:
    """Cash the courier took from the shopper at the door: the courier now holds platform money."""
    return Movement(f"cod:{fulfillment_id}", "cod_collected", order_id,
                    ((cod_cash_held(courier_id), amount), (SHOPPER_CLEARING, -amount)))


def delivered(fulfillment_id: str, order_id: str, seller_id: str, courier_id: str, parts: Split) -> Movement:
    """A delivered fulfillment earns its money: the seller's share (goods less commission) HELD until the
    shopper confirms receipt or the receipt window closes (see `released`), platform commission, courier the
    delivery fee — all out of the shopper's payment."""
    return Movement(f"delivered:{fulfillment_id}", "delivered", order_id, (
        (SHOPPER_CLEARING, parts.total),
        (seller_held(seller_id), -parts.seller),
        (PLATFORM_COMMISSION, -parts.commission),
        (courier_earnings(courier_id), -parts.courier),
    ))


def released(fulfillment_id: str, order_id: str, seller_id: str, amount: int) -> Movement:
    """Receipt confirmed (by the shopper or the timer): the seller's held share becomes available."""
    return Movement(f"released:{fulfillment_id}", "released", order_id,
                    ((seller_held(seller_id), amount), (seller_payable(seller_id), -amount)))


@dataclass(frozen=True)
class RefundFrom:
    """Which ledger accounts a refund's money comes out of (`service.refund` takes one).

    Before delivery the shopper's payment still sits in the shopper clearing account: a refused or unshipped
    parcel is refunded from there (FROM_CLEARING). After delivery clearing is spent — split into the seller's held
    share, the commission and the courier's fee — so a complaint's refund comes out of the seller's held share
    first and whatever goes beyond it (the delivery fee the courier already earned) out of the platform's
    commission (`from_held_share`). `collected`: the shopper's money was really taken (delivered), so where it
    cannot go back through a provider (cash on delivery) it is owed to them by hand; before delivery a cash order
    owes nothing back."""
    first: str = SHOPPER_CLEARING
    first_holds: int | None = None          # how much `first` can carry; None: all of it
    beyond: str = PLATFORM_COMMISSION       # who carries the rest
    collected: bool = False

    def entries(self, amount: int) -> tuple[tuple[str, int], ...]:
        if self.first_holds is None:
            return ((self.first, amount),)
        from_first, rest = complaint_refund_split(amount, self.first_holds)
        return ((self.first, from_first), (self.beyond, rest))

    def from_first(self, amount: int) -> int:
        return self.entries(amount)[0][1]


FROM_CLEARING = RefundFrom()


def from_held_share(seller_id: str, held: int) -> RefundFrom:
    """After delivery: the seller's held share carries the refund first, the platform's commission the rest."""
    return RefundFrom(seller_held(seller_id), held, PLATFORM_COMMISSION, collected=True)


def return_trip_paid(return_id: str, order_id: str, courier_id: str, fee: int) -> Movement:
    """A return's courier trip (shopper back to the shop) earns its courier the trip's fee. The shopper paid for one
    trip, not two: the platform bears the way back out of its commission, as it bears a complaint refund beyond
    the seller's held share."""
    _require_money(fee)
    return Movement(f"return_trip:{return_id}", "return_trip", order_id,
                    ((PLATFORM_COMMISSION, fee), (courier_earnings(courier_id), -fee)))


def refund_movement(payment_id: str, key: str, order_id: str, source: RefundFrom, amount: int, *, paid_back: bool,
                    shopper_id: str) -> Movement:
    """A refund of `amount` named `key`, out of `source`'s accounts: sent back through the provider (`paid_back`,
    platform funds go down, kind "refund"), or owed to the shopper by hand where it could not be (kind
    "refund_owed": a debt to that shopper, `shopper_refund_owed:<shopper>`)."""
    kind = "refund" if paid_back else "refund_owed"
    to = PLATFORM_FUNDS if paid_back else shopper_refund_owed(shopper_id)
    return Movement(f"{kind}:{payment_id}:{key}", kind, order_id, (*source.entries(amount), (to, -amount)))


def parcel_refund(payment_id: str, fulfillment_id: str, order_id: str, amount: int) -> Movement:
    """One parcel's money returned to the shopper (that parcel cancelled on its own): part of the capture."""
    return refund_movement(payment_id, fulfillment_id, order_id, FROM_CLEARING, amount, paid_back=True,
                           shopper_id="")


def refund_owed(payment_id: str, key: str, order_id: str, shopper_id: str, amount: int) -> Movement:
    """A refund the channel cannot make through its API: the shopper's money stays with the platform, owed back
    to them by hand (no longer unearned clearing, a debt to that shopper)."""
    return refund_movement(payment_id, key, order_id, FROM_CLEARING, amount, paid_back=False, shopper_id=shopper_id)


def split_reversed(payment_id: str, key: str, order_id: str, seller_id: str, amount: int) -> Movement:
    """A seller's routed share taken back from their sub-account (their parcel refunded before delivery): the
    exact reverse of `split_routed` for that much."""
    return Movement(f"split_reversed:{payment_id}:{key}", "split_reversed", order_id,
                    ((seller_payable(seller_id), -amount), (PLATFORM_FUNDS, amount)))


def transferred(payout_id: str, order_id: str, seller_id: str, amount: int) -> Movement:
    """A payout that left the platform (Stripe Connect transfer): the seller is owed that much less."""
    return Movement(f"paid_out:{payout_id}", "transfer", order_id,
                    ((seller_payable(seller_id), amount), (PLATFORM_FUNDS, -amount)))


def paid_out(payout_id: str, order_id: str, payee_role: str, payee_id: str, amount: int) -> Movement:
    """A payout the operator or cooperative paid by hand (bank, cash): recorded, owed that much less."""
    account = seller_payable(payee_id) if payee_role == "seller" else courier_earnings(payee_id)
    return Movement(f"paid_out:{payout_id}", "payout_paid", order_id, ((account, amount), (PLATFORM_FUNDS, -amount)))


def cod_remitted(fulfillment_id: str, order_id: str, courier_id: str, amount: int) -> Movement:
    """The courier handed a delivery's cash to the platform: they no longer hold it."""
    return Movement(f"cod_remitted:{fulfillment_id}", "cod_remitted", order_id,
                    ((PLATFORM_FUNDS, amount), (cod_cash_held(courier_id), -amount)))


def _require_money(amount) -> None:
    if type(amount) is not int or amount < 0:
        raise ValueError(f"money must be a non-negative int of rupiah, not {amount!r}")


# -- providers --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NextAction:
    """What the shopper does next to pay, in words any page can render without knowing the provider: scan
    `qr_string`, transfer to `va_number` at `va_bank`, open `deeplink` in the wallet app, or go to
    `redirect_url` (a hosted page). `expires_at` is an ISO-8601 UTC moment, or None."""
    kind: str                      # NEXT_* below
    redirect_url: str | None = None
    qr_string: str | None = None
    va_number: str | None = None
    va_bank: str | None = None
    deeplink: str | None = None
    expires_at: str | None = None


NEXT_QR = "qr"
NEXT_VA = "va"
NEXT_DEEPLINK = "deeplink"
NEXT_REDIRECT = "redirect"
NEXT_CARD_FORM = "card_form"   # the sandbox / Stripe card form on our own page


@dataclass(frozen=True)
class StartedPayment:
    provider_ref: str
    client_secret: str | None = None
    next_action: NextAction | None = None
    split_rule_id: str | None = None   # xenPlatform: the split rule the payment was opened with
    for_user_id: str | None = None     # xenPlatform: the sub-account it was made on (settles there)


@dataclass(frozen=True)
class ProviderReport:
    """Something a provider says happened, from a verified webhook, the sandbox card form or a
    reconciliation lookup. All three travel the same code path (service.apply_report)."""
    event_id: str            # the provider's event id: the same report twice is applied once
    outcome: str             # OUTCOME_*
    provider_ref: str        # e.g. the PaymentIntent id
    amount: int | None = None  # rupiah, when the provider says how much
    reason: str | None = None
    order_id: str | None = None


@dataclass(frozen=True)
class OpenRequest:
    """Everything a provider may need to open a payment. `split` lists the sub-account routes (platform
    providers with marketplace splits use it; the others ignore it)."""
    payment_id: str
    order_id: str
    shopper_id: str
    amount: int
    channel: str
    expires_at: str | None = None
    return_url: str | None = None
    split: tuple["SplitRoute", ...] = ()
    for_user_id: str | None = None     # xenPlatform: make it on this seller's sub-account (the whole order is theirs)


class PaymentProvider(Protocol):
    """What the payments service needs from anything that moves card money. Stripe and the sandbox
    implement it; a local rail (QRIS, virtual accounts) would too."""

    name: str

    def start(self, *, payment_id: str, order_id: str, shopper_id: str, amount: int) -> StartedPayment:
        """Open a payment for the order (idempotent per order)."""

    def cancel(self, *, provider_ref: str, order_id: str) -> ProviderReport | None:
        """Void an unpaid payment. Returns a report if the provider says it had in fact been paid."""

    def refund(self, *, provider_ref: str, order_id: str, amount: int, refund_key: str | None = None) -> str:
        """Return `amount` to the shopper; returns the provider's refund id. Idempotent per order, or per
        `refund_key` for a partial refund (one parcel), so several partial refunds of one payment each happen."""

    def lookup(self, *, provider_ref: str) -> ProviderReport | None:
        """The provider's current word on a payment, or None when it is still open (a declined attempt
        included: the shopper may still pay)."""

    def transfer(self, *, destination: str, amount: int, order_id: str, payout_id: str) -> str:
        """Send a seller's payout to their connected account; returns the transfer id."""


@dataclass(frozen=True)
class RefundResult:
    """What `service.refund` did: `amount` goes back to the shopper, at the provider (`provider_ref`, its refund
    id) or, where the channel cannot refund (`owed`), recorded as owed to them by hand. `amount` 0: nothing was
    left to refund."""
    amount: int
    provider_ref: str | None = None
    owed: bool = False


class SplitNotReversible(RuntimeError):
    """The provider cannot take a routed share back from a seller's sub-account (not configured for it)."""


class RefundNotSupported(RuntimeError):
    """The channel takes no refund through the provider's API (a bank transfer into a virtual account): the
    money must go back by hand, so the payment is flagged for the operator instead."""


class WebhookRejected(ValueError):
    """A provider webhook that does not verify (forged, tampered, stale) or is not the provider's event."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# -- sandbox ----------------------------------------------------------------------------------------
SANDBOX_LABEL = "MODE UJI — tidak ada uang sungguhan / TEST MODE — no real money is charged"
SANDBOX_CARDS_SHOWN = {"4242424242424242": "berhasil / succeeds", "4000000000000002": "ditolak / declined"}

SANDBOX_CARDS = {  # a declined card is one failed attempt (see decline()), like a decline at Stripe
    "4242424242424242": (OUTCOME_SUCCEEDED, None),
    "4000000000000002": (OUTCOME_FAILED, "card_declined"),
}


class UnknownTestCard(ValueError):
    pass


def sandbox_outcome(card_number: str) -> tuple[str, str | None]:
    digits = "".join(ch for ch in card_number if ch.isdigit())
    if digits not in SANDBOX_CARDS:
        raise UnknownTestCard("sandbox accepts only the test cards 4242 4242 4242 4242 (success) "
                              "and 4000 0000 0000 0002 (declined)")
    return SANDBOX_CARDS[digits]


# -- local rails: channels the shopper chooses from -----------------------------------------------------
# channel id -> (kind of next action, the bank / wallet / network it is). The operator turns channels on per
# provider (XENDIT_CHANNELS, MIDTRANS_CHANNELS); "card" is Stripe or the sandbox.
CHANNEL_CARD = "card"
CHANNELS: dict[str, tuple[str, str]] = {
    "card": (NEXT_CARD_FORM, "CARD"),
    "qris": (NEXT_QR, "QRIS"),
    "va_bca": (NEXT_VA, "BCA"),
    "va_bni": (NEXT_VA, "BNI"),
    "va_bri": (NEXT_VA, "BRI"),
    "va_mandiri": (NEXT_VA, "MANDIRI"),
    "va_permata": (NEXT_VA, "PERMATA"),
    "ewallet_ovo": (NEXT_DEEPLINK, "OVO"),
    "ewallet_dana": (NEXT_DEEPLINK, "DANA"),
    "ewallet_shopeepay": (NEXT_DEEPLINK, "SHOPEEPAY"),
    "ewallet_linkaja": (NEXT_DEEPLINK, "LINKAJA"),
    "gopay": (NEXT_DEEPLINK, "GOPAY"),
    "snap": (NEXT_REDIRECT, "SNAP"),
}


class UnknownChannel(ValueError):
    pass


def channel_kind(channel: str) -> str:
    if channel not in CHANNELS:
        raise UnknownChannel(f"unknown payment channel {channel!r}; one of: {', '.join(CHANNELS)}")
    return CHANNELS[channel][0]


def channel_network(channel: str) -> str:
    channel_kind(channel)
    return CHANNELS[channel][1]


def parse_channel_list(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """"qris, va_bca" -> ("qris", "va_bca"); unknown names are a configuration error, said at once."""
    if text in (None, ""):
        return default
    names = tuple(n.strip().lower() for n in str(text).split(",") if n.strip())
    for name in names:
        channel_kind(name)
    return names


def provider_for_channel(channel: str, enabled: list[tuple[str, tuple[str, ...]]]) -> str | None:
    """The first enabled provider (operator's order) that offers `channel`; None when none does."""
    for provider, channels in enabled:
        if channel in channels:
            return provider
    return None


# -- marketplace split at payment time (Xendit xenPlatform) ----------------------------------------------
@dataclass(frozen=True)
class SplitRoute:
    """Money routed at payment time straight to a seller's sub-account: that seller's goods less commission
    over every fulfillment of theirs in the order. Commission and delivery fees stay with the platform."""
    seller_id: str
    destination_account_id: str
    amount: int
    reference_id: str


def split_routes(order_id: str, shares: list[tuple[str, int, int]], rate: Decimal,
                 sub_accounts: dict[str, str]) -> tuple[SplitRoute, ...]:
    """`shares`: (seller_id, goods_amount, delivery_fee) per fulfillment. Only sellers with a sub-account get a
    route; the others are paid from the ledger after delivery, as today."""
    owed: dict[str, int] = {}
    for seller_id, goods, fee in shares:
        if seller_id in sub_accounts:
            owed[seller_id] = owed.get(seller_id, 0) + split(int(goods), int(fee), rate).seller
    return tuple(SplitRoute(seller_id, sub_accounts[seller_id], amount, f"{order_id}:{seller_id}")
                 for seller_id, amount in sorted(owed.items()) if amount > 0)


def split_routed(payment_id: str, order_id: str, seller_id: str, amount: int) -> Movement:
    """A seller's share went to their own sub-account when the shopper paid: it left the platform's funds
    at once, paid to the seller ahead of delivery (their payable account is settled by the delivery)."""
    return Movement(f"split:{payment_id}:{seller_id}", "split_routed", order_id,
                    ((seller_payable(seller_id), amount), (PLATFORM_FUNDS, -amount)))


# -- Midtrans' status cycle ---------------------------------------------------------------------------------
def midtrans_outcome(transaction_status: str, fraud_status: str | None = None) -> tuple[str, str | None] | None:
    """Midtrans' transaction_status (docs.midtrans.com "Transaction Status Cycle") as our outcome and reason.
    None: still open (pending, authorize), a capture held for fraud review ("challenge"), or a partial refund
    (the money is partly back: reconciliation reports it for the operator)."""
    status = (transaction_status or "").lower()
    if status == "settlement":
        return OUTCOME_SUCCEEDED, None
    if status == "capture":
        return (OUTCOME_SUCCEEDED, None) if (fraud_status or "accept") == "accept" else None
    if status in ("expire", "cancel", "deny", "failure"):
        return OUTCOME_CANCELLED, {"expire": "expired", "deny": "denied"}.get(status, status)
    if status in ("refund", "chargeback"):
        return OUTCOME_REFUNDED, status
    return None  # pending, authorize, challenge; partial_refund / partial_chargeback are left to the operator


# -- cooperatives: a sale split four ways ---------------------------------------------------------------
# A cooperative (koperasi, kelompok) sets, per shop or per agent, how each sale's goods amount is shared:
# crafter / agent / cooperative / platform, in basis points (1 bp = 0.01 %; 10 000 bp = the whole). The
# delivery fee is not shared: it is the courier's, as before.
#
# THE REMAINDER RULE. Each party's exact share is goods * bp / 10 000. Everyone first gets their exact share
# ROUNDED DOWN to whole rupiah; the rupiah left over (0 to 3 of them) go one each to the parties with the
# largest fractional parts, and a tie goes in the order crafter, cooperative, agent, platform (the crafter
# first: the person who made the thing never loses a rupiah to rounding). The parts always sum to the goods
# amount exactly, and no party is ever more than one rupiah from its exact share.
BASIS = 10_000
PARTIES = ("crafter", "agent", "cooperative", "platform")
TIE_ORDER = ("crafter", "cooperative", "agent", "platform")  # who gets a leftover rupiah first on a tie
SPLIT_SCOPES = ("shop", "agent")
MEMBER, OFFICER, AGENT = "member", "officer", "agent"
COOP_ROLES = (MEMBER, OFFICER, AGENT)
PAYOUT_METHODS = ("cash", "bank", "ewallet")


class FieldProblems(ValueError):
    """Input that breaks a rule, per field (the route answers 422 naming them)."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("some fields are not valid")
        self.fields = fields


@dataclass(frozen=True)
class Shares:
    """A split in basis points; the four sum to BASIS."""
    crafter: int
    agent: int
    cooperative: int
    platform: int

    def as_dict(self) -> dict[str, int]:
        return {"crafter": self.crafter, "agent": self.agent, "cooperative": self.cooperative,
                "platform": self.platform}


def commission_bp(rate: Decimal) -> int:
    """The platform's commission rate in basis points, rounded up (the platform share may not go below it)."""
    return int((rate * BASIS).to_integral_value(rounding="ROUND_CEILING"))


def parse_shares(crafter, agent, cooperative, platform, min_platform_bp: int = 0) -> Shares:
    """Validate a split: whole basis points, none negative, summing to 10 000 (100 %), the platform's at least
    its commission, and the crafter's more than nothing. Raises FieldProblems naming each bad field."""
    given = {"crafter_bp": crafter, "agent_bp": agent, "cooperative_bp": cooperative, "platform_bp": platform}
    problems: dict[str, list[str]] = {}
    for name, value in given.items():
        if type(value) is not int:
            problems[name] = ["must be a whole number of basis points (100 = 1%)"]
        elif not 0 <= value <= BASIS:
            problems[name] = ["must be between 0 and 10000 basis points"]
    if problems:
        raise FieldProblems(problems)
    if sum(given.values()) != BASIS:
        raise FieldProblems({"shares": [f"the shares must add up to 10000 basis points (100%), not {sum(given.values())}"]})
    if crafter < 1:
        raise FieldProblems({"crafter_bp": ["the crafter's share must be more than 0"]})
    if platform < min_platform_bp:
        raise FieldProblems({"platform_bp": [f"the platform's share may not be below its commission "
                                             f"({min_platform_bp} basis points)"]})
    return Shares(crafter, agent, cooperative, platform)


@dataclass(frozen=True)
class FourWay:
    """One sale's goods amount split in whole rupiah; `total` is the goods amount exactly."""
    crafter: int
    agent: int
    cooperative: int
    platform: int

    @property
    def total(self) -> int:
        return self.crafter + self.agent + self.cooperative + self.platform


def apply_shares(goods_amount: int, shares: Shares) -> FourWay:
    """Split `goods_amount` by `shares` with the remainder rule above (largest remainder, ties to the crafter)."""
    _require_money(goods_amount)
    bps = shares.as_dict()
    exact = {party: goods_amount * bps[party] for party in PARTIES}  # in 1/10 000 of a rupiah
    parts = {party: value // BASIS for party, value in exact.items()}
    left = goods_amount - sum(parts.values())
    by_fraction = sorted(TIE_ORDER, key=lambda party: (-(exact[party] % BASIS), TIE_ORDER.index(party)))
    for party in by_fraction[:left]:
        parts[party] += 1
    return FourWay(parts["crafter"], parts["agent"], parts["cooperative"], parts["platform"])


def agent_held(agent_id: str) -> str:
    return f"agent_held:{agent_id}"


def agent_payable(agent_id: str) -> str:
    return f"agent_payable:{agent_id}"


def coop_held(coop_id: str) -> str:
    return f"coop_held:{coop_id}"


def coop_payable(coop_id: str) -> str:
    return f"coop_payable:{coop_id}"


def delivered_split(fulfillment_id: str, order_id: str, seller_id: str, agent_id: str | None, coop_id: str,
                    courier_id: str, parts: FourWay, delivery_fee: int) -> Movement:
    """A delivered fulfillment of a cooperative's shop earns its money four ways, every part HELD until receipt
    (the platform's is its commission at once, as before). A sale with no agent gives the agent's part to the
    cooperative. The same key as `delivered`: a fulfillment is settled one way or the other, once."""
    _require_money(delivery_fee)
    agent_part = parts.agent if agent_id else 0
    coop_part = parts.cooperative + (0 if agent_id else parts.agent)
    entries = [(SHOPPER_CLEARING, parts.total + delivery_fee), (seller_held(seller_id), -parts.crafter),
               (coop_held(coop_id), -coop_part), (PLATFORM_COMMISSION, -parts.platform),
               (courier_earnings(courier_id), -delivery_fee)]
    if agent_id:
        entries.append((agent_held(agent_id), -agent_part))
    return Movement(f"delivered:{fulfillment_id}", "delivered", order_id, tuple(entries),
                    memo=f"split cooperative {coop_id}")


def released_split(fulfillment_id: str, order_id: str, agent_id: str | None, agent_amount: int, coop_id: str,
                   coop_amount: int) -> Movement:
    """Receipt confirmed: the agent's and the cooperative's held parts become available (the crafter's goes
    through `released`, as every seller's does)."""
    entries = [(coop_held(coop_id), coop_amount), (coop_payable(coop_id), -coop_amount)]
    if agent_id:
        entries += [(agent_held(agent_id), agent_amount), (agent_payable(agent_id), -agent_amount)]
    return Movement(f"released_split:{fulfillment_id}", "released", order_id, tuple(entries))


def member_paid(coop_id: str, payout_id: str, member_id: str, amount: int) -> Movement:
    """An officer handed a member their money (cash in the village, or a bank / e-wallet transfer): the member
    is owed that much less; the money left the platform through the cooperative."""
    if type(amount) is not int or amount <= 0:
        raise ValueError(f"a payout is a positive int of rupiah, not {amount!r}")
    return Movement(f"coop_payout:{payout_id}", "coop_payout", f"coop:{coop_id}",
                    ((seller_payable(member_id), amount), (PLATFORM_FUNDS, -amount)))


def may_manage(roles: set[str], is_admin: bool) -> bool:
    """Only the cooperative's officers (and the operator) manage it: members, split settings, payouts."""
    return is_admin or OFFICER in roles


def may_see_member(viewer_id: str, member_id: str, roles: set[str], is_admin: bool) -> bool:
    """A member's payouts and statement: the member themself, the cooperative's officers, the operator."""
    return viewer_id == member_id or may_manage(roles, is_admin)


def parse_month(text: str) -> tuple[int, int]:
    """"2026-12" -> (2026, 12); anything else is a FieldProblems on `month`."""
    try:
        year, month = (int(part) for part in str(text).split("-"))
        if len(str(text)) != 7 or not (2000 <= year <= 2999 and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        raise FieldProblems({"month": ["give the month as YYYY-MM, e.g. 2026-12"]}) from None
    return year, month


def payout_problems(method: str, reference: str | None, amount) -> dict[str, list[str]]:
    """A member payout: a known method, a positive whole amount, and a reference for a transfer."""
    problems: dict[str, list[str]] = {}
    if method not in PAYOUT_METHODS:
        problems["method"] = ["must be one of cash, bank, ewallet"]
    if type(amount) is not int or amount <= 0:
        problems["amount"] = ["must be a positive whole number of rupiah"]
    if method in ("bank", "ewallet") and not (reference or "").strip():
        problems["reference"] = ["a transfer needs its reference (the bank or e-wallet transaction number)"]
    return problems


# -- complaints (issue 16): a refund after delivery, out of the seller's held share ---------------------
def complaint_refund_split(refund_amount: int, seller_held_amount: int) -> tuple[int, int]:
    """Who bears a complaint's refund: the seller's held share first, up to all of it; whatever goes beyond (a
    refund of the delivery fee, or of the commission) the platform bears. Returns (from_seller, from_platform)."""
    _require_money(refund_amount)
    _require_money(seller_held_amount)
    from_seller = min(refund_amount, seller_held_amount)
    return from_seller, refund_amount - from_seller


def is_plain_id(text: str) -> bool:
    """Letters, digits and dashes only (a UUID): safe to put into a LIKE pattern."""
    return 0 < len(text) <= 64 and all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in text)


def owed_refund_paid(complaint_id: str, order_id: str, shopper_id: str, amount: int) -> Movement:
    """The operator paid a shopper's owed complaint refund by hand (cash, bank transfer): no longer owed."""
    return Movement(f"refund_paid:complaint:{complaint_id}", "refund_paid", order_id,
                    ((shopper_refund_owed(shopper_id), amount), (PLATFORM_FUNDS, -amount)))


# -- cash on delivery still with the couriers (issue 16, the operator's desk) -------------------------------------
def cod_handover_key(courier_id: str, idempotency_key: str) -> str:
    """The ledger key of a courier's hand-over: one movement per (courier, Idempotency-Key), whatever its length."""
    digest = hashlib.sha256(f"{courier_id}\n{idempotency_key}".encode()).hexdigest()
    return f"cod_handover:{digest}"


def cod_handed_over(courier_id: str, idempotency_key: str, amount: int, memo: str = "") -> Movement:
    """A courier handed the platform `amount` of the cash they collected (any number of deliveries at once): they
    hold that much less, the platform's funds that much more."""
    _require_money(amount)
    return Movement(cod_handover_key(courier_id, idempotency_key), "cod_handover", "",
                    ((PLATFORM_FUNDS, amount), (cod_cash_held(courier_id), -amount)), memo)


class HandoverRefused(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def handover_problem(amount: int, outstanding: int) -> HandoverRefused | None:
    """A hand-over is at least Rp 1 and never more than the cash the courier still holds."""
    if type(amount) is not int or amount < 1:
        return HandoverRefused("invalid_amount", "the amount must be a whole number of rupiah, at least 1")
    if amount > outstanding:
        return HandoverRefused("more_than_outstanding",
                               f"the courier holds only Rp {max(outstanding, 0)} of cash on delivery")
    return None


@dataclass(frozen=True)
class Collection:
    """One delivery's cash the courier took at the door."""
    fulfillment_id: str
    amount: int
    at: datetime


@dataclass(frozen=True)
class Outstanding:
    amount: int                    # cash the courier still holds
    parcels: tuple[Collection, ...]  # the deliveries not yet covered by what they handed over, oldest first

    @property
    def oldest_at(self) -> datetime | None:
        return self.parcels[0].at if self.parcels else None


def outstanding_cash(collections: list[Collection], handed_over: int) -> Outstanding:
    """What a courier still holds, and for which deliveries: what they handed over (per delivery or in one sum)
    pays the oldest collections first; a delivery only partly covered still counts as outstanding."""
    left = handed_over
    parcels = []
    for c in sorted(collections, key=lambda c: (c.at, c.fulfillment_id)):
        if left >= c.amount:
            left -= c.amount
            continue
        left = 0
        parcels.append(c)
    total = sum(c.amount for c in collections) - handed_over
    return Outstanding(max(total, 0), tuple(parcels))
