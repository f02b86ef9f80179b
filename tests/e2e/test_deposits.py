"""Deposits: USDC paid into a wallet is credited exactly once, whatever the stream does."""

from __future__ import annotations

import pytest
from stellar_sdk import Account, Asset, Keypair, TransactionBuilder

from sandbox.faults.fault_rules import HORIZON_PAYMENTS
from tests.support.money import active_user, deposit, wait_balance
from tests.support.stack import Stack
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def test_a_deposit_is_credited_with_its_transaction_hash(stack: Stack) -> None:
    user_id, address = active_user(stack)
    deposit(stack, address, "42.1234567")
    wait_balance(stack, user_id, "42.1234567")
    deposits = stack.client().get("/deposits", params={"userId": user_id}).json()["data"]
    assert len(deposits) == 1
    assert deposits[0]["amount"] == "42.1234567"
    assert len(deposits[0]["transactionHash"]) == 64
    lines = stack.client().get(f"/users/{user_id}/ledger").json()["data"]
    assert lines[0]["counterparty"] == "external:stellar"


def test_a_wallet_created_after_the_monitor_started_is_covered(stack: Stack) -> None:
    user_id, address = active_user(stack, prefix="late")
    deposit(stack, address, "5")
    wait_balance(stack, user_id, "5.00")


def test_a_stream_disconnect_and_a_replayed_cursor_credit_nothing_twice(stack: Stack) -> None:
    assert stack.sandbox is not None
    user_id, address = active_user(stack)
    fault = stack.sandbox.faults.inject(
        {"route": HORIZON_PAYMENTS, "mode": "sse_disconnect", "count": 3, "after_events": 1}
    )
    try:
        for amount in ("1", "2", "3"):
            deposit(stack, address, amount)
        wait_balance(stack, user_id, "6.00")
    finally:
        stack.sandbox.faults.remove(fault)
    # Duplicate delivery: rewind the monitor's cursor so it sees the whole feed again.
    stack.services.resources.cursors.save("horizon:payments", "0")
    deposit(stack, address, "4")
    wait_balance(stack, user_id, "10.00")
    deposits = stack.client().get("/deposits", params={"userId": user_id}).json()["data"]
    assert sorted(d["amount"] for d in deposits) == ["1.00", "2.00", "3.00", "4.00"]


def test_payments_of_other_assets_are_ignored(stack: Stack) -> None:
    assert stack.sandbox is not None
    user_id, address = active_user(stack)
    sender = Keypair.random()
    stack.sandbox.faucet.fund_xlm(sender.public_key)
    account = stack.sandbox.chain.account(sender.public_key)
    assert account is not None
    envelope = (
        TransactionBuilder(
            source_account=Account(sender.public_key, account.sequence),
            network_passphrase=stack.sandbox.chain.network_passphrase,
            base_fee=100,
        )
        .append_payment_op(address, Asset.native(), "25")
        .set_timeout(60)
        .build()
    )
    envelope.sign(sender)
    stack.services.resources.network.submit(envelope.to_xdr())
    deposit(stack, address, "1")
    wait_balance(stack, user_id, "1.00")
    deposits = stack.client().get("/deposits", params={"userId": user_id}).json()["data"]
    assert [d["amount"] for d in deposits] == ["1.00"]


def test_deposits_made_while_the_monitor_was_down_are_credited_once_after_restart(
    isolated_stack: Stack,
) -> None:
    stack = isolated_stack
    assert stack.runner is not None
    user_id, address = active_user(stack, prefix="offline")
    stack.runner.stop()  # the monitor (and every other loop) is down
    deposit(stack, address, "7")
    deposit(stack, address, "8")
    restarted = stack.restart_runner()
    assert restarted is not None
    wait_balance(stack, user_id, "15.00")
    wait_until(
        lambda: (
            len(stack.client().get("/deposits", params={"userId": user_id}).json()["data"]) == 2
        ),
        message="two deposits",
    )
