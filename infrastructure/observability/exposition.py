"""The Prometheus exposition: this process's counters (metrics.py) followed by the shared state
read at scrape time — projection and outbox lag, queue depth, sagas by status, the connection
pool and the health of PostgreSQL and Redis — for the API's /metrics; and the plain process
registry on its own port for the runner and workers.

Reading the shared state when scraped, rather than counting it as it changes, keeps every API
instance in agreement and survives restarts; it costs a handful of small queries per scrape. A
dependency that is down is reported as down, never as a failed scrape. What is read from the
read side (positions, saga counts) comes in as `SharedState`'s callables, so this adapter knows
no read model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import redis
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from infrastructure.observability.metrics import PREFIX
from infrastructure.postgres.database import Pool

# Prometheus's text format 0.0.4. Litestar adds `; charset=utf-8` to every text/* media type
# itself, so the route gives it without one (naming it twice was a malformed header).
MEDIA_TYPE: Final = "text/plain; version=0.0.4"
CONTENT_TYPE: Final = f"{MEDIA_TYPE}; charset=utf-8"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SharedState:
    """What the cluster gauges read when scraped."""

    pool: Pool
    redis: redis.Redis
    broker_namespace: str
    queues: tuple[str, ...]  # the broker's queues, by name
    # Positions of the log each read model, and the outbox relay, has yet to apply.
    projection_lags: Callable[[], Mapping[str, int]]
    outbox_lag: Callable[[], int]
    saga_counts: Callable[[], Mapping[tuple[str, str], int]]  # by (kind, status)
    # The position each stalled read model cannot apply (projections/stalls.py); none: empty.
    projection_stalls: Callable[[], Mapping[str, int]] = dict


class ClusterCollector(Collector):
    def __init__(self, state: SharedState) -> None:
        self._state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        database_up = self._database_up()
        yield _gauge("database_up", "1 when PostgreSQL answers, 0 when it does not.", database_up)
        yield from self._pool()
        if database_up:
            yield from self._database_state()
        yield from self._redis_state()

    def _database_up(self) -> int:
        try:
            with self._state.pool.connection() as conn:
                conn.execute("SELECT 1")
        except Exception as error:
            log.warning("metrics: PostgreSQL is unreachable: %s", type(error).__name__)
            return 0
        return 1

    def _pool(self) -> Iterator[GaugeMetricFamily]:
        stats = self._state.pool.get_stats()
        family = GaugeMetricFamily(
            f"{PREFIX}_db_pool_connections",
            "This process's PostgreSQL pool: connections open, idle, and requests waiting.",
            labels=["state"],
        )
        family.add_metric(["size"], stats.get("pool_size", 0))
        family.add_metric(["available"], stats.get("pool_available", 0))
        family.add_metric(["waiting"], stats.get("requests_waiting", 0))
        yield family

    def _database_state(self) -> Iterator[GaugeMetricFamily]:
        state = self._state
        lag = GaugeMetricFamily(
            f"{PREFIX}_projection_lag_events",
            "Positions of the log a read model has yet to apply.",
            labels=["projection"],
        )
        lags = state.projection_lags()
        for name, behind in lags.items():
            lag.add_metric([name], behind)
        yield lag
        stalls = state.projection_stalls()
        stalled = GaugeMetricFamily(
            f"{PREFIX}_projection_stalled_position",
            "The log position a read model cannot apply (it retries there); 0 while it applies"
            " every event.",
            labels=["projection"],
        )
        for name in sorted({*lags, *stalls}):
            stalled.add_metric([name], stalls.get(name, 0))
        yield stalled
        yield _gauge(
            "outbox_lag_events",
            "Positions of the log the outbox relay has yet to turn into saga messages.",
            state.outbox_lag(),
        )
        sagas = GaugeMetricFamily(
            f"{PREFIX}_sagas",
            "Sagas by kind and status (PARKED: waiting for an operator).",
            labels=["kind", "status"],
        )
        for (kind, status), count in sorted(state.saga_counts().items()):
            sagas.add_metric([kind, status], count)
        yield sagas

    def _redis_state(self) -> Iterator[GaugeMetricFamily]:
        cache = self._state.redis
        try:
            memory: dict[str, Any] = cache.info("memory")
            queues = self._queues()
        except Exception as error:
            log.warning("metrics: Redis is unreachable: %s", type(error).__name__)
            yield _gauge("redis_up", "1 when Redis answers, 0 when it does not.", 0)
            return
        yield _gauge("redis_up", "1 when Redis answers, 0 when it does not.", 1)
        yield _gauge("redis_memory_bytes", "Memory Redis uses.", memory.get("used_memory", 0))
        yield _gauge(
            "redis_maxmemory_bytes",
            "Redis's memory limit (0: none set).",
            memory.get("maxmemory", 0),
        )
        family = GaugeMetricFamily(
            f"{PREFIX}_queue_messages",
            "Messages waiting in the broker: ready, delayed for a retry, dead-lettered.",
            labels=["queue", "state"],
        )
        for (queue, state), count in queues.items():
            family.add_metric([queue, state], count)
        yield family

    def _queues(self) -> dict[tuple[str, str], int]:
        namespace = self._state.broker_namespace
        queues = self._state.queues
        pipe = self._state.redis.pipeline(transaction=False)
        for queue in queues:
            pipe.llen(f"{namespace}:{queue}")
            pipe.llen(f"{namespace}:{queue}.DQ")
            pipe.zcard(f"{namespace}:{queue}.XQ")
        counts = pipe.execute()
        result: dict[tuple[str, str], int] = {}
        for index, queue in enumerate(queues):
            ready, delayed, dead = counts[index * 3 : index * 3 + 3]
            result.update({(queue, "ready"): ready, (queue, "delayed"): delayed})
            result[(queue, "dead")] = dead
        return result


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


class Exposition:
    """What /metrics answers: the process registry, then the cluster's shared state."""

    def __init__(self, state: SharedState) -> None:
        self._cluster = CollectorRegistry(auto_describe=False)
        self._cluster.register(ClusterCollector(state))

    def render(self) -> bytes:
        return generate_latest(REGISTRY) + generate_latest(self._cluster)


def serve_process_metrics(port: int) -> None:
    """Serves this process's own metrics on `port` (runner and worker; the API uses /metrics)."""
    if port:
        start_http_server(port)
        log.info("metrics on :%d/metrics", port)
