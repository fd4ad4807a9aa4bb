"""The operator's accounts desk (issue 16): find accounts, suspend and reinstate them, each action recorded.

A suspended account cannot log in (accounts._issue refuses it tokens: login, refresh, password reset) and
every login it had ends at once: its refresh tokens are revoked and its access tokens go on the denylist
(pasar.auth.revoke, the same mechanism as "sign out everywhere"). Reinstating lets it log in again; nothing
else comes back. `account.suspended` / `account.reinstated` go out through the gateway's outbox."""
from __future__ import annotations

from sqlalchemy import func, or_, select

from pasar import auth
from pasar.errors import ApiError, not_found
from pasar.stamps import utcnow
from pasar.web import read_session, uow

from .accounts import end_every_login
from .models import Account, AccountAction


def _history(session, account_id: str) -> list[dict]:
    rows = session.scalars(select(AccountAction).where(AccountAction.account_id == account_id)
                           .order_by(AccountAction.id.desc()))
    return [{"action": r.action, "reason": r.reason, "actor_id": r.actor_id, "at": r.at} for r in rows]


def account_view(session, account: Account) -> dict:
    return {"id": account.id, "role": account.role, "name": account.name, "email": account.email,
            "phone": account.phone, "created_at": account.created_at,
            "suspended": ({"at": account.suspended_at, "reason": account.suspended_reason,
                           "by": account.suspended_by} if account.suspended_at else None),
            "actions": _history(session, account.id)}


def find_accounts(q: str | None, suspended_only: bool, limit: int, offset: int) -> dict:
    with read_session() as session:
        query = select(Account)
        if q:
            pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(or_(func.lower(Account.name).like(pattern, escape="\\"),
                                    func.lower(Account.email).like(pattern, escape="\\"),
                                    Account.phone.like(pattern, escape="\\"), Account.id == q))
        if suspended_only:
            query = query.where(Account.suspended_at.is_not(None))
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        rows = session.scalars(query.order_by(Account.created_at.desc(), Account.id).limit(limit).offset(offset)).all()
        return {"accounts": [account_view(session, a) for a in rows], "total": total}


def get(account_id: str) -> dict:
    with read_session() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise not_found("account")
        return account_view(session, account)


def moderate(actor_id: str, account_id: str, action: str, reason: str) -> dict:
    """Suspend (every login ends now, none can start) or reinstate, with a reason. The same action again
    changes nothing; the operator cannot suspend themself."""
    if account_id == actor_id and action == "suspend":
        raise ApiError(409, "you cannot suspend your own account", "own_account")
    cutoff_ms = None
    with uow(correlation_id=account_id) as work:
        account = work.session.get(Account, account_id)
        if account is None:
            raise not_found("account")
        suspend = action == "suspend"
        if (account.suspended_at is not None) != suspend:
            now = utcnow()
            if suspend:
                account.suspended_at, account.suspended_by, account.suspended_reason = now, actor_id, reason
                cutoff_ms = end_every_login(work, account.id, now)
            else:
                account.suspended_at = account.suspended_by = account.suspended_reason = None
            work.session.add(AccountAction(account_id=account.id, action=action, reason=reason, actor_id=actor_id,
                                           at=now))
            work.emit("account.suspended" if suspend else "account.reinstated",
                      {"user_id": account.id, "action": action, "reason": reason, "actor_id": actor_id})
        work.commit()
        answer = account_view(work.session, account)
    if cutoff_ms is not None:  # after commit: the denylist may be this same database
        auth.revoke(user_id=account_id, before_ms=cutoff_ms)
    return answer


def account_names(ids: list[str]) -> dict[str, str]:
    """Account id -> name, for the desk's pages (a courier on /operator/setoran-cod)."""
    if not ids:
        return {}
    with read_session() as session:
        return {a.id: a.name for a in session.scalars(select(Account).where(Account.id.in_(ids)))}
