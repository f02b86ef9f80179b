"""The fiat ramp from a test's side: an AirTM user linked to a Ledgerline user, a payer's click
at the sandbox's checkout, and waiting for a top-up or withdrawal to settle."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from sandbox.server import SandboxServer
from tests.support.stack import Stack, airtm_environ, running_stack
from tests.support.waiting import wait_until

SETTLE_TIMEOUT_S = 30.0
PROCESSING_S = 2.0  # the sandbox's processing delays


@contextmanager
def airtm_stack(
    database_url: str, redis_url: str, sandbox: SandboxServer, **environ: str
) -> Iterator[Stack]:
    """A stack with PAYMENT_PROVIDERS=crypto,airtm, the sandbox's webhooks pointed at it."""
    with running_stack(
        database_url, redis_url, sandbox, **{**airtm_environ(sandbox), **environ}
    ) as stack:
        sandbox.airtm_webhooks.url = f"{stack.base_url}/webhooks/airtm"
        try:
            yield stack
        finally:
            sandbox.airtm_webhooks.url = None


def airtm_user(sandbox: SandboxServer, balance: float = 100, **fields: Any) -> str:
    email = f"payer-{uuid.uuid4().hex[:12]}@airtm.example"
    sandbox.airtm.add_user({"email": email, "balance": balance, **fields})
    return email


def linked_user(stack: Stack, balance: float = 100, credit: str | None = None) -> tuple[str, str]:
    """A new user linked to a new, eligible AirTM account: (user id, AirTM e-mail); `credit`
    books that much on their balance first (an operator's credit)."""
    assert stack.sandbox is not None
    client = stack.client()
    created = client.post("/users", json={"externalUserId": f"fiat-{uuid.uuid4().hex}"})
    assert created.status_code == 201, created.text
    user_id = created.json()["data"]["id"]
    email = airtm_user(stack.sandbox, balance)
    linked = client.post(f"/users/{user_id}/airtm/link", json={"email": email})
    assert linked.status_code == 201, linked.text
    if credit is not None:
        credited = client.post(
            f"/users/{user_id}/balance/credit", json={"amount": credit, "reason": "test funds"}
        )
        assert credited.status_code in (200, 201), credited.text
    return user_id, email


def awaiting_topup(stack: Stack, user_id: str, amount: str) -> dict[str, Any]:
    created = stack.client(Prefer="wait=20").post(
        "/topups", json={"userId": user_id, "amount": amount}
    )
    assert created.status_code == 200, created.text
    topup = created.json()["data"]
    assert topup["status"] == "TOPUP_AWAITING_USER_CONFIRMATION", topup
    return dict(topup)


def click(topup: dict[str, Any], action: str, email: str | None = None) -> httpx.Response:
    """The payer's click at AirTM's checkout (the top-up's confirmationUri)."""
    return httpx.post(topup["confirmationUri"], json={"action": action, "email": email})


def settle_at_airtm(stack: Stack) -> None:
    """Moves the sandbox clock past AirTM's processing delay (the ticker applies it)."""
    assert stack.sandbox is not None
    stack.sandbox.chain.advance_time(PROCESSING_S)
    stack.sandbox.airtm.tick()


def wait_status(stack: Stack, path: str, statuses: set[str]) -> dict[str, Any]:
    client = stack.client()

    def reached() -> dict[str, Any] | None:
        data = client.get(path).json().get("data")
        return data if data and data["status"] in statuses else None

    return wait_until(reached, timeout_s=SETTLE_TIMEOUT_S, message=f"{path} in {statuses}")


def balance(stack: Stack, user_id: str) -> tuple[str, str]:
    data = stack.client().get(f"/users/{user_id}/balance").json()["data"]
    return data["available"], data["reserved"]
