"""What a handler may ask for, by parameter name, provided once for the whole app (Litestar's
layered `Provide`): each use case by its name (`orders`), each read model's view as
`<name>_view` (`orders_view`), the few resources the edge reads itself (`settings`, `clock`,
`network`, `deliveries`, and for the health probes `pool`, `redis`, `projections`),
`read_your_writes`, and the per-request `respond`.

A handler names only what it uses, typed (`orders: Provided[Orders]`), so its signature says
what it depends on; nothing hands a controller the whole `Services`. The values are the app's
own objects, so Litestar is told not to validate them (a port is a Protocol, which it could not
check anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation

from infrastructure.postgres.idempotency import IdempotencyStore
from interfaces.http.edge.edge_state import edge_state
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Responder
from interfaces.services import Services
from interfaces.workers.log_signal import LogSignal
from projections.store import ProjectionStore

T = TypeVar("T")
Provided = NamedDependency[SkipValidation[T]]
Clock = Callable[[], datetime]
ProjectionStores = dict[str, ProjectionStore]
VIEW_SUFFIX = "_view"
# The per-request responder, as a handler asks for it (by the parameter name `respond`).
Respond = Provided[Responder]


def app_dependencies(services: Services, signal: LogSignal | None = None) -> dict[str, Provide]:
    resources = services.resources
    named: dict[str, object] = {
        **{f.name: getattr(services.use_cases, f.name) for f in fields(services.use_cases)},
        **{f.name + VIEW_SUFFIX: getattr(services.views, f.name) for f in fields(services.views)},
        "settings": services.settings,
        "clock": resources.clock,
        "network": resources.network,
        "deliveries": resources.deliveries,
        "pool": resources.pool,
        "redis": resources.redis,
        "projections": resources.projections,
        "read_your_writes": ReadYourWrites(
            resources.projections, resources.ledger.head_position, signal=signal
        ),
    }
    provided = {
        name: Provide(_constant(value), sync_to_thread=False, use_cache=True)
        for name, value in named.items()
    }
    provided["respond"] = Provide(_responder(resources.idempotency, signal), sync_to_thread=False)
    return provided


def _constant(value: object) -> Callable[[], Any]:
    return lambda: value


def _responder(
    idempotency: IdempotencyStore, signal: LogSignal | None
) -> Callable[[Request[Any, Any, Any]], Responder]:
    def respond(request: Request[Any, Any, Any]) -> Responder:
        state = edge_state(request.scope)
        assert state is not None, "every route runs behind EdgeMiddleware"
        return Responder(state, idempotency, signal)

    return respond
