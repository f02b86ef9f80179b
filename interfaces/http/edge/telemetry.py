"""The outermost middleware of every route: a server span per request (continuing the caller's
`traceparent` when it sends one), the request's latency and status counted by route template,
the request id made available to log lines written while the request runs, and one access log
line per request (`ledgerline.access`: request id, key id, route, status, duration).

It sits outside the edge, so refusals (401, 429, 409 idempotency conflicts) are measured too.
Paths that match no route are not counted: their label would be whatever a scanner typed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Send
from opentelemetry.trace import SpanKind, Status, StatusCode

from application.log_context import bound
from application.tracing import span
from infrastructure.observability import metrics
from infrastructure.observability.logs import ACCESS_LOGGER
from interfaces.http.edge.edge_state import edge_state, request_id_from_headers
from interfaces.http.edge.edge_state import header_of as _header

SERVER_ERROR_MIN = 500
access = logging.getLogger(ACCESS_LOGGER)


class TelemetryMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Any, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        method = scope["method"]
        route = scope.get("path_template") or scope["path"]
        # The edge keeps the caller's X-Request-ID when it is sane; decide it once, here, so the
        # span, the logs and the response agree.
        request_id = request_id_from_headers(_header(scope, b"x-request-id"))
        scope["headers"] = [
            *(h for h in scope.get("headers", ()) if h[0] != b"x-request-id"),
            (b"x-request-id", request_id.encode()),
        ]
        status = 500
        started = time.perf_counter()

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with (
            span(
                f"HTTP {method} {route}",
                SpanKind.SERVER,
                parent=_header(scope, b"traceparent"),
                attributes={
                    "http.request.method": method,
                    "http.route": route,
                    "request.id": request_id,
                },
            ) as current,
            bound(requestId=request_id),
        ):
            try:
                await next_app(scope, receive, observed_send)
            finally:
                current.set_attribute("http.response.status_code", status)
                if status >= SERVER_ERROR_MIN:
                    current.set_status(Status(StatusCode.ERROR))
                elapsed_s = time.perf_counter() - started
                labels = (method, route, str(status))
                metrics.HTTP_REQUESTS.labels(*labels).inc()
                metrics.HTTP_REQUEST_DURATION.labels(*labels).observe(elapsed_s)
                _access_line(scope, method, route, status, elapsed_s)


def _access_line(scope: Any, method: str, route: str, status: int, elapsed_s: float) -> None:
    """One INFO line per request: who (key id), what (route template and path), how it ended
    and how long it took; the request id is bound around it."""
    state = edge_state(scope)
    principal = state.principal if state is not None else None
    duration_ms = round(elapsed_s * 1000, 2)
    access.info(
        "%s %s %d %.1f ms",
        method,
        scope["path"],
        status,
        duration_ms,
        extra={
            "method": method,
            "route": route,
            "path": scope["path"],
            "status": status,
            "durationMs": duration_ms,
            "keyId": principal.key_id if principal is not None else None,
        },
    )
