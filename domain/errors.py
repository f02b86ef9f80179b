"""The root of every business error, each carrying the API error code it maps to.

Aggregates and use cases raise these; the HTTP edge maps them to statuses in exactly one table
(`interfaces/http/edge/errors.py`). A business rule must never surface as a 500.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refused command. `code` is the stable API error code; `details` names what was involved."""

    code: ClassVar[str] = "DOMAIN_ERROR"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(DomainError):
    code = "VALIDATION_ERROR"


class InvalidAmountError(ValidationError):
    code = "INVALID_AMOUNT"


class InvalidIdError(ValidationError):
    """A malformed public id (wrong prefix or encoding). A well-formed unknown id is NotFound."""


class NotFoundError(DomainError):
    code = "NOT_FOUND"


class ConflictError(DomainError):
    code = "CONFLICT"


class InvalidStateError(ConflictError):
    code = "INVALID_STATE"


class InsufficientFundsError(DomainError):
    code = "INSUFFICIENT_FUNDS"


class LimitExceededError(DomainError):
    code = "LIMIT_EXCEEDED"


class ProviderError(DomainError):
    """An external service (Horizon, Trustless Work) failed; the command may be retried."""

    code = "PROVIDER_ERROR"


class ProviderUnavailableError(ProviderError):
    code = "PROVIDER_UNAVAILABLE"


class ProviderTimeoutError(ProviderError):
    code = "PROVIDER_TIMEOUT"
