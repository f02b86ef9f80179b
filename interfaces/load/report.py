"""What a load run measured: each command's latencies and failures, and the run's throughput.

Latencies are kept whole (a bounded run is a few hundred thousand numbers at most) so the
percentiles are exact, not estimated; they are measured per command from its request to its
answer, never including the time a scenario waited for a free client thread.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(math.ceil(fraction * len(sorted_values)), 1)
    return sorted_values[rank - 1]


@dataclass
class Tally:
    """Thread-safe: every client thread records into one tally."""

    started_at: float = field(default_factory=time.monotonic)
    _latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    _errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    _scenarios: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def command(self, name: str, seconds: float, error: str | None) -> None:
        with self._lock:
            self._latencies[name].append(seconds)
            if error is not None:
                self._errors[(name, error)] += 1

    def scenario(self, name: str) -> None:
        with self._lock:
            self._scenarios[name] += 1

    @property
    def commands(self) -> int:
        with self._lock:
            return sum(len(values) for values in self._latencies.values())

    @property
    def errors(self) -> int:
        with self._lock:
            return sum(self._errors.values())

    def summary(self) -> dict[str, Any]:
        with self._lock:
            elapsed_s = max(time.monotonic() - self.started_at, 1e-9)
            total = sum(len(values) for values in self._latencies.values())
            per_command = []
            for name, values in sorted(self._latencies.items()):
                ordered = sorted(values)
                failed = sum(n for (command, _), n in self._errors.items() if command == name)
                per_command.append(
                    {
                        "command": name,
                        "count": len(ordered),
                        "errors": failed,
                        "p50Ms": round(percentile(ordered, 0.50) * 1000, 1),
                        "p99Ms": round(percentile(ordered, 0.99) * 1000, 1),
                        "maxMs": round(ordered[-1] * 1000, 1),
                    }
                )
            return {
                "seconds": round(elapsed_s, 1),
                "commands": total,
                "commandsPerSecond": round(total / elapsed_s, 1),
                "scenarios": dict(sorted(self._scenarios.items())),
                "errors": [
                    {"command": command, "error": error, "count": count}
                    for (command, error), count in self._errors.most_common()
                ],
                "perCommand": per_command,
            }


def summary_text(summary: dict[str, Any]) -> str:
    lines = [
        f"{summary['commands']} commands in {summary['seconds']} s "
        f"({summary['commandsPerSecond']} commands/s); scenarios: "
        + ", ".join(f"{name} {count}" for name, count in summary["scenarios"].items()),
        "",
        f"{'command':<44} {'count':>7} {'errors':>7} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}",
    ]
    for row in summary["perCommand"]:
        lines.append(
            f"{row['command']:<44} {row['count']:>7} {row['errors']:>7} "
            f"{row['p50Ms']:>9.1f} {row['p99Ms']:>9.1f} {row['maxMs']:>9.1f}"
        )
    if summary["errors"]:
        lines += ["", "errors:"]
        lines += [f"  {e['count']:>6}  {e['command']}: {e['error']}" for e in summary["errors"]]
    return "\n".join(lines)
