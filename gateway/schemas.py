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


class StaffIn(Schema):
    """A customer-service (`cs`) account an admin creates (issue 19)."""
    name = Name(1, PERSON_NAME_MAX, required=True)
    phone = _text(1, 32, allow_none=True)
    email = _text(3, 254, allow_none=True)
    password = _text(8, 256, required=True, load_only=True)
    locale = fields.String(load_default="id", validate=validate.OneOf(LOCALES))
    district = _text(0, 80, allow_none=True)


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


class ForgotIn(Schema):
    identifier = _text(1, 254, required=True, metadata={"description": "phone number or email of the account"})


class ForgotOut(Schema):
    message = fields.String()
    channel = fields.String(metadata={"description": "whatsapp (phone accounts) or email"})
    expires_minutes = fields.Integer()


class ResetIn(Schema):
    identifier = _text(1, 254, required=True)
    code = _text(1, 20, required=True, load_only=True)
    new_password = _text(8, 256, required=True, load_only=True)


class CodeIn(Schema):
    code = _text(1, 20, required=True, load_only=True)


class CodeSentOut(Schema):
    phone_verified = fields.Boolean()
    sent = fields.Boolean()
    expires_minutes = fields.Integer()


class AccountOut(Schema):
    id = fields.String()
    role = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    locale = fields.String()
    district = fields.String(allow_none=True)
    channels = fields.List(fields.String())
    phone_verified = fields.Boolean()
    created_at = fields.AwareDateTime(default_timezone=timezone.utc)


class TokenPairOut(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "seconds the access token stays valid"})
    account = fields.Nested(AccountOut)


class RegionOut(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String(metadata={"description": "province, regency, district or village"})


class RegionListOut(Schema):
    items = fields.List(fields.Nested(RegionOut))


class RegionQuery(Schema):
    parent = fields.String(validate=validate.Regexp(r"^\d{2}(\.\d{2}(\.\d{2})?)?$"),
                           metadata={"description": "a province, regency or district code; none: the provinces"})


class RegionSearchQuery(Schema):
    q = _text(2, 80, required=True)
    level = fields.String(load_default="village", validate=validate.OneOf(("province", "regency", "district",
                                                                          "village")))


class RegionFoundOut(RegionOut):
    chain = fields.Dict(metadata={"description": "the region and every one above it, by level"})


class RegionSearchOut(Schema):
    items = fields.List(fields.Nested(RegionFoundOut))


class AddressIn(Schema):
    label = _text(1, 40, required=True)
    recipient = _text(1, 120, required=True)
    phone = _text(1, 32, required=True)
    street = _text(1, 200, required=True)
    village_code = _text(13, 13, required=True, metadata={"description": "official village code, 35.05.07.2004"})
    notes = _text(0, 300, load_default="")


class AddressOut(Schema):
    id = fields.String()
    label = fields.String()
    recipient = fields.String()
    name = fields.String()
    phone = fields.String()
    street = fields.String()
    notes = fields.String()
    village_code = fields.String()
    village = fields.String()
    district = fields.String()
    district_code = fields.String()
    regency = fields.String()
    regency_code = fields.String()
    province = fields.String()
    province_code = fields.String()


class AddressListOut(Schema):
    items = fields.List(fields.Nested(AddressOut))


class RegionMatchQuery(Schema):
    village = _text(0, 120)
    district = _text(1, 120, required=True)
    regency = _text(0, 120)
    province = _text(0, 120)


class RegionMatchOut(Schema):
    village_code = fields.String(allow_none=True)
    district_code = fields.String(allow_none=True)
    sure = fields.Boolean(metadata={"description": "exactly one village fits every name given"})
