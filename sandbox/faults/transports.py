"""Access to the client's TCP connection, so a fault can drop it without sending any response.

ASGI hides the socket, and uvicorn answers 500 when an app returns without a response. The
sandbox therefore runs uvicorn with a protocol that puts its transport into the request scope;
`abort_connection` closes it at once (no status line, no body), which clients see as a dropped
connection. Under another server the fallback is to start a response and break it off mid-body.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

TRANSPORT_EXTENSION = "ledgerline.sandbox.transport"


class TransportExposingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus the transport in `scope["extensions"]` of every request."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        inner = self.app

        async def app(scope: Any, receive: Any, send: Any) -> None:
            extensions = scope.setdefault("extensions", {}) or {}
            extensions[TRANSPORT_EXTENSION] = self.transport
            scope["extensions"] = extensions
            await inner(scope, receive, send)

        self.app = app


class ConnectionDropped(Exception):
    """Raised out of the app when no transport is available; the server then cuts the response."""


async def abort_connection(scope: Any, receive: Any, send: Any, response_started: bool) -> None:
    """Drops the client's connection without (further) response bytes."""
    transport = (scope.get("extensions") or {}).get(TRANSPORT_EXTENSION)
    if isinstance(transport, asyncio.Transport):
        transport.abort()
        # Wait for the server to notice, so it does not try to answer 500 on a dead socket.
        while (await receive())["type"] != "http.disconnect":
            continue
        return
    if not response_started:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"1024")],
            }
        )
        await send({"type": "http.response.body", "body": b"", "more_body": True})
    raise ConnectionDropped("connection dropped by an injected fault")
