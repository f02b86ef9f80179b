"""Which exceptions of our drivers mean "PostgreSQL or Redis is unreachable right now".

psycopg raises OperationalError for a refused or lost connection, a server shutting down or in
recovery, a pool timeout (PoolTimeout) and a lock or statement timeout; eventsourcing wraps the
same as its own OperationalError; redis-py raises ConnectionError (loading
an append-only file included) and TimeoutError. Every edge answers these as an outage (503,
retry later), never as a bug (500), and saga steps retry them without spending their budget.
InterfaceErrors are left out on purpose: they mean the driver was misused, a bug.
"""

from __future__ import annotations

from typing import Final

import psycopg
import psycopg_pool
import redis
from eventsourcing.persistence import OperationalError as StoreOperationalError

from application.outages import ServiceUnavailableError

OUTAGE_ERRORS: Final[tuple[type[BaseException], ...]] = (
    ServiceUnavailableError,
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
    psycopg_pool.TooManyRequests,
    StoreOperationalError,
    redis.ConnectionError,
    redis.TimeoutError,
)
# Causes and contexts followed when an outage arrives wrapped in another exception.
CAUSE_DEPTH_MAX: Final = 8


def is_outage(error: BaseException | None) -> bool:
    """Whether `error`, or something it was raised from, is one of OUTAGE_ERRORS."""
    for _ in range(CAUSE_DEPTH_MAX):
        if error is None:
            return False
        if isinstance(error, OUTAGE_ERRORS):
            return True
        error = error.__cause__ or error.__context__
    return False


def is_pool_timeout(error: BaseException | None) -> bool:
    """Whether `error` is (or wraps) a pool that found no connection in time: retrying it at
    once only waits as long again."""
    for _ in range(CAUSE_DEPTH_MAX):
        if error is None:
            return False
        if isinstance(error, psycopg_pool.PoolTimeout | psycopg_pool.TooManyRequests):
            return True
        error = error.__cause__ or error.__context__
    return False
