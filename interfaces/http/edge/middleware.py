"""The ASGI middleware in front of every route: request ids, the request's shape (its path and
query text, its body's size, media type and depth), admission (auth, scope, rate limit,
idempotency) and the response headers every answer carries.

It only moves bytes and calls the `Gate`; the decisions live in `admission.py`. The event loop
never blocks on I/O: admission awaits its one Redis round trip on the loop, and whatever would
block (PostgreSQL, the blocking Redis client) runs in the edge's threads (handler_threads.py).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Send

from application.tracing import current_traceparent
from domain.api_keys import ADMIN
from domain.errors import DomainError
from infrastructure.observability import metrics
from infrastructure.outages import is_outage
from interfaces.http.edge.admission import (
    CLAIM_OPT,
    MUTATING_METHODS,
    WITH_EVENTS,
    Admitted,
    Arrival,
    Gate,
    Refused,
    Replayed,
)
from interfaces.http.edge.edge_state import (
    STATE_KEY,
    EdgeState,
    request_id_from_headers,
    traceparent_from_headers,
)
from interfaces.http.edge.edge_state import header_of as _header
from interfaces.http.edge.errors import (
    PayloadTooLargeError,
    error_body,
    outage_of,
    retry_headers,
    status_of,
)
from interfaces.http.edge.handler_threads import in_edge_thread
from interfaces.http.edge.request_body import BODY_BYTES_MAX, check_body
from interfaces.http.edge.request_target import check_target

__all__ = ["BODY_BYTES_MAX", "EdgeMiddleware"]

# A body up to this size is checked on the event loop (≤ ~35 µs, less than handing
# it to a thread and back); a larger one in a worker thread.
BODY_INLINE_MAX: Final = 8 * 1024

log = logging.getLogger(__name__)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None when it exceeds BODY_BYTES_MAX."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > BODY_BYTES_MAX:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _send_bytes(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-type", b"application/json"))
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class EdgeMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    async def handle(self, scope: Any, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = request_id_from_headers(_header(scope, b"x-request-id"))
        base_headers = {"X-Request-ID": request_id}
        body = b""
        try:
            check_target(scope.get("path_params") or {}, scope.get("query_string") or b"")
            if scope["method"] in MUTATING_METHODS:
                read = await _read_body(receive)
                if read is None:
                    raise PayloadTooLargeError(
                        f"the body exceeds {BODY_BYTES_MAX} bytes", max=BODY_BYTES_MAX
                    )
                content_type = _header(scope, b"content-type")
                if len(read) <= BODY_INLINE_MAX:
                    check_body(content_type, read)
                else:  # scanning up to a MiB of JSON takes milliseconds: not on the event loop
                    await in_edge_thread(check_body, content_type, read)
                body = read
                receive = _replaying(body)
        except DomainError as error:
            await self._refuse(send, request_id, error, base_headers)
            return
        arrival = Arrival(
            method=scope["method"],
            path=scope["path"]
            + (f"?{scope['query_string'].decode()}" if scope["query_string"] else ""),
            # A route that forgot its scope is admin-only rather than open (create_app also
            # refuses to start with one).
            required_scope=scope["route_handler"].opt.get("scope", ADMIN),
            claims_with_events=scope["route_handler"].opt.get(CLAIM_OPT) == WITH_EVENTS,
            authorization=_header(scope, b"authorization"),
            idempotency_key=_header(scope, b"idempotency-key"),
            client=(scope.get("client") or ("unknown", 0))[0],
            body=body,
        )
        try:
            outcome = await self.gate.admit_on_loop(arrival)
        except Exception as error:
            if not is_outage(error):
                raise
            log.warning(
                "dependency outage admitting %s %s: %s", arrival.method, scope["path"], error
            )
            await self._refuse(send, request_id, outage_of(error), base_headers)
            return
        headers = {**base_headers, **outcome.headers}
        if isinstance(outcome, Refused):
            await self._refuse(send, request_id, outcome.error, headers)
            return
        if isinstance(outcome, Replayed):
            metrics.IDEMPOTENCY_REPLAYS.inc()
            headers["Idempotency-Replay"] = "true"
            await _send_bytes(send, outcome.response.status, outcome.response.body, headers)
            return
        await self._pass(scope, receive, send, next_app, outcome, request_id, headers)

    async def _pass(
        self,
        scope: Any,
        receive: Receive,
        send: Send,
        next_app: ASGIApp,
        admitted: Admitted,
        request_id: str,
        headers: dict[str, str],
    ) -> None:
        state = EdgeState(
            request_id=request_id,
            principal=admitted.principal,
            claim=admitted.claim,
            # The request's own span (edge/telemetry.py), so commands join its trace.
            traceparent=current_traceparent()
            or traceparent_from_headers(_header(scope, b"traceparent")),
        )
        scope.setdefault("state", {})[STATE_KEY] = state
        extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        status = 500
        chunks: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *extra]
            elif message["type"] == "http.response.body" and state.claim and not state.settled:
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await next_app(scope, receive, send_with_headers)
        finally:
            if state.claim is not None and not state.settled:
                await in_edge_thread(self._settle, state, status, b"".join(chunks))

    def _settle(self, state: EdgeState, status: int, body: bytes) -> None:
        assert state.claim is not None
        try:
            self.gate.settle(state.claim, status, body, state.stored_in_transaction)
        except DomainError as error:
            log.warning("idempotency record not settled (%s): %s", error.code, error.message)
        except Exception as error:
            # The answer is sent; an unsettled claim expires after its lock (idempotency.LOCK_S)
            # and a retry with the key then runs or replays the command.
            if not is_outage(error):
                raise
            log.warning("idempotency record not settled, the store is unreachable: %s", error)

    async def _refuse(
        self, send: Send, request_id: str, error: DomainError, headers: dict[str, str]
    ) -> None:
        metrics.edge_refused(error.code)
        body = error_body(error.code, error.message, request_id, error.details)
        await _send_bytes(send, status_of(error), body, {**retry_headers(error), **headers})
