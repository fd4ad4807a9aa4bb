"""One-time codes at rest: issue one (its HMAC stored, the code itself only in the `account.code_requested`
event notifications sends), and spend one. Used by the accounts use cases for password reset and phone
verification; the rules (length, lifetime, attempts, sends per window) are in domain.py."""
from __future__ import annotations

import hashlib
from datetime import timezone

from sqlalchemy import func, select, update

from pasar import config
from pasar.stamps import new_id, utcnow

from . import domain
from .models import Account, OneTimeCode


def _key() -> bytes:
    """OTP_HMAC_KEY, else derived from the token signing key (both secrets from the environment)."""
    own = config.secret_text("OTP_HMAC_KEY")
    if own:
        return own.encode()
    return hashlib.sha256(b"pasar-one-time-codes:" + (config.auth().signing_key or "").encode()).digest()


def _aware(moment):
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def issue(work, account: Account, purpose: str, channel: str, address: str) -> bool:
    """Store a new code for `account` and publish it for sending; earlier unused codes of the purpose stop
    working. False (nothing sent) when the account already had its codes for this window."""
    now = utcnow()
    since = now - domain.CODE_SEND_WINDOW
    sent = work.session.scalar(select(func.count()).select_from(OneTimeCode).where(
        OneTimeCode.account_id == account.id, OneTimeCode.purpose == purpose, OneTimeCode.created_at >= since)) or 0
    if not domain.may_send_code(sent):
        return False
    work.session.execute(update(OneTimeCode).where(
        OneTimeCode.account_id == account.id, OneTimeCode.purpose == purpose, OneTimeCode.used_at.is_(None),
        OneTimeCode.expires_at > now).values(expires_at=now))
    code = domain.new_code()
    work.session.add(OneTimeCode(id=new_id(), account_id=account.id, purpose=purpose, channel=channel,
                                 address=address, code_hash=domain.hash_code(_key(), purpose, account.id, code),
                                 attempts=0, created_at=now, expires_at=now + domain.CODE_TTL))
    work.emit("account.code_requested", {
        "user_id": account.id, "purpose": purpose, "channel": channel, "address": address, "code": code,
        "expires_minutes": int(domain.CODE_TTL.total_seconds() // 60), "locale": account.locale,
        "name": account.name}, correlation_id=account.id)
    return True


def spend(work, account: Account | None, purpose: str, typed: str) -> tuple[domain.CodeDecision, OneTimeCode | None]:
    """Judge the newest code of `purpose` for `account` against what was typed; a right one is spent at once
    (a conditional update: of two requests with the same code only one wins). A wrong guess is counted and
    committed even though the caller then refuses."""
    given = domain.clean_code(typed)
    row = None
    if account is not None:
        row = work.session.scalar(select(OneTimeCode).where(
            OneTimeCode.account_id == account.id, OneTimeCode.purpose == purpose)
            .order_by(OneTimeCode.created_at.desc()).limit(1))
    now = utcnow()
    decision = domain.judge_code(
        found=row is not None, expected_hash=row.code_hash if row else None,
        given_hash=domain.hash_code(_key(), purpose, account.id if account else "", given),
        used=bool(row and row.used_at), expired=bool(row and _aware(row.expires_at) <= now),
        attempts=row.attempts if row else 0)
    if decision.count_attempt:
        work.session.execute(update(OneTimeCode).where(OneTimeCode.id == row.id)
                             .values(attempts=OneTimeCode.attempts + 1))
        work.commit()
    elif decision.ok:
        spent = work.session.execute(update(OneTimeCode).where(
            OneTimeCode.id == row.id, OneTimeCode.used_at.is_(None)).values(used_at=now))
        if spent.rowcount != 1:
            decision = domain.CodeDecision(False, "used")
    return decision, row
