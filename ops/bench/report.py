"""A bench run's results: one `Measure` per named row, each against a baseline of the same run.

The table and the JSON file (`{"measures": {name: {ops_per_s, p50_ms, p99_ms, ratio, baseline,
…}}}`) come from the same objects, so they can never disagree. A ratio is always computed
here, from two measures of this run — never typed in — and a measure that is its own baseline
has ratio 1. The goals of issues 12 and 13 are printed under the table as they stand today;
they are information for whoever optimises, never a pass/fail of the bench.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final


def percentile_ms(latencies_s: Iterable[float], fraction: float) -> float:
    """Nearest-rank percentile, in milliseconds (0 for no samples)."""
    ordered = sorted(latencies_s)
    if not ordered:
        return 0.0
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[rank - 1] * 1000


@dataclass
class Measure:
    name: str
    ops_per_s: float
    p50_ms: float
    p99_ms: float
    baseline: str
    unit: str = "ops/s"
    extra: dict[str, Any] = field(default_factory=dict)
    ratio: float = 0.0

    @classmethod
    def of(
        cls,
        name: str,
        operations: int,
        seconds: float,
        latencies_s: list[float],
        baseline: str,
        **extra: Any,
    ) -> Measure:
        return cls(
            name,
            operations / seconds if seconds > 0 else 0.0,
            percentile_ms(latencies_s, 0.50),
            percentile_ms(latencies_s, 0.99),
            baseline,
            extra=extra,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "ops_per_s": round(self.ops_per_s, 3),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "ratio": round(self.ratio, 6),
            "baseline": self.baseline,
            "unit": self.unit,
            **self.extra,
        }


@dataclass
class Report:
    measures: dict[str, Measure] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, measure: Measure) -> Measure:
        self.measures[measure.name] = measure
        return measure

    def compute_ratios(self) -> None:
        for measure in self.measures.values():
            base = self.measures.get(measure.baseline)
            if base is None:
                raise KeyError(f"{measure.name}: baseline {measure.baseline} was not measured")
            measure.ratio = measure.ops_per_s / base.ops_per_s if base.ops_per_s else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "measures": {name: m.as_json() for name, m in self.measures.items()},
            "skipped": self.skipped,
            "goals": [goal.as_json(self) for goal in GOALS if goal.known(self)],
            "run": self.run,
            "notes": self.notes,
        }

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(), indent=2) + "\n")

    def table(self) -> str:
        lines = [
            f"{'measure':<38} {'ops/s':>10} {'unit':<11} {'p50 ms':>9} {'p99 ms':>9} "
            f"{'ratio':>7}  {'baseline':<31} {'errors':>6} {'api cpu ms':>10} {'pg commits':>10}"
        ]
        for m in self.measures.values():
            cpu = m.extra.get("cpu_ms_per_op_api")
            commits = m.extra.get("pg_commits_per_op")
            lines.append(
                f"{m.name:<38} {m.ops_per_s:>10.0f} {m.unit:<11} {m.p50_ms:>9.2f} "
                f"{m.p99_ms:>9.2f} {m.ratio:>7.3f}  {m.baseline:<31} "
                f"{m.extra.get('errors', 0):>6} {_cell(cpu):>10} {_cell(commits):>10}"
            )
        for name, reason in self.skipped.items():
            lines.append(f"{name:<38} skipped: {reason}")
        return "\n".join(lines)

    def goals_text(self) -> str:
        lines = ["goals (issues 12 and 13), as measured in this run:"]
        for goal in GOALS:
            if goal.known(self):
                lines.append("  " + goal.describe(self))
        return "\n".join(lines)


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}"


@dataclass(frozen=True)
class Goal:
    """`measure`'s `field` (a ratio to `against`, or an absolute value) against `target`."""

    measure: str
    against: str | None
    target: float
    field: str = "ops_per_s"
    at_most: bool = False

    def known(self, report: Report) -> bool:
        return self.measure in report.measures and (
            self.against is None or self.against in report.measures
        )

    def value(self, report: Report) -> float:
        m = report.measures[self.measure]
        mine = float(getattr(m, self.field, None) or m.extra.get(self.field) or 0.0)
        if self.against is None:
            return mine
        base = report.measures[self.against]
        theirs = float(getattr(base, self.field, None) or base.extra.get(self.field) or 0.0)
        return mine / theirs if theirs else 0.0

    def met(self, report: Report) -> bool:
        value = self.value(report)
        return value <= self.target if self.at_most else value >= self.target

    def describe(self, report: Report) -> str:
        what = self.measure if self.field == "ops_per_s" else f"{self.measure}.{self.field}"
        if self.against is not None:
            what += f" / {self.against}"
        sign = "<=" if self.at_most else ">="
        state = "met" if self.met(report) else "not met"
        return f"{what:<66} {self.value(report):>10.3f}  (goal {sign} {self.target:g}: {state})"

    def as_json(self, report: Report) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "against": self.against,
            "field": self.field,
            "target": self.target,
            "at_most": self.at_most,
            "value": round(self.value(report), 4),
            "met": self.met(report),
        }


GOALS: Final = (
    Goal("http_credit_spread", "raw_insert_commit", 0.2),
    Goal("http_credit_spread", None, 50, field="p99_ms", at_most=True),
    Goal("http_credit_hot", "raw_insert_commit", 0.1),
    Goal("http_credit_hot", "sql_transfer_hot", 2.0),
    Goal("http_credit_hot", None, 50, field="p99_ms", at_most=True),
    Goal("http_mixed", "raw_insert_commit", 0.1),
    Goal("http_credit_spread_with_runner", "http_credit_spread", 0.9),
    Goal("http_credit_spread_with_runner", None, 3, field="pg_commits_per_op", at_most=True),
    Goal("http_credit_spread", None, 1.0, field="cpu_ms_per_op_api", at_most=True),
    Goal("rebuild_all", "log_decode", 0.5),
    Goal("log_decode", "raw_select_events", 0.25),
    Goal("log_decode", None, 50_000),
    Goal("projection_lag", None, 100, field="p99_ms", at_most=True),
    Goal("sse_commit_to_client", None, 100, field="p99_ms", at_most=True),
)
