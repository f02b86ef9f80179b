"""What a marketplace does to Ledgerline, as scenarios a load run repeats: users signing up,
deposits arriving, orders paid through escrow and released, orders disputed and split, users
withdrawing, balances read. Every command goes through the public HTTP API with an
Idempotency-Key, is retried with the same key (boundedly) when the answer is a 429 or a 503,
and waits for its saga with `Prefer: wait` where it has one, as a careful client would.

Money comes in through the sandbox's mint (its control API, named by `GET /config`'s
`sandboxUrl`): a real network's USDC cannot be made up, so against one only the scenarios that
move no on-chain money run.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import httpx

from interfaces.load.report import Tally

COMMAND_TIMEOUT_S: Final = 60.0
SAGA_WAIT_S: Final = 30  # Prefer: wait=N, the contract's maximum
RETRIES_MAX: Final = 3
RETRY_PAUSE_S: Final = 0.5
ACTIVATION_TIMEOUT_S: Final = 90.0
DEPOSIT_AMOUNT: Final = "100"
ORDER_AMOUNTS: Final = ("5", "12.5", "20")
WITHDRAWAL_AMOUNTS: Final = ("5", "7.25")
# Scenarios that move USDC on chain, and so need the sandbox's mint.
CHAIN_SCENARIOS: Final = frozenset({"deposit", "order", "dispute", "withdrawal"})


class ScenarioError(Exception):
    """A command answered something its scenario cannot go on from (recorded already)."""


@dataclass
class Api:
    """The deployment's API, every call timed into the tally under its route's name."""

    base_url: str
    key: str
    tally: Tally
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(
            base_url=self.base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=COMMAND_TIMEOUT_S,
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        name: str,
        method: str,
        path: str,
        body: Any = None,
        *,
        wait: bool = False,
        expect: tuple[int, ...] = (200, 201),
    ) -> Any:
        """The answer's `data`; ScenarioError (after recording it) for any other answer."""
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method != "GET" else {}
        if wait:
            headers["Prefer"] = f"wait={SAGA_WAIT_S}"
        for attempt in range(RETRIES_MAX + 1):
            started = time.monotonic()
            try:
                response = self.http.request(method, path, json=body, headers=headers)
            except httpx.HTTPError as error:
                self.tally.command(name, time.monotonic() - started, type(error).__name__)
                raise ScenarioError(name) from None
            elapsed_s = time.monotonic() - started
            if response.status_code in (429, 503) and attempt < RETRIES_MAX:
                self.tally.command(name, elapsed_s, f"{response.status_code} (retried)")
                time.sleep(RETRY_PAUSE_S * (attempt + 1))
                continue
            if response.status_code == 202 and wait:
                # Prefer: wait ran out before the saga settled: the scenario cannot go on.
                self.tally.command(name, elapsed_s, f"202 not settled within {SAGA_WAIT_S} s")
                raise ScenarioError(name)
            if response.status_code not in expect:
                self.tally.command(name, elapsed_s, _error_of(response))
                raise ScenarioError(name)
            self.tally.command(name, elapsed_s, None)
            return response.json().get("data")
        raise AssertionError("unreachable")


def _error_of(response: httpx.Response) -> str:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = "?"
    return f"{response.status_code} {code}"


@dataclass
class Member:
    user_id: str
    address: str


@dataclass
class Marketplace:
    """The population a run works with, and the scenarios over it."""

    api: Api
    rng: random.Random
    sandbox_url: str | None
    members: list[Member] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the population ------------------------------------------------------------------

    def sign_up(self, run_id: str, index: int) -> Member:
        """A new user, once its wallet is ACTIVE on chain."""
        created = self.api.call(
            "POST /users", "POST", "/users", {"externalUserId": f"load-{run_id}-{index}"}
        )
        user_id = created["id"]
        deadline = time.monotonic() + ACTIVATION_TIMEOUT_S
        while True:
            wallet = self.api.call(
                "GET /users/{id}/wallet", "GET", f"/users/{user_id}/wallet", expect=(200, 404)
            )
            if wallet and wallet.get("status") == "ACTIVE":
                member = Member(user_id, wallet["publicKey"])
                with self._lock:
                    self.members.append(member)
                return member
            if time.monotonic() > deadline:
                raise ScenarioError("wallet activation")
            time.sleep(0.5)

    def pick(self, count: int) -> list[Member]:
        with self._lock:
            return self.rng.sample(self.members, count)

    # -- scenarios -------------------------------------------------------------------------

    def deposit(self, member: Member | None = None) -> None:
        member = member or self.pick(1)[0]
        assert self.sandbox_url is not None
        started = time.monotonic()
        try:
            response = httpx.post(
                f"{self.sandbox_url}/sandbox/mint",
                json={"address": member.address, "amount": DEPOSIT_AMOUNT},
                timeout=COMMAND_TIMEOUT_S,
            )
            error = None if response.status_code == 200 else str(response.status_code)
        except httpx.HTTPError as failure:
            error = type(failure).__name__
        self.api.tally.command("sandbox mint (deposit)", time.monotonic() - started, error)

    def read(self) -> None:
        member = self.pick(1)[0]
        self.api.call("GET /users/{id}/balance", "GET", f"/users/{member.user_id}/balance")

    def order(self) -> None:
        buyer, seller = self.pick(2)
        order_id = self._funded_order(buyer, seller)
        if order_id is not None:
            self.api.call(
                "POST /orders/{id}/resolution/release",
                "POST",
                f"/orders/{order_id}/resolution/release",
                wait=True,
            )

    def dispute(self) -> None:
        buyer, seller = self.pick(2)
        order_id = self._funded_order(buyer, seller, amount="10")
        if order_id is None:
            return
        dispute = self.api.call(
            "POST /orders/{id}/resolution/dispute",
            "POST",
            f"/orders/{order_id}/resolution/dispute",
            {"openedBy": "BUYER", "reason": "QUALITY_ISSUE"},
        )
        path = f"/disputes/{dispute['id']}"
        self.api.call(
            "POST /disputes/{id}/assign", "POST", f"{path}/assign", {"assignedTo": "load-agent"}
        )
        self.api.call(
            "POST /disputes/{id}/resolve",
            "POST",
            f"{path}/resolve",
            {"decision": "SPLIT", "releaseAmount": "6", "refundAmount": "4", "note": "load"},
            wait=True,
        )

    def withdrawal(self) -> None:
        source, destination = self.pick(2)
        amount = self.rng.choice(WITHDRAWAL_AMOUNTS)
        if not self._can_spend(source, amount):
            return
        self.api.call(
            "POST /withdrawals",
            "POST",
            "/withdrawals",
            {
                "userId": source.user_id,
                "amount": amount,
                "destinationType": "crypto",
                "destinationRef": destination.address,
            },
            wait=True,
        )

    def user(self) -> None:
        self.api.call(
            "POST /users", "POST", "/users", {"externalUserId": f"load-{uuid.uuid4().hex}"}
        )

    def scenarios(self) -> dict[str, Callable[[], None]]:
        return {
            "user": self.user,
            "deposit": self.deposit,
            "order": self.order,
            "dispute": self.dispute,
            "withdrawal": self.withdrawal,
            "read": self.read,
        }

    # -- steps shared by scenarios -----------------------------------------------------------

    def _can_spend(self, member: Member, amount: str) -> bool:
        """Whether `member` has `amount` available; if not, money is sent in for a later run
        of the scenario (a buyer cannot reserve what is not credited yet)."""
        balance = self.api.call(
            "GET /users/{id}/balance", "GET", f"/users/{member.user_id}/balance"
        )
        if Decimal(balance["available"]) >= Decimal(amount):
            return True
        if self.sandbox_url is not None:
            self.deposit(member)
        return False

    def _funded_order(self, buyer: Member, seller: Member, amount: str | None = None) -> str | None:
        amount = amount or self.rng.choice(ORDER_AMOUNTS)
        if not self._can_spend(buyer, amount):
            return None
        order = self.api.call(
            "POST /orders",
            "POST",
            "/orders",
            {
                "buyerId": buyer.user_id,
                "sellerId": seller.user_id,
                "amount": amount,
                "title": "Load test order",
                "clientOrderRef": f"load-{uuid.uuid4().hex}",
            },
        )
        path = f"/orders/{order['id']}"
        self.api.call("POST /orders/{id}/reserve", "POST", f"{path}/reserve")
        self.api.call("POST /orders/{id}/escrow", "POST", f"{path}/escrow", wait=True)
        funded = self.api.call(
            "POST /orders/{id}/escrow/fund", "POST", f"{path}/escrow/fund", wait=True
        )
        if funded.get("status") != "IN_PROGRESS":
            self.api.tally.command("order reached IN_PROGRESS", 0.0, str(funded.get("status")))
            return None
        return str(order["id"])
