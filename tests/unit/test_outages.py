"""Which failures are outages of our stores, and how the one error table answers them."""

from __future__ import annotations

import psycopg
import psycopg_pool
import pytest
import redis
from eventsourcing.persistence import OperationalError as StoreOperationalError

from application.outages import (
    CommitOutcomeUnknownError,
    commit_outcome_unknown,
    service_unavailable,
)
from infrastructure.outages import is_outage, is_pool_timeout
from interfaces.http.edge.errors import EXCEPTION_HANDLERS, retry_headers, status_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("connection refused"),
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg_pool.PoolTimeout("couldn't get a connection after 5.00 sec"),
        StoreOperationalError("server closed the connection unexpectedly"),
        redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
        redis.BusyLoadingError("Redis is loading the dataset in memory"),
        redis.TimeoutError("Timeout reading from socket"),
        commit_outcome_unknown(),
    ],
)
def test_store_failures_are_outages(error: Exception) -> None:
    assert is_outage(error)


@pytest.mark.parametrize(
    "error",
    [ValueError("bad input"), psycopg.InterfaceError("cursor already closed"), KeyError("x")],
)
def test_bugs_and_refusals_are_not_outages(error: Exception) -> None:
    assert not is_outage(error)


def test_an_outage_wrapped_in_another_error_is_still_an_outage() -> None:
    wrapped = StoreOperationalError("no connection")
    wrapped.__cause__ = psycopg_pool.PoolTimeout("no connection")

    assert is_outage(wrapped)
    assert is_pool_timeout(wrapped)
    assert not is_pool_timeout(StoreOperationalError("server closed the connection"))


def test_outages_answer_503_with_retry_after_and_the_unknown_commit_says_a_retry_is_safe() -> None:
    unavailable, unknown = service_unavailable("PostgreSQL"), commit_outcome_unknown()

    assert (status_of(unavailable), unavailable.code) == (503, "SERVICE_UNAVAILABLE")
    assert (status_of(unknown), unknown.code) == (503, "COMMIT_OUTCOME_UNKNOWN")
    assert isinstance(unknown, CommitOutcomeUnknownError)
    assert "retrying with the same Idempotency-Key is safe" in unknown.message
    assert retry_headers(unavailable) == retry_headers(unknown) == {"Retry-After": "1"}


def test_every_driver_outage_has_its_handler_in_the_error_table() -> None:
    for driver_error in (psycopg.OperationalError, StoreOperationalError, redis.ConnectionError):
        assert EXCEPTION_HANDLERS[driver_error].__name__ == "on_outage"
