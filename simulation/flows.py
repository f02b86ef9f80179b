"""Long-running things a client started and pushes along, one step per turn: an order through
reserve → escrow → fund → release / refund / dispute → resolve / milestones, and a withdrawal
until it is settled.

A flow reads its resource (with read-your-writes on the last position it caused), and if no
saga step is in flight sends the command its state calls for. Each command's Idempotency-Key
names the flow, the step and how many times that step was asked for, so a retry after a lost
answer reuses the key while asking again for a step that failed on chain (a funding) does not.
A flow that sees no progress for the limits' `saga_wait_s` is abandoned; the checks after
settling say whether the service left anything stuck.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from simulation.amounts import STROOPS_PER_UNIT, to_stroops, to_wire
from simulation.caller import Caller, Outcome
from simulation.tally import Tally

# How an order ends, chosen when it is created.
PLANS: Final = ("release", "refund", "dispute", "milestones", "cancel")
PLAN_WEIGHTS: Final = (35, 15, 25, 20, 5)
DECISIONS: Final = ("FULL_RELEASE", "FULL_REFUND", "SPLIT")
WITHDRAWAL_DONE: Final = frozenset(
    {"WITHDRAWAL_COMPLETED", "WITHDRAWAL_FAILED", "WITHDRAWAL_CANCELED"}
)


@dataclass
class Flow:
    key: str
    caller: Caller
    tally: Tally
    wait_s: float
    done: bool = False
    abandoned: bool = False
    position: int | None = None
    asked: Counter[str] = field(default_factory=Counter)
    _last_state: Any = None
    _progress_at: float = field(default_factory=time.monotonic)

    def advance(self) -> None:
        raise NotImplementedError

    def _seen(self, state: Any) -> None:
        """Notes the state read; abandons the flow when it has not moved for `wait_s`."""
        if state != self._last_state:
            self._last_state, self._progress_at = state, time.monotonic()
        elif time.monotonic() - self._progress_at > self.wait_s:
            self.abandoned = True

    def _command(self, path: str, body: Any, step: str) -> Outcome:
        """Sends the command for `step`; once it was answered definitively, the next ask for
        the same step is a new request with a new key."""
        key = f"{self.key}-{step}-{self.asked[step]}"
        outcome = self.caller.command("POST", path, body, key)
        if outcome.definitive:
            self.asked[step] += 1
        if outcome.answer.ok:
            self.tally.acknowledged()
            meta = (
                outcome.answer.body.get("meta", {}) if isinstance(outcome.answer.body, dict) else {}
            )
            self.position = meta.get("position") or self.position
        return outcome


@dataclass
class WithdrawalFlow(Flow):
    withdrawal_id: str = ""

    def advance(self) -> None:
        answer = self.caller.read(f"/withdrawals/{self.withdrawal_id}", min_position=self.position)
        if not answer.ok:
            return
        status = answer.data["status"]
        self._seen(status)
        if status in WITHDRAWAL_DONE:
            self.done = True


@dataclass
class OrderFlow(Flow):
    order_id: str = ""
    plan: str = "release"
    decision: str = "FULL_RELEASE"
    split_share: float = 0.5
    explicit_milestones: bool = False

    def advance(self) -> None:
        answer = self.caller.read(f"/orders/{self.order_id}", min_position=self.position)
        if not answer.ok:
            return
        order = answer.data
        saga = order["saga"]
        self._seen((order["status"], saga["step"], self._milestone_marks(order)))
        if order["status"] == "CLOSED":
            self.done = True
            return
        if saga["step"] is not None or saga["parked"]:
            return  # in flight, or parked (the checks report it)
        self._next(order)

    def _next(self, order: dict[str, Any]) -> None:
        status, base = order["status"], f"/orders/{self.order_id}"
        cancel = self.plan == "cancel"
        if status == "ORDER_CREATED":
            self._command(base + "/reserve", None, "reserve")
        elif status == "FUNDS_RESERVED":
            self._command(base + ("/cancel" if cancel else "/escrow"), None, "escrow")
        elif status == "ESCROW_FUNDING" and (order.get("escrow") or {}).get("status") == "CREATED":
            self._command(base + "/escrow/fund", None, "fund")
        elif status == "IN_PROGRESS":
            self._in_progress(order, base)
        elif status == "DISPUTED":
            self._disputed(order)

    def _in_progress(self, order: dict[str, Any], base: str) -> None:
        if self.plan in ("release", "cancel"):
            self._command(base + "/resolution/release", None, "release")
        elif self.plan == "refund":
            self._command(base + "/resolution/refund", {"reason": "simulated refund"}, "refund")
        elif self.plan == "dispute":
            body = {"openedBy": "BUYER", "reason": "QUALITY_ISSUE"}
            self._command(base + "/resolution/dispute", body, "dispute")
        else:
            self._milestone(order, base)

    def _milestone(self, order: dict[str, Any], base: str) -> None:
        for milestone in order["milestones"]:
            if milestone["released"]:
                continue
            path = f"{base}/milestones/{milestone['milestoneRef']}"
            if self.explicit_milestones and milestone["status"] != "COMPLETED":
                self._command(path + "/complete", None, f"complete-{milestone['milestoneRef']}")
            elif self.explicit_milestones and not milestone["approved"]:
                self._command(path + "/approve", None, f"approve-{milestone['milestoneRef']}")
            else:
                self._command(path + "/release", None, f"release-{milestone['milestoneRef']}")
            return

    def _disputed(self, order: dict[str, Any]) -> None:
        dispute_id = order.get("disputeId")
        if not dispute_id:
            return
        dispute = self.caller.read(f"/disputes/{dispute_id}", min_position=self.position)
        if not dispute.ok or dispute.data["status"] == "RESOLVED":
            return
        path = f"/disputes/{dispute_id}"
        if dispute.data["status"] == "OPEN":
            self._command(path + "/assign", {"assignedTo": "simulated-agent"}, "assign")
            return
        self._command(path + "/resolve", self._resolution(order), "resolve")

    def _resolution(self, order: dict[str, Any]) -> dict[str, Any]:
        if self.decision != "SPLIT":
            return {"decision": self.decision, "note": "simulated decision"}
        total = to_stroops(order["amount"])
        cent = STROOPS_PER_UNIT // 100
        release = max(cent, min(total - cent, int(total * self.split_share) // cent * cent))
        return {
            "decision": "SPLIT",
            "releaseAmount": to_wire(release),
            "refundAmount": to_wire(total - release),
            "note": "simulated split",
        }

    @staticmethod
    def _milestone_marks(order: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            (m["status"], m["approved"], m["released"], m["pending"]) for m in order["milestones"]
        )
