"""The restore drill: `ledgerline backup` of a running stack, work going on after it (a
withdrawal held before the backup is paid after it, an escrow funded after it, another
withdrawal asked and paid after it), `ledgerline restore` into a fresh database, and the
restored service: the log verifies, the read models rebuild identical to the ones at the
backup, and when workers start nothing is paid or funded a second time (the sagas find their
transactions on chain by memo and by contract call); what the restored log never heard of is
drift for `reconcile`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.server import SandboxServer
from tests.support.money import (
    active_user,
    funded_user,
    usdc_payments,
    wait_balance,
    wait_withdrawal,
    withdraw,
)
from tests.support.orders import (
    command,
    escrow_balance,
    escrow_calls,
    order_awaiting_funding,
    parties,
    stroops,
    wait_order,
)
from tests.support.processes import PROCESS_START_TIMEOUT_S, worker_process
from tests.support.read_models import snapshot
from tests.support.stack import Stack, Workers, process_environment, running_stack

pytestmark = pytest.mark.e2e


def ledgerline(stack: Stack, *arguments: str, **environ: str) -> subprocess.CompletedProcess[str]:
    """A `ledgerline …` command run as an operator would, beside the stack."""
    return subprocess.run(
        [sys.executable, "-m", "interfaces.cli", *arguments],
        env={**os.environ, **process_environment(stack.services), **environ},
        capture_output=True,
        text=True,
        timeout=PROCESS_START_TIMEOUT_S + 120,
        check=False,
    )


def test_a_restored_backup_verifies_rebuilds_identically_and_pays_nothing_twice(
    isolated_stack: Stack,
    database_factory: object,
    redis_url: str,
    sandbox: SandboxServer,
    tmp_path: Path,
) -> None:
    stack = isolated_stack
    assert stack.workers is not None
    payer, payer_address = funded_user(stack, "100", "restore-payer")
    destination_user, destination = active_user(stack, "restore-destination")
    paid_before = wait_withdrawal(
        stack, withdraw(stack, payer, "10", destination).json()["data"]["id"]
    )
    who = parties(stack, "80")
    order_id = order_awaiting_funding(stack, who, "50")

    # Asked before the backup, on chain only after it: the workers are stopped meanwhile.
    stack.workers.stop()
    stack.workers = None
    held = withdraw(stack, payer, "20", destination)
    assert held.status_code == 202, held.text
    held_id = held.json()["data"]["id"]
    command(stack, f"/orders/{order_id}/escrow/fund")
    stack.caught_up()
    at_backup = snapshot(stack.services)
    dump = tmp_path / "ledgerline.dump"
    taken = ledgerline(stack, "backup", "--output", str(dump), "--json")
    assert taken.returncode == 0, taken.stderr
    assert (
        json.loads(taken.stdout)["headPosition"] == stack.services.resources.ledger.head_position()
    )

    with worker_process(stack, tmp_path):
        paid_after_backup = wait_withdrawal(stack, held_id)
        funded = wait_order(stack, order_id, status="IN_PROGRESS")
        unknown = withdraw(stack, payer, "5", destination)
        assert unknown.status_code == 202, unknown.text
        unknown_paid = wait_withdrawal(stack, unknown.json()["data"]["id"])
    assert paid_after_backup["status"] == unknown_paid["status"] == "WITHDRAWAL_COMPLETED"
    contract_id = funded["escrow"]["trustlessContractId"]

    restored_url = database_factory()  # type: ignore[operator]
    restored_run = ledgerline(stack, "restore", str(dump), "--database-url", restored_url, "--json")
    assert restored_run.returncode == 0, restored_run.stderr
    assert (
        json.loads(restored_run.stdout)["headPosition"] == json.loads(taken.stdout)["headPosition"]
    )
    verified = ledgerline(stack, "audit", "verify", DATABASE_URL=restored_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "OK: the hash chain and the ledger invariants hold" in verified.stdout

    with running_stack(
        restored_url, redis_url, sandbox, with_runner=False, with_workers=False, SAGA_STALL_S="1"
    ) as restored:
        # Before anything runs: the read models, folded afresh from the restored log, are the
        # ones the stack had at the backup.
        for store in restored.services.resources.projections.values():
            store.catch_up()
        assert snapshot(restored.services) == at_backup

        # The workers start on the restored log: the held withdrawal and the funding are in it,
        # unpaid; their transactions are on chain.
        assert restored.broker is not None
        restored.workers = Workers(restored.services, restored.broker).start()
        restored.restart_runner()  # its sweeper re-enqueues what the lost Redis queue held
        settled = wait_withdrawal(restored, held_id)
        assert settled["status"] == "WITHDRAWAL_COMPLETED"
        assert settled["stellarTransactionHash"] == paid_after_backup["stellarTransactionHash"]
        wait_order(restored, order_id, status="IN_PROGRESS")

        hashes = [p.transaction_hash for p in usdc_payments(restored, payer_address, destination)]
        assert sorted(hashes) == sorted(
            w["stellarTransactionHash"] for w in (paid_before, paid_after_backup, unknown_paid)
        )
        assert escrow_calls(restored, contract_id).get("fund_escrow") == 1
        assert escrow_balance(restored, contract_id) == stroops("50")

        # What the restored log never heard of: the last withdrawal. Its payment left the
        # payer's wallet (drift, for an operator), and reached the destination's (credited
        # again from the deposit monitor's restored cursor).
        assert restored.client().get(f"/withdrawals/{unknown_paid['id']}").status_code == 404
        wait_balance(restored, destination_user, "35.00")
        reconciled = restored.client().post("/admin/reconcile")
        assert reconciled.status_code == 200, reconciled.text
        drifts = reconciled.json()["data"]["drifts"]
        assert [(d["subject"], d["ledgerBalance"], d["chainBalance"]) for d in drifts] == [
            (payer, "70.00", "65.00")
        ], drifts
