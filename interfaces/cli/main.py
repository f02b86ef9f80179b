"""The `ledgerline` command: one entry point for operators and developers.

Each command group lives in its own module and is registered here.
"""

from __future__ import annotations

import click

from domain.errors import DomainError
from interfaces.cli.audit import audit
from interfaces.cli.keys import keys
from interfaces.cli.operations import bootstrap, reconcile, rotate_vault, sagas
from interfaces.cli.projections import projections
from interfaces.cli.runner import runner
from interfaces.cli.sandbox import sandbox
from interfaces.cli.serve import serve
from interfaces.cli.simulate import simulate
from interfaces.cli.up import up
from interfaces.cli.worker import worker


class LedgerlineGroup(click.Group):
    """Reports refused commands (bad ids, unknown resources, an unreachable Horizon) as one
    clear line and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DomainError as error:
            click.echo(f"ledgerline: {error.code}: {error.message}", err=True)
            raise SystemExit(1) from None


@click.group(cls=LedgerlineGroup)
@click.version_option(package_name="ledgerline")
def cli() -> None:
    """Ledgerline: an event-sourced payments ledger and escrow orchestrator on Stellar."""


keys.add_command(rotate_vault)
for command in (up, serve, runner, worker, projections, keys, sandbox, bootstrap, sagas, reconcile):
    cli.add_command(command)
cli.add_command(audit)
cli.add_command(simulate)
