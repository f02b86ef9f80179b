"""Crash safety: real worker processes are SIGKILLed at seeded random moments while withdrawals
are signed, recorded, submitted and settled. Afterwards every withdrawal is COMPLETED with
exactly one payment on chain, or FAILED with none, and the ledger equals the chain.

The seed is printed; CRASH_SEED=<seed> replays the same kill schedule and fault draws.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from infrastructure.sandbox.faults import HORIZON_SUBMIT
from tests.support.money import active_user, funded_user, usdc_payments, wait_withdrawal
from tests.support.stack import Stack, process_environment
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
WITHDRAWALS = 6
KILL_WINDOW_S = 1.2
# A worker imports stellar-sdk's hundreds of XDR modules before it consumes; on a loaded
# 2-core machine that alone has taken over 30 s.
WORKER_START_TIMEOUT_S = 120


@contextmanager
def worker_process(stack: Stack, log_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real `ledgerline worker`, as production runs it, once it is consuming messages."""
    log = log_dir / f"worker-{time.monotonic_ns()}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli", "worker"],
            env={**os.environ, **process_environment(stack.services)},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: b"worker started" in log.read_bytes() or process.poll() is not None,
            timeout_s=WORKER_START_TIMEOUT_S,
            message="the worker to start",
        )
        assert process.poll() is None, log.read_text()
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_killed_workers_never_pay_twice_and_every_withdrawal_settles(
    isolated_stack: Stack, tmp_path: Path
) -> None:
    stack = isolated_stack
    assert stack.sandbox is not None
    assert stack.workers is not None
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1_000_000)))
    print(f"crash test seed: {seed} (CRASH_SEED={seed} replays it)")
    rng = random.Random(seed)
    users = [funded_user(stack, "20", prefix=f"crash{n}") for n in range(WITHDRAWALS)]
    _, destination = active_user(stack, prefix="crash-dest")
    stack.workers.stop()  # from here on only killable worker processes run saga steps
    stack.workers = None

    faults = stack.sandbox.faults
    faults.clear(seed=seed)
    faults.inject(
        {"route": HORIZON_SUBMIT, "mode": "hang", "hang_s": 0.8, "probability": 0.4, "count": None}
    )
    faults.inject(
        {"route": HORIZON_SUBMIT, "mode": "timeout_after_apply", "probability": 0.3, "count": None}
    )
    withdrawal_ids = []
    try:
        for user_id, _ in users:
            with worker_process(stack, tmp_path) as worker:
                response = stack.client().post(
                    "/withdrawals",
                    json={
                        "userId": user_id,
                        "amount": "7.5",
                        "destinationType": "crypto",
                        "destinationRef": destination,
                    },
                )
                assert response.status_code == 202, response.text
                withdrawal_ids.append(response.json()["data"]["id"])
                # Deliberate timing, not waiting: the kill lands somewhere in the step.
                time.sleep(rng.uniform(0.0, KILL_WINDOW_S))
                worker.send_signal(signal.SIGKILL)
    finally:
        faults.clear(seed=seed)

    with worker_process(stack, tmp_path):
        settled = [wait_withdrawal(stack, w, timeout_s=90) for w in withdrawal_ids]
        wait_until(
            lambda: not stack.client().get("/admin/sagas").json()["data"],
            timeout_s=30,
            message="no saga in flight",
        )
    for (_, source), withdrawal in zip(users, settled, strict=True):
        payments = usdc_payments(stack, source, destination)
        if withdrawal["status"] == "WITHDRAWAL_COMPLETED":
            assert len(payments) == 1, (seed, withdrawal)
            assert payments[0].transaction_hash == withdrawal["stellarTransactionHash"]
        else:
            assert withdrawal["status"] == "WITHDRAWAL_FAILED", (seed, withdrawal)
            assert payments == [], (seed, withdrawal)
    report = stack.client().post("/admin/reconcile").json()["data"]
    assert report["drifts"] == [], seed
