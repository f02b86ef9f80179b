"""More API instances beside a running stack: same database and Redis, their own services, app
and event-feed listener — another process, as far as the service can tell."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from interfaces.bootstrap import build_services
from tests.support.stack import ApiServer, Stack


@contextmanager
def api_instance(stack: Stack, **overrides: Any) -> Iterator[ApiServer]:
    settings = stack.services.settings.with_overrides(**overrides)
    services = build_services(
        settings, stack.services.resources.database_url, stack.services.resources.redis_url
    )
    server = ApiServer(services).start()
    try:
        yield server
    finally:
        server.stop()
        services.close()
