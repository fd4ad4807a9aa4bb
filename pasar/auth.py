"""JWT access tokens: signed by the gateway, verified by every service on its own."""
from __future__ import annotations

import functools
import os
import time
import uuid
from dataclasses import dataclass, field

import jwt
from flask import g, request

from . import config, i18n
from .errors import ApiError


@dataclass(frozen=True)
class Identity:
    user_id: str
    role: str
    name: str = ""
    district: str | None = None
    locale: str = "id"
    claims: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def phone_verified(self) -> bool:
        """False only when the gateway said so; a token from before the claim existed lives at most 15 minutes."""
        return self.claims.get("phone_verified") is not False

    @property
    def may_sell_and_deliver(self) -> bool:
        """A proven phone, or an account the gateway exempts (an email-only agent: there is no number to prove;
        see docs/notes/issue-18-accounts.md), or the operator."""
        return self.is_admin or self.phone_verified or self.claims.get("phone_exempt") is True


def issue_access_token(identity: Identity, ttl_seconds: int | None = None, settings=None,
                       family: str | None = None) -> str:
    """`family`: the login (refresh-token family) this token belongs to, so logging out revokes it too."""
    s = settings or config.auth()
    now_ms = time.time_ns() // 1_000_000
    now = now_ms // 1000
    claims = {
        "sub": identity.user_id, "role": identity.role, "name": identity.name,
        "district": identity.district, "locale": identity.locale,
        "iat": now, "nbf": now, "exp": now + (ttl_seconds or s.access_ttl_seconds),
        "iss": s.issuer, "aud": s.audience, "typ": "access", "jti": uuid.uuid4().hex,
        "iat_ms": now_ms,  # `iat` is whole seconds: a password change must not spare a token of the same second
    }
    if family:
        claims["fam"] = family
    if "phone_verified" in identity.claims:  # the gateway says whether the phone was proven (issue 18)
        claims["phone_verified"] = bool(identity.claims["phone_verified"])
    if identity.claims.get("phone_exempt"):
        claims["phone_exempt"] = True
    if not s.signing_key:
        raise RuntimeError("this process holds no key to sign tokens with (only the gateway has JWT_PRIVATE_KEY)")
    return jwt.encode(claims, s.signing_key, algorithm=s.algorithm)


# what config.auth() reads (environment and key files): the settings are rebuilt only when one changes
_AUTH_ENV = ("JWT_PUBLIC_KEY", "JWT_PUBLIC_KEY_FILE", "JWT_PRIVATE_KEY", "JWT_PRIVATE_KEY_FILE", "JWT_SECRET",
             "JWT_ISSUER", "JWT_AUDIENCE", "ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL")


@functools.lru_cache(maxsize=8)
def _auth_settings(_env_values: tuple):
    return config.auth()


def _current_auth():
    return _auth_settings(tuple(os.environ.get(name) for name in _AUTH_ENV))


@functools.lru_cache(maxsize=8)
def _verification_key(algorithm: str, key: str):
    """The key parsed once (a PEM public key costs more to load than the signature costs to check)."""
    return jwt.get_algorithm_by_name(algorithm).prepare_key(key)


def verify_access_token(token: str, settings=None) -> Identity:
    s = settings or _current_auth()
    try:
        # algorithms pinned: a token signed with "none" or another algorithm never verifies
        key = _verification_key(s.algorithm, s.verification_key) if s.verification_key else s.verification_key
        claims = jwt.decode(token, key, algorithms=[s.algorithm], audience=s.audience, issuer=s.issuer,
                            options={"require": ["exp", "iat", "sub", "iss", "aud", "jti"]}, leeway=LEEWAY_SECONDS)
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(401, "access token expired", "token_expired") from exc
    except jwt.PyJWTError as exc:
        raise ApiError(401, "invalid access token", "invalid_token") from exc
    if claims.get("typ") != "access":
        raise ApiError(401, "not an access token", "invalid_token")
    if is_revoked(claims):
        raise ApiError(401, "this access token was revoked (logged out or password changed); log in again",
                       "token_revoked")
    return Identity(user_id=str(claims["sub"]), role=claims.get("role", ""), name=claims.get("name", ""),
                    district=claims.get("district"), locale=claims.get("locale") or "id", claims=claims)


# -- revocation -----------------------------------------------------------------------------------------
# An access token lives ACCESS_TOKEN_TTL (15 min). Logging out, changing or resetting the password and
# suspending an account must end it at once, everywhere it is verified: the gateway and every service (each
# verifies tokens itself). So revocations go to a denylist every verifier reads:
#   jti:<token id>   one token                      fam:<login>   every token of one login (logout)
#   user:<id>        every token of the account issued before the stored instant (ms): password, suspension
# Entries live as long as the tokens they refuse could (TTL + leeway), then expire on their own.
# Redis (REDIS_URL) is the shared denylist; without it the gateway keeps one in its own database (see
# gateway/revocation.py) and the services' ports rely on the gateway, so production sets REDIS_URL.
LEEWAY_SECONDS = 5


class Denylist:
    """Where revocations are kept. `put` stores key -> value (an instant in ms, or 1) for `ttl` seconds;
    `get` answers the values of `keys` (None where absent)."""

    def put(self, entries: dict[str, int], ttl: int) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def get(self, keys: list[str]) -> list[int | None]:  # pragma: no cover - interface
        raise NotImplementedError


class RedisDenylist(Denylist):
    def __init__(self, url: str, prefix: str = "pasar:revoked:"):
        import redis  # only a deployment with REDIS_URL needs the client
        self.prefix = prefix
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)

    def put(self, entries: dict[str, int], ttl: int) -> None:
        pipe = self.client.pipeline()
        for key, value in entries.items():
            pipe.set(self.prefix + key, value, ex=ttl)
        pipe.execute()

    def get(self, keys: list[str]) -> list[int | None]:
        return [int(v) if v is not None else None for v in self.client.mget([self.prefix + k for k in keys])]


_denylist: Denylist | None = None
_denylist_chosen = False


def use_denylist(denylist: Denylist | None) -> None:
    """Set this process's denylist (the gateway's database one when there is no Redis; tests)."""
    global _denylist, _denylist_chosen
    _denylist, _denylist_chosen = denylist, True


def denylist() -> Denylist | None:
    global _denylist, _denylist_chosen
    if not _denylist_chosen:
        url = config.setting("REDIS_URL")
        _denylist = RedisDenylist(url, config.setting("TOKEN_DENYLIST_PREFIX", "pasar:revoked:")) if url else None
        _denylist_chosen = True
    return _denylist


def revocation_ttl(settings=None) -> int:
    return (settings or config.auth()).access_ttl_seconds + LEEWAY_SECONDS + 60


def revoke(*, jti: str | None = None, family: str | None = None, user_id: str | None = None,
           before_ms: int | None = None) -> None:
    """Refuse one token (jti), one login's tokens (family), or an account's tokens issued before `before_ms`."""
    store = denylist()
    if store is None:
        return
    entries = {}
    if jti:
        entries["jti:" + jti] = 1
    if family:
        entries["fam:" + family] = 1
    if user_id:
        entries["user:" + user_id] = before_ms if before_ms is not None else time.time_ns() // 1_000_000
    if entries:
        store.put(entries, revocation_ttl())


def is_revoked(claims: dict) -> bool:
    store = denylist()
    if store is None:
        return False
    keys = ["jti:" + str(claims.get("jti")), "user:" + str(claims.get("sub"))]
    if claims.get("fam"):
        keys.append("fam:" + str(claims["fam"]))
    try:
        values = store.get(keys)
    except Exception as exc:  # the denylist is down: refuse (fail closed) rather than honour a revoked token
        raise ApiError(503, "cannot check the access token right now; please try again", "unavailable") from exc
    token_jti, user_cutoff, *family = values
    issued_ms = claims.get("iat_ms")
    issued_ms = issued_ms if isinstance(issued_ms, int) else int(claims.get("iat", 0)) * 1000
    return bool(token_jti) or bool(family and family[0]) or (user_cutoff is not None and issued_ms < user_cutoff)


def verified_token(token: str) -> Identity:
    """verify_access_token, once per request for the same token (the gateway's rate limit key and its
    proxy both need the caller)."""
    cached = g.get("_pasar_verified_token")
    if cached is not None and cached[0] == token:
        return cached[1]
    identity = verify_access_token(token)
    g._pasar_verified_token = (token, identity)
    return identity


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_identity(optional: bool = False) -> Identity | None:
    if "identity" in g:
        return g.identity
    token = bearer_token()
    if token is None:
        if optional:
            return None
        raise ApiError(401, "login required", "unauthorized")
    g.identity = verified_token(token)
    return g.identity


def require_verified_phone() -> None:
    """Selling and taking deliveries need a proven phone number (the gateway's `phone_verified` claim, carried in
    the token so a service enforces it without asking the gateway). Refused: 403 `phone_not_verified`."""
    who = current_identity()
    if not who.may_sell_and_deliver:
        raise ApiError(403, "verify your phone number first (the code sent by WhatsApp)", "phone_not_verified")


def require_roles(*roles: str):
    """Route decorator: a verified token whose role is one of `roles` (admin always passes)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            ident = current_identity()
            if roles and ident.role not in roles and not ident.is_admin:
                raise ApiError(403, "your role may not do this", "forbidden")
            return view(*args, **kwargs)
        return wrapper
    return decorate


# the language of an error answer follows the caller's account when the route has not read the token yet
i18n.use_identity_lookup(lambda: current_identity(optional=True))
