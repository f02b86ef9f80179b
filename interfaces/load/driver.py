"""A bounded, paced load run: scenarios started at a chosen rate (open loop: a slow answer does
not slow the schedule, it only fills the client threads), drawn from a weighted mix with a
seed, stopped after a duration or a count, whichever comes first, and then drained within a
bound. A progress line says where the run is; the tally says how it went.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Final

from interfaces.load.report import Tally
from interfaces.load.scenarios import ScenarioError

DRAIN_TIMEOUT_S: Final = 120.0
PROGRESS_EVERY_S: Final = 2.0


@dataclass(frozen=True)
class Plan:
    rate_per_s: float
    duration_s: float
    count_max: int
    concurrency: int
    mix: dict[str, int]  # scenario -> weight
    seed: int


def run(
    plan: Plan,
    scenarios: dict[str, Callable[[], None]],
    tally: Tally,
    progress: Callable[[str], None],
    stopping: threading.Event,
) -> None:
    rng = random.Random(plan.seed)
    names = [name for name, weight in plan.mix.items() if weight > 0]
    weights = [plan.mix[name] for name in names]
    started = time.monotonic()
    deadline = started + plan.duration_s
    in_flight: set[Future[None]] = set()
    lock = threading.Lock()
    launched = 0
    next_report = started

    def finished(future: Future[None]) -> None:
        with lock:
            in_flight.discard(future)

    with ThreadPoolExecutor(plan.concurrency, thread_name_prefix="load") as pool:
        while launched < plan.count_max and not stopping.is_set():
            now = time.monotonic()
            if now >= deadline:
                break
            due = started + launched / plan.rate_per_s
            if now >= due:
                name = rng.choices(names, weights)[0]
                future = pool.submit(_scenario, name, scenarios[name], tally)
                with lock:
                    in_flight.add(future)
                future.add_done_callback(finished)
                launched += 1
                continue
            if now >= next_report:
                progress(_line(now - started, launched, tally, len(in_flight)))
                next_report = now + PROGRESS_EVERY_S
            stopping.wait(min(due - now, PROGRESS_EVERY_S))
        progress(_line(time.monotonic() - started, launched, tally, len(in_flight)) + "; draining")
        with lock:
            pending = set(in_flight)
        wait(pending, timeout=DRAIN_TIMEOUT_S)
        if stopping.is_set():
            pool.shutdown(wait=False, cancel_futures=True)


def _scenario(name: str, body: Callable[[], None], tally: Tally) -> None:
    with contextlib.suppress(ScenarioError):  # its failing command is in the tally
        body()
    tally.scenario(name)


def _line(elapsed_s: float, launched: int, tally: Tally, in_flight: int) -> str:
    commands = tally.commands
    return (
        f"{elapsed_s:6.1f} s  scenarios {launched:>6} (unfinished {in_flight:>3})  "
        f"commands {commands:>7} ({commands / max(elapsed_s, 1e-9):6.1f}/s)  "
        f"errors {tally.errors}"
    )
