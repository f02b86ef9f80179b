"""The read-side measures, taken in a process of their own (`read_side_process.py`): the bench
driver only starts it on the run's database and turns its results into rows.

Baselines as issue 12's goals set them: `raw_select_events` is the ceiling (its own baseline),
`log_decode` is against it, `rebuild_all` against `log_decode`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

from ops.bench.report import Measure
from ops.bench.session import Session, say
from ops.bench.stack import ROOT

BASELINES: Final = {
    "raw_select_events": "raw_select_events",
    "log_decode": "raw_select_events",
    "rebuild_all": "log_decode",
}
# Building a million events, reading them three ways and the rebuild budget, with room to spare.
READ_SIDE_WITHIN_S: Final = 1800


def read_side(session: Session, events: int, budgets_s: tuple[float, float], seed: int) -> None:
    """`budgets_s`: for building the log, for rebuilding it."""
    log_budget_s, rebuild_budget_s = budgets_s
    with tempfile.TemporaryDirectory(prefix="bench-read-side-") as folder:
        out = Path(folder) / "read_side.json"
        log_path = session.stack.log_dir / "read_side.log"
        with log_path.open("ab") as log:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ops.bench.measures.read_side_process",
                    "--events",
                    str(events),
                    "--rebuild-budget-s",
                    str(rebuild_budget_s),
                    "--log-budget-s",
                    str(log_budget_s),
                    "--seed",
                    str(seed),
                    "--out",
                    str(out),
                ],
                env=session.stack.env,
                cwd=ROOT,
                stdout=log,  # its progress goes to stderr, shown as it runs
                timeout=READ_SIDE_WITHIN_S,
                check=False,
            )
        if done.returncode != 0:
            raise RuntimeError(f"the read-side measures failed ({done.returncode}); see above")
        results = json.loads(out.read_text())
    log = session.report.run["log"] = results.pop("log")
    if not log["complete"]:
        session.report.notes.append(
            f"LOG SHORT: only {log['events']:,} of {log['events_requested']:,} events were built"
            f" within {log_budget_s:.0f}s (BENCH_LOG_BUDGET_S): the machine was too busy; the"
            " read-side rows describe that smaller log."
        )
    for name, result in results.items():
        measure = Measure(
            name,
            float(result.pop("ops_per_s")),
            float(result.pop("p50_ms")),
            float(result.pop("p99_ms")),
            BASELINES[name],
            unit=str(result.pop("unit")),
            extra=result,
        )
        session.report.add(measure)
        say(f"  {name:<38} {measure.ops_per_s:>9.0f} {measure.unit}")
