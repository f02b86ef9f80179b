"""The read side over a large log: `raw_select_events`, `log_decode` and `rebuild_all`.

Run as its own process (`python -m ops.bench.measures.read_side_process`, started by
`read_side.py`) after the write-path measures, with no runner or API left running, so nothing else
competes for the two cores. It builds the log (`log_builder`), then reads it three ways, page by
page with the projections' page size: raw rows through psycopg (the ceiling), decoded events
through `Ledger.read` (what every follower pays), and every read model rebuilt in one pass over the
log, as `ledgerline projections rebuild --all` does (pages of REBUILD_PAGE_SIZE).

Building stops at its own budget on a machine too busy to build the whole log in time (the JSON's
`run.log.complete` says so). The two plain reads stop after READ_BUDGET_S if the log is longer than
that (`complete: false`; the log is homogeneous, so the rate holds). So does the rebuild, after the
rebuild budget: its rate is then over the positions it reached, and what it built aside is dropped
(the live models are untouched). Nothing is cached between runs: the log is written fresh into the
run's new database.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Final

import psycopg

from ops.bench.log_builder import LogBuilder
from ops.bench.report import percentile_ms
from ops.bench.service import (
    REBUILD_PAGE_SIZE,
    open_services,
    projection_stores,
    read_log,
    rebuild_every_store,
    settle_heap,
)

PAGE_SIZE: Final = 1000
# The plain reads stop here when the log is longer than they can read in it (their rate is
# steady over a homogeneous log; a fast reader reads it all).
READ_BUDGET_S: Final = 15.0
EVENTS_TABLE: Final = "ledger_events"
PROGRESS_EVERY: Final = 0.1


class _BudgetSpent(Exception):
    pass


def _say(message: str) -> None:
    print(f"  [read side] {message}", file=sys.stderr, flush=True)


def build_log(services: Any, events_min: int, seed: int, budget_s: float) -> dict[str, Any]:
    builder = LogBuilder(services.resources.ledger, seed)
    began = time.monotonic()
    next_report = [events_min * PROGRESS_EVERY]

    def progress(events: int) -> None:
        if events >= next_report[0]:
            _say(f"log: {events:,} / {events_min:,} events")
            next_report[0] += events_min * PROGRESS_EVERY

    events = builder.build(events_min, progress, deadline=began + budget_s)
    elapsed = time.monotonic() - began
    return {
        "events": events,
        "events_requested": events_min,
        "complete": events >= events_min,
        "seconds": round(elapsed, 2),
        "events_per_s": round(events / elapsed),
    }


def raw_select(database_url: str) -> dict[str, Any]:
    """Every stored event row, page by page, as the recorder selects them — undecoded."""
    statement = (
        f"SELECT * FROM {EVENTS_TABLE} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
    )
    pages: list[float] = []
    rows = 0
    after = 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        began = time.monotonic()
        while time.monotonic() - began < READ_BUDGET_S:
            page_began = time.monotonic()
            cursor = conn.execute(statement, (after, PAGE_SIZE), prepare=True)
            page = cursor.fetchall()
            if not page:
                break
            pages.append(time.monotonic() - page_began)
            rows += len(page)
            column = [c.name for c in cursor.description or ()].index("notification_id")
            after = page[-1][column]
        elapsed = time.monotonic() - began
        head = conn.execute(f"SELECT max(notification_id) FROM {EVENTS_TABLE}").fetchone()
    return _result(rows, elapsed, pages, unit="rows/s", complete=head is None or after >= head[0])


def decode(services: Any) -> dict[str, Any]:
    """Every event, page by page, selected and decoded by `Ledger.read`."""
    pages: list[float] = []
    events = 0
    after = 0
    began = time.monotonic()
    while time.monotonic() - began < READ_BUDGET_S:
        page_began = time.monotonic()
        page = read_log(services.resources.ledger, after, PAGE_SIZE)
        if not page:
            break
        pages.append(time.monotonic() - page_began)
        events += len(page)
        after = page[-1][0]
    elapsed = time.monotonic() - began
    complete = after >= services.resources.ledger.head_position()
    return _result(events, elapsed, pages, unit="events/s", complete=complete)


def rebuild_all(services: Any, budget_s: float) -> dict[str, Any]:
    """Every read model rebuilt from position 0 in one pass over the log, as `ledgerline
    projections rebuild --all` does; stopped at `budget_s` (what it built aside is dropped)."""
    stores = list(projection_stores(services).values())
    head = services.resources.ledger.head_position()
    marks: list[tuple[float, int]] = []
    began = time.monotonic()

    def progress(position: int) -> None:
        marks.append((time.monotonic(), position))
        if time.monotonic() - began > budget_s and position < head:
            raise _BudgetSpent

    complete = True
    try:
        rebuild_every_store(services, stores, progress)
    except _BudgetSpent:
        complete = False
    ended = time.monotonic()
    elapsed = (marks[-1][0] if marks else ended) - began
    reached = marks[-1][1] if marks else 0
    times = [began] + [t for t, _ in marks]
    pages = [b - a for a, b in itertools.pairwise(times)]
    swaps_s = ended - began - elapsed if complete else None
    _say(
        f"rebuild --all: {reached:,} positions in {elapsed:.1f}s"
        + (f", then the swaps in {swaps_s:.1f}s" if complete else ", stopped at its time budget")
    )
    return _result(
        reached,
        elapsed,
        pages,
        unit="positions/s",
        complete=complete,
        log_head=head,
        page_size=REBUILD_PAGE_SIZE,
        projections=len(stores),
        # After the pass: each model's indexes built and its last events applied, then the
        # swap (outside the rate, which is the pass's; nothing is swapped when it stopped).
        swaps_s=None if swaps_s is None else round(swaps_s, 3),
    )


def _result(
    count: int, seconds: float, pages: list[float], unit: str, **extra: Any
) -> dict[str, Any]:
    return {
        "ops_per_s": count / seconds if seconds > 0 else 0.0,
        "p50_ms": percentile_ms(pages, 0.5),
        "p99_ms": percentile_ms(pages, 0.99),
        "unit": unit,
        "count": count,
        "seconds": round(seconds, 3),
        "page_size": PAGE_SIZE,
        "latency_of": "one page",
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--rebuild-budget-s", type=float, required=True)
    parser.add_argument("--log-budget-s", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    environ = dict(os.environ)
    services = open_services(environ)
    try:
        built = build_log(services, args.events, args.seed, args.log_budget_s)
        _say(f"log built: {built['events']:,} events in {built['seconds']}s")
        # What every `ledgerline` process does once booted; here it also freezes what building
        # the log left behind, so the reads below cost what they cost in a fresh process.
        settle_heap()
        results = {"log": built, "raw_select_events": raw_select(environ["DATABASE_URL"])}
        _say(f"raw select: {results['raw_select_events']['ops_per_s']:,.0f} rows/s")
        results["log_decode"] = decode(services)
        _say(f"decode: {results['log_decode']['ops_per_s']:,.0f} events/s")
        results["rebuild_all"] = rebuild_all(services, args.rebuild_budget_s)
    finally:
        services.close()
    args.out.write_text(json.dumps(results))


if __name__ == "__main__":
    main()
