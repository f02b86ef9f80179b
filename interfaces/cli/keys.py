"""`ledgerline keys create|list|revoke`: API keys from the command line."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

import click

from application.context import CommandContext
from domain.api_keys import SCOPES
from interfaces.cli.environment import runtime_and_services
from projections.store import StaleProjectionError

CLI_CONTEXT = CommandContext(request_id=None, api_key_id="cli")


@click.group("keys")
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.option("--name", required=True)
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES))
@click.option("--expires-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]), default=None)
@click.option("--rate-limit-per-minute", type=click.IntRange(1), default=None)
def create(
    name: str,
    scopes: tuple[str, ...],
    expires_at: datetime | None,
    rate_limit_per_minute: int | None,
) -> None:
    """Issue a key; it is printed once."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        issued = services.use_cases.api_keys.issue(
            name, list(scopes), expires_at, rate_limit_per_minute, CLI_CONTEXT
        )
        click.echo(f"id:     {issued.key_id}\nscopes: {', '.join(issued.scopes)}")
        click.echo(f"key:    {issued.token}\n(store it now: it is not shown again)")


@keys.command("list")
@click.option("--limit", type=click.IntRange(1, 100), default=100)
def list_keys(limit: int) -> None:
    """Keys, newest first, masked."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        store = services.resources.projections["api_keys"]
        store.ensure()
        # Show keys created a moment ago even when no runner is up; catching up is safe
        # beside a running runner (the tracking row serialises them).
        with suppress(StaleProjectionError):
            store.catch_up()
        page = services.views.api_keys.list(limit, None)
        for row in page.items:
            state = "revoked" if row.revoked_at else "active"
            used = row.last_used_at.isoformat() if row.last_used_at else "never"
            click.echo(
                f"{row.key_id}  {row.name:<20} {','.join(row.scopes):<20} {state:<8} "
                f"last used {used}"
            )


@keys.command("revoke")
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke a key, effective at once everywhere."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        services.use_cases.api_keys.revoke(key_id, CLI_CONTEXT)
        click.echo(f"{key_id} revoked")
