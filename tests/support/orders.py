"""Order helpers for e2e tests: the platform's wallet, buyers and sellers with money, orders
driven through HTTP, and what the sandbox chain holds for each party and escrow."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from application.context import SYSTEM
from application.wallets import platform_address
from domain.money import Amount
from domain.users import PLATFORM_EXTERNAL_USER_ID
from tests.support.money import ACTIVATION_TIMEOUT_S, SETTLE_TIMEOUT_S, active_user, funded_user
from tests.support.stack import Stack
from tests.support.waiting import wait_until

ORDER_TIMEOUT_S = 60.0
OUTAGE_RETRIES_MAX = 3
OUTAGE_WAIT_MAX_S = 1.0


@dataclass(frozen=True)
class Parties:
    buyer: str
    buyer_address: str
    seller: str
    seller_address: str
    platform_address: str


def platform_ready(stack: Stack) -> str:
    """The platform user's wallet, created and activated if need be; returns its address."""
    services = stack.services
    services.use_cases.users.create_user(PLATFORM_EXTERNAL_USER_ID, None, "BOTH", SYSTEM)

    return str(
        wait_until(
            lambda: platform_address(services.resources.ledger),
            timeout_s=ACTIVATION_TIMEOUT_S,
            message="platform wallet",
        )
    )


def parties(stack: Stack, buyer_funds: str) -> Parties:
    platform = platform_ready(stack)
    buyer, buyer_address = funded_user(stack, buyer_funds, "buyer")
    seller, seller_address = active_user(stack, "seller")
    return Parties(buyer, buyer_address, seller, seller_address, platform)


def create_order(stack: Stack, who: Parties, amount: str, **fields: Any) -> dict[str, Any]:
    body = {
        "buyerId": who.buyer,
        "sellerId": who.seller,
        "amount": amount,
        "title": fields.pop("title", "Logo design"),
        "clientOrderRef": fields.pop("clientOrderRef", f"ref-{uuid.uuid4().hex}"),
        **fields,
    }
    response = stack.client().post("/orders", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


def order(stack: Stack, order_id: str) -> dict[str, Any]:
    response = stack.client().get(f"/orders/{order_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def wait_order(
    stack: Stack,
    order_id: str,
    *,
    status: str | None = None,
    settled: bool = True,
    timeout_s: float = ORDER_TIMEOUT_S,
) -> dict[str, Any]:
    """The order once its saga has nothing in flight (and it is in `status`, when given)."""

    def reached() -> dict[str, Any] | None:
        current = order(stack, order_id)
        if settled and current["saga"]["step"] is not None and not current["saga"]["parked"]:
            return None
        if status is not None and current["status"] != status:
            return None
        return current

    return dict(wait_until(reached, timeout_s=timeout_s, message=f"order {order_id} to settle"))


def command(stack: Stack, path: str, body: Any = None, expect: int = 202) -> dict[str, Any]:
    """POSTs as a careful client does: with an Idempotency-Key, retried with it on a 503 (a
    sandbox connection lost under a loaded machine is a dependency outage, not a failure)."""
    headers = {"Idempotency-Key": f"orders-{uuid.uuid4().hex}"}
    response = stack.client().post(path, json=body, headers=headers)
    for _ in range(OUTAGE_RETRIES_MAX):
        if response.status_code != 503:
            break
        time.sleep(min(float(response.headers.get("retry-after", 1)), OUTAGE_WAIT_MAX_S))
        response = stack.client().post(path, json=body, headers=headers)
    assert response.status_code == expect, response.text
    return dict(response.json()["data"])


def order_awaiting_funding(stack: Stack, who: Parties, amount: str, **fields: Any) -> str:
    """An order created, reserved and its escrow deployed: ESCROW_FUNDING; returns its id."""
    order_id = str(create_order(stack, who, amount, **fields)["id"])
    command(stack, f"/orders/{order_id}/reserve", expect=200)
    command(stack, f"/orders/{order_id}/escrow")
    wait_order(stack, order_id, status="ESCROW_FUNDING")
    return order_id


def funded_order(stack: Stack, who: Parties, amount: str, **fields: Any) -> dict[str, Any]:
    """An order taken to IN_PROGRESS: created, reserved, escrow deployed and funded."""
    order_id = order_awaiting_funding(stack, who, amount, **fields)
    command(stack, f"/orders/{order_id}/escrow/fund")
    return wait_order(stack, order_id, status="IN_PROGRESS")


def stroops(amount: str) -> int:
    return Amount.parse(amount).stroops


def escrow_balance(stack: Stack, contract_id: str) -> int:
    assert stack.sandbox is not None
    return int(stack.sandbox.chain.escrow_balance(contract_id))


__all__ = ["SETTLE_TIMEOUT_S"]


def escrow_calls(stack: Stack, contract_id: str) -> dict[str, int]:
    """How many successful transactions invoked each contract function on this escrow (its
    deploy included): the on-chain effects, counted from the sandbox chain itself."""
    from collections import Counter

    from stellar_sdk import TransactionEnvelope

    assert stack.sandbox is not None
    chain = stack.sandbox.chain
    counts: Counter[str] = Counter()
    for record in chain.transactions():
        if not record.successful or contract_id not in record.contract_ids:
            continue
        envelope = TransactionEnvelope.from_xdr(record.envelope_xdr, chain.network_passphrase)
        for operation in envelope.transaction.operations:
            invocation = operation.host_function.invoke_contract  # type: ignore[attr-defined]
            counts[invocation.function_name.sc_symbol.decode()] += 1
    return dict(counts)
