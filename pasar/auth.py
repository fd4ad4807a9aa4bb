"""JWT access tokens: signed by the gateway, verified by every service on its own."""
from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass, field

import jwt
from flask import g, request

from . import config
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


def issue_access_token(identity: Identity, ttl_seconds: int | None = None, settings=None) -> str:
    s = settings or config.auth()
    now = int(time.time())
    claims = {
        "sub": identity.user_id, "role": identity.role, "name": identity.name,
        "district": identity.district, "locale": identity.locale,
        "iat": now, "nbf": now, "exp": now + (ttl_seconds or s.access_ttl_seconds),
        "iss": s.issuer, "aud": s.audience, "typ": "access", "jti": uuid.uuid4().hex,
    }
    if "phone_verified" in identity.claims:  # the gateway says whether the phone was proven (issue 18)
        claims["phone_verified"] = bool(identity.claims["phone_verified"])
    if not s.signing_key:
        raise RuntimeError("this process holds no key to sign tokens with (only the gateway has JWT_PRIVATE_KEY)")
    return jwt.encode(claims, s.signing_key, algorithm=s.algorithm)


def verify_access_token(token: str, settings=None) -> Identity:
    s = settings or config.auth()
    try:
        # algorithms pinned: a token signed with "none" or another algorithm never verifies
        claims = jwt.decode(token, s.verification_key, algorithms=[s.algorithm], audience=s.audience, issuer=s.issuer,
                            options={"require": ["exp", "iat", "sub", "iss", "aud"]}, leeway=5)
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(401, "access token expired", "token_expired") from exc
    except jwt.PyJWTError as exc:
        raise ApiError(401, "invalid access token", "invalid_token") from exc
    if claims.get("typ") != "access":
        raise ApiError(401, "not an access token", "invalid_token")
    return Identity(user_id=str(claims["sub"]), role=claims.get("role", ""), name=claims.get("name", ""),
                    district=claims.get("district"), locale=claims.get("locale") or "id", claims=claims)


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
    g.identity = verify_access_token(token)
    return g.identity


def require_verified_phone() -> None:
    """Selling and taking deliveries need a proven phone number (the gateway's `phone_verified` claim)."""
    who = current_identity()
    if not who.is_admin and not who.phone_verified:
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
