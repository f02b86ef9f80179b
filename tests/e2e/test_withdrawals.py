"""Withdrawals: validated up front, held, paid exactly once on chain, settled or released."""

from __future__ import annotations

import base64
import hashlib

import pytest
from stellar_sdk import Keypair

from sandbox.faults.fault_rules import HORIZON_SUBMIT
from tests.support.money import (
    active_user,
    chain_usdc,
    funded_user,
    usdc_payments,
    wait_balance,
    wait_withdrawal,
    withdraw,
)
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def test_a_withdrawal_pays_the_destination_once_and_leaves_the_books(stack: Stack) -> None:
    user_id, source = funded_user(stack, "50")
    _, destination = active_user(stack, prefix="dest")
    response = withdraw(stack, user_id, "20.5", destination)
    assert response.status_code == 202, response.text
    assert response.json()["data"]["status"] in (
        "WITHDRAWAL_COMMITTED",
        "WITHDRAWAL_PENDING",
        "WITHDRAWAL_COMPLETED",
    )
    done = wait_withdrawal(stack, response.json()["data"]["id"])
    assert done["status"] == "WITHDRAWAL_COMPLETED"
    payments = usdc_payments(stack, source, destination)
    assert len(payments) == 1
    assert payments[0].transaction_hash == done["stellarTransactionHash"]
    wait_balance(stack, user_id, "29.50")
    assert chain_usdc(stack, source) == 295_000_000


def test_a_withdrawal_payment_carries_the_memo_hash_of_its_withdrawal_id(stack: Stack) -> None:
    user_id, _ = funded_user(stack, "10")
    _, destination = active_user(stack, prefix="dest")
    done = wait_withdrawal(stack, withdraw(stack, user_id, "6", destination).json()["data"]["id"])
    assert stack.sandbox is not None
    record = stack.sandbox.chain.transaction(done["stellarTransactionHash"])
    assert record is not None
    expected = hashlib.sha256(done["id"].encode()).digest()
    assert (record.memo_type, record.memo) == ("hash", base64.b64encode(expected).decode())


def test_prefer_wait_answers_with_the_settled_withdrawal(stack: Stack) -> None:
    user_id, _ = funded_user(stack, "10")
    _, destination = active_user(stack, prefix="dest")
    response = withdraw(stack, user_id, "10", destination, Prefer="wait=20")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "WITHDRAWAL_COMPLETED"
    assert response.json()["data"]["stellarTransactionHash"]


@pytest.mark.parametrize(
    ("amount", "destination", "status", "code"),
    [
        ("60", "dest", 422, "INSUFFICIENT_FUNDS"),
        ("1", "dest", 422, "LIMIT_EXCEEDED"),
        ("5001", "dest", 422, "LIMIT_EXCEEDED"),
        ("10", "GNOTANADDRESS", 400, "VALIDATION_ERROR"),
        ("10", "unknown", 422, "WITHDRAWAL_DESTINATION_INVALID"),
        ("10", "untrusting", 422, "WITHDRAWAL_DESTINATION_INVALID"),
        ("1e3", "dest", 400, "INVALID_AMOUNT"),
    ],
)
def test_a_bad_withdrawal_is_refused_up_front_and_nothing_is_held(
    stack: Stack, amount: str, destination: str, status: int, code: str
) -> None:
    user_id, _ = funded_user(stack, "50")
    assert stack.sandbox is not None
    if destination == "dest":
        _, destination = active_user(stack, prefix="dest")
    elif destination == "unknown":
        destination = Keypair.random().public_key
    elif destination == "untrusting":
        destination = Keypair.random().public_key
        stack.sandbox.faucet.fund_xlm(destination)
    response = withdraw(stack, user_id, amount, destination)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    balance = stack.client().get(f"/users/{user_id}/balance").json()["data"]
    assert (balance["available"], balance["reserved"]) == ("50.00", "0.00")


def test_a_timeout_after_the_payment_applied_still_pays_exactly_once(stack: Stack) -> None:
    assert stack.sandbox is not None
    user_id, source = funded_user(stack, "30")
    _, destination = active_user(stack, prefix="dest")
    fault = stack.sandbox.faults.inject(
        {"route": HORIZON_SUBMIT, "mode": "timeout_after_apply", "count": 1}
    )
    try:
        response = withdraw(stack, user_id, "12", destination)
        done = wait_withdrawal(stack, response.json()["data"]["id"])
    finally:
        stack.sandbox.faults.remove(fault)
    assert done["status"] == "WITHDRAWAL_COMPLETED"
    assert len(usdc_payments(stack, source, destination)) == 1
    wait_balance(stack, user_id, "18.00")


def test_a_payment_failing_on_chain_fails_the_withdrawal_and_releases_the_hold(
    stack: Stack,
) -> None:
    assert stack.sandbox is not None
    user_id, source = funded_user(stack, "30")
    _, destination = active_user(stack, prefix="dest")
    fault = stack.sandbox.faults.inject(
        {
            "route": HORIZON_SUBMIT,
            "mode": "force_op_result",
            "result_code": "op_underfunded",
            "count": 1,
        }
    )
    try:
        response = withdraw(stack, user_id, "12", destination)
        done = wait_withdrawal(stack, response.json()["data"]["id"])
    finally:
        stack.sandbox.faults.remove(fault)
    assert done["status"] == "WITHDRAWAL_FAILED"
    assert done["errorCode"] == "op_underfunded"
    assert usdc_payments(stack, source, destination) == []
    wait_balance(stack, user_id, "30.00")
    assert chain_usdc(stack, source) == 300_000_000


def test_a_withdrawal_can_be_canceled_before_its_payment_is_signed(
    isolated_stack: Stack,
) -> None:
    stack = isolated_stack
    assert stack.workers is not None
    user_id, _ = funded_user(stack, "25")
    _, destination = active_user(stack, prefix="dest")
    stack.workers.stop()  # nothing will sign the payment
    stack.workers = None
    response = withdraw(stack, user_id, "10", destination)
    assert response.status_code == 202
    withdrawal_id = response.json()["data"]["id"]
    wait_balance(stack, user_id, "15.00", reserved="10.00")
    canceled = stack.client().post(
        f"/withdrawals/{withdrawal_id}/cancel", json={"reason": "changed my mind"}
    )
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["data"]["status"] == "WITHDRAWAL_CANCELED"
    wait_balance(stack, user_id, "25.00")
    again = stack.client().post(f"/withdrawals/{withdrawal_id}/cancel")
    assert again.status_code == 409


def test_withdrawals_are_listed_per_user(stack: Stack) -> None:
    user_id, _ = funded_user(stack, "20")
    _, destination = active_user(stack, prefix="dest")
    first = withdraw(stack, user_id, "5", destination).json()["data"]["id"]
    wait_withdrawal(stack, first)
    stack.caught_up()
    listed = stack.client().get("/withdrawals", params={"userId": user_id}).json()["data"]
    assert [w["id"] for w in listed] == [first]
    assert listed[0]["status"] == "WITHDRAWAL_COMPLETED"
