"""The chain, read from the sandbox the way anyone outside could: its control API's state (every
account's USDC, every escrow contract with its balance) and Horizon's operations feed (every
successful payment and contract call). This is the ground truth the books must match.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
from stellar_sdk import xdr

from simulation.amounts import to_stroops

PAGE_LIMIT: Final = 200
PAGES_MAX: Final = 10_000
TIMEOUT_S: Final = 30.0


@dataclass
class Chain:
    issuer: str
    trustless_work_fee_address: str
    usdc: dict[str, int]  # account → USDC stroops (accounts holding a trustline)
    escrows: dict[str, dict[str, Any]]  # contract id → the sandbox's view of it
    payments: list[dict[str, Any]] = field(default_factory=list)  # successful USDC payments
    calls: list[dict[str, Any]] = field(default_factory=list)  # successful contract calls

    def payments_into(self, address: str) -> list[dict[str, Any]]:
        return [p for p in self.payments if p["to"] == address]

    def payments_from(self, address: str) -> list[dict[str, Any]]:
        return [p for p in self.payments if p["from"] == address]

    def calls_on(self, contract_id: str) -> Counter[str]:
        return Counter(c["function"] for c in self.calls if c["contract"] == contract_id)


def read_chain(sandbox_url: str) -> Chain:
    with httpx.Client(base_url=sandbox_url, timeout=TIMEOUT_S) as client:
        state = client.get("/sandbox/state").json()
        chain = Chain(
            issuer=state["usdc"]["issuer"],
            trustless_work_fee_address=state["trustless_work_fee_address"],
            usdc={
                a["id"]: to_stroops(a["usdc"]) for a in state["accounts"] if a["usdc"] is not None
            },
            escrows={e["contractId"]: e for e in state["escrows"]},
        )
        for operation in _operations(client):
            if operation["type"] == "payment" and operation.get("asset_code") == "USDC":
                chain.payments.append(
                    {
                        "id": operation["id"],
                        "hash": operation["transaction_hash"],
                        "from": operation["from"],
                        "to": operation["to"],
                        "amount": to_stroops(operation["amount"]),
                    }
                )
            elif operation["type"] == "invoke_host_function":
                chain.calls.append(
                    {
                        "id": operation["id"],
                        "hash": operation["transaction_hash"],
                        "contract": operation.get("address"),
                        "function": _function_name(operation),
                        "changes": operation.get("asset_balance_changes") or [],
                    }
                )
    return chain


def _operations(client: httpx.Client) -> list[dict[str, Any]]:
    """Every successful operation, oldest first."""
    found: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(PAGES_MAX):
        page = client.get(
            "/horizon/operations", params={"limit": PAGE_LIMIT, "order": "asc", "cursor": cursor}
        ).json()
        records = page["_embedded"]["records"]
        found += [r for r in records if r.get("transaction_successful", True)]
        if len(records) < PAGE_LIMIT:
            return found
        cursor = records[-1]["paging_token"]
    raise RuntimeError(f"more than {PAGES_MAX} pages of operations")


def _function_name(operation: dict[str, Any]) -> str:
    """The called function: the second of Horizon's parameters, an XDR symbol."""
    parameters = operation.get("parameters") or []
    if len(parameters) < 2:
        return "?"
    value = xdr.SCVal.from_xdr_bytes(base64.b64decode(parameters[1]["value"]))
    return value.sym.sc_symbol.decode() if value.sym else "?"
