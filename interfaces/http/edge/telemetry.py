"""The outermost middleware of every route: a server span per request (continuing the caller's
`traceparent` when it sends one), the request's latency and status counted by route template,
and the request id made available to log lines written while the request runs.

It sits outside the edge, so refusals (401, 429, 409 idempotency conflicts) are measured too.
Paths that match no route are not counted: their label would be whatever a scanner typed.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Send
from opentelemetry.trace import SpanKind, Status, StatusCode

from application.log_context import bound
from application.tracing import span
from infrastructure.observability import metrics
from interfaces.http.edge.edge_state import header_of as _header
from interfaces.http.edge.edge_state import request_id_from_headers

SERVER_ERROR_MIN = 500


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
                labels = (method, route, str(status))
                metrics.HTTP_REQUESTS.labels(*labels).inc()
                metrics.HTTP_REQUEST_DURATION.labels(*labels).observe(time.perf_counter() - started)
