"""How every command gets its configuration and services, and reports bad configuration: a clear
message naming each bad variable and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import click

from interfaces.bootstrap import Services, build_services
from interfaces.logs import configure_process
from interfaces.runtime import Runtime, development_defaults, open_runtime
from interfaces.settings import ConfigError, Settings, load_settings
from interfaces.telemetry import configure_tracing, shutdown_tracing

EXIT_CONFIG: Final = 2
# How each long-running command names itself in traces (others are "cli").
SERVICE_NAMES: Final = {"serve": "api", "runner": "runner", "worker": "worker", "up": "up"}


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
    configure_process(settings.log_level, settings.log_format)
    context = click.get_current_context(silent=True)
    configure_tracing(
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


@contextmanager
def runtime_and_services(pool_size_max: int = 10) -> Iterator[tuple[Runtime, Services]]:
    settings = settings_or_exit()
    runtime = open_runtime(settings)
    services = build_services(
        settings, runtime.database_url, runtime.redis_url, pool_size_max=pool_size_max
    )
    try:
        yield runtime, services
    finally:
        services.close()
        runtime.close()
        shutdown_tracing()
