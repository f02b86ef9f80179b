"""uvicorn, told to end live streams before it waits for open connections to close.

uvicorn's graceful shutdown waits for every in-flight response to finish, and an SSE stream
never finishes on its own; its lifespan shutdown only comes after that wait. So this server
closes the app's live feed first: each stream sends what it has and ends, and the shutdown
proceeds at once instead of after the graceful timeout.

uvicorn also re-raises the signal that stopped it once it is done, so a process stopped by
SIGTERM dies of SIGTERM. Here a SIGTERM answered with a graceful shutdown ends with status 0,
which is what supervisors (systemd, Kubernetes, compose) read as a clean stop.

`server_options` are what every way of running the API passes uvicorn (`serve`, its worker
processes, the tests' server): the HTTP parser, wrapped so request heads are bounded
(request_head.py).
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import uvicorn
from litestar import Litestar

from interfaces.http.edge.request_head import protocol_for

# The HTTP parser the API runs: httptools (C; a dependency) parses a request head for a fraction
# of h11's CPU, and the head bound holds with either (request_head.py).
HTTP_PARSER: Final = "httptools"


def server_options(parser: str = HTTP_PARSER) -> dict[str, Any]:
    """uvicorn options every server of the API uses, whatever else it sets."""
    return {"http": protocol_for(parser)}


class HttpServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: Litestar) -> None:
        super().__init__(config)
        self._app = app

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            self._captured_signals = [
                captured for captured in self._captured_signals if captured != signal.SIGTERM
            ]

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        live = self._app.state.get("live_feed")
        if live is not None:
            live.close()
        await super().shutdown(sockets)
