"""What a run prints: its seed and schedule digest first (so a failure can be run again), one
summary line, each invariant with what it covered, and on failure the first violated invariant
with the events around it in the log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from simulation.books import events_around, events_naming
from simulation.caller import Answers
from simulation.chaos import ChaosRecord
from simulation.invariants import Check
from simulation.limits import KILL_KINDS

TIMELINE_SHOWN_MAX: Final = 12


@dataclass
class Outcome:
    seed: int
    digest: str
    answers: Answers
    chaos: ChaosRecord
    checks: list[Check] = field(default_factory=list)
    duration_s: float = 0.0
    settled_in_s: float | None = None
    flows_abandoned: int = 0
    error: str | None = None
    events: list[str] = field(default_factory=list)  # around the first violation

    @property
    def violated(self) -> Check | None:
        return next((c for c in self.checks if not c.ok), None)

    @property
    def passed(self) -> bool:
        return self.error is None and self.violated is None and bool(self.checks)

    def summary(self) -> str:
        kills = ", ".join(f"{kind} {self.chaos.kills.get(kind, 0)}" for kind in KILL_KINDS)
        total = sum(self.chaos.kills.values())
        held = sum(1 for c in self.checks if c.ok)
        statuses = self.answers.statuses
        five = self.answers.five_hundreds()
        verdict = "PASS" if self.passed else "FAIL"
        return (
            f"seed {self.seed}: {verdict} — {self.answers.requests} requests"
            f" ({statuses.get('no-answer', 0)} unanswered, "
            + ", ".join(f"{n}× {k}" for k, n in sorted(five.items()))
            + f"{'' if five else 'no 5xx'}); kills {total} ({kills}); faults {self.chaos.faults};"
            f" invariants {held}/{len(self.checks)} held; settled in "
            f"{'—' if self.settled_in_s is None else f'{self.settled_in_s:.0f}s'};"
            f" {self.duration_s:.0f}s in all"
        )


def render(outcome: Outcome) -> str:
    lines = [f"seed {outcome.seed}  schedule {outcome.digest}", outcome.summary()]
    for check in outcome.checks:
        lines.append(f"  {'ok  ' if check.ok else 'FAIL'} {check.name} ({check.checked} checked)")
    if outcome.error:
        lines.append(f"error: {outcome.error}")
    violated = outcome.violated
    if violated is not None:
        lines.append(f"first violated invariant: {violated.name}")
        lines += [f"  {problem}" for problem in violated.problems]
        lines += outcome.events
        lines.append("chaos before the end:")
        lines += [
            f"  {at:>8.1f}s {what}" for at, what in outcome.chaos.timeline[-TIMELINE_SHOWN_MAX:]
        ]
        lines.append(
            f"reproduce: ledgerline simulate --seed {outcome.seed} (same schedule {outcome.digest})"
        )
    return "\n".join(lines)


def events_of(check: Check, database_url: str) -> list[str]:
    """The log around a violation, read while the run's PostgreSQL still runs."""
    try:
        if check.position is not None:
            return [
                f"events around position {check.position}:",
                *events_around(database_url, check.position),
            ]
        if check.mention is not None:
            return [f"events naming {check.mention}:", *events_naming(database_url, check.mention)]
    except Exception as error:  # the report never hides the verdict
        return [f"(events unavailable: {error})"]
    return []
