"""Saga steps on a real Redis broker: an outage of our stores is waited out without spending the
step's retry budget; any other failure spends it and, exhausted, parks the saga."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import dramatiq
import psycopg
import pytest
from dramatiq.brokers.redis import RedisBroker

from infrastructure.redis.broker import RetryPolicy, redis_broker
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

BUDGET = 1  # retries a failing step may spend before it is parked
FAILURES = 4  # more than the budget


@pytest.fixture
def broker(redis_url: str) -> Iterator[RedisBroker]:
    policy = RetryPolicy(
        retries_max=BUDGET, backoff_min_ms=10, backoff_max_ms=20, step_time_limit_ms=10_000
    )
    built = redis_broker(redis_url, policy, namespace=f"retries-test-{uuid.uuid4().hex[:8]}")
    yield built
    built.close()


def run_step(broker: RedisBroker, failure: type[Exception]) -> dict[str, Any]:
    """Declares a step that fails FAILURES times with `failure`, then succeeds, and a parking
    actor; runs them on a worker until the step succeeds or is parked."""
    seen: dict[str, Any] = {"attempts": 0, "succeeded": False, "parked": False}
    done = threading.Event()

    def step() -> None:
        seen["attempts"] += 1
        if seen["attempts"] <= FAILURES:
            raise failure("the store is unreachable")
        seen["succeeded"] = True
        done.set()

    def park(message: dict[str, Any], retries: dict[str, Any]) -> None:
        seen["parked"] = True
        done.set()

    dramatiq.actor(park, actor_name="park", broker=broker, queue_name="q")
    actor = dramatiq.actor(
        step, actor_name="step", broker=broker, queue_name="q", on_retry_exhausted="park"
    )
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        actor.send()
        wait_until(done.is_set, timeout_s=60, message="the step to succeed or be parked")
    finally:
        worker.stop()
    return seen


def test_a_step_that_meets_an_outage_is_retried_past_its_budget_and_succeeds(
    broker: RedisBroker,
) -> None:
    seen = run_step(broker, psycopg.OperationalError)

    assert seen == {"attempts": FAILURES + 1, "succeeded": True, "parked": False}


def test_a_step_that_fails_otherwise_spends_its_budget_and_is_parked(broker: RedisBroker) -> None:
    seen = run_step(broker, RuntimeError)

    assert seen == {"attempts": BUDGET + 1, "succeeded": False, "parked": True}
