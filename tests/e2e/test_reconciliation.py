"""The reconciler compares each wallet's on-chain USDC with the ledger and reports drift as an
event, never adjusting a balance."""

from __future__ import annotations

import pytest
from stellar_sdk import Account, Asset, Keypair, TransactionBuilder

from application.context import SYSTEM
from application.reconciliation import RECHECK_AFTER_S, Reconciler, ReconciliationScope
from tests.support.money import (
    active_user,
    funded_user,
    wait_balance,
    wait_withdrawal,
    withdraw,
)
from tests.support.stack import Stack
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def test_after_deposits_and_withdrawals_there_is_no_drift(isolated_stack: Stack) -> None:
    stack = isolated_stack
    user_id, _ = funded_user(stack, "40")
    _, destination = active_user(stack, prefix="dest")
    response = withdraw(stack, user_id, "15", destination)
    wait_withdrawal(stack, response.json()["data"]["id"])
    wait_until(
        lambda: not stack.client().get("/admin/sagas").json()["data"], message="no saga in flight"
    )
    report = stack.client().post("/admin/reconcile").json()["data"]
    assert report["checked"] == 2
    assert report["drifts"] == []


def pay_behind_the_ledgers_back(stack: Stack, address: str, amount: str) -> None:
    """Someone holding the wallet's key pays out directly, without the ledger knowing."""
    assert stack.sandbox is not None
    assert stack.services.resources.vault is not None
    secret = stack.services.resources.vault.open(address)
    on_chain = stack.sandbox.chain.account(address)
    assert on_chain is not None
    # Paying the issuer back burns the USDC: it leaves the wallet and nobody credits it.
    envelope = (
        TransactionBuilder(
            Account(address, on_chain.sequence),
            stack.sandbox.chain.network_passphrase,
            base_fee=100,
        )
        .append_payment_op(
            stack.sandbox.chain.usdc.issuer, Asset("USDC", stack.sandbox.chain.usdc.issuer), amount
        )
        .set_timeout(60)
        .build()
    )
    envelope.sign(Keypair.from_secret(secret))
    assert stack.services.resources.network.submit(envelope.to_xdr()).outcome.value == "applied"


def test_a_payment_behind_the_ledgers_back_is_reported_and_not_adjusted(
    isolated_stack: Stack,
) -> None:
    stack = isolated_stack
    user_id, address = funded_user(stack, "40")
    pay_behind_the_ledgers_back(stack, address, "3")

    report = stack.client().post("/admin/reconcile").json()
    drifts = report["data"]["drifts"]
    assert drifts == [
        {
            "subject": user_id,
            "ledgerAccount": f"user:{user_id}",
            "ledgerBalance": "40.00",
            "chainBalance": "37.00",
        }
    ]
    wait_balance(stack, user_id, "40.00")  # reported, never adjusted
    stack.caught_up()
    with stack.services.resources.pool.connection() as conn:
        row = conn.execute(
            "SELECT envelope FROM rm_event_feed.events WHERE type = 'reconciliation.drift_detected'"
            " ORDER BY position DESC LIMIT 1"
        ).fetchone()
    assert row["envelope"]["data"]["subject"] == user_id
    assert row["envelope"]["data"]["direction"] == "ledger_above_chain"


def test_a_run_pauses_once_to_recheck_however_many_wallets_differ(isolated_stack: Stack) -> None:
    stack = isolated_stack
    users = [funded_user(stack, "20", prefix=f"drift{n}") for n in range(3)]
    for _, address in users:
        pay_behind_the_ledgers_back(stack, address, "1")
    pauses: list[float] = []
    services = stack.services
    reconciler = Reconciler(
        services.resources.ledger,
        services.resources.network,
        services.resources.escrow_provider,
        sleep=pauses.append,
    )

    stack.caught_up()
    wallets = [(row.user_id, row.address) for row in services.views.wallets.all()]

    report = reconciler.reconcile(
        ReconciliationScope(wallets=wallets, escrows=[], in_flight=lambda _: False), "test", SYSTEM
    )

    assert sorted(d.subject for d in report.drifts) == sorted(user_id for user_id, _ in users)
    assert pauses == [RECHECK_AFTER_S]
