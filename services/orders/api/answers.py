"""What every orders route shares: the OpenAPI security note, and how a domain refusal is answered."""
from __future__ import annotations

import functools

from pasar.errors import ApiError, not_found

from .. import domain

AUTH = [{"bearerAuth": []}]


def domain_errors(view):
    """Domain refusals become the API's error body: another's thing is 404, a wrong amount 422, a move the
    state machine forbids 409."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except domain.NotYours as err:
            raise not_found("delivery") from err
        except domain.CashMismatch as err:
            raise ApiError(422, err.message, err.code, {"cod_amount_collected": [err.message]}) from err
        except domain.DomainError as err:
            raise ApiError(409, err.message, err.code) from err
    return wrapper
