"""One bench run's shared state, and the one way a load measure is taken.

`Session.load` runs a plan on the generator and reads the meters at the exact start and end
of its measured window, so throughput, latency, CPU per operation and commits per operation
all describe the same seconds of the same run.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

from ops.bench.load import Generator, Plan, Tally, Window
from ops.bench.meters import Meters, costs
from ops.bench.population import Population
from ops.bench.report import Measure, Report
from ops.bench.stack import MASTER_KEY, Stack


@dataclass(frozen=True)
class LoadResult:
    measure: Measure
    tally: Tally
    window: Window


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sleep_until(moment: float) -> None:
    time.sleep(max(moment - time.monotonic(), 0.0))


@dataclass
class Session:
    stack: Stack
    generator: Generator
    meters: Meters
    clients: list[int]
    seconds: float
    warmup_s: float
    report: Report = field(default_factory=Report)
    population: Population | None = None
    # Processes of the bench itself metered during a measure (e.g. the SSE clients).
    observers: dict[str, list[int]] = field(default_factory=dict)

    @property
    def http_shared(self) -> dict[str, Any]:
        return {
            "host": "127.0.0.1",
            "port": self.stack.api_port,
            "key": MASTER_KEY,
            "base": "/api/v1",
        }

    @property
    def sql_shared(self) -> dict[str, Any]:
        return {"database_url": self.stack.database_url}

    def name(self, base: str, clients: int) -> str:
        """Plain names at the first (reference) client count, which the issues' goals use."""
        return base if clients == self.clients[0] else f"{base}@{clients}"

    def track(self) -> None:
        """Points the CPU meters at the processes running now."""
        roots = {"generator": self.generator.pids, **self.observers}
        for name in ("api", "runner", "worker"):
            if name in self.stack.processes:
                roots[name] = [self.stack.processes[name].pid]
        postgres = self.meters.roots.get("postgres")
        self.meters.roots = {**roots, **({"postgres": postgres} if postgres else {})}

    def load(
        self,
        name: str,
        scenario: str,
        params: list[dict[str, Any]],
        shared: dict[str, Any],
        baseline: str,
        *,
        add: bool = True,
        **extra: Any,
    ) -> LoadResult:
        """Runs `scenario` with one client per `params`; adds the measure to the report unless
        `add` is false (a measure that reports something else under this load)."""
        self.stack.check_alive()
        self.track()
        plan = Plan(scenario, params, shared, self.warmup_s, self.seconds)
        window = self.generator.prepare(plan)
        sleep_until(window.start_at)
        before = self.meters.read()
        sleep_until(window.stop_at)
        after = self.meters.read()
        tally = self.generator.collect(window)
        self.stack.check_alive()
        measure = Measure.of(
            name,
            tally.completed,
            self.seconds,
            tally.latencies_s,
            baseline,
            clients=len(params),
            errors=tally.errors,
            refused=tally.refused,
            errors_outside_window=tally.errors_outside_window,
            **costs(before, after, tally.completed),
            **extra,
        )
        if len({op for op, _ in tally.outcomes}) > 1 or tally.refused or tally.errors:
            measure.extra["outcomes"] = {
                f"{op} {o}": n for (op, o), n in sorted(tally.outcomes.items())
            }
        if tally.error_samples:
            measure.extra["error_samples"] = tally.error_samples
        if not add:
            return LoadResult(measure, tally, window)
        self.report.add(measure)
        say(
            f"  {name:<38} {measure.ops_per_s:>9.0f} ops/s  p99 {measure.p99_ms:>8.2f} ms"
            f"  errors {tally.errors}" + (f"  refused {tally.refused}" if tally.refused else "")
        )
        return LoadResult(measure, tally, window)
