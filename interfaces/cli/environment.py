"""How every command gets its configuration and services, and reports bad configuration: a clear
message naming each bad variable and a non-zero exit, never a traceback."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import click
import psycopg
import redis

from infrastructure.observability.logs import configure_logging
from infrastructure.observability.tracing import configure_tracing, shutdown_tracing
from interfaces.bootstrap import build_services, ensure_projections
from interfaces.runtime import (
    EmbeddedUnavailableError,
    Runtime,
    development_defaults,
    open_runtime,
)
from interfaces.services import Services
from interfaces.settings import ConfigError, Settings, load_settings

EXIT_CONFIG: Final = 2
# sysexits' EX_UNAVAILABLE: a dependency could not be reached (supervisors may retry).
EXIT_UNAVAILABLE: Final = 69
# How long a starting command waits for each dependency before it gives up with a message.
DEPENDENCY_CONNECT_TIMEOUT_S: Final = 5
# How each long-running command names itself in traces (others are "cli").
SERVICE_NAMES: Final = {"serve": "api", "runner": "runner", "worker": "worker", "up": "up"}
SERVICES: Final = frozenset(SERVICE_NAMES.values())
# Where `ledgerline -v` keeps its count for the command it runs.
VERBOSITY: Final = "ledgerline.verbosity"
COMMAND_LOG_LEVELS: Final = ("WARNING", "INFO", "DEBUG")  # by the number of -v given
# The cyclic collector runs a young collection after this many allocations net of frees (700 by
# default). A page of the log decodes into ~20 containers an event that all live until the page
# is applied; at 700, tens of young collections a page promote them, and the full collections
# they trigger scan every object of the process (docs/operations.md, "The collector").
YOUNG_COLLECTION_ALLOCATIONS: Final = 10_000


def configure_process(settings: Settings, service: str) -> None:
    """What every process sets up first: logging and tracing (named `ledgerline-<service>`).
    Services log at LOG_LEVEL; an operator's command is quiet (warnings only) unless
    `ledgerline -v …` asks for more. The GIL's switch interval stays the interpreter's 5 ms:
    the 0.5 ms set here until 48b049d measured slower on every HTTP measure, SSE most
    (docs/operations.md, "Tuning the write path")."""
    level = settings.log_level if service in SERVICES else command_log_level()
    configure_logging(level, settings.log_format)
    # The OTLP variables were validated with the settings; the SDK reads them from the process.
    configure_tracing(service)


def settle_heap() -> None:
    """Once a long-running process (serve, runner, worker, a rebuild) has booted: what it holds
    for good (modules, the app, the services) is frozen out of the collector's scans, and young
    collections run less often. Garbage made later is collected as before; only the cost of
    looking for it drops. Not for a short command: called where other work shares the process
    (a test session running commands in-process), it would freeze that work's garbage too."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_ALLOCATIONS, older, oldest)


def command_log_level() -> str:
    """WARNING for an operator's command; INFO with -v, DEBUG with -vv."""
    context = click.get_current_context(silent=True)
    verbosity = int(context.find_root().meta.get(VERBOSITY, 0)) if context else 0
    return COMMAND_LOG_LEVELS[min(verbosity, len(COMMAND_LOG_LEVELS) - 1)]


def settings_or_exit() -> Settings:
    environ: dict[str, str] = dict(os.environ)
    var_dir = Path(environ.get("LEDGERLINE_VAR_DIR") or "var")
    if "DATABASE_URL" not in environ:  # development: join what `ledgerline up` started
        environ = {**development_defaults(var_dir), **environ}
    try:
        settings = load_settings(environ)
    except ConfigError as error:
        click.echo(f"ledgerline: {error}", err=True)
        raise SystemExit(EXIT_CONFIG) from None
    context = click.get_current_context(silent=True)
    configure_process(
        settings, SERVICE_NAMES.get(context.info_name or "", "cli") if context else "cli"
    )
    return settings


def chain_ready(settings: Settings) -> None:
    """Service processes refuse to start without their Stellar configuration."""
    try:
        settings.require_wallets()
    except ConfigError as error:
        click.echo(f"ledgerline: {error}", err=True)
        raise SystemExit(EXIT_CONFIG) from None


def _unreachable(variable: str, what: str, error: Exception) -> SystemExit:
    # The URL is never printed: it may carry a password. The driver's first line names the host.
    reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
    click.echo(f"ledgerline: cannot reach {what} at {variable}: {reason}", err=True)
    return SystemExit(EXIT_UNAVAILABLE)


def dependencies_reachable(runtime: Runtime) -> None:
    """Both stores answer, or the command ends with a message naming the variable to fix."""
    try:
        psycopg.connect(runtime.database_url, connect_timeout=DEPENDENCY_CONNECT_TIMEOUT_S).close()
    except psycopg.Error as error:
        raise _unreachable("DATABASE_URL", "PostgreSQL", error) from None
    client = redis.Redis.from_url(
        runtime.redis_url,
        socket_timeout=DEPENDENCY_CONNECT_TIMEOUT_S,
        socket_connect_timeout=DEPENDENCY_CONNECT_TIMEOUT_S,
    )
    try:
        client.ping()
    except redis.RedisError as error:
        raise _unreachable("REDIS_URL", "Redis", error) from None
    finally:
        client.close()


def reachable_runtime(settings: Settings) -> Runtime:
    """The runtime (embedded servers started if need be), once both stores answer."""
    try:
        runtime = open_runtime(settings)
    except EmbeddedUnavailableError as error:
        click.echo(f"ledgerline: {error}", err=True)
        raise SystemExit(EXIT_CONFIG) from None
    try:
        dependencies_reachable(runtime)
    except SystemExit:
        runtime.close()
        raise
    return runtime


@contextmanager
def runtime_and_services(pool_size_max: int = 10) -> Iterator[tuple[Runtime, Services]]:
    settings = settings_or_exit()
    runtime = reachable_runtime(settings)
    services = build_services(
        settings, runtime.database_url, runtime.redis_url, pool_size_max=pool_size_max
    )
    try:
        ensure_projections(services)  # every command may read a read model, even on a fresh log
        yield runtime, services
    finally:
        services.close()
        runtime.close()
        shutdown_tracing()
