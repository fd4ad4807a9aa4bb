"""Accounts service layer: what the auth API, the web pages, the seed and the admin command call.

Every function runs inside a Flask app context (a request, or `with create_app().app_context():`),
raises `pasar.errors.ApiError` for anything a person did wrong, and publishes `account.registered` /
`account.updated` through the gateway's outbox in the same transaction as the change."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from pasar import auth, config
from pasar.auth import Identity, issue_access_token
from pasar.stamps import new_id, utcnow
from pasar.errors import ApiError
from pasar.web import read_session, uow

from . import codes, domain
from .domain import InvalidPhone
from .models import Account, RefreshToken

__all__ = ["Account", "TokenPair", "register", "sign_in", "login", "refresh", "logout", "get_account", "update_profile",
           "change_password", "sign_out_everywhere", "create_admin", "normalise_phone", "find_account",
           "request_password_reset", "reset_password", "send_phone_code", "verify_phone"]

_hasher = PasswordHasher(
    time_cost=config.int_setting("ARGON2_TIME_COST", 2),
    memory_cost=config.int_setting("ARGON2_MEMORY_KIB", 19456),  # OWASP's argon2id minimum (19 MiB)
    parallelism=1,
)
# verified against when the identifier is unknown, so "no such account" costs as long as "wrong password"
_DUMMY_HASH = _hasher.hash("not-a-real-password-but-the-same-cost")
LOGIN_FAILED = "phone/email or password is wrong"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    account: Account
    expires_in: int
    token_type: str = "Bearer"


def normalise_phone(raw: str) -> str:
    try:
        return domain.normalise_phone(raw)
    except InvalidPhone as exc:
        raise ApiError(422, "some fields are not valid", fields={"phone": [str(exc)]}) from exc


def event_data(account: Account) -> dict:
    return {"user_id": account.id, "role": account.role, "name": account.name, "email": account.email,
            "phone": account.phone, "locale": account.locale, "district": account.district,
            "channels": list(account.channels or []), "phone_verified": bool(account.phone_verified)}


def _invalid(fields: dict) -> ApiError:
    return ApiError(422, "some fields are not valid", fields=fields)


def _taken(session, email: str | None, phone: str | None, except_id: str | None = None) -> dict:
    problems = {}
    for column, value, label in ((Account.email, email, "email"), (Account.phone, phone, "phone")):
        if value is None:
            continue
        query = select(Account.id).where(column == value)
        if except_id:
            query = query.where(Account.id != except_id)
        if session.scalar(query) is not None:
            problems[label] = ["already registered"]
    return problems


def register(data: dict, *, allow_admin: bool = False, account_id: str | None = None,
             phone_verified: bool = False) -> Account:
    """Sign up with phone and/or email. Roles: shopper (default), seller, agent, courier. A phone number gets a
    code by WhatsApp at once (verify_phone proves it).

    `allow_admin`, `account_id` and `phone_verified` are for the operator's command and the demo seed, never the API."""
    fields, problems = domain.new_account_fields(data, domain.ALL_ROLES if allow_admin else domain.PUBLIC_ROLES)
    if problems:
        raise _invalid(problems)
    password_hash = _hasher.hash(data["password"])  # outside the write transaction: it is the slow part
    with uow() as work:
        taken = _taken(work.session, fields["email"], fields["phone"])
        if taken:
            raise ApiError(409, "this phone number or email is already registered", "already_registered", taken)
        account = Account(id=account_id or new_id(), **fields, password_hash=password_hash, created_at=utcnow(),
                          updated_at=utcnow(), phone_verified=bool(phone_verified and fields["phone"]))
        work.session.add(account)
        try:
            work.session.flush()
        except IntegrityError as exc:  # a simultaneous sign-up with the same contact
            raise ApiError(409, "this phone number or email is already registered", "already_registered") from exc
        work.emit("account.registered", event_data(account), correlation_id=account.id)
        if account.phone and not account.phone_verified:
            codes.issue(work, account, domain.VERIFY_PHONE, "whatsapp", account.phone)
        work.commit()
    return account


def create_admin(name: str, identifier: str, password: str) -> Account:
    kind, _ = _classify_or_422(identifier)
    return register({"name": name, kind: identifier, "password": password, "role": "admin"}, allow_admin=True)


def _classify_or_422(identifier: str) -> tuple[str, str]:
    try:
        return domain.classify_identifier(identifier)
    except ValueError as exc:
        raise _invalid({"identifier": [str(exc)]}) from exc


def find_account(session, identifier: str) -> Account | None:
    try:
        kind, value = domain.classify_identifier(identifier)
    except ValueError:
        return None
    column = Account.email if kind == "email" else Account.phone
    return session.scalar(select(Account).where(column == value))


def _verify(account: Account | None, password: str) -> bool:
    try:
        return _hasher.verify(account.password_hash if account else _DUMMY_HASH, password or "") and account is not None
    except (VerificationError, InvalidHashError):
        return False


ACCOUNT_SUSPENDED = "this account is suspended by the operator"


def _issue(work, account: Account, family_id: str | None = None) -> TokenPair:
    if account.suspended_at is not None:  # issue 16: no login, refresh or reset gives a suspended account tokens
        raise ApiError(403, ACCOUNT_SUSPENDED, "account_suspended")
    settings = config.auth()
    secret = domain.new_refresh_secret()
    now = utcnow()
    family_id = family_id or new_id()
    work.session.add(RefreshToken(id=new_id(), account_id=account.id, family_id=family_id,
                                  token_hash=domain.hash_refresh_secret(secret), created_at=now,
                                  expires_at=domain.refresh_expiry(now, settings.refresh_ttl_seconds)))
    access = issue_access_token(Identity(user_id=account.id, role=account.role, name=account.name,
                                         district=account.district, locale=account.locale,
                                         claims=domain.phone_claims(account.role, account.phone,
                                                                    account.phone_verified)),
                                settings=settings, family=family_id)
    return TokenPair(access_token=access, refresh_token=secret, account=account,
                     expires_in=settings.access_ttl_seconds)


def sign_in(account: Account) -> TokenPair:
    """A token pair for an account that has just proven who it is (right after sign-up: no second argon2)."""
    with uow(correlation_id=account.id) as work:
        pair = _issue(work, account)
        work.commit()
    return pair


def login(identifier: str, password: str) -> TokenPair:
    with read_session() as session:
        account = find_account(session, identifier)
    if not _verify(account, password):
        raise ApiError(401, LOGIN_FAILED, "invalid_credentials")
    with uow(correlation_id=account.id) as work:
        if _hasher.check_needs_rehash(account.password_hash):  # parameters were raised since it was stored
            work.session.execute(update(Account).where(Account.id == account.id)
                                 .values(password_hash=_hasher.hash(password)))
        pair = _issue(work, account)
        work.commit()
    return pair


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite hands back naive UTC
        return moment.replace(tzinfo=timezone.utc)
    return moment


REFRESH_REUSE_GRACE = timedelta(seconds=config.int_setting("REFRESH_REUSE_GRACE_SECONDS", 10))


def refresh(refresh_token: str) -> TokenPair:
    """Trade a refresh token for a new pair; the old one is spent. Reusing a spent one revokes the login,
    unless it was spent a moment ago by a simultaneous request of the same person (see judge_refresh)."""
    token_hash = domain.hash_refresh_secret(refresh_token or "")
    with uow() as work:
        row = work.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
        now = utcnow()

        def judge():
            return domain.judge_refresh(found=row is not None, rotated_at=_aware(row.rotated_at) if row else None,
                                        revoked=bool(row and row.revoked_at),
                                        expires_at=_aware(row.expires_at) if row else None, now=now,
                                        grace=REFRESH_REUSE_GRACE)
        decision = judge()
        if decision.ok and not decision.concurrent:
            # conditional update: of two simultaneous refreshes with one token, only one spends it
            spent = work.session.execute(
                update(RefreshToken).where(RefreshToken.id == row.id, RefreshToken.rotated_at.is_(None),
                                           RefreshToken.revoked_at.is_(None)).values(rotated_at=now))
            if spent.rowcount != 1:  # the other one won just now: judge again with what it wrote
                work.session.refresh(row)
                decision = judge()
        if not decision.ok:
            if decision.revoke_family:  # a stolen refresh token was replayed: end that login, access tokens too
                _revoke(work, RefreshToken.family_id == row.family_id, now)
                work.commit()
                auth.revoke(family=row.family_id)
            raise ApiError(401, decision.reason, "invalid_refresh_token")
        account = work.session.get(Account, row.account_id)
        pair = _issue(work, account, family_id=row.family_id)
        work.commit()
    return pair


def _revoke(work, condition, now) -> None:
    work.session.execute(update(RefreshToken).where(condition, RefreshToken.revoked_at.is_(None))
                         .values(revoked_at=now))


def logout(refresh_token: str, access_claims: dict | None = None) -> None:
    """Ends this login: the refresh token's family, and every access token issued to it (denylist), at once.
    `access_claims`: the verified access token sent along, refused as well. Unknown tokens are ignored:
    logging out twice is fine."""
    token_hash = domain.hash_refresh_secret(refresh_token or "")
    with uow() as work:
        row = work.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
        if row is not None:
            _revoke(work, RefreshToken.family_id == row.family_id, utcnow())
            work.commit()
    auth.revoke(family=row.family_id if row is not None else None,
                jti=(access_claims or {}).get("jti"))


def sign_out_everywhere(user_id: str) -> None:
    """Every login of the account ends: refresh tokens revoked, access tokens issued until now refused.
    For a password change or reset, a suspension, or a person who lost their phone."""
    cutoff_ms = time.time_ns() // 1_000_000
    with uow(correlation_id=user_id) as work:
        _revoke(work, RefreshToken.account_id == user_id, utcnow())
        work.commit()
    auth.revoke(user_id=user_id, before_ms=cutoff_ms)


def get_account(user_id: str) -> Account | None:
    with read_session() as session:
        return session.get(Account, user_id) if user_id else None


def update_profile(user_id: str, data: dict) -> Account:
    """Name, locale, district, notification channels, and (if free) email/phone."""
    with uow(correlation_id=user_id) as work:
        account = work.session.get(Account, user_id)
        if account is None:
            raise ApiError(404, "account not found")
        changes, problems = domain.profile_changes(data, account.email, account.phone, list(account.channels or []))
        if problems:
            raise _invalid(problems)
        taken = _taken(work.session, changes["email"] if changes["email"] != account.email else None,
                       changes["phone"] if changes["phone"] != account.phone else None, except_id=account.id)
        if taken:
            raise ApiError(409, "this phone number or email is already registered", "already_registered", taken)
        if changes["phone"] != account.phone:  # a new number is proven again
            account.phone_verified = False
        for column, value in changes.items():
            setattr(account, column, value)
        account.updated_at = utcnow()
        try:
            work.session.flush()
        except IntegrityError as exc:  # someone took the same email/phone at the same moment
            raise ApiError(409, "this phone number or email is already registered", "already_registered") from exc
        work.emit("account.updated", event_data(account), correlation_id=account.id)
        work.commit()
    return account


def change_password(user_id: str, current_password: str, new_password: str) -> TokenPair:
    """Every other login ends (their refresh tokens are revoked); the caller gets a fresh pair."""
    account = get_account(user_id)
    if account is None:
        raise ApiError(404, "account not found")
    if not _verify(account, current_password):
        raise ApiError(403, "the current password is wrong", "invalid_credentials",
                       {"current_password": ["does not match"]})
    weak = domain.password_problem(new_password)
    if weak:
        raise _invalid({"new_password": [weak]})
    new_hash = _hasher.hash(new_password)
    with uow(correlation_id=user_id) as work:
        work.session.execute(update(Account).where(Account.id == user_id)
                             .values(password_hash=new_hash, updated_at=utcnow()))
        _revoke(work, RefreshToken.account_id == user_id, utcnow())
        cutoff_ms = time.time_ns() // 1_000_000  # access tokens issued before the new pair are refused
        account = work.session.get(Account, user_id)
        pair = _issue(work, account)
        work.commit()
    auth.revoke(user_id=user_id, before_ms=cutoff_ms)  # after commit: the denylist may be this same database
    return pair



# -- one-time codes: "lupa kata sandi" and proving a phone number ---------------------------------------------
RESET_ACCEPTED = "if the account exists, a code is on its way"
CODE_REFUSED = "the code is wrong or no longer valid"


def end_every_login(work, account_id: str, now) -> int:
    """Every refresh token of the account stops working now; returns the cutoff (ms) before which its access
    tokens are refused: the caller passes it to `auth.revoke` after commit (the denylist may be this database)."""
    _revoke(work, RefreshToken.account_id == account_id, now)
    return time.time_ns() // 1_000_000


def request_password_reset(identifier: str) -> dict:
    """Send a reset code to the account's phone (WhatsApp) or email. The answer is the same whether or not the
    account exists, and when the account already had its codes for this window (nothing more is sent)."""
    kind, value = _classify_or_422(identifier)
    channel = domain.code_channel(kind)
    with uow() as work:
        account = find_account(work.session, value)
        if account is not None:
            codes.issue(work, account, domain.RESET_PASSWORD, channel, value)
            work.commit()
    return {"message": RESET_ACCEPTED, "channel": channel,
            "expires_minutes": int(domain.CODE_TTL.total_seconds() // 60)}


def _refuse_code(decision: domain.CodeDecision) -> ApiError:
    if decision.reason == "too_many_attempts":
        return ApiError(429, "too many wrong codes: ask for a new code", "too_many_code_attempts",
                        {"code": ["ask for a new code"]})
    return ApiError(400, CODE_REFUSED, "invalid_code", {"code": [CODE_REFUSED]})


def reset_password(identifier: str, code: str, new_password: str) -> TokenPair:
    """A right, fresh, unused code sets the new password, ends every login, and logs this one in. A code that
    came by WhatsApp also proves the phone number."""
    weak = domain.password_problem(new_password)
    if weak:
        raise _invalid({"new_password": [weak]})
    new_hash = _hasher.hash(new_password)  # before the transaction, and for unknown accounts too (same cost)
    with read_session() as session:
        account = find_account(session, identifier)
    with uow(correlation_id=account.id if account else None) as work:
        account = work.session.get(Account, account.id) if account else None
        decision, row = codes.spend(work, account, domain.RESET_PASSWORD, code)
        if not decision.ok:
            raise _refuse_code(decision)
        now = utcnow()
        account.password_hash, account.updated_at = new_hash, now
        if row.channel == "whatsapp" and row.address == account.phone and not account.phone_verified:
            account.phone_verified = True
            work.emit("account.updated", event_data(account), correlation_id=account.id)
        cutoff_ms = end_every_login(work, account.id, now)
        pair = _issue(work, account)
        work.commit()
    auth.revoke(user_id=account.id, before_ms=cutoff_ms)  # access tokens handed out before the reset stop too
    return pair


def send_phone_code(user_id: str) -> dict:
    """A new verification code to the account's phone by WhatsApp (at most a few per window)."""
    with uow(correlation_id=user_id) as work:
        account = work.session.get(Account, user_id)
        if account is None:
            raise ApiError(404, "account not found")
        if not account.phone:
            raise _invalid({"phone": ["add a phone number first"]})
        if account.phone_verified:
            return {"phone_verified": True, "sent": False}
        sent = codes.issue(work, account, domain.VERIFY_PHONE, "whatsapp", account.phone)
        work.commit()
    if not sent:
        raise ApiError(429, "a code was sent a moment ago: wait a little before asking again", "too_many_codes")
    return {"phone_verified": False, "sent": True, "expires_minutes": int(domain.CODE_TTL.total_seconds() // 60)}


def verify_phone(user_id: str, code: str) -> Account:
    """The code sent to the account's current phone proves it. Then selling and deliveries are open."""
    with uow(correlation_id=user_id) as work:
        account = work.session.get(Account, user_id)
        if account is None:
            raise ApiError(404, "account not found")
        if account.phone_verified:  # proven already: nothing to spend (committed so the answer can still be read)
            work.commit()
            return account
        decision, row = codes.spend(work, account, domain.VERIFY_PHONE, code)
        if not decision.ok or row.address != account.phone:
            raise _refuse_code(decision)
        account.phone_verified, account.updated_at = True, utcnow()
        work.emit("account.updated", event_data(account), correlation_id=account.id)
        work.commit()
    return account


def set_save_data(user_id: str, on: bool) -> None:
    """The "Hemat kuota" switch kept with the account, so a second phone or a cleared browser saves data too.
    A page preference only: no account event (no other service needs it)."""
    with uow(correlation_id=user_id) as work:
        account = work.session.get(Account, user_id)
        if account is None:
            raise ApiError(404, "account not found")
        account.save_data = bool(on)
        work.commit()


def create_cs_staff(data: dict) -> Account:
    """A customer-service (`cs`) account, made by an admin (the API, the operator's page, the demo seed): never by
    sign-up. It answers questions for the shops an admin assigns it to (catalog, /api/v1/cs-staff)."""
    return register({**data, "role": "cs"}, allow_admin=True)
