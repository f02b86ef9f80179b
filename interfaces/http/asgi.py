"""An ASGI entry point that builds its own services, for uvicorn's multi-process mode
(`ledgerline serve --workers N`): each worker process composes its own pools and clients."""

from __future__ import annotations

import os

from litestar import Litestar

from interfaces.bootstrap import build_services
from interfaces.http.app import create_app
from interfaces.logs import configure_process
from interfaces.settings import load_settings
from interfaces.telemetry import configure_tracing


def create_app_from_environment() -> Litestar:
    settings = load_settings(os.environ)
    configure_process(settings.log_level, settings.log_format)
    configure_tracing(settings, "api")
    if settings.database_url is None or settings.redis_url is None:
        raise RuntimeError("worker processes need DATABASE_URL and REDIS_URL")
    services = build_services(settings, settings.database_url, settings.redis_url, pool_size_max=20)
    app = create_app(services)
    app.on_shutdown.append(lambda: services.close())
    return app
