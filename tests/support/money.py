"""Money-flow helpers for e2e tests: active users with funded wallets, balance waits, and what the
sandbox chain holds (the ground truth the ledger must match)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from domain.money import Amount
from tests.support.stack import Stack
from tests.support.waiting import wait_until

ACTIVATION_TIMEOUT_S = 30.0
SETTLE_TIMEOUT_S = 30.0


def data_or_none(response: httpx.Response) -> Any:
    return response.json()["data"] if response.status_code == 200 else None


def active_user(stack: Stack, prefix: str = "u") -> tuple[str, str]:
    """A new user whose wallet is ACTIVE on chain: (user id, wallet address)."""
    client = stack.client()
    created = client.post("/users", json={"externalUserId": f"{prefix}-{uuid.uuid4().hex}"})
    assert created.status_code == 201, created.text
    user_id = created.json()["data"]["id"]
    wallet = wait_until(
        lambda: (lambda w: w if w and w["status"] == "ACTIVE" else None)(
            data_or_none(client.get(f"/users/{user_id}/wallet"))
        ),
        timeout_s=ACTIVATION_TIMEOUT_S,
        message=f"wallet of {user_id} to activate",
    )
    return user_id, wallet["publicKey"]


def deposit(stack: Stack, address: str, amount: str) -> None:
    """Someone outside pays `amount` USDC into `address` (the sandbox's issuer mints it)."""
    assert stack.sandbox is not None
    stack.sandbox.faucet.mint_usdc(address, Amount.parse(amount).stroops)


def wait_balance(stack: Stack, user_id: str, available: str, reserved: str = "0.00") -> None:
    client = stack.client()

    def reached() -> bool:
        balance = data_or_none(client.get(f"/users/{user_id}/balance"))
        return bool(balance) and (balance["available"], balance["reserved"]) == (
            available,
            reserved,
        )

    wait_until(
        reached,
        timeout_s=SETTLE_TIMEOUT_S,
        message=f"{user_id} to have {available} available, {reserved} reserved",
    )


def funded_user(stack: Stack, amount: str, prefix: str = "u") -> tuple[str, str]:
    user_id, address = active_user(stack, prefix)
    deposit(stack, address, amount)
    wait_balance(stack, user_id, Amount.parse(amount).to_wire())
    return user_id, address


def chain_usdc(stack: Stack, address: str) -> int:
    assert stack.sandbox is not None
    return stack.sandbox.chain.usdc_balance(address)


def usdc_payments(stack: Stack, source: str, destination: str) -> list[Any]:
    """Successful USDC payments from `source` to `destination` on chain."""
    assert stack.sandbox is not None
    return [
        op
        for op in stack.sandbox.chain.payments(account=source)
        if op.type == "payment"
        and op.details.get("from") == source
        and op.details.get("to") == destination
        and op.details.get("asset_code") == "USDC"
    ]


def withdraw(
    stack: Stack, user_id: str, amount: str, destination: str, **headers: str
) -> httpx.Response:
    """POST /withdrawals to a Stellar address; the response, whatever it is."""
    return stack.client(**headers).post(
        "/withdrawals",
        json={
            "userId": user_id,
            "amount": amount,
            "destinationType": "crypto",
            "destinationRef": destination,
        },
    )


def wait_withdrawal(stack: Stack, withdrawal_id: str, timeout_s: float = SETTLE_TIMEOUT_S) -> Any:
    """The withdrawal once it is COMPLETED, FAILED or CANCELED."""
    client = stack.client()
    terminal = {"WITHDRAWAL_COMPLETED", "WITHDRAWAL_FAILED", "WITHDRAWAL_CANCELED"}
    return wait_until(
        lambda: (lambda w: w if w and w["status"] in terminal else None)(
            data_or_none(client.get(f"/withdrawals/{withdrawal_id}"))
        ),
        timeout_s=timeout_s,
        message=f"withdrawal {withdrawal_id} to settle",
    )
