"""Carries out the schedule's kills and faults at their moments, on one thread.

A process kill is SIGKILL (no graceful anything) followed, after its short downtime, by a fresh
start that the run does not wait for; a store kill keeps the store down for its downtime, then
starts it again on the same port (PostgreSQL recovering from its WAL; Redis from its
append-only file, or empty). Steps run in order, so one that takes long (a store's restart)
delays the next rather than overlapping it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from simulation.fleet import Fleet
from simulation.schedule import Fault, Kill, Schedule

FAULT_TIMEOUT_S: Final = 10.0
log = logging.getLogger(__name__)


@dataclass
class ChaosRecord:
    kills: Counter[str] = field(default_factory=Counter)
    faults: int = 0
    faults_refused: int = 0
    timeline: list[tuple[float, str]] = field(default_factory=list)

    def note(self, at_s: float, what: str) -> None:
        self.timeline.append((round(at_s, 2), what))


class Chaos:
    def __init__(
        self, schedule: Schedule, fleet: Fleet, clock: Any, stopping: threading.Event
    ) -> None:
        self._steps: list[Kill | Fault] = sorted(
            (*schedule.kills, *schedule.faults), key=lambda s: s.at_s
        )
        self._fleet = fleet
        self._clock = clock
        self._stopping = stopping
        self.record = ChaosRecord()
        self._thread = threading.Thread(target=self._run, name="chaos", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout_s: float) -> None:
        self._thread.join(timeout_s)

    def _run(self) -> None:
        for step in self._steps:
            if self._stopping.wait(max(step.at_s - self._clock(), 0)):
                return
            try:
                self._kill(step) if isinstance(step, Kill) else self._fault(step)
            except Exception as error:  # a step that failed is reported, never fatal
                self.record.note(self._clock(), f"step failed: {step}: {error}")
                log.exception("chaos step %s failed", step)

    def _kill(self, kill: Kill) -> None:
        fleet, started = self._fleet, self._clock()
        if kill.kind in ("api", "worker", "runner"):
            name = fleet.names(kill.kind)[kill.target % len(fleet.names(kill.kind))]
            assert fleet.supervisor is not None
            fleet.supervisor.pause(name)
            try:
                fleet.service(name).kill()
                self._stopping.wait(kill.downtime_s)
                fleet.service(name).spawn()
            finally:
                fleet.supervisor.resume(name)
            what = name
        elif kill.kind == "postgres":
            fleet.postgres.kill()
            time.sleep(kill.downtime_s)
            fleet.postgres.start()
            what = "postgres"
        else:
            fleet.redis.kill()
            time.sleep(kill.downtime_s)
            fleet.redis.start(keep_data=kill.kind == "redis-keep")
            what = kill.kind
        self.record.kills[kill.kind] += 1
        self.record.note(started, f"kill {what} (down {self._clock() - started:.1f}s)")

    def _fault(self, fault: Fault) -> None:
        try:
            answer = httpx.post(
                f"{self._fleet.sandbox_url}/sandbox/faults",
                json=fault.rule,
                timeout=FAULT_TIMEOUT_S,
            )
        except httpx.HTTPError:
            self.record.faults_refused += 1
            return
        if answer.status_code == 201:
            self.record.faults += 1
            self.record.note(self._clock(), f"fault {fault.rule['route']} {fault.rule['mode']}")
        else:
            self.record.faults_refused += 1
