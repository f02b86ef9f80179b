"""Crash safety of the escrow saga: real worker processes are SIGKILLed at seeded random moments
— between a submission and its recording, in the middle of every kind of step — while Trustless
Work answers some submissions with a 504 after applying them, or hangs. Afterwards every order
reaches its end state, each step happened exactly once on chain, and the ledger equals the
chain to the stroop.

The seed is printed; CRASH_SEED=<seed> replays the same kill schedule and fault draws.
"""

from __future__ import annotations

import os
import random
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox.faults.fault_rules import TW_SEND_TRANSACTION
from tests.support.money import wait_balance
from tests.support.orders import (
    command,
    create_order,
    escrow_calls,
    order,
    parties,
)
from tests.support.processes import worker_process
from tests.support.stack import Stack
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
KILL_WINDOW_S = 2.0
# Every few workers one lives longer, so the sagas progress even when a loaded machine makes
# each worker slow to fetch its first message (kills still land mid-step at random moments).
LONG_LIFE_EVERY = 4
LONG_LIFE_WINDOW_S = 10.0
PHASE_TIMEOUT_S = 180.0


class Chaos:
    """Worker processes, each SIGKILLed a random moment after it starts consuming, one after
    another until stopped; then one that is left to finish the work."""

    def __init__(self, stack: Stack, log_dir: Path, rng: random.Random) -> None:
        self._stack, self._log_dir, self._rng = stack, log_dir, rng
        self._stopping = threading.Event()
        self.kills = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Chaos:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stopping.is_set():
            with worker_process(self._stack, self._log_dir) as worker:
                long_life = self.kills % LONG_LIFE_EVERY == LONG_LIFE_EVERY - 1
                window = LONG_LIFE_WINDOW_S if long_life else KILL_WINDOW_S
                self._stopping.wait(self._rng.uniform(0.0, window))
                worker.send_signal(signal.SIGKILL)
                self.kills += 1


def settle(stack: Stack, order_ids: list[str], reached: Callable[[dict[str, Any]], bool]) -> None:
    """Waits until every order satisfies `reached`, retrying any saga that ran out of retries
    (as an operator would)."""

    def all_reached() -> bool:
        done = True
        for order_id in order_ids:
            current = order(stack, order_id)
            if current["saga"]["parked"]:
                stack.client().post(f"/admin/sagas/{order_id}/retry")
            done = done and reached(current)
        return done

    wait_until(all_reached, timeout_s=PHASE_TIMEOUT_S, interval_s=0.5, message="orders to settle")


def idle_in(status: str) -> Callable[[dict[str, Any]], bool]:
    return lambda o: o["status"] == status and o["saga"]["step"] is None


def test_killed_workers_never_repeat_an_escrow_step(isolated_stack: Stack, tmp_path: Path) -> None:
    stack = isolated_stack
    assert stack.sandbox is not None and stack.workers is not None
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1_000_000)))
    print(f"escrow crash test seed: {seed} (CRASH_SEED={seed} replays it)")
    rng = random.Random(seed)
    single = parties(stack, "100")
    multi = parties(stack, "60")
    disputed = parties(stack, "40")
    stack.workers.stop()  # from here on only killable worker processes run saga steps
    stack.workers = None

    faults = stack.sandbox.faults
    faults.clear(seed=seed)
    send = {"route": TW_SEND_TRANSACTION, "count": None}
    faults.inject({**send, "mode": "timeout_after_apply", "probability": 0.25})
    faults.inject({**send, "mode": "hang", "hang_s": 1.0, "probability": 0.15})
    milestones = [
        {"milestoneRef": "a", "title": "A", "amount": "25"},
        {"milestoneRef": "b", "title": "B", "amount": "35"},
    ]
    orders = [
        create_order(stack, single, "100")["id"],
        create_order(stack, multi, "60", milestones=milestones)["id"],
        create_order(stack, disputed, "40")["id"],
    ]
    try:
        with Chaos(stack, tmp_path, rng) as chaos:
            for order_id in orders:
                command(stack, f"/orders/{order_id}/reserve", expect=200)
                command(stack, f"/orders/{order_id}/escrow")
            settle(stack, orders, idle_in("ESCROW_FUNDING"))
            for order_id in orders:
                command(stack, f"/orders/{order_id}/escrow/fund")
            settle(stack, orders, idle_in("IN_PROGRESS"))

            single_id, multi_id, disputed_id = orders
            command(stack, f"/orders/{single_id}/resolution/release")
            command(stack, f"/orders/{multi_id}/milestones/a/complete")
            command(stack, f"/orders/{multi_id}/milestones/b/complete")
            dispute = command(
                stack,
                f"/orders/{disputed_id}/resolution/dispute",
                {"openedBy": "SELLER", "reason": "OTHER"},
                expect=201,
            )
            settle(stack, [multi_id, disputed_id], lambda o: o["saga"]["step"] is None)
            command(stack, f"/orders/{multi_id}/resolution/release")
            support = stack.client(stack.key("support"))
            support.post(f"/disputes/{dispute['id']}/assign", json={"assignedTo": "agent"})
            resolved = support.post(
                f"/disputes/{dispute['id']}/resolve",
                json={"decision": "SPLIT", "releaseAmount": "10", "refundAmount": "30"},
            )
            assert resolved.status_code == 202, resolved.text
            settle(stack, orders, lambda o: o["status"] == "CLOSED")
        print(f"workers killed: {chaos.kills}")
    finally:
        faults.clear(seed=seed)

    with worker_process(stack, tmp_path):
        wait_until(
            lambda: not stack.client().get("/admin/sagas").json()["data"],
            timeout_s=60,
            message="no saga in flight",
        )
    contracts = [order(stack, o)["escrow"]["trustlessContractId"] for o in orders]
    assert escrow_calls(stack, contracts[0]) == {
        "deploy": 1,
        "fund_escrow": 1,
        "change_milestone_status": 1,
        "approve_milestone": 1,
        "release_funds": 1,
    }, seed
    assert escrow_calls(stack, contracts[1]) == {
        "deploy": 1,
        "fund_escrow": 1,
        "change_milestone_status": 2,
        "approve_milestone": 2,
        "release_milestone_funds": 2,
    }, seed
    assert escrow_calls(stack, contracts[2]) == {
        "deploy": 1,
        "fund_escrow": 1,
        "dispute_escrow": 1,
        "resolve_dispute": 1,
    }, seed
    # 100 at 5.3 %; 25 + 35 at 5.3 % each; the split's 10 and 30 at 5.3 % pro rata.
    wait_balance(stack, single.seller, "94.70")
    wait_balance(stack, multi.seller, "56.82")
    wait_balance(stack, disputed.seller, "9.47")
    wait_balance(stack, disputed.buyer, "28.41")
    stack.caught_up()
    report = stack.client().post("/admin/reconcile").json()["data"]
    assert report["drifts"] == [], seed
    assert report["skipped"] == 0, seed
