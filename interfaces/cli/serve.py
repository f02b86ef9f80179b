"""`ledgerline serve`: the HTTP API on uvicorn."""

from __future__ import annotations

import os
from typing import Final

import click
import uvicorn

from interfaces.cli.environment import chain_ready, runtime_and_services, settle_heap
from interfaces.http.app import create_app
from interfaces.http.edge.server import HttpServer, server_options

# In-flight requests get this long to finish on SIGTERM before connections are closed.
GRACEFUL_SHUTDOWN_S: Final = 20
# The default number of API processes is one per core beyond the two left to PostgreSQL, the
# runner and a worker (which a host running `ledgerline up` also runs), at most this many: each
# process opens up to 35 PostgreSQL connections (20 service pool + 15 event store), so 4 stay
# well inside the 300 of ops/compose.yaml beside the runner and workers.
API_PROCESSES_DEFAULT_MAX: Final = 4
CORES_LEFT_TO_THE_REST: Final = 2


def api_processes_default() -> int:
    """One API process per core this process may run on beyond CORES_LEFT_TO_THE_REST, at
    least 1, at most API_PROCESSES_DEFAULT_MAX: HTTP parsing, JSON and the edge's checks are
    CPU in Python, and each process batches its own commands (the version check at commit keeps
    them correct). On a 2-core host that is 1: a second process measured no faster there, its
    CPU taken from PostgreSQL and the runner (docs/operations.md, "Tuning the write path")."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores - CORES_LEFT_TO_THE_REST, API_PROCESSES_DEFAULT_MAX))


@click.command("serve")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    envvar="WEB_CONCURRENCY",
    default=api_processes_default,
    show_default=f"one per core beyond 2, at least 1, at most {API_PROCESSES_DEFAULT_MAX}",
    show_envvar=True,
    help="API processes (the API is stateless; each process batches its own commands).",
)
def serve(workers: int) -> None:
    """Run the HTTP API (stateless; run as many as you like behind a load balancer)."""
    with runtime_and_services(pool_size_max=20) as (runtime, services):
        chain_ready(services.settings)
        settings = services.settings
        common = {
            "host": settings.host,
            "port": settings.port,
            "log_level": settings.log_level.lower(),
            # Our access log is the telemetry middleware's line (request id, key id, route);
            # uvicorn's own handlers stay off so its lines go through our one logging setup.
            "access_log": False,
            "log_config": None,
            "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
            "lifespan": "on",
            **server_options(),
        }
        if workers == 1:
            app = create_app(services)
            settle_heap()  # once the app is built
            # Ends SSE streams as soon as shutdown begins (see interfaces/http/edge/server.py).
            HttpServer(uvicorn.Config(app, **common), app).run()  # type: ignore[arg-type]
            return
        # Worker processes compose their own services from the environment.
        os.environ.update(DATABASE_URL=runtime.database_url, REDIS_URL=runtime.redis_url)
        uvicorn.run(
            "interfaces.cli.asgi:create_app_from_environment",
            factory=True,
            workers=workers,
            **common,  # type: ignore[arg-type]
        )
