"""`ledgerline keys create|list|revoke`: API keys from the command line."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

import click

from application.context import CommandContext
from domain.api_keys import SCOPES
from interfaces.cli.environment import runtime_and_services
from interfaces.cli.reporting import emit_json, json_option
from projections.store import StaleProjectionError

CLI_CONTEXT = CommandContext(request_id=None, api_key_id="cli")


@click.group("keys")
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.option("--name", required=True, help="What the key is for, shown in listings.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPES),
    help="A scope the key grants; repeat for several.",
)
@click.option(
    "--expires-at",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]),
    default=None,
    help="When the key stops working, e.g. 2027-01-01T00:00:00+00:00 (default: never).",
)
@click.option(
    "--rate-limit-per-minute",
    type=click.IntRange(1),
    default=None,
    help="This key's own limit (default: RATE_LIMIT_PER_MINUTE).",
)
@json_option
def create(
    name: str,
    scopes: tuple[str, ...],
    expires_at: datetime | None,
    rate_limit_per_minute: int | None,
    as_json: bool,
) -> None:
    """Issue a key; it is printed once."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        issued = services.use_cases.api_keys.issue(
            name, list(scopes), expires_at, rate_limit_per_minute, CLI_CONTEXT
        )
    if as_json:
        emit_json({"id": issued.key_id, "scopes": list(issued.scopes), "key": issued.token})
        return
    click.echo(f"id:     {issued.key_id}\nscopes: {', '.join(issued.scopes)}")
    click.echo(f"key:    {issued.token}\n(store it now: it is not shown again)")


@keys.command("list")
@click.option(
    "--limit",
    type=click.IntRange(1, 100),
    default=100,
    show_default=True,
    help="How many keys to show, newest first.",
)
@json_option
def list_keys(limit: int, as_json: bool) -> None:
    """Keys, newest first, masked."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        store = services.resources.projections["api_keys"]
        store.ensure()
        # Show keys created a moment ago even when no runner is up; catching up is safe
        # beside a running runner (the tracking row serialises them).
        with suppress(StaleProjectionError):
            store.catch_up()
        page = services.views.api_keys.list(limit, None)
    if as_json:
        emit_json(
            [
                {
                    "id": row.key_id,
                    "name": row.name,
                    "scopes": list(row.scopes),
                    "revokedAt": row.revoked_at,
                    "lastUsedAt": row.last_used_at,
                }
                for row in page.items
            ]
        )
        return
    if not page.items:
        click.echo("no API keys (the master key, LEDGERLINE_MASTER_KEY, is not listed)")
    for row in page.items:
        state = "revoked" if row.revoked_at else "active"
        used = row.last_used_at.isoformat() if row.last_used_at else "never"
        click.echo(
            f"{row.key_id}  {row.name:<20} {','.join(row.scopes):<20} {state:<8} last used {used}"
        )


@keys.command("revoke")
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke a key, effective at once everywhere."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        services.use_cases.api_keys.revoke(key_id, CLI_CONTEXT)
        click.echo(f"{key_id} revoked")
