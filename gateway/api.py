"""The gateway's own API: /api/v1/auth/... (routes only; the work is in accounts.py)."""
from __future__ import annotations

from flask_smorest import Blueprint

from pasar.auth import current_identity, require_roles
from pasar.errors import ApiError

from . import accounts
from .protection import LOGIN_LIMIT, api_limit, client_key, code_limit, limiter, login_limits, register_limit
from .schemas import (AccountOut, CodeIn, CodeSentOut, ForgotIn, ForgotOut, LoginIn, PasswordIn, ProfileIn, RefreshIn,
                      RegisterIn, ResetIn, StaffIn, TokenPairOut)

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                description="Accounts and tokens: sign up and log in by phone number or email")

_ERRORS = {400: "wrong or spent code", 401: "not logged in / wrong credentials", 403: "your role may not do this",
           409: "already registered", 422: "invalid fields",
           429: "too many attempts"}


def _document_errors(*statuses):
    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, description=_ERRORS[status])(view)
        return view
    return decorate


def _pair(pair: accounts.TokenPair) -> dict:
    return {"access_token": pair.access_token, "refresh_token": pair.refresh_token, "token_type": pair.token_type,
            "expires_in": pair.expires_in, "account": pair.account}


def _me() -> accounts.Account:
    account = accounts.get_account(current_identity().user_id)
    if account is None:
        raise ApiError(404, "account not found")
    return account


@blp.route("/register", methods=["POST"])
@api_limit
@register_limit
@blp.arguments(RegisterIn)
@blp.response(201, TokenPairOut)
@_document_errors(409, 422, 429)
def register(data):
    """Sign up (shopper, seller, agent or courier) and get logged in at once."""
    account = accounts.register(data)
    return _pair(accounts.sign_in(account))


@blp.route("/login", methods=["POST"])
@api_limit
@login_limits[0]
@login_limits[1]
@blp.arguments(LoginIn)
@blp.response(200, TokenPairOut)
@_document_errors(401, 422, 429)
def login(data):
    """Log in with a phone number (any Indonesian spelling) or an email address."""
    return _pair(accounts.login(data["identifier"], data["password"]))


@blp.route("/refresh", methods=["POST"])
@api_limit
@blp.arguments(RefreshIn)
@blp.response(200, TokenPairOut)
@_document_errors(401, 422)
def refresh(data):
    """Trade a refresh token for a new pair. Each refresh token works once."""
    return _pair(accounts.refresh(data["refresh_token"]))


@blp.route("/logout", methods=["POST"])
@api_limit
@blp.arguments(RefreshIn)
@blp.response(204)
@_document_errors(422)
def logout(data):
    """End this login: its refresh token (and every one rotated from it) and its access tokens stop working."""
    try:
        identity = current_identity(optional=True)
    except ApiError:  # an expired or already revoked access token: the refresh token still ends the login
        identity = None
    accounts.logout(data["refresh_token"], identity.claims if identity else None)


@blp.route("/me", methods=["GET"])
@api_limit
@blp.response(200, AccountOut)
@_document_errors(401)
@blp.doc(security=[{"bearerAuth": []}])
def me():
    """The signed-in account."""
    return _me()


@blp.route("/me", methods=["PATCH"])
@api_limit
@blp.arguments(ProfileIn)
@blp.response(200, AccountOut)
@_document_errors(401, 409, 422)
@blp.doc(security=[{"bearerAuth": []}])
def update_me(data):
    """Change name, language, district, notification channels, email or phone."""
    return accounts.update_profile(_me().id, data)


@blp.route("/password", methods=["POST"])
@api_limit
@limiter.limit(LOGIN_LIMIT, key_func=lambda: "password:" + client_key())
@blp.arguments(PasswordIn)
@blp.response(200, TokenPairOut)
@_document_errors(401, 422, 429)
@blp.doc(security=[{"bearerAuth": []}])
def change_password(data):
    """Change the password; every other login ends, this one gets a fresh token pair."""
    return _pair(accounts.change_password(_me().id, data["current_password"], data["new_password"]))


@blp.route("/password/forgot", methods=["POST"])
@api_limit
@code_limit
@blp.arguments(ForgotIn)
@blp.response(202, ForgotOut)
@_document_errors(422, 429)
def forgot_password(data):
    """Lupa kata sandi: a 6-digit code by WhatsApp (phone) or email, valid 10 minutes. The same answer whether
    or not the account exists."""
    return accounts.request_password_reset(data["identifier"])


@blp.route("/password/reset", methods=["POST"])
@api_limit
@code_limit
@blp.arguments(ResetIn)
@blp.response(200, TokenPairOut)
@_document_errors(400, 422, 429)
def reset_password(data):
    """Set a new password with the code; every other login ends, this one gets a fresh token pair."""
    return _pair(accounts.reset_password(data["identifier"], data["code"], data["new_password"]))


@blp.route("/phone/code", methods=["POST"])
@api_limit
@code_limit
@blp.response(202, CodeSentOut)
@_document_errors(401, 422, 429)
@blp.doc(security=[{"bearerAuth": []}])
def send_phone_code():
    """Send a new code by WhatsApp to prove the account's phone number."""
    return accounts.send_phone_code(_me().id)


@blp.route("/phone/verify", methods=["POST"])
@api_limit
@code_limit
@blp.arguments(CodeIn)
@blp.response(200, AccountOut)
@_document_errors(400, 401, 422, 429)
@blp.doc(security=[{"bearerAuth": []}])
def verify_phone(data):
    """Prove the phone number with the code sent at sign-up (or by POST /phone/code). Log in again (or refresh)
    for a token that says so."""
    return accounts.verify_phone(_me().id, data["code"])


@blp.route("/staff", methods=["POST"])
@api_limit
@blp.arguments(StaffIn)
@blp.response(201, AccountOut)
@_document_errors(401, 409, 422)
@blp.doc(security=[{"bearerAuth": []}])
@require_roles("admin")
def create_staff(data):
    """An admin creates a customer-service (`cs`) account; assign it to shops with PUT /api/v1/cs-staff/..."""
    return accounts.create_cs_staff(data)
