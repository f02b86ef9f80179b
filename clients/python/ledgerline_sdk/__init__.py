"""The Ledgerline SDK: `Ledgerline` (sync) and `AsyncLedgerline` (async) clients, typed models,
errors by code, and `verify` for the webhooks Ledgerline sends."""

from ledgerline_sdk.client import AsyncLedgerline, Ledgerline
from ledgerline_sdk.errors import (
    AuthenticationError,
    BusinessRuleError,
    ConflictError,
    ConnectionFailedError,
    IdempotencyKeyInProgressError,
    IdempotencyKeyReusedError,
    InsufficientFundsError,
    InvalidAmountError,
    InvalidStateError,
    LedgerlineError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    RateLimitedError,
    ServiceUnavailableError,
    ValidationError,
    WebhookVerificationError,
)
from ledgerline_sdk.transport import Page, Retries
from ledgerline_sdk.webhooks import verify

__all__ = [
    "AsyncLedgerline",
    "AuthenticationError",
    "BusinessRuleError",
    "ConflictError",
    "ConnectionFailedError",
    "IdempotencyKeyInProgressError",
    "IdempotencyKeyReusedError",
    "InsufficientFundsError",
    "InvalidAmountError",
    "InvalidStateError",
    "Ledgerline",
    "LedgerlineError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitedError",
    "Retries",
    "ServiceUnavailableError",
    "ValidationError",
    "WebhookVerificationError",
    "verify",
]
