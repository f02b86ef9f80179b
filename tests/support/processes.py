"""Real `ledgerline …` processes beside a test stack, as production runs them: same database,
Redis and sandbox, their own interpreter, killable and signalable."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.stack import Stack, process_environment
from tests.support.waiting import wait_until

# A process imports stellar-sdk's hundreds of XDR modules before it does anything; on a loaded
# 2-core machine that alone has taken over 30 s. What a test then measures keeps its own bound.
PROCESS_START_TIMEOUT_S = 120
# How long a process that outlived its test gets to die after SIGKILL.
KILL_WAIT_S = 10


@contextmanager
def ledgerline_process(
    stack: Stack,
    command: list[str],
    log_dir: Path,
    started: Callable[[bytes], bool],
    **environ: str,
) -> Iterator[subprocess.Popen[bytes]]:
    """`ledgerline <command>` once `started(output so far)` holds; killed afterwards if alive.
    Its output goes to a file in `log_dir`, shown when it dies before starting."""
    log = log_dir / f"{command[0]}-{time.monotonic_ns()}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli", *command],
            env={**os.environ, **process_environment(stack.services), **environ},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: started(log.read_bytes()) or process.poll() is not None,
            timeout_s=PROCESS_START_TIMEOUT_S,
            message=f"`ledgerline {' '.join(command)}` to start",
        )
        assert process.poll() is None, log.read_text()
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=KILL_WAIT_S)


@contextmanager
def worker_process(stack: Stack, log_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real `ledgerline worker` once it is consuming messages."""
    with ledgerline_process(
        stack, ["worker"], log_dir, lambda output: b"worker started" in output
    ) as process:
        yield process
