"""Crash safety of the fiat ramp: real worker processes are SIGKILLed at seeded random moments
while they create payins and create and commit payouts at AirTM (whose answers are slowed or
lost). Afterwards each top-up has the one payin its code names and is credited once, each
withdrawal's payout was committed once (AirTM's balance paid it once) and its hold spent once.

The seed is printed; CRASH_SEED=<seed> replays the same kill schedule and fault draws.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.faults.fault_rules import AIRTM_COMMIT, AIRTM_PAYINS, AIRTM_PAYOUTS
from sandbox.server import SandboxServer
from tests.support.fiat import airtm_stack, balance, click, linked_user, settle_at_airtm
from tests.support.processes import worker_process
from tests.support.stack import Stack
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
ROUNDS = 4
KILL_WINDOW_S = 1.0


@pytest.fixture
def stack(database_factory: object, redis_url: str, sandbox: SandboxServer) -> Iterator[Stack]:
    with airtm_stack(database_factory(), redis_url, sandbox) as running:  # type: ignore[operator]
        yield running


def status_of(stack: Stack, path: str) -> str:
    return str(stack.client().get(path).json()["data"]["status"])


def test_killed_workers_never_create_commit_or_credit_twice(stack: Stack, tmp_path: Path) -> None:
    assert stack.sandbox is not None and stack.workers is not None
    airtm = stack.sandbox.airtm
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1_000_000)))
    print(f"fiat crash test seed: {seed} (CRASH_SEED={seed} replays it)")
    rng = random.Random(seed)
    users = [linked_user(stack, credit="30") for _ in range(ROUNDS)]
    stack.workers.stop()  # from here on only killable worker processes run saga steps
    stack.workers = None
    faults = stack.sandbox.faults
    faults.clear(seed=seed)
    for route in (AIRTM_PAYINS, AIRTM_PAYOUTS, AIRTM_COMMIT):
        faults.inject({"route": route, "mode": "slow", "delay_ms": 400, "probability": 0.5,
                       "count": None})  # fmt: skip
        faults.inject({"route": route, "mode": "timeout_after_apply", "probability": 0.3,
                       "count": None})  # fmt: skip
    enterprise_before = airtm.state.enterprise_balance_cents
    topups, withdrawals = [], []
    try:
        for user_id, email in users:
            with worker_process(stack, tmp_path) as worker:
                created = stack.client().post("/topups", json={"userId": user_id, "amount": "10"})
                assert created.status_code == 202, created.text
                topups.append((created.json()["data"]["id"], user_id, email))
                paid = stack.client().post(
                    "/withdrawals",
                    json={"userId": user_id, "amount": "12", "destinationType": "airtm_balance",
                          "destinationRef": email},
                )  # fmt: skip
                assert paid.status_code == 202, paid.text
                withdrawals.append(paid.json()["data"]["id"])
                # Deliberate timing, not waiting: the kill lands somewhere in the steps.
                time.sleep(rng.uniform(0.0, KILL_WINDOW_S))
                worker.send_signal(signal.SIGKILL)
    finally:
        faults.clear(seed=seed)

    with worker_process(stack, tmp_path):
        for topup_id, _, _ in topups:
            wait_until(
                lambda t=topup_id: status_of(stack, f"/topups/{t}") != "TOPUP_CREATED",
                timeout_s=90,
                message=f"{topup_id} to reach AirTM",
            )
        for withdrawal_id in withdrawals:
            wait_until(
                lambda w=withdrawal_id: (  # AirTM may have paid it already: the clock runs
                    status_of(stack, f"/withdrawals/{w}")
                    in ("WITHDRAWAL_PENDING", "WITHDRAWAL_COMPLETED")
                ),
                timeout_s=90,
                message=f"{withdrawal_id} to be committed at AirTM",
            )
        for topup_id, _, email in topups:
            topup = stack.client().get(f"/topups/{topup_id}").json()["data"]
            assert [p.payin_id for p in airtm.state.payins.values() if p.code == topup_id] == [
                topup["airtmPayinId"]
            ], seed
            assert click(topup, "confirm", email).status_code == 303
        settle_at_airtm(stack)
        stack.client().post("/admin/reconcile/airtm")
        for topup_id, _, _ in topups:
            assert status_of(stack, f"/topups/{topup_id}") == "TOPUP_SUCCEEDED", seed
        for withdrawal_id in withdrawals:
            assert status_of(stack, f"/withdrawals/{withdrawal_id}") == "WITHDRAWAL_COMPLETED"
    payouts = [p for p in airtm.state.payouts.values() if p.code in withdrawals]
    assert sorted(p.code for p in payouts) == sorted(withdrawals), seed
    paid_cents = sum(p.amount_cents for p in payouts)
    received_cents = sum(p.net_cents for p in airtm.state.payins.values()
                         if p.code in {t for t, _, _ in topups})  # fmt: skip
    assert airtm.state.enterprise_balance_cents == enterprise_before - paid_cents + received_cents
    for user_id, _ in users:  # 30 credited, 12 paid out, 10 topped up less its 1 % fee
        assert balance(stack, user_id) == (f"{Decimal('27.90'):.2f}", "0.00"), seed
