"""Our own stores being unreachable, as the use cases and edges speak of it.

An outage of PostgreSQL or Redis (down, restarting, a pool that timed out) is not a refusal and
not a bug: the caller may retry the very same request later, and with the same Idempotency-Key
a command is applied at most once. When the connection was lost while the transaction
committed, nobody can know whether it did: `CommitOutcomeUnknownError` says so, and is never
retried inside the process (a retry could apply a command without a key twice); the client's
retry with its key either replays the stored answer or runs the command for the first time.
"""

from __future__ import annotations

from typing import Final

from domain.errors import DomainError

# What `Retry-After` tells a client to wait before trying again.
RETRY_AFTER_S: Final = 1


class ServiceUnavailableError(DomainError):
    """PostgreSQL or Redis could not be reached, or a connection pool timed out."""

    code = "SERVICE_UNAVAILABLE"


class CommitOutcomeUnknownError(ServiceUnavailableError):
    """The connection was lost while the command's transaction committed."""

    code = "COMMIT_OUTCOME_UNKNOWN"


def commit_outcome_unknown() -> CommitOutcomeUnknownError:
    return CommitOutcomeUnknownError(
        "the database connection was lost while this command committed, so whether it was"
        " applied is unknown; retrying with the same Idempotency-Key is safe: it answers the"
        " stored result or applies the command once",
        retryAfter=RETRY_AFTER_S,
    )


def service_unavailable(what: str) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        f"{what} is unavailable; retry later (with the same Idempotency-Key for a command)",
        retryAfter=RETRY_AFTER_S,
    )
