"""Account rules with no Flask or SQLAlchemy: phone numbers, identifiers, roles, refresh-token lifetimes."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers

from pasar import text

PUBLIC_ROLES = ("shopper", "seller", "agent", "courier")  # admin is created by command only
STAFF_ROLES = ("cs",)  # customer-service staff (issue 19): created by an admin, never by sign-up
ALL_ROLES = PUBLIC_ROLES + ("admin",) + STAFF_ROLES
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
    """An Indonesian mobile number in any everyday spelling → E.164 (`+628...`), parsed by `phonenumbers`.

    0812-3456-7890, 62812..., +62 812 3456 7890, 812..., 0062 812... all become +6281234567890. Only
    Indonesian mobile numbers are accepted: they are what WhatsApp codes and couriers' calls reach."""
    if not isinstance(raw, str):
        raise InvalidPhone("phone number must be text")
    text = _PHONE_SEPARATORS.sub("", raw.strip())
    # phonenumbers reads full-width and Arabic-Indic digits as digits: a number is typed in ASCII here
    if not text or not text.lstrip("+").isascii() or not text.lstrip("+").isdigit():
        raise InvalidPhone("a phone number has only digits")
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("62") and not text.startswith("+"):
        text = "+" + text
    elif text.startswith("8"):  # the trunk 0 left out: "812 3456 7890"
        text = "0" + text
    if text.startswith("+620"):  # "+62 0812..." is a common slip
        text = "+62" + text[4:]
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone("not an Indonesian mobile number (08xx-xxxx-xxxx)") from exc
    if number.country_code != 62:
        raise InvalidPhone("only Indonesian numbers (+62) are accepted")
    kind = phonenumbers.number_type(number)
    if not phonenumbers.is_valid_number(number) or kind not in (phonenumbers.PhoneNumberType.MOBILE,
                                                               phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise InvalidPhone("not an Indonesian mobile number (08xx-xxxx-xxxx)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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


# -- one-time codes: password reset and phone verification ---------------------------------------------------
# Six digits (what a villager can read off a WhatsApp message and type), ten minutes, one use, five guesses.
# At rest only HMAC-SHA256(server key, purpose:account:code): a stolen database row cannot be tried offline
# without the key, and a code for one account or purpose never matches another.
RESET_PASSWORD, VERIFY_PHONE = "reset", "verify_phone"
CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5              # wrong guesses on one code; then a new code is needed
CODE_SENDS_PER_WINDOW = 3          # codes sent to one account per CODE_SEND_WINDOW (the rest are not sent)
CODE_SEND_WINDOW = timedelta(minutes=15)
ROLES_NEEDING_VERIFIED_PHONE = ("seller", "agent", "courier")


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(key: bytes, purpose: str, account_id: str, code: str) -> str:
    return hmac.new(key, f"{purpose}:{account_id}:{code}".encode(), hashlib.sha256).hexdigest()


def clean_code(typed) -> str:
    """What a person typed: "123 456" and "123-456" are the code 123456."""
    return re.sub(r"[\s\-]", "", typed) if isinstance(typed, str) else ""


def code_channel(kind: str) -> str:
    """Where a reset code goes for an identifier of this kind: a phone account by WhatsApp, an email one by email."""
    return "email" if kind == "email" else "whatsapp"


def may_send_code(sent_recently: int) -> bool:
    return sent_recently < CODE_SENDS_PER_WINDOW


@dataclass(frozen=True)
class CodeDecision:
    ok: bool
    reason: str = ""        # "expired", "used", "too_many_attempts", "wrong", "missing"
    count_attempt: bool = False


def judge_code(*, found: bool, expected_hash: str | None, given_hash: str, used: bool, expired: bool,
               attempts: int) -> CodeDecision:
    """Is this the right code, still usable? A wrong guess counts against the code (count_attempt)."""
    if not found:
        return CodeDecision(False, "missing")
    if used:
        return CodeDecision(False, "used")
    if attempts >= CODE_MAX_ATTEMPTS:
        return CodeDecision(False, "too_many_attempts")
    if expired:
        return CodeDecision(False, "expired")
    if not hmac.compare_digest(expected_hash or "", given_hash):
        return CodeDecision(False, "wrong", count_attempt=True)
    return CodeDecision(True)


def phone_exempt(role: str, phone: str | None) -> bool:
    """An agent who signed up by email alone (a cooperative's or an NGO's officer working for crafters without
    an account) has no number to prove: the agent may sell without one. Sellers and couriers may not: a seller
    without a phone adds one (Akun) and proves it; so does a courier (the shopper and the seller call them)."""
    return role == "agent" and not phone


def needs_verified_phone(role: str, phone_verified: bool, *, has_phone: bool = True) -> bool:
    """Selling and taking deliveries happen over the phone: those roles prove their number first."""
    return (role in ROLES_NEEDING_VERIFIED_PHONE and not phone_verified
            and not phone_exempt(role, "phone" if has_phone else None))


def phone_claims(role: str, phone: str | None, phone_verified: bool) -> dict:
    """What the access token says about the phone, so every service can refuse selling or deliveries on its own."""
    claims = {"phone_verified": bool(phone_verified)}
    if phone_exempt(role, phone):
        claims["phone_exempt"] = True
    return claims


# -- official regions (Kemendagri codes: "35" → "35.05" → "35.05.07" → "35.05.07.2004") ----------------------
_REGION_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
REGION_LEVELS = {1: "province", 2: "regency", 3: "district", 4: "village"}


def region_level(code: str) -> int | None:
    """1 province, 2 regency/city, 3 district, 4 village; None for anything that is not a region code."""
    if not isinstance(code, str) or not _REGION_CODE.match(code):
        return None
    return code.count(".") + 1


def region_parent(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def region_key(name: str) -> str:
    """What type-ahead compares: lower case, single spaces."""
    return " ".join(name.lower().split())
