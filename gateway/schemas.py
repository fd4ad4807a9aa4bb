"""Request and response shapes of the gateway's own API (/api/v1/auth/...); they also make its OpenAPI."""
from datetime import timezone

from marshmallow import Schema, fields, validate

from pasar.text import PERSON_NAME_MAX, Name

from .domain import CHANNELS, LOCALES, PUBLIC_ROLES

_text = lambda lo, hi, **kw: fields.String(validate=validate.Length(min=lo, max=hi), **kw)  # noqa: E731


class RegisterIn(Schema):
    name = Name(1, PERSON_NAME_MAX, required=True)
    phone = _text(1, 32, allow_none=True,
                  metadata={"description": "Indonesian mobile number, any spelling (0812..., +62 812-...)"})
    email = _text(3, 254, allow_none=True)
    password = _text(8, 256, required=True, load_only=True)
    role = fields.String(load_default="shopper", validate=validate.OneOf(PUBLIC_ROLES))
    locale = fields.String(load_default="id", validate=validate.OneOf(LOCALES))
    district = _text(0, 80, allow_none=True)
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), validate=validate.Length(max=3))


class LoginIn(Schema):
    identifier = _text(1, 254, required=True, metadata={"description": "phone number or email"})
    password = _text(1, 256, required=True, load_only=True)


class RefreshIn(Schema):
    refresh_token = _text(1, 200, required=True)


class ProfileIn(Schema):
    name = Name(1, PERSON_NAME_MAX)
    locale = fields.String(validate=validate.OneOf(LOCALES))
    district = _text(0, 80, allow_none=True)
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), validate=validate.Length(max=3))
    email = _text(3, 254, allow_none=True)
    phone = _text(1, 32, allow_none=True)


class PasswordIn(Schema):
    current_password = _text(1, 256, required=True, load_only=True)
    new_password = _text(8, 256, required=True, load_only=True)


class AccountOut(Schema):
    id = fields.String()
    role = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    locale = fields.String()
    district = fields.String(allow_none=True)
    channels = fields.List(fields.String())
    created_at = fields.AwareDateTime(default_timezone=timezone.utc)


class TokenPairOut(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "seconds the access token stays valid"})
    account = fields.Nested(AccountOut)
