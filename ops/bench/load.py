"""The load generator: closed-loop clients spread over several processes, so the generator is
never what limits a measure (`http_hello` proves its ceiling in the same run).

`Generator` starts its processes once per bench run; each `run(plan)` hands every process its
share of the plan's clients. The processes open their connections, report ready, and then all
run one shared window — a warm-up that is not counted, then the measured seconds — on the
machine-wide monotonic clock. Only operations that start and finish inside the measured window
count; every answer is classified as ok, refused (an expected business refusal, reported) or
error (counted and shown, never dropped), so a measure cannot look fast by failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from typing import Any, Final

START_DELAY_S: Final = 0.3
READY_WITHIN_S: Final = 60.0
# A window's stragglers (answers still in flight at its end) get this long to come back.
FINISH_WITHIN_S: Final = 60.0
ERROR_SAMPLES_MAX: Final = 8


@dataclass(frozen=True, slots=True)
class Plan:
    """`clients` holds one parameter mapping per client (picklable); `shared` what all share."""

    scenario: str
    clients: list[dict[str, Any]]
    shared: dict[str, Any]
    warmup_s: float
    seconds: float


@dataclass(frozen=True, slots=True)
class Window:
    warm_at: float
    start_at: float
    stop_at: float


@dataclass
class Tally:
    latencies_s: list[float] = field(default_factory=list)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors_outside_window: int = 0
    error_samples: list[str] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        self.latencies_s.extend(other.latencies_s)
        self.outcomes.update(other.outcomes)
        self.errors_outside_window += other.errors_outside_window
        room = ERROR_SAMPLES_MAX - len(self.error_samples)
        self.error_samples.extend(other.error_samples[:room])

    @property
    def errors(self) -> int:
        return sum(n for (_, outcome), n in self.outcomes.items() if outcome.startswith("error"))

    @property
    def refused(self) -> int:
        return sum(n for (_, outcome), n in self.outcomes.items() if outcome.startswith("refused"))

    @property
    def completed(self) -> int:
        """Operations answered as intended (ok or an expected refusal) inside the window."""
        return len(self.latencies_s)


class Recorder:
    """What a scenario's client reports each operation to."""

    def __init__(self, window: Window, tally: Tally) -> None:
        self.window = window
        self._tally = tally

    @property
    def running(self) -> bool:
        return time.monotonic() < self.window.stop_at

    def record(self, op: str, outcome: str, began: float, ended: float, detail: str = "") -> None:
        """`outcome` is "ok", "refused <code>" or "error <what>"."""
        tally = self._tally
        inside = began >= self.window.start_at and ended <= self.window.stop_at
        if outcome.startswith("error"):
            if len(tally.error_samples) < ERROR_SAMPLES_MAX:
                tally.error_samples.append(f"{op}: {outcome} {detail}"[:300])
            if inside:
                tally.outcomes[(op, outcome)] += 1
            else:
                tally.errors_outside_window += 1
            return
        if inside:
            tally.latencies_s.append(ended - began)
            tally.outcomes[(op, outcome)] += 1


class Generator:
    """A fixed set of generator processes, reused by every measure of a run."""

    def __init__(self, processes: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipes: list[Pipe] = []
        self._processes = []
        for index in range(processes):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=_serve, args=(child_end, index), name=f"bench-load-{index}", daemon=True
            )
            process.start()
            child_end.close()
            self._pipes.append(parent_end)
            self._processes.append(process)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes if p.pid is not None]

    def prepare(self, plan: Plan) -> Window:
        """Hands out the clients; returns the window once every process is connected."""
        count = len(self._pipes)
        for index, pipe in enumerate(self._pipes):
            share = plan.clients[index::count]
            pipe.send(("plan", Plan(plan.scenario, share, plan.shared, 0.0, 0.0)))
        for pipe in self._pipes:
            _expect(pipe, READY_WITHIN_S, "ready")
        warm_at = time.monotonic() + START_DELAY_S
        window = Window(warm_at, warm_at + plan.warmup_s, warm_at + plan.warmup_s + plan.seconds)
        for pipe in self._pipes:
            pipe.send(("go", window))
        return window

    def collect(self, window: Window) -> Tally:
        tally = Tally()
        for pipe in self._pipes:
            result = _expect(pipe, max(window.stop_at - time.monotonic(), 0) + FINISH_WITHIN_S)
            tally.merge(result)
        return tally

    def close(self) -> None:
        for pipe in self._pipes:
            with contextlib.suppress(OSError):
                pipe.send(("exit", None))
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()


def _expect(pipe: Pipe, timeout_s: float, wanted: str | None = None) -> Any:
    if not pipe.poll(timeout_s):
        raise TimeoutError(f"a generator process did not answer within {timeout_s:.0f}s")
    kind, value = pipe.recv()
    if kind == "failed":
        raise RuntimeError(f"a generator process failed: {value}")
    if wanted is not None and kind != wanted:
        raise RuntimeError(f"a generator process said {kind!r}, expected {wanted!r}")
    return value


def _serve(pipe: Pipe, index: int) -> None:
    """A generator process: runs each plan it is given until told to exit."""
    while True:
        kind, plan = pipe.recv()
        if kind == "exit":
            return
        try:
            tally = asyncio.run(_run_plan(plan, pipe))
        except Exception as error:  # reported to the parent, which fails the measure
            pipe.send(("failed", f"process {index} (pid {os.getpid()}): {error!r}"))
            continue
        pipe.send(("done", tally))


async def _run_plan(plan: Plan, pipe: Pipe) -> Tally:
    from ops.bench.scenarios import SCENARIOS

    scenario = SCENARIOS[plan.scenario]
    clients = [await scenario.open(plan.shared, params) for params in plan.clients]
    pipe.send(("ready", None))
    _, window = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    tally = Tally()
    recorder = Recorder(window, tally)
    await asyncio.sleep(max(window.warm_at - time.monotonic(), 0))
    try:
        await asyncio.gather(*(scenario.run(client, recorder) for client in clients))
    finally:
        for client in clients:
            await scenario.close(client)
    return tally
