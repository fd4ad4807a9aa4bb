"""Account rules with no Flask or SQLAlchemy: phone numbers, identifiers, roles, refresh-token lifetimes."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pasar import text

PUBLIC_ROLES = ("shopper", "seller", "agent", "courier")  # admin is created by command only
ALL_ROLES = PUBLIC_ROLES + ("admin",)
LOCALES = ("id", "en")
CHANNELS = ("inapp", "email", "whatsapp")
MIN_PASSWORD_LENGTH = 8

_NOT_IN_EMAIL = r"@\s\x00-\x1f\x7f\ud800-\udfff"
_EMAIL = re.compile(rf"^[^{_NOT_IN_EMAIL}]{{1,64}}@[^{_NOT_IN_EMAIL}]+\.[^{_NOT_IN_EMAIL}]{{2,}}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: str) -> str:
    """An Indonesian mobile number in any everyday spelling → E.164 (`+628...`).

    0812-3456-7890, 62812..., +62 812 3456 7890, 812... all become +6281234567890. Mobile numbers
    start with 8 after the country code and have 9 to 12 digits after it."""
    if not isinstance(raw, str):
        raise InvalidPhone("phone number must be text")
    text = _PHONE_SEPARATORS.sub("", raw.strip())
    if text.startswith("+"):
        if not text.startswith("+62"):
            raise InvalidPhone("only Indonesian numbers (+62) are accepted")
        national = text[3:]
    elif text.startswith("0062"):
        national = text[4:]
    elif text.startswith("62"):
        national = text[2:]
    elif text.startswith("0"):
        national = text[1:]
    else:
        national = text
    if national.startswith("0"):  # "+62 0812..." is a common slip
        national = national[1:]
    if not (national.isascii() and national.isdigit()):  # "０８１２" and "٠٨١٢" are digits to str.isdigit
        raise InvalidPhone("a phone number has only digits")
    if not national.startswith("8") or not 9 <= len(national) <= 12:
        raise InvalidPhone("not an Indonesian mobile number (08xx-xxxx-xxxx)")
    return "+62" + national


def has_control_characters(text: str) -> bool:
    """NUL, other control characters or a lone surrogate: nothing a name or place is ever spelled with."""
    return bool(_CONTROL.search(text))


def normalise_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValueError("not a valid email address")
    return email


def classify_identifier(identifier: str) -> tuple[str, str]:
    """("email", address) or ("phone", E.164) for what a person typed into the login box."""
    text = (identifier or "").strip()
    if "@" in text:
        return "email", normalise_email(text)
    return "phone", normalise_phone(text)


def password_problem(password: str) -> str | None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 256:
        return "at most 256 characters"
    return None


def default_channels(email: str | None, phone: str | None) -> list[str]:
    channels = ["inapp"]
    if email:
        channels.append("email")
    if phone:
        channels.append("whatsapp")
    return channels


def usable_channels(wanted: list[str], email: str | None, phone: str | None) -> list[str]:
    """The in-app inbox always stays on; email/WhatsApp need an address to reach."""
    unknown = [c for c in wanted if c not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown channel(s): {', '.join(unknown)}")
    if "email" in wanted and not email:
        raise ValueError("email notifications need an email address")
    if "whatsapp" in wanted and not phone:
        raise ValueError("WhatsApp notifications need a phone number")
    return [c for c in CHANNELS if c == "inapp" or c in wanted]


# -- refresh tokens: opaque, stored only as a hash, rotated on use, a family revoked on reuse ---------

def new_refresh_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_secret(secret: str) -> str:
    # the secret has 256 random bits: a plain SHA-256 is enough (no offline guessing to slow down)
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class RefreshDecision:
    ok: bool
    revoke_family: bool = False
    reason: str = ""
    concurrent: bool = False  # the token was rotated a moment ago by a request sent at the same time


def judge_refresh(*, found: bool, rotated_at: datetime | None, revoked: bool, expires_at: datetime | None,
                  now: datetime, grace: timedelta) -> RefreshDecision:
    """Presenting a refresh token that was already rotated means someone else holds a copy: kill the family.
    Except within `grace` of its rotation: a page and its live feed, or two tabs, whose access cookie expired
    together send the same refresh token at once on a slow link; that is one person, not a thief."""
    if not found:
        return RefreshDecision(False, reason="unknown refresh token")
    if revoked:
        return RefreshDecision(False, reason="refresh token revoked")
    if expires_at is not None and expires_at <= now:
        return RefreshDecision(False, reason="refresh token expired")
    if rotated_at is not None:
        if now - rotated_at <= grace:
            return RefreshDecision(True, concurrent=True)
        return RefreshDecision(False, revoke_family=True, reason="refresh token reused")
    return RefreshDecision(True)


def refresh_expiry(now: datetime, ttl_seconds: int) -> datetime:
    return now + timedelta(seconds=ttl_seconds)


# -- sign-up and profile fields: each check adds its words to `problems` (field -> [message]) ----------------
PROFILE_FIELDS = frozenset({"name", "locale", "district", "channels", "email", "phone"})  # what PATCH /me may touch


def clean_name(value, problems: dict) -> str | None:
    problem = text.text_problem(value if isinstance(value, str) else "", min_length=1,
                                max_length=text.PERSON_NAME_MAX)  # the one text policy (pasar/text.py)
    if problem:
        problems["name"] = [problem]
        return None
    return text.trim(value)


def clean_district(value, problems: dict) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > 80:
        problems["district"] = ["at most 80 characters"]
        return None
    if has_control_characters(value) or text.refused_character(text.trim(value)):
        problems["district"] = [text.NOT_ALLOWED]
        return None
    return value.strip() or None


def clean_contact(data: dict, problems: dict) -> tuple[str | None, str | None]:
    """The email and phone given in `data` (normalised), None where not given or not valid."""
    email = phone = None
    if data.get("email"):
        try:
            email = normalise_email(data["email"])
        except ValueError as exc:
            problems["email"] = [str(exc)]
    if data.get("phone"):
        try:
            phone = normalise_phone(data["phone"])
        except InvalidPhone as exc:
            problems["phone"] = [str(exc)]
    return email, phone


def _channels_or_problem(wanted: list, email: str | None, phone: str | None, problems: dict) -> list[str] | None:
    try:
        return usable_channels(list(wanted), email, phone)
    except (ValueError, TypeError) as exc:
        problems["channels"] = [str(exc)]
        return None


def new_account_fields(data: dict, roles: tuple[str, ...] = PUBLIC_ROLES) -> tuple[dict, dict]:
    """A sign-up's account fields (role, name, email, phone, locale, district, channels) and its problems.
    The password is only judged here; hashing it is the caller's (slow) part."""
    problems: dict = {}
    role = data.get("role") or "shopper"
    if role not in roles:
        problems["role"] = [f"one of: {', '.join(PUBLIC_ROLES)}"]
    name = clean_name(data.get("name"), problems)
    email, phone = clean_contact(data, problems)
    if not data.get("email") and not data.get("phone"):
        problems["phone"] = ["a phone number or an email address is needed"]
    weak = password_problem(data.get("password"))
    if weak:
        problems["password"] = [weak]
    locale = data.get("locale") or "id"
    if locale not in LOCALES:
        problems["locale"] = ["id or en"]
    district = clean_district(data.get("district"), problems)
    channels = default_channels(email, phone)
    if data.get("channels") is not None and not problems:
        channels = _channels_or_problem(data["channels"], email, phone, problems)
    return {"role": role, "name": name, "email": email, "phone": phone, "locale": locale, "district": district,
            "channels": channels}, problems


def profile_changes(data: dict, email: str | None, phone: str | None, channels: list[str]) -> tuple[dict, dict]:
    """What a profile edit sets on an account that has `email`, `phone` and `channels` now, and its problems.

    Email and phone are always in the changes (kept, replaced, or removed by an empty value); one of them must
    stay. Channels the account loses the address for are dropped, unless new channels are asked for."""
    problems: dict = {key: ["cannot be changed here"] for key in sorted(set(data) - PROFILE_FIELDS)}
    changes: dict = {}
    if "name" in data:
        changes["name"] = clean_name(data["name"], problems)
    if "locale" in data:
        if data["locale"] not in LOCALES:
            problems["locale"] = ["id or en"]
        changes["locale"] = data["locale"]
    if "district" in data:
        changes["district"] = clean_district(data["district"], problems)
    new_email, new_phone = clean_contact(data, problems)
    email = new_email if data.get("email") else (None if "email" in data else email)
    phone = new_phone if data.get("phone") else (None if "phone" in data else phone)
    if not email and not phone:
        problems["phone"] = ["keep a phone number or an email address"]
    if not problems:
        wanted = data["channels"] if data.get("channels") is not None else [
            c for c in channels if (c != "email" or email) and (c != "whatsapp" or phone)]
        channels = _channels_or_problem(wanted, email, phone, problems)
    changes.update(email=email, phone=phone, channels=channels)
    return changes, problems
