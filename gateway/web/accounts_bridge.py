"""The pages' door to gateway accounts (gateway/accounts.py), called in-process.

In-process rather than over HTTP to ourselves: the rate limits then count the browser's own address
(the page views carry the same limits as the API), and a login costs no extra hop. Every answer comes back
as a `Reply`, the same shape the pages get from the services."""
from __future__ import annotations

from pasar.auth import verify_access_token
from pasar.errors import ApiError, error_body

from .. import accounts, regions
from .reply import Reply


def _pair(pair) -> dict:
    return {"access_token": pair.access_token, "refresh_token": pair.refresh_token}


def _failed(exc: ApiError) -> Reply:
    # in English, as the services answer the pages: i18n.service_text says it in the reader's language
    return Reply(exc.status, error_body(exc.status, exc.message, exc.code, exc.fields, locale="en"))


def tokens_of(reply: Reply) -> dict | None:
    body = reply.body if isinstance(reply.body, dict) else {}
    if reply.ok and body.get("access_token"):
        return {"access_token": body["access_token"], "refresh_token": body.get("refresh_token")}
    return None


def register(form: dict) -> Reply:
    try:
        account = accounts.register(form)
        return Reply(201, _pair(accounts.login(account.phone or account.email, form["password"])))
    except ApiError as exc:
        return _failed(exc)


def login(identifier: str, password: str) -> Reply:
    try:
        return Reply(200, _pair(accounts.login(identifier, password)))
    except ApiError as exc:
        return _failed(exc)


def refresh(refresh_token: str) -> dict | None:
    try:
        return _pair(accounts.refresh(refresh_token))
    except ApiError:
        return None


def logout(refresh_token: str | None, access_token: str | None = None) -> None:
    if refresh_token:
        claims = None
        if access_token:
            try:
                claims = verify_access_token(access_token).claims
            except ApiError:
                claims = None
        accounts.logout(refresh_token, claims)


def get_account(user_id: str):
    return accounts.get_account(user_id)


def update_profile(user_id: str, changes: dict) -> Reply:
    try:
        account = accounts.update_profile(user_id, changes)
        return Reply(200, {"id": account.id, "locale": account.locale})
    except ApiError as exc:
        return _failed(exc)


def forgot_password(identifier: str) -> Reply:
    try:
        return Reply(202, accounts.request_password_reset(identifier))
    except ApiError as exc:
        return _failed(exc)


def reset_password(identifier: str, code: str, new_password: str) -> Reply:
    try:
        return Reply(200, _pair(accounts.reset_password(identifier, code, new_password)))
    except ApiError as exc:
        return _failed(exc)


def verify_phone(user_id: str, code: str) -> Reply:
    try:
        accounts.verify_phone(user_id, code)
        return Reply(200, {"phone_verified": True})
    except ApiError as exc:
        return _failed(exc)


def send_phone_code(user_id: str) -> Reply:
    try:
        return Reply(202, accounts.send_phone_code(user_id))
    except ApiError as exc:
        return _failed(exc)


def saved_addresses(user_id: str) -> list[dict]:
    return regions.addresses(user_id)


def save_address(user_id: str, data: dict) -> Reply:
    try:
        return Reply(201, regions.save_address(user_id, data))
    except ApiError as exc:
        return _failed(exc)


def delete_address(user_id: str, address_id: str) -> None:
    regions.delete_address(user_id, address_id)


def region_children(parent: str | None) -> list[dict]:
    return regions.children(parent)


def region_chain(code: str) -> dict | None:
    """{"village": {code, name, level}, "district": ..., "regency": ..., "province": ...} or None."""
    return regions.chain(code) if code else None


def save_data_of(user_id: str) -> bool:
    account = accounts.get_account(user_id)
    return bool(account is not None and account.save_data)


def set_save_data(user_id: str, on: bool) -> bool:
    try:
        accounts.set_save_data(user_id, on)
        return True
    except ApiError:
        return False


def create_cs_staff(form: dict) -> Reply:
    """An admin creates a customer-service (`cs`) account (issue 19)."""
    try:
        account = accounts.create_cs_staff(form)
        return Reply(201, {"id": account.id})
    except ApiError as exc:
        return _failed(exc)
