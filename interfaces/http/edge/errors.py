"""The one table from error classes to HTTP statuses, and the error body every failure uses:
`{"error": {"code", "message", "details"?, "requestId"}}`.

Domain errors carry their own code; framework errors (malformed JSON, unknown route, body too
large) are translated here too, so no business rule or bad input ever becomes a 500.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from application.access_tokens import ScopeEscalationError, TokensUnavailableError
from application.ledger import ConcurrencyConflictError
from application.payment_providers import NoticeRejectedError
from application.webhooks import SecretsNotConfiguredError
from application.withdrawals import WithdrawalDestinationInvalidError
from domain.accounts import CurrencyMismatchError, ReservationMismatchError
from domain.airtm_links import AirtmNotLinkedError, AirtmUserInvalidError
from domain.errors import (
    ConflictError,
    DomainError,
    InsufficientFundsError,
    LimitExceededError,
    NotFoundError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    ValidationError,
)
from interfaces.http.edge.edge_state import request_id_from_scope
from interfaces.http.schemas.wire import STORABLE_PATTERN, STORABLE_RULE

log = logging.getLogger(__name__)


class UnauthorizedError(DomainError):
    code = "UNAUTHORIZED"


class InvalidApiKeyError(UnauthorizedError):
    code = "INVALID_API_KEY"


class InsufficientScopeError(DomainError):
    code = "INSUFFICIENT_SCOPE"


class RateLimitedError(DomainError):
    code = "RATE_LIMITED"


class PayloadTooLargeError(DomainError):
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaTypeError(DomainError):
    code = "UNSUPPORTED_MEDIA_TYPE"


class HeadersTooLargeError(DomainError):
    code = "REQUEST_HEADERS_TOO_LARGE"


class InvalidSignatureError(UnauthorizedError):
    code = "INVALID_SIGNATURE"


class WebhookNotConfiguredError(DomainError):
    code = "WEBHOOK_NOT_CONFIGURED"


class TooManyStreamsError(RateLimitedError):
    code = "TOO_MANY_STREAMS"


class PositionNotReachedError(DomainError):
    """A read asked for `X-Min-Position` and its read models did not get there in time."""

    code = "POSITION_NOT_REACHED"


# Most specific class wins: lookups walk the error's MRO.
STATUS_BY_ERROR: Final[dict[type[DomainError], int]] = {
    DomainError: 400,
    ValidationError: 400,
    CurrencyMismatchError: 400,
    UnauthorizedError: 401,
    InsufficientScopeError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    ConcurrencyConflictError: 409,
    PayloadTooLargeError: 413,
    UnsupportedMediaTypeError: 415,
    HeadersTooLargeError: 431,
    InsufficientFundsError: 422,
    LimitExceededError: 422,
    ReservationMismatchError: 422,
    RateLimitedError: 429,
    WithdrawalDestinationInvalidError: 422,
    ProviderError: 502,
    ProviderUnavailableError: 503,
    ProviderTimeoutError: 504,
    InvalidSignatureError: 401,
    NoticeRejectedError: 401,
    AirtmNotLinkedError: 422,
    AirtmUserInvalidError: 422,
    WebhookNotConfiguredError: 503,
    SecretsNotConfiguredError: 503,
    TooManyStreamsError: 429,
    PositionNotReachedError: 503,
    TokensUnavailableError: 503,
    ScopeEscalationError: 403,
}
# Refusals that pass with time say when to try again (details.retryAfter, else this).
RETRY_AFTER_DEFAULT_S: Final = 1

# msgspec words a refused storable-text pattern as the regex; say the rule instead.
_STORABLE_MISMATCH: Final = f"Expected `str` matching regex {STORABLE_PATTERN!r}"

_CODE_BY_STATUS: Final = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "INSUFFICIENT_SCOPE",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "INVALID_STATE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    431: "REQUEST_HEADERS_TOO_LARGE",
    429: "RATE_LIMITED",
}


def status_of(error: DomainError) -> int:
    for klass in type(error).__mro__:
        if klass in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[klass]  # type: ignore[index]
    return 400


def error_body(
    code: str, message: str, request_id: str, details: dict[str, Any] | None = None
) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message, "requestId": request_id}
    if details:
        error["details"] = details
    return msgspec.json.encode({"error": error})


def request_id_of(request: Request[Any, Any, Any]) -> str:
    return request_id_from_scope(request.scope)


def _response(request: Request[Any, Any, Any], status: int, body: bytes) -> Response[bytes]:
    return Response(
        content=body,
        status_code=status,
        media_type="application/json",
        headers={"X-Request-ID": request_id_of(request)},
    )


def on_domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[bytes]:
    body = error_body(error.code, error.message, request_id_of(request), error.details)
    status = status_of(error)
    response = _response(request, status, body)
    if status in (429, 503):
        retry_after = error.details.get("retryAfter", RETRY_AFTER_DEFAULT_S)
        response.headers["Retry-After"] = str(retry_after)
    return response


def on_validation_error(
    request: Request[Any, Any, Any], error: ValidationException
) -> Response[bytes]:
    problems = [
        f"{item.get('key') or 'body'}: {item.get('message')}".replace(
            _STORABLE_MISMATCH, STORABLE_RULE
        )
        if isinstance(item, dict)
        else str(item)
        for item in (error.extra if isinstance(error.extra, list) else [])
    ]
    body = error_body(
        "VALIDATION_ERROR",
        "the request is malformed" if not problems else problems[0],
        request_id_of(request),
        {"validationErrors": problems} if problems else None,
    )
    return _response(request, 400, body)


def on_http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
    status = error.status_code
    if status >= 500:
        return on_unexpected_error(request, error)
    code = _CODE_BY_STATUS.get(status, "VALIDATION_ERROR" if status < 500 else "INTERNAL_ERROR")
    body = error_body(code, str(error.detail), request_id_of(request))
    response = _response(request, status, body)
    if error.headers:
        response.headers.update(error.headers)
    return response


def on_unexpected_error(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    body = error_body("INTERNAL_ERROR", "internal error", request_id_of(request))
    return _response(request, 500, body)


EXCEPTION_HANDLERS: Final = {
    DomainError: on_domain_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected_error,
}
