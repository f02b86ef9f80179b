"""`GET /metrics`: Prometheus's text exposition of this API process and of the shared state
(infrastructure/observability/exposition.py). Public, at the root like every Prometheus target:
keep the API's port off the internet or filter /metrics at the proxy (docs/operations.md)."""

from __future__ import annotations

from typing import Any, Final

from litestar import Response, get

from infrastructure.observability.exposition import MEDIA_TYPE, Exposition, SharedState
from interfaces.http.edge.admission import PUBLIC, scope
from interfaces.services import Services
from interfaces.workers.outbox import OutboxRelay
from interfaces.workers.saga_messages import QUEUE as SAGA_QUEUE
from interfaces.workers.webhook_messages import QUEUE as WEBHOOK_QUEUE
from projections.stalls import Stalls
from projections.store import ProjectionStore

METRICS_PATH: Final = "/metrics"


def shared_state(services: Services) -> SharedState:
    """The shared state the cluster gauges read, from the read side and the broker's queues."""
    resources = services.resources
    ledger, stores = resources.ledger, resources.projections
    # Opened only to read its position: a relay without a broker applies nothing.
    outbox = ProjectionStore(OutboxRelay(None), resources.pool, ledger)
    stalls = Stalls(resources.pool)

    def projection_lags() -> dict[str, int]:
        head = ledger.head_position()
        return {name: max(head - store.position(), 0) for name, store in stores.items()}

    def outbox_lag() -> int:
        status = outbox.status()
        return status.lag if status.version is not None else 0  # no relay ran yet: nothing owed

    return SharedState(
        pool=resources.pool,
        redis=resources.redis,
        broker_namespace=services.settings.broker_namespace,
        queues=(SAGA_QUEUE, WEBHOOK_QUEUE),
        projection_lags=projection_lags,
        outbox_lag=outbox_lag,
        saga_counts=services.views.sagas.counts,
        projection_stalls=lambda: {name: s.position for name, s in stalls.all().items()},
    )


def metrics_route(exposition: Exposition) -> Any:
    @get(
        METRICS_PATH,
        opt=scope(PUBLIC),
        sync_to_thread=True,
        include_in_schema=False,
        operation_id="getMetrics",
    )
    def metrics() -> Response[bytes]:
        """This process's metrics and the shared state's, as Prometheus scrapes them."""
        return Response(exposition.render(), media_type=MEDIA_TYPE)

    return metrics
