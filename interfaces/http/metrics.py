"""`GET /metrics`: Prometheus's text exposition of this API process and of the shared state
(interfaces/metrics.py). Public, at the root like every Prometheus target: keep the API's port
off the internet or filter /metrics at the proxy (docs/operations.md)."""

from __future__ import annotations

from typing import Any, Final

from litestar import Response, get

from interfaces.http.edge.admission import PUBLIC, scope
from interfaces.metrics import CONTENT_TYPE, Exposition

METRICS_PATH: Final = "/metrics"


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
        return Response(exposition.render(), media_type=CONTENT_TYPE)

    return metrics
