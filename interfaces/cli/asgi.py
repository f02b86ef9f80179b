"""The ASGI entry point of `ledgerline serve --workers N`: uvicorn's multi-process mode imports
this factory in each worker process, which composes its own pools and clients from the
environment. It composes, so it lives with the commands, not in the HTTP edge.

uvicorn runs its plain server in those processes, not interfaces/http/edge/server.py's, and a
plain server waits for every response before it shuts down, which an SSE stream never gives:
so here the first SIGTERM or SIGINT also ends the process's live streams at once (each sends
what it has and ends; clients resume elsewhere with Last-Event-ID), as HttpServer does."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from types import FrameType

from litestar import Litestar

from interfaces.bootstrap import build_services
from interfaces.cli.environment import configure_process, settle_heap
from interfaces.http.app import create_app
from interfaces.settings import load_settings


def create_app_from_environment() -> Litestar:
    settings = load_settings(os.environ)
    configure_process(settings, "api")
    if settings.database_url is None or settings.redis_url is None:
        raise RuntimeError("worker processes need DATABASE_URL and REDIS_URL")
    services = build_services(settings, settings.database_url, settings.redis_url, pool_size_max=20)
    app = create_app(services)
    app.on_startup.append(_end_streams_on_signal)
    app.on_shutdown.append(lambda: services.close())
    settle_heap()
    return app


def _end_streams_on_signal(app: Litestar) -> None:
    """On startup (uvicorn has installed its signal handlers by then): a stop signal first
    closes the live feed on the event loop, then does what uvicorn's handler does."""
    live = app.state.get("live_feed")
    if live is None or threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for stop in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(stop)

        def end_streams(signum: int, frame: FrameType | None, previous: object = previous) -> None:
            loop.call_soon_threadsafe(live.close)
            if callable(previous):
                previous(signum, frame)

        signal.signal(stop, end_streams)
