"""The Dramatiq broker on Redis, with bounded retries and backoff for every saga step.

Built by the composition root before any actor is declared (Dramatiq binds actors to a broker
when they are created). A message whose retries are exhausted is handed to the actor named in
`on_retry_exhausted`, which parks its saga. An outage of our own stores is retried without
spending the budget (infrastructure/redis/saga_retries.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from dramatiq import Middleware
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    ShutdownNotifications,
    TimeLimit,
)

from infrastructure.redis.saga_retries import SagaRetries

NAMESPACE: Final = "ledgerline"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    retries_max: int
    backoff_min_ms: int
    backoff_max_ms: int
    step_time_limit_ms: int
    # A worker silent for this long is presumed dead and its unacknowledged messages are
    # requeued by the next maintenance pass, which runs on `maintenance_chance` out of a
    # million broker commands (Dramatiq's scale).
    heartbeat_timeout_ms: int = 60_000
    maintenance_chance: int = 1000


def redis_broker(
    url: str,
    policy: RetryPolicy,
    namespace: str = NAMESPACE,
    observers: Sequence[Middleware] = (),
) -> RedisBroker:
    """`observers` go first: they hear a run begin before, and end after, every other
    middleware (Dramatiq calls the `after_` hooks in reverse), so they see Retries' verdict."""
    return RedisBroker(
        url=url,
        namespace=namespace,
        heartbeat_timeout=policy.heartbeat_timeout_ms,
        maintenance_chance=policy.maintenance_chance,
        middleware=[
            *observers,
            AgeLimit(),
            TimeLimit(time_limit=policy.step_time_limit_ms),
            ShutdownNotifications(),
            Callbacks(),
            CurrentMessage(),
            SagaRetries(
                max_retries=policy.retries_max,
                min_backoff=policy.backoff_min_ms,
                max_backoff=policy.backoff_max_ms,
            ),
        ],
    )
