"""One simulated marketplace backend: a thread that takes its seeded intents one after another —
create users, mint deposits on the sandbox, credit and debit, withdraw, open orders, push its
open flows along, read — and keeps the tally of what was acknowledged.

An intent meets whatever state the service is in: with no active wallet yet, a deposit turns
into a read; with too little money, a withdrawal is skipped. The choices (which user, how much)
come from the intent's own seeded numbers, never from a clock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Final

import httpx

from simulation.amounts import STROOPS_PER_UNIT, cents, to_stroops, to_wire
from simulation.caller import Caller
from simulation.flows import DECISIONS, PLAN_WEIGHTS, PLANS, Flow, OrderFlow, WithdrawalFlow
from simulation.limits import Limits
from simulation.schedule import Intent, Schedule
from simulation.tally import Pending, Tally

WITHDRAWAL_MIN_STROOPS: Final = 5 * STROOPS_PER_UNIT  # the service's default WITHDRAWAL_MIN_AMOUNT
ORDER_MIN_STROOPS: Final = 2 * STROOPS_PER_UNIT
# An idle turn (nothing to push along) pauses this long, so a client never spins.
IDLE_PAUSE_S: Final = 0.05
MINT_TIMEOUT_S: Final = 30.0


@dataclass
class SimUser:
    user_id: str
    address: str | None = None


class Marketplace:
    def __init__(
        self,
        index: int,
        schedule: Schedule,
        caller: Caller,
        sandbox_url: str,
        tally: Tally,
        limits: Limits,
        stopping: threading.Event,
    ) -> None:
        self.index = index
        self._schedule = schedule
        self._caller = caller
        self._sandbox = httpx.Client(base_url=sandbox_url, timeout=MINT_TIMEOUT_S)
        self._tally = tally
        self._limits = limits
        self._stopping = stopping
        self._users: list[SimUser] = []
        self._flows: list[Flow] = []
        self._count = 0
        self.flows_abandoned = 0
        self.intents_run = 0

    def run(self) -> None:
        try:
            for intent in self._schedule.intents(self.index):
                if self._stopping.is_set():
                    return
                getattr(self, f"_{intent.kind}")(intent)
                self.intents_run += 1
        finally:
            self._sandbox.close()

    # -- names ----------------------------------------------------------------------------

    def _key(self, what: str) -> str:
        self._count += 1
        return f"sim{self._schedule.seed}-c{self.index}-{self._count}-{what}"

    def _active(
        self, intent: Intent, slot: int, *, besides: SimUser | None = None
    ) -> SimUser | None:
        active = [u for u in self._users if u.address and u is not besides]
        if not active:
            self._activate_one()
            return None
        return active[intent.pick(slot, len(active))]

    def _activate_one(self) -> None:
        """Looks once at the first user whose wallet was not seen active yet."""
        waiting = next((u for u in self._users if not u.address), None)
        if waiting is None:
            return
        wallet = self._caller.read(f"/users/{waiting.user_id}/wallet")
        if wallet.ok and wallet.data.get("status") == "ACTIVE":
            waiting.address = wallet.data["publicKey"]
            self._tally.user(waiting.user_id, waiting.address)

    # -- intents --------------------------------------------------------------------------

    def _create_user(self, intent: Intent) -> None:
        if len(self._users) >= self._limits.users_per_client_max:
            self._activate_one()
            return
        external = f"sim-{self._schedule.seed}-{self.index}-{len(self._users)}"
        outcome = self._caller.command(
            "POST", "/users", {"externalUserId": external}, self._key("user")
        )
        if outcome.answer.ok:
            user = SimUser(outcome.answer.data["id"])
            self._users.append(user)
            self._tally.user(user.user_id, None)
            self._tally.acknowledged()

    def _credit(self, intent: Intent) -> None:
        self._adjust(intent, "credit", cents(1 + intent.picks[1] * 50))

    def _debit(self, intent: Intent) -> None:
        self._adjust(intent, "debit", cents(1 + intent.picks[1] * 20))

    def _adjust(self, intent: Intent, kind: str, stroops: int) -> None:
        if not self._users:
            return self._create_user(intent)
        user = self._users[intent.pick(0, len(self._users))]
        path = f"/users/{user.user_id}/balance/{kind}"
        body = {"amount": to_wire(stroops), "reason": f"simulated {kind}"}
        key = self._key(kind)
        outcome = self._caller.command("POST", path, body, key)
        if outcome.answer.ok:
            self._tally.adjusted(kind, user.user_id, stroops)
        elif not outcome.definitive:
            self._tally.unresolved_command(
                Pending("POST", path, body, key, kind, user.user_id, stroops)
            )
        return None

    def _deposit(self, intent: Intent) -> None:
        user = self._active(intent, 0)
        if user is None or user.address is None:
            return
        stroops = cents(20 + intent.picks[1] * 180)
        try:
            minted = self._sandbox.post(
                "/sandbox/mint", json={"address": user.address, "amount": to_wire(stroops)}
            )
        except httpx.HTTPError:
            self._tally.mints_ambiguous += 1  # the chain itself says whether it happened
            return
        if minted.status_code == 200:
            self._tally.mint(user.address, stroops)

    def _withdraw(self, intent: Intent) -> None:
        if len(self._flows) >= self._limits.flows_per_client_max:
            return self._advance(intent)
        user = self._active(intent, 0)
        if user is None:
            return None
        available = self._available(user)
        if available < WITHDRAWAL_MIN_STROOPS:
            return None
        stroops = max(WITHDRAWAL_MIN_STROOPS, cents(available * intent.picks[1] / STROOPS_PER_UNIT))
        stroops = min(stroops, available, 300 * STROOPS_PER_UNIT)
        other = self._active(intent, 2, besides=user) if intent.picks[3] < 0.4 else None
        sinks = sorted(self._tally.sinks)
        destination = (
            other.address if other and other.address else sinks[intent.pick(4, len(sinks))]
        )
        body = {
            "userId": user.user_id,
            "amount": to_wire(stroops),
            "destinationType": "crypto",
            "destinationRef": destination,
        }
        key = self._key("withdraw")
        outcome = self._caller.command("POST", "/withdrawals", body, key)
        if outcome.answer.ok:
            withdrawal_id = outcome.answer.data["id"]
            self._tally.withdrawal(
                withdrawal_id, user_id=user.user_id, amount=stroops, destination=destination
            )
            self._flows.append(
                WithdrawalFlow(
                    key,
                    self._caller,
                    self._tally,
                    self._limits.saga_wait_s,
                    withdrawal_id=withdrawal_id,
                )
            )
        elif not outcome.definitive:
            self._tally.unresolved_command(
                Pending("POST", "/withdrawals", body, key, "withdraw", user.user_id, stroops)
            )
        return None

    def _order(self, intent: Intent) -> None:
        if len(self._flows) >= self._limits.flows_per_client_max:
            return self._advance(intent)
        buyer = self._active(intent, 0)
        seller = self._active(intent, 1, besides=buyer) if buyer else None
        if buyer is None or seller is None:
            return None
        available = self._available(buyer)
        if available < ORDER_MIN_STROOPS:
            return None
        stroops = max(
            ORDER_MIN_STROOPS,
            cents(min(available, 200 * STROOPS_PER_UNIT) * intent.picks[2] / STROOPS_PER_UNIT),
        )
        plan = _choose(PLANS, PLAN_WEIGHTS, intent.picks[3])
        key = self._key("order")
        body: dict[str, Any] = {
            "buyerId": buyer.user_id,
            "sellerId": seller.user_id,
            "amount": to_wire(stroops),
            "title": "Simulated order",
            "clientOrderRef": key,
        }
        if plan == "milestones":
            body["milestones"] = _milestones(stroops, 2 + intent.pick(4, 2))
        outcome = self._caller.command("POST", "/orders", body, key)
        if not outcome.answer.ok:
            return None
        order_id = outcome.answer.data["id"]
        self._tally.order(order_id)
        self._flows.append(
            OrderFlow(
                key,
                self._caller,
                self._tally,
                self._limits.saga_wait_s,
                order_id=order_id,
                plan=plan,
                decision=DECISIONS[intent.pick(5, len(DECISIONS))],
                split_share=intent.picks[5],
                explicit_milestones=intent.picks[4] < 0.5,
            )
        )
        return None

    def _advance(self, intent: Intent) -> None:
        if not self._flows:
            self._stopping.wait(IDLE_PAUSE_S)
            return
        flow = self._flows[intent.pick(0, len(self._flows))]
        flow.advance()
        if flow.done or flow.abandoned:
            self._flows.remove(flow)
            self.flows_abandoned += flow.abandoned

    def _read(self, intent: Intent) -> None:
        user = self._users[intent.pick(0, len(self._users))] if self._users else None
        paths: list[tuple[str, dict[str, Any]]] = [
            ("/health/ready", {}),
            ("/admin/sagas", {}),
            ("/orders", {"limit": 10}),
        ]
        if user is not None:
            base = f"/users/{user.user_id}"
            paths += [
                (base, {}),
                (base + "/balance", {}),
                (base + "/ledger", {"limit": 20}),
                (base + "/wallet", {}),
                ("/orders", {"buyerId": user.user_id}),
                ("/withdrawals", {"userId": user.user_id}),
                ("/deposits", {"userId": user.user_id}),
            ]
        path, params = paths[intent.pick(1, len(paths))]
        self._caller.read(path, **params)

    def _available(self, user: SimUser) -> int:
        balance = self._caller.read(f"/users/{user.user_id}/balance")
        return to_stroops(balance.data["available"]) if balance.ok else 0


def _choose(options: tuple[str, ...], weights: tuple[int, ...], pick: float) -> str:
    total, point = sum(weights), pick * sum(weights)
    for option, weight in zip(options, weights, strict=True):
        if point < weight:
            return option
        point -= weight
    return options[-1] if total else options[0]


def _milestones(total_stroops: int, count: int) -> list[dict[str, str]]:
    cent = STROOPS_PER_UNIT // 100
    share = total_stroops // count // cent * cent
    amounts = [share] * (count - 1) + [total_stroops - share * (count - 1)]
    return [
        {"milestoneRef": f"m{i + 1}", "title": f"Milestone {i + 1}", "amount": to_wire(amount)}
        for i, amount in enumerate(amounts)
    ]
