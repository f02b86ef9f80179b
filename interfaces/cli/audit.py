"""`ledgerline audit verify|export|replay`: the log for auditors.

`verify` recomputes the hash chain from the event store and checks the ledger invariants and the
balance read models against a fold of the log; it exits 1 naming the first bad position.
`export` writes feed rows as JSON lines, each with the chain version its hash was linked with.
`replay --as-of` folds postings from the event store (never a read model) up to a position, or
to the last position at or before a time.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Final, TextIO

import click

from application.trial_balance import fold, position_at
from domain.money import Amount
from interfaces.cli.environment import runtime_and_services
from interfaces.cli.reporting import emit_json, json_option, position_bar
from interfaces.services import Services
from projections.event_feed.anchor_check import AnchorChecker, AnchorVerdict
from projections.event_feed.audit_chain import canonical
from projections.event_feed.verification import Verifier

EXIT_BROKEN: Final = 1
BREAKS_SHOWN_MAX: Final = 20


@click.group("audit")
def audit() -> None:
    """Verify, export and replay the event log."""


@audit.command("verify")
@click.option(
    "--anchors",
    "with_anchors",
    is_flag=True,
    help="Also check the recomputed chain against every anchor on Stellar (read from Horizon).",
)
@json_option
def verify(with_anchors: bool, as_json: bool) -> None:
    """Recompute the hash chain and the ledger invariants; exit 1 at the first break. With
    --anchors, also check each anchor's transaction on Stellar against the recomputed chain."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        resources = services.resources
        head = resources.ledger.head_position()
        with position_bar(head, "verifying") as reached:
            verdict = Verifier(resources.ledger, resources.pool).verify(reached)
        anchored = None
        if with_anchors:
            with position_bar(head, "checking anchors") as reached:
                checker = AnchorChecker(resources.ledger, resources.pool, resources.network)
                anchored = checker.check(reached)
    first = verdict.first_break
    broken = first is not None or (anchored is not None and not anchored.ok)
    if as_json:
        emit_json(
            {
                "ok": not broken,
                "events": verdict.events,
                "head": verdict.head,
                "feedPosition": verdict.feed_position,
                "headHash": verdict.head_hash,
                "chainVersions": {str(v): p for v, p in verdict.chain_versions_from.items()},
                "breaks": [{"position": b.position, "problem": b.problem} for b in verdict.breaks],
                "notes": verdict.notes,
                **({} if anchored is None else {"anchors": _anchors_json(anchored)}),
            }
        )
        if broken:
            sys.exit(EXIT_BROKEN)
        return
    for note in verdict.notes + (anchored.notes if anchored else []):
        click.echo(f"note: {note}", err=True)
    click.echo(
        f"checked {verdict.events} events up to position {verdict.head}"
        f" (hash chain to {verdict.feed_position}, head hash {verdict.head_hash})"
    )
    for version, position in sorted(verdict.chain_versions_from.items()):
        click.echo(f"chain version {version} from position {position}")
    if first is None:
        click.echo("OK: the hash chain and the ledger invariants hold")
    else:
        click.echo(f"BROKEN at position {first.position}: {first.problem}")
        for each in verdict.breaks[1:BREAKS_SHOWN_MAX]:
            click.echo(f"  also position {each.position}: {each.problem}")
        if len(verdict.breaks) > BREAKS_SHOWN_MAX:
            click.echo(f"  … and {len(verdict.breaks) - BREAKS_SHOWN_MAX} more")
    if anchored is not None:
        _echo_anchors(anchored)
    if broken:
        sys.exit(EXIT_BROKEN)


def _anchors_json(anchored: AnchorVerdict) -> dict[str, object]:
    first = anchored.first_break
    return {
        "ok": anchored.ok,
        "checked": anchored.anchors,
        "firstDifferingAnchor": None if first is None else first.position,
        "lastHoldingAnchor": None if first is None else first.previous_anchor,
        "firstAlteredPosition": anchored.first_altered,
        "breaks": [{"position": b.position, "problem": b.problem} for b in anchored.breaks],
        "notes": anchored.notes,
    }


def _echo_anchors(anchored: AnchorVerdict) -> None:
    first = anchored.first_break
    if first is None:
        count = (
            "1 anchor on Stellar matches"
            if anchored.anchors == 1
            else (f"{anchored.anchors} anchors on Stellar match")
        )
        click.echo(f"OK: {count} the recomputed chain")
        return
    before = (
        f"the anchor before it, at position {first.previous_anchor}, holds"
        if first.previous_anchor
        else "no anchor before it holds"
    )
    click.echo(f"ANCHOR BROKEN at position {first.position}: {first.problem} ({before})")
    if anchored.first_altered is not None:
        click.echo(f"first altered event at position {anchored.first_altered}")
    else:
        click.echo(
            f"the feed agrees with the event store: the history was rewritten somewhere in"
            f" positions {first.previous_anchor + 1}..{first.position}"
        )


@audit.command("export")
@click.option(
    "--from", "first", default="1", show_default=True, help="First POSITION or ISO 8601 time."
)
@click.option(
    "--to", "last", default=None, help="Last POSITION or ISO 8601 time (default: the feed's end)."
)
@click.option(
    "--output",
    "-o",
    type=click.File("w"),
    default="-",
    help="File to write the JSON lines to (default: stdout).",
)
def export(first: str, last: str | None, output: TextIO) -> None:
    """Write feed rows in [--from, --to] as JSON lines, each with its hash and previous hash
    (already machine-readable: one JSON object a line; the summary goes to stderr)."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        feed = services.views.feed
        start = _position(services, first, "--from", earliest=True)
        end = feed.position() if last is None else _position(services, last, "--to")
        written = 0
        with position_bar(end, "exporting") as reached:
            for row in feed.export(start, end):
                line = {
                    "position": row.position,
                    "type": row.type,
                    "public": row.public,
                    "previousHash": row.previous_hash,
                    "hash": row.hash,
                    "chain": row.chain,
                    "envelope": json.loads(row.envelope),
                }
                output.write(canonical(line) + "\n")
                written += 1
                reached(row.position)
    click.echo(f"exported {written} events from position {start} to {end}", err=True)


@audit.command("replay")
@click.option("--as-of", "as_of", required=True, help="POSITION or ISO 8601 time with a zone.")
@json_option
def replay(as_of: str, as_json: bool) -> None:
    """Balances of every ledger account at a point, folded from the event store."""
    with runtime_and_services(pool_size_max=2) as (_, services):
        position = _position(services, as_of, "--as-of", from_log=True)
        trial = fold(services.resources.ledger, position)
    accounts = sorted(trial.balances.items())
    if as_json:
        emit_json(
            {
                "asOf": position,
                "events": trial.events,
                "accounts": [
                    {"account": a, "balanceStroops": b, "balance": signed_wire(b)}
                    for a, b in accounts
                ],
            }
        )
    else:
        click.echo(f"balances as of position {position} ({trial.events} events)")
        width = max((len(a) for a, _ in accounts), default=7)
        for account, balance in accounts:
            click.echo(f"{account:<{width}}  {signed_wire(balance):>20}")
    for each in trial.breaks:
        click.echo(f"BROKEN at position {each.position}: {each.problem}", err=True)
    if trial.breaks:
        sys.exit(EXIT_BROKEN)


def signed_wire(stroops: int) -> str:
    """A balance as a wire decimal; `external:*` accounts are negative by what came in."""
    return ("-" if stroops < 0 else "") + Amount(abs(stroops)).to_wire()


def _position(
    services: Services, text: str, option: str, *, earliest: bool = False, from_log: bool = False
) -> int:
    """A position as given, or the one a time points at."""
    if text.isdigit():
        return int(text)
    moment = _moment(text, option)
    if from_log:
        return position_at(services.resources.ledger, moment)
    return services.views.feed.position_at(moment, earliest=earliest)


def _moment(text: str, option: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            "expected a position or an ISO 8601 time", param_hint=option
        ) from None
    if parsed.tzinfo is None:
        raise click.BadParameter("a time must say its zone (e.g. 'Z')", param_hint=option)
    return parsed
