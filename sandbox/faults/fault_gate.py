"""The ASGI wrapper that carries out injected faults around one simulated API.

For each request it asks the registry for at most one matching rule. Handler modes are passed
down in `active_fault`; gate modes happen here: an error status, 429 with Retry-After, 504 before
the request reaches the app, the request applied and then answered with a timeout (outcome
unknown to the client), a hang until the client gives up, or a dropped connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.faults.fault_rules import GATE_MODES, FaultRegistry, FaultRule, active_fault
from sandbox.faults.transports import abort_connection

ASGIApp = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class FaultResponse:
    """What the gate answers instead of the app; each API renders it in its own error format."""

    rule: FaultRule
    status: int
    request_body: bytes
    path: str


# Renders a FaultResponse to (response start, response body) ASGI messages.
FaultRenderer = Callable[[FaultResponse], tuple[dict[str, Any], dict[str, Any]]]
# The handler modes a request's route supports: (method, path, scope) -> modes.
HandlerModes = Callable[[str, str, Any], frozenset[str]]


class FaultGate:
    def __init__(
        self,
        api: str,
        app: ASGIApp,
        registry: FaultRegistry,
        handler_modes: HandlerModes,
        render: FaultRenderer,
    ):
        self._api = api
        self._app = app
        self._registry = registry
        self._handler_modes = handler_modes
        self._render = render

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"].removeprefix(scope.get("root_path", ""))
        modes = GATE_MODES | self._handler_modes(method, path, scope)
        rule = self._registry.match(f"{self._api} {method} {path}", modes)
        if rule is None:
            await self._app(scope, receive, send)
        elif rule.mode not in GATE_MODES:
            token = active_fault.set(rule)
            try:
                await self._app(scope, receive, send)
            finally:
                active_fault.reset(token)
        else:
            await self._perform(rule, scope, receive, send, path)

    async def _perform(
        self, rule: FaultRule, scope: Any, receive: Any, send: Any, path: str
    ) -> None:
        if rule.mode == "drop_connection":
            await abort_connection(scope, receive, send, response_started=False)
            return
        if rule.mode == "slow":  # latency, not failure: the request then runs as usual
            await asyncio.sleep(rule.delay_ms / 1000)
            await self._app(scope, receive, send)
            return
        if rule.mode == "hang":
            await _wait_for_disconnect(receive, rule.hang_s)
            await abort_connection(scope, receive, send, response_started=False)
            return
        body = await _read_body(receive)
        if rule.mode == "timeout_after_apply":
            await self._app(scope, _replay(body, receive), _discard)
        status = {
            "http_error": rule.status or 500,
            "rate_limit": 429,
            "timeout_before_apply": 504,
            "timeout_after_apply": rule.status or 504,
        }[rule.mode]
        for message in self._render(FaultResponse(rule, status, body, path)):
            await send(message)


async def _read_body(receive: Any) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Callable[[], Any]:
    """A receive() that hands the already-read body to the app once, then defers to the server."""
    delivered = False

    async def replay() -> Any:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _discard(message: Any) -> None:
    """The app's real answer to a request whose response the fault replaces."""


async def _wait_for_disconnect(receive: Any, timeout_s: float) -> None:
    async def until_gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            continue

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(until_gone(), timeout=timeout_s)
