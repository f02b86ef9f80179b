"""The service's processes as an operator runs them: `ledgerline sandbox|serve|runner|worker`, each
its own interpreter started through the CLI, with its output in a log file. The simulation
SIGKILLs them at seeded moments and starts them again, and a supervisor restarts any that exits
by itself (as systemd or compose would: `serve` exits 69 when it starts during an outage)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx

from simulation.lineage import descendants, die_with_parent, kill_tree

# A process imports stellar-sdk's hundreds of XDR modules before it does anything; on a loaded
# 2-core machine that alone has taken over 30 s.
START_TIMEOUT_S: Final = 180.0
READY_POLL_S: Final = 0.2
STOP_TIMEOUT_S: Final = 30.0
# A process that exits by itself is started again after a pause that doubles while it keeps
# exiting (as a supervisor backs off), and starts over once it has run for a while.
RESTART_BACKOFF_S: Final = 1.0
RESTART_BACKOFF_MAX_S: Final = 16.0
RAN_LONG_ENOUGH_S: Final = 60.0
SUPERVISOR_POLL_S: Final = 0.5

Ready = Callable[["ServiceProcess"], bool]


def said(text: str) -> Ready:
    """Ready once the process's log contains `text`."""
    return lambda process: text.encode() in process.output()


def answers(url: str) -> Ready:
    """Ready once `url` answers 200."""

    def ready(_: ServiceProcess) -> bool:
        try:
            return httpx.get(url, timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    return ready


@dataclass
class ServiceProcess:
    """One `ledgerline <command>`; `name` tells instances apart (worker-2)."""

    name: str
    command: list[str]
    environment: Mapping[str, str]
    log_dir: Path
    ready: Ready
    starts: int = 0
    spawned_at: float = 0.0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: Path | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def output(self) -> bytes:
        return self._log.read_bytes() if self._log and self._log.exists() else b""

    def spawn(self) -> None:
        """Starts the process without waiting for it to be ready."""
        with self._lock:
            self.starts += 1
            self.spawned_at = time.monotonic()
            self._log = self.log_dir / f"{self.name}.{self.starts}.log"
            with self._log.open("wb") as sink:
                self._process = subprocess.Popen(  # noqa: S603  (our own interpreter and CLI)
                    [sys.executable, "-m", "interfaces.cli", *self.command],
                    env=dict(self.environment),
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    preexec_fn=die_with_parent,
                )

    def start(self) -> None:
        self.spawn()
        self.wait_ready()

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.ready(self):
            if not self.alive:
                tail = self.output().decode(errors="replace")[-3000:]
                raise RuntimeError(f"{self.name} exited while starting:\n{tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} was not ready within {timeout_s:.0f}s")
            time.sleep(READY_POLL_S)

    def kill(self) -> None:
        """SIGKILL, with every child it forked."""
        with self._lock:
            if self._process is None:
                return
            kill_tree(self._process.pid)
            self._process.wait(STOP_TIMEOUT_S)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL past the bound; and SIGKILL to whatever of its tree outlived
        it (the API's worker processes have been seen to outlive a parent that exited on
        SIGTERM, holding their database sessions)."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                return
            tree = descendants(self._process.pid)
            self._process.terminate()
            try:
                self._process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                kill_tree(self._process.pid)
                self._process.wait(STOP_TIMEOUT_S)
            for leftover in tree:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(leftover, signal.SIGKILL)


class Supervisor:
    """Restarts any process that exited without being asked to, while `watching` is set."""

    def __init__(self, processes: list[ServiceProcess], stopping: threading.Event) -> None:
        self._processes = processes
        self._stopping = stopping
        self._paused: set[str] = set()
        self._lock = threading.Lock()
        self.restarts: dict[str, int] = {}
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def pause(self, name: str) -> None:
        """The chaos schedule is taking `name` down on purpose: leave it alone."""
        with self._lock:
            self._paused.add(name)

    def resume(self, name: str) -> None:
        with self._lock:
            self._paused.discard(name)

    def join(self) -> None:
        self._thread.join(timeout=STOP_TIMEOUT_S)

    def _watch(self) -> None:
        backoff_s = dict.fromkeys((p.name for p in self._processes), RESTART_BACKOFF_S)
        due: dict[str, float] = {}
        while not self._stopping.wait(SUPERVISOR_POLL_S):
            now = time.monotonic()
            for process in self._processes:
                with self._lock:
                    if process.name in self._paused or process.alive:
                        continue
                name = process.name
                due.setdefault(name, now + backoff_s[name])
                if now < due[name] or self._stopping.is_set():
                    continue
                del due[name]
                quick = now - process.spawned_at < RAN_LONG_ENOUGH_S
                backoff_s[name] = (
                    min(backoff_s[name] * 2, RESTART_BACKOFF_MAX_S) if quick else RESTART_BACKOFF_S
                )
                self.restarts[name] = self.restarts.get(name, 0) + 1
                process.spawn()
