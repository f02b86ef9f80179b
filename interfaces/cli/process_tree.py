"""The children of `ledgerline up`: each `ledgerline …` process in its own process group, so a
terminal's Ctrl+C reaches `up` alone and `up` decides the order things stop in.

A child dies with `up` (SIGTERM when its parent dies, Linux), never outlives it. Stopping is in
tiers: the services first (API, runner, worker) together, each given its own graceful bound;
then what they depend on (the sandbox); the embedded PostgreSQL and Redis are the runtime's, and
stop after the whole tree. A child that outstays its bound is killed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from infrastructure.embedded.redis import die_with_parent


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    stop_within_s: float

    @property
    def running(self) -> bool:
        return self.process.poll() is None


@dataclass
class ProcessTree:
    tiers: list[list[Child]] = field(default_factory=lambda: [[], []])

    SERVICES = 0  # stopped first
    DEPENDENCIES = 1  # stopped once no service uses them

    def spawn(
        self,
        name: str,
        env: Mapping[str, str],
        *args: str,
        tier: int = SERVICES,
        stop_within_s: float,
        capture: bool = False,
    ) -> Child:
        process = subprocess.Popen(  # noqa: S603  (our own interpreter and entry point)
            [sys.executable, "-m", "interfaces.cli", *args],
            env=dict(env),
            preexec_fn=die_with_parent,
            process_group=0,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
        )
        child = Child(name, process, stop_within_s)
        if not capture:  # a one-shot step (bootstrap) is awaited, not stopped
            self.tiers[tier].append(child)
        return child

    def exited(self) -> list[Child]:
        return [child for tier in self.tiers for child in tier if not child.running]

    def stop(self) -> None:
        """SIGTERM each tier at once and wait for it, within each child's bound, then the next."""
        for tier in self.tiers:
            for child in tier:
                if child.running:
                    child.process.send_signal(signal.SIGTERM)
            for child in tier:
                _wait_or_kill(child)

    def kill(self) -> None:
        """Ends every child now (a second Ctrl+C)."""
        for tier in self.tiers:
            for child in tier:
                if child.running:
                    child.process.kill()


def _wait_or_kill(child: Child) -> None:
    deadline = time.monotonic() + child.stop_within_s
    try:
        child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        child.process.kill()
        child.process.wait()
