"""The one table from error classes to HTTP statuses, and the error body every failure uses:
`{"error": {"code", "message", "details"?, "requestId"}}`.

Domain errors carry their own code; framework errors (malformed JSON, unknown route, body too
large) are translated here too, so no business rule or bad input ever becomes a 500. Our own
stores being unreachable (infrastructure/outages.py) is a 503 `SERVICE_UNAVAILABLE` with
`Retry-After`, whichever route met it, and `COMMIT_OUTCOME_UNKNOWN` when the connection died
while a command committed.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from application.access_tokens import ScopeEscalationError, TokensUnavailableError
from application.ledger import ConcurrencyConflictError
from application.outages import RETRY_AFTER_S, ServiceUnavailableError, service_unavailable
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
from infrastructure.outages import OUTAGE_ERRORS, is_outage
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
    ServiceUnavailableError: 503,
}
# Statuses that tell the client to come back: they carry Retry-After (details.retryAfter, else
# RETRY_AFTER_S).
RETRY_LATER: Final = frozenset({429, 503})

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


def retry_headers(error: DomainError) -> dict[str, str]:
    """`Retry-After` for an error that asks the client to come back."""
    if status_of(error) not in RETRY_LATER:
        return {}
    return {"Retry-After": str(error.details.get("retryAfter", RETRY_AFTER_S))}


def _response(
    request: Request[Any, Any, Any],
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    return Response(
        content=body,
        status_code=status,
        media_type="application/json",
        headers={"X-Request-ID": request_id_of(request), **(headers or {})},
    )


def on_domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[bytes]:
    body = error_body(error.code, error.message, request_id_of(request), error.details)
    return _response(request, status_of(error), body, retry_headers(error))


def outage_of(error: BaseException) -> ServiceUnavailableError:
    """The answer for a driver's outage exception: which store, in the message."""
    text = f"{type(error).__module__} {error}".lower()
    return service_unavailable("Redis" if "redis" in text else "PostgreSQL")


def on_outage(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    log.warning(
        "dependency outage on %s %s: %s: %s",
        request.method,
        request.url.path,
        type(error).__name__,
        str(error).strip().splitlines()[0] if str(error).strip() else "",
    )
    return on_domain_error(request, outage_of(error))


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
    if is_outage(error):  # raised from a driver's error by code between us and the driver
        return on_outage(request, error)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    body = error_body("INTERNAL_ERROR", "internal error", request_id_of(request))
    return _response(request, 500, body)


EXCEPTION_HANDLERS: Final = {
    **{outage: on_outage for outage in OUTAGE_ERRORS if not issubclass(outage, DomainError)},
    DomainError: on_domain_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected_error,
}
