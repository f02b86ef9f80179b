"""Liveness, readiness and public configuration."""

from __future__ import annotations

import time
from importlib.metadata import version
from typing import Any, Final

from litestar import Controller, Response, get
from redis import Redis

from application.payment_providers import PaymentProvider
from domain.ceilings import (
    AMOUNT,
    AMOUNT_STROOPS_MAX,
    ESCROW_BALANCE,
    ESCROW_BALANCE_STROOPS_MAX,
    USER_BALANCE,
    USER_BALANCE_STROOPS_MAX,
)
from domain.money import Amount
from infrastructure.postgres.database import Pool
from infrastructure.postgres.leadership import held_locks, lock_key
from interfaces.http.contract.answers import answers
from interfaces.http.edge.admission import PUBLIC, scope
from interfaces.http.edge.dependencies import ProjectionStores, Provided, Respond
from interfaces.http.edge.responses import Envelope, iso, now_iso
from interfaces.http.schemas.vocabulary import (
    Connection,
    DependencyStatus,
    HealthStatus,
    ReadinessStatus,
)
from interfaces.http.schemas.wire import AmountText, Body, Timestamp
from interfaces.settings import Settings
from interfaces.workers.loops import loop_names
from projections.stalls import Stalls

# Past this many unapplied events a read model is too stale to serve from.
PROJECTION_LAG_READY_MAX: Final = 10_000
# A probe waits this long for a pooled connection: readiness answers fast during an outage.
PROBE_TIMEOUT_S: Final = 2.0
VERSION: Final = version("ledgerline")
NOT_READY: Final = "not ready: a dependency is down or a read model is missing or behind"


class HealthBody(Body):
    status: HealthStatus
    version: str
    database: Connection
    redis: Connection
    timestamp: Timestamp


class DependencyBody(Body):
    status: DependencyStatus
    latency_ms: float | None = None
    error: str | None = None


class ProjectionStallBody(Body):
    """An event the read model cannot apply: it waits before `position`, retrying."""

    position: int
    error: str
    since: Timestamp


class ProjectionLagBody(Body):
    position: int
    lag: int
    needs_rebuild: bool
    # Present while the projection cannot apply the event at `stall.position`.
    stall: ProjectionStallBody | None = None


class ReadyBody(Body):
    status: ReadinessStatus
    version: str
    dependencies: dict[str, DependencyBody]
    projections: dict[str, ProjectionLagBody]
    leadership: dict[str, bool]


class LimitBody(Body):
    min: AmountText
    max: AmountText


class ConfigBody(Body):
    version: str
    network: str
    currencies: list[str]
    limits: dict[str, LimitBody]
    platform_fee_bps: int
    features: dict[str, bool]
    sandbox_url: str | None = None
    # The payment providers enabled, and the withdrawal destinations each pays out to.
    providers: dict[str, list[str]] | None = None


def _probe(check: Any) -> DependencyBody:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:
        return DependencyBody(status="down", error=type(error).__name__)
    return DependencyBody(status="up", latency_ms=round((time.perf_counter() - started) * 1e3, 2))


def _database(pool: Pool) -> None:
    with pool.connection(timeout=PROBE_TIMEOUT_S) as conn:
        conn.execute("SELECT 1")


class HealthController(Controller):
    path = "/"
    tags = ["health"]

    @get("/health", opt=scope(PUBLIC), sync_to_thread=True, operation_id="getHealth")
    def health(
        self,
        pool: Provided[Pool],
        redis: Provided[Redis],
        respond: Respond,
    ) -> Response[Envelope[HealthBody]]:
        """Liveness with the seed's shape: status, version, database and redis."""
        database = _probe(lambda: _database(pool))
        cache = _probe(redis.ping)
        healthy = database.status == cache.status == "up"
        body = HealthBody(
            status="healthy" if healthy else "degraded",
            version=VERSION,
            database="connected" if database.status == "up" else "disconnected",
            redis="connected" if cache.status == "up" else "disconnected",
            timestamp=now_iso(),
        )
        return respond.ok(body)

    @get(
        "/health/ready",
        opt=scope(PUBLIC) | answers(also={503: NOT_READY}),
        sync_to_thread=True,
        operation_id="getReadiness",
    )
    def ready(
        self,
        pool: Provided[Pool],
        redis: Provided[Redis],
        projections: Provided[ProjectionStores],
        respond: Respond,
    ) -> Response[Envelope[ReadyBody]]:
        """Readiness: dependencies with latency, projection lag and whether some runner leads
        each loop; 503 when a dependency is down or a read model is missing or too far behind.
        A loop without a leader is reported, not failed on: this instance can still serve, and
        a projection left unled shows up as lag. So is a stalled projection (one that cannot
        apply an event): it names the position and the error, and fails readiness only once
        its lag passes the threshold, since every other read model still serves."""
        dependencies = {
            "database": _probe(lambda: _database(pool)),
            "redis": _probe(redis.ping),
        }
        lags: dict[str, ProjectionLagBody] = {}
        leadership: dict[str, bool] = {}
        if dependencies["database"].status == "up":
            stalls = Stalls(pool).all()
            for name, store in projections.items():
                status = store.status()
                stall = stalls.get(name)
                lags[name] = ProjectionLagBody(
                    status.position,
                    status.lag,
                    status.needs_rebuild,
                    stall=ProjectionStallBody(stall.position, stall.error, iso(stall.since) or "")
                    if stall
                    else None,
                )
            with pool.connection() as conn:
                held = held_locks(conn)
            leadership = {name: lock_key(name) in held for name in loop_names(projections)}
        ready = all(d.status == "up" for d in dependencies.values()) and all(
            not p.needs_rebuild and p.lag <= PROJECTION_LAG_READY_MAX for p in lags.values()
        )
        body = ReadyBody(
            status="ready" if ready else "not_ready",
            version=VERSION,
            dependencies=dependencies,
            projections=lags,
            leadership=leadership,
        )
        return respond.ok(body, status=200 if ready else 503)

    @get("/config", opt=scope(PUBLIC), sync_to_thread=False, operation_id="getConfig")
    def config(
        self,
        settings: Provided[Settings],
        payment_providers: Provided[dict[str, PaymentProvider]],
        respond: Respond,
    ) -> Response[Envelope[ConfigBody]]:
        """Currencies, the limits actually enforced, features and network."""

        def limit(low: int, high: int) -> LimitBody:
            return LimitBody(Amount(low).to_wire(), Amount(high).to_wire())

        body = ConfigBody(
            version=VERSION,
            network=settings.stellar_network,
            currencies=[settings.currency],
            limits={
                "withdrawal": limit(
                    settings.withdrawal_min_stroops, settings.withdrawal_max_stroops
                ),
                "order": limit(settings.order_min_stroops, settings.order_max_stroops),
                # What the domain allows whatever the settings (domain/ceilings.py).
                AMOUNT: limit(1, AMOUNT_STROOPS_MAX),
                USER_BALANCE: limit(0, USER_BALANCE_STROOPS_MAX),
                ESCROW_BALANCE: limit(0, ESCROW_BALANCE_STROOPS_MAX),
                "topup": limit(settings.topup_min_stroops, settings.topup_max_stroops),
            },
            providers={
                name: list(provider.destination_types)
                for name, provider in payment_providers.items()
            },
            platform_fee_bps=settings.platform_fee_bps,
            features={
                "idempotency": True,
                "rateLimit": True,
                "readYourWrites": True,
                "airtm": settings.airtm_enabled,
            },
            sandbox_url=settings.sandbox_url if settings.stellar_network == "sandbox" else None,
        )
        return respond.ok(body)
