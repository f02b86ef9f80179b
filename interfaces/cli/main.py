"""The `ledgerline` command: one entry point for operators and developers.

Each command group lives in its own module and is registered here. `main` runs it and ends the
process once the command is done, without the interpreter's final teardown.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
from typing import NoReturn

import click

from domain.errors import DomainError
from interfaces.cli.audit import audit
from interfaces.cli.backups import backup, restore
from interfaces.cli.environment import VERBOSITY
from interfaces.cli.keys import keys
from interfaces.cli.load import load
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
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log more from operator commands: -v INFO, -vv DEBUG (services log at LOG_LEVEL).",
)
@click.pass_context
def cli(context: click.Context, verbose: int) -> None:
    """Ledgerline: an event-sourced payments ledger and escrow orchestrator on Stellar."""
    context.meta[VERBOSITY] = verbose


keys.add_command(rotate_vault)
for command in (up, serve, runner, worker, projections, keys, sandbox, bootstrap, sagas, reconcile):
    cli.add_command(command)
cli.add_command(audit)
cli.add_command(simulate)
cli.add_command(backup)
cli.add_command(restore)
cli.add_command(load)


def main() -> NoReturn:
    """Runs `ledgerline`, then exits with its status once everything it opened is closed and
    every line is flushed, skipping the interpreter's module teardown: freeing stellar-sdk's
    hundreds of XDR modules took a stopped worker 5 to 10 s on a loaded machine, which made
    every SIGTERM (and `ledgerline up`'s Ctrl+C) slow for nothing. Commands close their own
    resources before they return; atexit handlers still run."""
    try:
        cli.main(prog_name="ledgerline")
        status = 0
    except SystemExit as exit_:
        status = _status(exit_.code)
    atexit._run_exitfuncs()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    click.echo(str(code), err=True)
    return 1
