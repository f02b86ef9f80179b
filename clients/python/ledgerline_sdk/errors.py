"""Errors by the API's codes: every error answer becomes a `LedgerlineError` subclass chosen by its
`code` (then by its HTTP status), carrying the status, code, message, details and request id.

    try:
        client.balances.debit(user_id, "10.00", reason="refund")
    except InsufficientFundsError as error:
        print(error.details["available"])
"""

from __future__ import annotations

from typing import Any

import msgspec


class LedgerlineError(Exception):
    """An error answer from the API (or, with status 0, no answer at all)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.request_id = request_id
        self.retry_after_s = retry_after_s


class ValidationError(LedgerlineError):
    """400: the request is malformed (`details.field` names what)."""


class InvalidAmountError(ValidationError):
    pass


class AuthenticationError(LedgerlineError):
    """401: no key, or an unknown, revoked or expired one."""


class PermissionDeniedError(LedgerlineError):
    """403: the key lacks the scope."""


class NotFoundError(LedgerlineError):
    """404: USER_NOT_FOUND, ORDER_NOT_FOUND, …"""


class ConflictError(LedgerlineError):
    """409: the resource's state does not allow it."""


class InvalidStateError(ConflictError):
    pass


class IdempotencyKeyReusedError(ConflictError):
    """The Idempotency-Key was used with another body."""


class IdempotencyKeyInProgressError(ConflictError):
    """The first request with this Idempotency-Key is still running (retried by the SDK)."""


class DuplicateClientOrderRefError(ConflictError):
    pass


class PayloadTooLargeError(LedgerlineError):
    pass


class BusinessRuleError(LedgerlineError):
    """422: a business rule refused it."""


class InsufficientFundsError(BusinessRuleError):
    pass


class LimitExceededError(BusinessRuleError):
    pass


class RateLimitedError(LedgerlineError):
    """429: wait `retry_after_s` (retried by the SDK)."""


class ProviderError(LedgerlineError):
    """502/504: Horizon or Trustless Work failed."""


class ServiceUnavailableError(LedgerlineError):
    """503: a dependency is down, or a read model did not reach your last write in time
    (POSITION_NOT_REACHED); retried by the SDK."""


class ConnectionFailedError(LedgerlineError):
    """No answer: the connection failed or timed out, on every attempt."""


BY_CODE: dict[str, type[LedgerlineError]] = {
    "INVALID_AMOUNT": InvalidAmountError,
    "INVALID_STATE": InvalidStateError,
    "IDEMPOTENCY_KEY_REUSED": IdempotencyKeyReusedError,
    "IDEMPOTENCY_KEY_IN_PROGRESS": IdempotencyKeyInProgressError,
    "DUPLICATE_CLIENT_ORDER_REF": DuplicateClientOrderRefError,
    "INSUFFICIENT_FUNDS": InsufficientFundsError,
    "LIMIT_EXCEEDED": LimitExceededError,
}
BY_STATUS: dict[int, type[LedgerlineError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: BusinessRuleError,
    429: RateLimitedError,
    502: ProviderError,
    503: ServiceUnavailableError,
    504: ProviderError,
}


class _ErrorBody(msgspec.Struct, rename="camel"):
    code: str = "UNKNOWN"
    message: str = ""
    details: dict[str, Any] | None = None
    request_id: str | None = None


class _ErrorEnvelope(msgspec.Struct):
    error: _ErrorBody


def error_from(status: int, body: bytes, headers: Any) -> LedgerlineError:
    """The typed error for an error answer."""
    try:
        error = msgspec.json.decode(body, type=_ErrorEnvelope).error
    except msgspec.DecodeError:
        error = _ErrorBody(message=body[:200].decode("utf-8", "replace"))
    retry_after = headers.get("retry-after")
    klass = BY_CODE.get(error.code) or BY_STATUS.get(status) or LedgerlineError
    return klass(
        status,
        error.code,
        error.message,
        error.details,
        error.request_id or headers.get("x-request-id"),
        float(retry_after) if retry_after and retry_after.isdigit() else None,
    )


class WebhookVerificationError(Exception):
    """A webhook's signature, id or timestamp does not verify."""
