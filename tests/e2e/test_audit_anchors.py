"""Anchors of the audit chain on Stellar, end to end against the sandbox: the runner anchors the
chain's head, the platform wallet's transaction carries it as MEMO_HASH with the position and the
balance root in its manage data, `GET /audit/anchors` lists it, and `ledgerline audit verify
--anchors` passes on the untouched database and names the altered position on a tampered one.
An anchor whose worker is killed mid-submission, and whose next submission's answer is lost,
is still sent exactly once."""

from __future__ import annotations

import dataclasses
import json
import signal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

from domain.audit_anchors import DATA_BALANCES_ROOT, DATA_BALANCES_SUM, DATA_POSITION
from interfaces.cli.main import cli
from interfaces.workers.loops import default_runner
from sandbox.faults.fault_rules import HORIZON_SUBMIT
from tests.support.orders import platform_ready
from tests.support.processes import worker_process
from tests.support.stack import Stack, process_environment
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
ANCHOR_TIMEOUT_S = 30.0


def anchoring(stack: Stack, every_events: int = 3) -> None:
    """Restarts the runner with anchors due every `every_events` positions or second (the test
    stack's own settings never anchor, so no other test's log changes)."""
    settings = msgspec.structs.replace(
        stack.services.settings,
        audit_anchor_every_events=every_events,
        audit_anchor_interval_s=1,
    )
    assert stack.runner is not None
    stack.runner.stop()
    stack.runner = default_runner(
        dataclasses.replace(stack.services, settings=settings), stack.broker
    )
    stack.runner.start()


def anchored(stack: Stack, key: str, at_least: int = 0) -> dict[str, Any]:
    """The newest anchor on chain of a position at or past `at_least`, once there is one."""

    def newest() -> dict[str, Any] | None:
        page = stack.client(key).get("/audit/anchors", params={"limit": 5})
        assert page.status_code == 200, page.text
        for anchor in page.json()["data"]:
            if anchor["status"] == "ANCHORED" and anchor["position"] >= at_least:
                return dict(anchor)
        return None

    return wait_until(newest, timeout_s=ANCHOR_TIMEOUT_S, interval_s=0.2, message="an anchor")


def anchor_transactions(stack: Stack, platform: str) -> list[Any]:
    """The platform wallet's successful transactions that anchor a position, read back from
    Horizon (through our adapter)."""
    page = stack.services.resources.network.account_transactions(platform, None, 200)
    return [t for t in page.transactions if t.successful and DATA_POSITION in dict(t.data)]


def verify_anchors(stack: Stack) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        cli, ["audit", "verify", "--anchors", "--json"], env=process_environment(stack.services)
    )
    return result.exit_code, json.loads(result.stdout)


def feed_row(stack: Stack, type_name: str, aggregate_id: str) -> int:
    with stack.services.resources.pool.connection() as conn:
        row = conn.execute(
            "SELECT position FROM rm_event_feed.events WHERE type = %s AND aggregate_id = %s",
            (type_name, aggregate_id),
        ).fetchone()
    return int(row["position"])


def test_the_runner_anchors_the_chain_head_on_stellar_and_verify_names_a_tampered_position(
    isolated_stack: Stack,
) -> None:
    stack = isolated_stack
    platform = platform_ready(stack)
    auditor = stack.key("audit")
    created = stack.client().post("/users", json={"externalUserId": "anchored-user"})
    assert created.status_code == 201, created.text
    user_id = created.json()["data"]["id"]
    stack.caught_up()
    user_position = feed_row(stack, "user.created", user_id)
    anchoring(stack)

    anchor = anchored(stack, auditor, at_least=user_position)
    feed = stack.services.views.feed
    assert anchor["headHash"] == feed.hash_at(anchor["position"])
    tree = stack.services.use_cases.balance_proofs.tree_at(anchor["position"])
    assert anchor["balancesRoot"] == tree.root.hash.hex()
    assert anchor["signer"] == platform
    on_chain = stack.services.resources.network.transaction(anchor["transactionHash"])
    assert on_chain is not None and on_chain.successful
    assert on_chain.memo_hash == bytes.fromhex(anchor["headHash"])
    assert dict(on_chain.data) == {
        DATA_POSITION: str(anchor["position"]).encode(),
        DATA_BALANCES_ROOT: anchor["balancesRoot"].encode(),
        DATA_BALANCES_SUM: str(tree.root.sum_stroops).encode(),
    }
    # The auditor reads anchors; a read key does not.
    assert stack.client(stack.key("read")).get("/audit/anchors").status_code == 403

    assert stack.runner is not None
    stack.runner.stop()  # nothing is appended while the database is checked and tampered with
    stack.runner = None
    shown = CliRunner().invoke(
        cli, ["audit", "verify", "--anchors"], env=process_environment(stack.services)
    )
    print(shown.output)
    assert shown.exit_code == 0, shown.output
    assert "the recomputed chain" in shown.output
    exit_code, untouched = verify_anchors(stack)
    assert exit_code == 0, untouched
    assert untouched["anchors"]["ok"] and untouched["anchors"]["checked"] >= 1

    with stack.services.resources.pool.connection() as conn:
        row = conn.execute(
            "SELECT state FROM ledger_events WHERE notification_id = %s", (user_position,)
        ).fetchone()
        state = json.loads(bytes(row["state"]))
        state["external_user_id"] = "someone-else"
        conn.execute(
            "UPDATE ledger_events SET state = %s WHERE notification_id = %s",
            (json.dumps(state).encode(), user_position),
        )
    shown = CliRunner().invoke(
        cli, ["audit", "verify", "--anchors"], env=process_environment(stack.services)
    )
    print(shown.output)  # what an auditor sees (docs/audit.md shows it)
    assert shown.exit_code == 1
    assert f"first altered event at position {user_position}" in shown.output
    exit_code, tampered = verify_anchors(stack)
    assert exit_code == 1
    first_anchor_past = min(
        a["position"]
        for a in stack.client(auditor).get("/audit/anchors", params={"limit": 100}).json()["data"]
        if a["status"] == "ANCHORED" and a["position"] >= user_position
    )
    assert tampered["anchors"]["firstDifferingAnchor"] == first_anchor_past
    assert tampered["anchors"]["firstAlteredPosition"] == user_position
    assert tampered["breaks"][0]["position"] == user_position


def test_an_anchor_survives_a_killed_worker_and_a_lost_answer_without_a_second_transaction(
    isolated_stack: Stack, tmp_path: Path
) -> None:
    stack = isolated_stack
    assert stack.sandbox is not None and stack.workers is not None
    platform = platform_ready(stack)
    auditor = stack.key("audit")
    stack.workers.stop()  # from here on only the killable worker process runs saga steps
    stack.workers = None
    faults = stack.sandbox.faults
    faults.clear()
    # The first submission hangs (the worker is killed in it); the next one lands on chain and
    # its answer is lost: only looking the recorded hash up can tell it landed.
    faults.inject({"route": HORIZON_SUBMIT, "mode": "hang", "hang_s": 20, "count": 1})
    try:
        anchoring(stack)
        with worker_process(stack, tmp_path) as worker:
            wait_until(
                lambda: faults.fired(HORIZON_SUBMIT, "hang"),
                timeout_s=ANCHOR_TIMEOUT_S,
                interval_s=0.1,
                message="the anchor's submission to hang",
            )
            worker.send_signal(signal.SIGKILL)
        faults.clear()
        faults.inject({"route": HORIZON_SUBMIT, "mode": "timeout_after_apply", "count": 1})
        with worker_process(stack, tmp_path):
            anchored(stack, auditor)
            anchors = wait_until(
                lambda: _all_anchored(stack, auditor),
                timeout_s=ANCHOR_TIMEOUT_S,
                message="every anchor on chain",
            )
        assert faults.fired(HORIZON_SUBMIT, "timeout_after_apply"), "no answer was lost"
    finally:
        faults.clear()
    on_chain = anchor_transactions(stack, platform)
    assert len(on_chain) == len(anchors), (on_chain, anchors)
    for anchor in anchors:
        sent = [t for t in on_chain if t.memo_hash == bytes.fromhex(anchor["headHash"])]
        assert [t.transaction_hash for t in sent] == [anchor["transactionHash"]]
        # Its recorded envelope was settled, never voided and signed again.
        assert _signed(stack, anchor["id"]) == 1, _anchor_rows(stack)


def _all_anchored(stack: Stack, key: str) -> list[dict[str, Any]] | None:
    anchors = stack.client(key).get("/audit/anchors", params={"limit": 100}).json()["data"]
    return anchors if anchors and all(a["status"] == "ANCHORED" for a in anchors) else None


def _signed(stack: Stack, anchor_id: str) -> int:
    with stack.services.resources.pool.connection() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM rm_event_feed.events"
            " WHERE type = 'audit.anchor_transaction_signed' AND aggregate_id = %s",
            (anchor_id,),
        ).fetchone()
    return int(row["n"])


def _anchor_rows(stack: Stack) -> list[Any]:
    with stack.services.resources.pool.connection() as conn:
        return conn.execute(
            "SELECT position, type, envelope::text FROM rm_event_feed.events"
            " WHERE aggregate_type = 'AuditAnchor' ORDER BY position"
        ).fetchall()


def test_an_anchor_the_network_keeps_refusing_is_parked_and_an_operators_retry_anchors_it(
    isolated_stack: Stack,
) -> None:
    stack = isolated_stack
    assert stack.sandbox is not None
    platform = platform_ready(stack)
    auditor = stack.key("audit")
    faults = stack.sandbox.faults
    refusal = faults.inject(
        {
            "route": HORIZON_SUBMIT,
            "mode": "force_tx_result",
            "result_code": "tx_insufficient_balance",
            "count": None,
        }
    )
    try:
        anchoring(stack)

        def parked() -> dict[str, Any] | None:
            page = stack.client(auditor).get("/audit/anchors").json()["data"]
            return next((a for a in page if a["status"] == "PARKED"), None)

        anchor = wait_until(parked, timeout_s=ANCHOR_TIMEOUT_S, interval_s=0.2, message="parked")
    finally:
        faults.remove(refusal)
    assert anchor["transactionHash"] is None
    assert "tx_insufficient_balance" in (anchor["parkReason"] or "")
    assert anchor_transactions(stack, platform) == []
    listed = stack.client().get("/admin/sagas", params={"status": "PARKED"}).json()["data"]
    assert [(s["id"], s["kind"]) for s in listed] == [(anchor["id"], "audit_anchor")]
    retried = stack.client().post(f"/admin/sagas/{anchor['id']}/retry")
    assert retried.status_code == 200, retried.text
    anchors = wait_until(
        lambda: _all_anchored(stack, auditor), timeout_s=ANCHOR_TIMEOUT_S, message="anchored"
    )
    done = next(a for a in anchors if a["id"] == anchor["id"])
    sent = [
        t
        for t in anchor_transactions(stack, platform)
        if t.memo_hash == bytes.fromhex(done["headHash"])
    ]
    assert [t.transaction_hash for t in sent] == [done["transactionHash"]]
    assert len(anchor_transactions(stack, platform)) == len(anchors)
