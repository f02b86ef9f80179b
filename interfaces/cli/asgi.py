"""The ASGI entry point of `ledgerline serve --workers N`: uvicorn's multi-process mode imports
this factory in each worker process, which composes its own pools and clients from the
environment. It composes, so it lives with the commands, not in the HTTP edge."""

from __future__ import annotations

import os

from litestar import Litestar

from interfaces.bootstrap import build_services
from interfaces.cli.environment import configure_process
from interfaces.http.app import create_app
from interfaces.settings import load_settings


def create_app_from_environment() -> Litestar:
    settings = load_settings(os.environ)
    configure_process(settings, "api")
    if settings.database_url is None or settings.redis_url is None:
        raise RuntimeError("worker processes need DATABASE_URL and REDIS_URL")
    services = build_services(settings, settings.database_url, settings.redis_url, pool_size_max=20)
    app = create_app(services)
    app.on_shutdown.append(lambda: services.close())
    return app
