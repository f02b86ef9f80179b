"""`ledgerline projections status|rebuild`: read models for operators."""

from __future__ import annotations

import click

from interfaces.cli.environment import runtime_and_services


@click.group("projections")
def projections() -> None:
    """Inspect and rebuild read models."""


@projections.command("status")
def status() -> None:
    """Position, log head and lag of every read model."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        click.echo(f"{'projection':<16} {'version':>7} {'position':>10} {'head':>10} {'lag':>8}")
        for store in services.resources.projections.values():
            s = store.status()
            version = "-" if s.version is None else str(s.version)
            flag = "  (rebuild needed)" if s.needs_rebuild else ""
            click.echo(f"{s.name:<16} {version:>7} {s.position:>10} {s.head:>10} {s.lag:>8}{flag}")


@projections.command("rebuild")
@click.argument("name", required=False)
@click.option("--all", "all_", is_flag=True, help="Rebuild every read model.")
def rebuild(name: str | None, all_: bool) -> None:
    """Rebuild NAME (or --all) from the log into fresh tables, then swap them in."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        if all_ == (name is not None):
            raise click.UsageError("give a projection NAME or --all")
        if name is not None and name not in services.resources.projections:
            known = ", ".join(services.resources.projections)
            raise click.BadParameter(f"unknown projection {name!r}; known: {known}")
        names = list(services.resources.projections) if all_ else [str(name)]
        head = services.resources.ledger.head_position()
        for each in names:
            store = services.resources.projections[each]
            with click.progressbar(length=max(head, 1), label=f"{each:<16}") as bar:
                done = [0]

                def progress(position: int, bar: object = bar, done: list[int] = done) -> None:
                    step = min(position, head) - done[0]
                    if step > 0:
                        bar.update(step)  # type: ignore[attr-defined]
                        done[0] += step

                position = store.rebuild(progress)
            click.echo(f"{each}: rebuilt to position {position}")
