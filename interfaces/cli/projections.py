"""`ledgerline projections status|rebuild`: read models for operators."""

from __future__ import annotations

import click

from interfaces.cli.environment import runtime_and_services, settle_heap
from interfaces.cli.reporting import emit_json, json_option, position_bar
from projections.rebuild import rebuild_together
from projections.stalls import Stalls


@click.group("projections")
def projections() -> None:
    """Inspect and rebuild read models."""


@projections.command("status")
@json_option
def status(as_json: bool) -> None:
    """Position, log head and lag of every read model, and the event a stalled one cannot
    apply."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        rows = [store.status() for store in services.resources.projections.values()]
        stalls = Stalls(services.resources.pool).all()
    if as_json:
        emit_json(
            [
                {
                    "name": s.name,
                    "version": s.version,
                    "position": s.position,
                    "head": s.head,
                    "lag": s.lag,
                    "needsRebuild": s.needs_rebuild,
                    "stall": {"position": stall.position, "error": stall.error}
                    if (stall := stalls.get(s.name))
                    else None,
                }
                for s in rows
            ]
        )
        return
    click.echo(f"{'projection':<18} {'version':>7} {'position':>10} {'head':>10} {'lag':>8}")
    for s in rows:
        version = "-" if s.version is None else str(s.version)
        flag = "  (rebuild needed)" if s.needs_rebuild else ""
        if stall := stalls.get(s.name):
            flag += f"  (cannot apply position {stall.position}: {stall.error})"
        click.echo(f"{s.name:<18} {version:>7} {s.position:>10} {s.head:>10} {s.lag:>8}{flag}")


@projections.command("rebuild")
@click.argument("name", required=False)
@click.option("--all", "all_", is_flag=True, help="Rebuild every read model.")
@json_option
def rebuild(name: str | None, all_: bool, as_json: bool) -> None:
    """Rebuild NAME (or --all, in one pass over the log) into fresh tables, then swap them in."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        if all_ == (name is not None):
            raise click.UsageError("give a projection NAME or --all")
        if name is not None and name not in services.resources.projections:
            known = ", ".join(services.resources.projections)
            raise click.BadParameter(f"unknown projection {name!r}; known: {known}")
        stores = services.resources.projections
        settle_heap()  # a rebuild decodes the whole log, page after page
        head = services.resources.ledger.head_position()
        rebuilt: dict[str, int] = {}
        if all_:
            # One pass over the log for every read model: each page is read and decoded once.
            with position_bar(head, f"{'all':<18}") as reached:
                rebuild_together(list(stores.values()), services.resources.ledger, reached)
            rebuilt = {each: store.position() for each, store in stores.items()}
        else:
            with position_bar(head, f"{name:<18}") as reached:
                rebuilt[str(name)] = stores[str(name)].rebuild(reached)
        if not as_json:
            for each, position in rebuilt.items():
                click.echo(f"{each}: rebuilt to position {position}")
    if as_json:
        emit_json([{"name": n, "position": p} for n, p in rebuilt.items()])
