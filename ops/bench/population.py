"""The users a bench run works on, created through the public API before anything is measured.

- one user per client for the spread credits (`spread`), one shared hot user (`hot`);
- one buyer per client for the mixed load (`buyers`), topped up so their first debits pass,
  with active wallets (their activation sagas run through `ledgerline worker` against the
  sandbox), each withdrawing to the next buyer's wallet — a real, USDC-trusting account.

Setup is not measured; it uses a plain httpx client and fails loudly on any unexpected answer.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Final

import httpx

SETUP_TIMEOUT_S: Final = 30.0
WALLETS_ACTIVE_WITHIN_S: Final = 300.0
BUYER_OPENING_CREDIT: Final = "100.00"


class SetupError(Exception):
    pass


@dataclass(frozen=True)
class Buyer:
    user_id: str
    seller_id: str
    destination: str


@dataclass(frozen=True)
class Population:
    spread: list[str]
    hot: str
    buyers: list[Buyer]


class Admin:
    """The bench's admin client for setup calls."""

    def __init__(self, base_url: str, key: str) -> None:
        self._http = httpx.Client(
            base_url=base_url, timeout=SETUP_TIMEOUT_S, headers={"Authorization": f"Bearer {key}"}
        )

    def command(self, path: str, body: dict[str, Any], ok: tuple[int, ...] = (200, 201)) -> Any:
        response = self._http.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
        if response.status_code not in ok:
            raise SetupError(f"POST {path}: {response.status_code} {response.text[:300]}")
        return response.json()["data"]

    def new_user(self, label: str) -> dict[str, Any]:
        data = self.command("/users", {"externalUserId": f"bench-{label}-{uuid.uuid4()}"})
        return dict(data)

    def wallet_status(self, user_id: str) -> str | None:
        """None until the read models have the user and its wallet (the runner follows the log)."""
        response = self._http.get(f"/users/{user_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SetupError(f"GET /users/{user_id}: {response.status_code} {response.text[:300]}")
        wallet = response.json()["data"]["wallet"]
        # The users read model may show the user a moment before the wallets model its wallet.
        return None if wallet is None else str(wallet["status"])

    def close(self) -> None:
        self._http.close()


def create_population(admin: Admin, clients_max: int) -> Population:
    spread = [str(admin.new_user("spread")["id"]) for _ in range(clients_max)]
    hot = str(admin.new_user("hot")["id"])
    buyer_users = [admin.new_user("buyer") for _ in range(max(clients_max, 2))]
    seller = str(admin.new_user("seller")["id"])
    for user in buyer_users:
        admin.command(
            f"/users/{user['id']}/balance/credit",
            {"amount": BUYER_OPENING_CREDIT, "reason": "bench opening balance"},
        )
    addresses = [str(user["wallet"]["address"]) for user in buyer_users]
    buyers = [
        Buyer(str(user["id"]), seller, addresses[(i + 1) % len(addresses)])
        for i, user in enumerate(buyer_users)
    ]
    return Population(spread, hot, buyers)


def wait_wallets_active(admin: Admin, user_ids: list[str], alive: Any) -> float:
    """Waits for the activation sagas of `user_ids`' wallets; returns the seconds it took.
    `alive()` raises when a process of the stack died meanwhile."""
    began = time.monotonic()
    pending = list(user_ids)
    while pending:
        alive()
        pending = [u for u in pending if admin.wallet_status(u) != "ACTIVE"]
        if time.monotonic() - began > WALLETS_ACTIVE_WITHIN_S:
            raise SetupError(f"{len(pending)} wallets not active in {WALLETS_ACTIVE_WITHIN_S:.0f}s")
        if pending:
            time.sleep(0.5)
    return time.monotonic() - began
