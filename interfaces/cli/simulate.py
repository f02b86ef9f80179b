"""`ledgerline simulate`: a seeded fault campaign against the whole service, run from outside.

It starts PostgreSQL, Redis, the sandbox, the API, the runner and workers as separate processes
under a fresh directory, drives a seeded load over HTTP while killing processes and injecting
sandbox faults at seeded moments, lets the service settle and checks every invariant
(`simulation/`). Exit 0 when every invariant held, 1 at the first violated one (printed with the
events around it), 2 when the run itself could not be carried out.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Final

import click

from simulation.campaign import simulate as run_campaign
from simulation.limits import (
    CLIENTS_DEFAULT,
    DURATION_S_DEFAULT,
    KILLS_DEFAULT,
    WORKERS_DEFAULT,
    Limits,
)
from simulation.report import render

EXIT_VIOLATED: Final = 1
EXIT_NOT_RUN: Final = 2


@click.command("simulate")
@click.option(
    "--seed", type=int, default=None, help="Seed of the schedule (random when omitted; printed)."
)
@click.option(
    "--kills",
    type=click.IntRange(0, 10_000),
    default=KILLS_DEFAULT,
    show_default=True,
    help="Processes and stores killed over the run.",
)
@click.option(
    "--duration",
    "duration_s",
    type=click.FloatRange(10, 86_400),
    default=DURATION_S_DEFAULT,
    show_default=True,
    help="Seconds of load.",
)
@click.option(
    "--clients",
    type=click.IntRange(1, 64),
    default=CLIENTS_DEFAULT,
    show_default=True,
    help="Concurrent simulated marketplaces.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=WORKERS_DEFAULT,
    show_default=True,
    help="`ledgerline worker` processes.",
)
@click.option(
    "--faults",
    type=click.IntRange(0, 100_000),
    default=None,
    help="Sandbox faults injected (default: three per kill).",
)
@click.option(
    "--settle-timeout",
    "settle_timeout_s",
    type=click.FloatRange(10, 3600),
    default=Limits().settle_timeout_s,
    show_default=True,
    help="Seconds the service gets to settle after the load.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the run keeps its servers' data and logs (default: var/simulation/<seed>-<time>).",
)
@click.option(
    "--keep", is_flag=True, help="Keep the run's directory even when every invariant held."
)
def simulate(
    seed: int | None,
    kills: int,
    duration_s: float,
    clients: int,
    workers: int,
    faults: int | None,
    settle_timeout_s: float,
    directory: Path | None,
    keep: bool,
) -> None:
    """Run a seeded fault campaign against the whole service and check every invariant."""
    seed = random.SystemRandom().randrange(1, 2**31) if seed is None else seed
    limits = Limits(
        duration_s=duration_s,
        kills=kills,
        clients=clients,
        workers=workers,
        faults=faults,
        settle_timeout_s=settle_timeout_s,
    )
    root = directory or Path("var") / "simulation" / f"{seed}-{int(time.time())}"
    outcome = run_campaign(
        seed, limits, root.resolve(), lambda line: click.echo(line, err=True), keep=keep
    )
    click.echo(render(outcome))
    if outcome.error is not None and not outcome.checks:
        sys.exit(EXIT_NOT_RUN)
    if not outcome.passed:
        click.echo(f"the run's data and logs are kept in {root}", err=True)
        sys.exit(EXIT_VIOLATED)
