"""The milestones of an order: the parts the marketplace pays for one by one, and how far each has
come on chain.

A milestone is a frozen value; an order's event bodies replace one when an event changes it.
Stored events carry milestones as records with camelCase keys (the `Created` event's list, the
`milestone` of each milestone event) and must stay readable forever, so `as_record` and
`from_record` are the one place those keys are spelled. `pending_request` is the one statement of
which on-chain request of a milestone is in flight: the saga plans it, the order refuses a
release, refund or dispute while one is, and the wire shows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from domain.errors import InvalidAmountError, InvalidStateError, ValidationError
from domain.order_states import MILESTONES_MAX, MilestoneStatus


class MilestoneRequest(StrEnum):
    """What the marketplace asks of a milestone; each is one transaction of the saga. The values
    are stored (`MilestoneRequested.kind`)."""

    COMPLETION = "completion"  # the seller says it is done
    APPROVAL = "approval"  # the buyer approves it
    RELEASE = "release"  # its money goes to the seller (multi-release)


@dataclass(frozen=True, slots=True)
class Milestone:
    ref: str
    title: str
    amount_stroops: int
    status: MilestoneStatus = MilestoneStatus.OPEN  # COMPLETED once the seller's word is on chain
    completion_requested: bool = False
    approval_requested: bool = False
    approved: bool = False
    release_requested: bool = False
    released: bool = False
    disputed: bool = False
    resolved: bool = False

    @property
    def is_completed(self) -> bool:
        return self.status == MilestoneStatus.COMPLETED

    @property
    def is_held(self) -> bool:
        """Its money is still in the escrow (neither released nor resolved)."""
        return not self.released and not self.resolved

    def pending_request(self) -> MilestoneRequest | None:
        """The request asked of this milestone whose transaction is not on chain yet."""
        if self.completion_requested and not self.is_completed:
            return MilestoneRequest.COMPLETION
        if self.approval_requested and not self.approved:
            return MilestoneRequest.APPROVAL
        if self.release_requested and not self.released:
            return MilestoneRequest.RELEASE
        return None

    def check_request(self, request: MilestoneRequest) -> None:
        """Refuses a request this milestone cannot take now: done or asked already, or (for an
        approval or a release) not completed yet."""
        if request is MilestoneRequest.COMPLETION:
            if self.is_completed or self.completion_requested:
                raise InvalidStateError(
                    "this milestone is already completed", milestoneRef=self.ref
                )
            return
        verb, done = (
            ("approved", self.approved or self.approval_requested)
            if request is MilestoneRequest.APPROVAL
            else ("released", self.released or self.release_requested)
        )
        if not self.is_completed:
            raise InvalidStateError(
                f"only a completed milestone can be {verb}", milestoneRef=self.ref
            )
        if done:
            raise InvalidStateError(f"this milestone is already {verb}", milestoneRef=self.ref)

    # -- what the order's events do to it (pure: each returns the changed milestone) -----------

    def with_request(self, request: MilestoneRequest) -> Milestone:
        if request is MilestoneRequest.COMPLETION:
            return replace(self, completion_requested=True)
        if request is MilestoneRequest.APPROVAL:
            return replace(self, approval_requested=True)
        return replace(self, release_requested=True)

    def with_completion(self) -> Milestone:
        return replace(self, status=MilestoneStatus.COMPLETED)

    def with_approval(self) -> Milestone:
        return replace(self, approved=True)

    def with_release(self) -> Milestone:
        return replace(self, released=True)

    def with_dispute(self) -> Milestone:
        return replace(self, disputed=True)

    def with_resolution(self) -> Milestone:
        return replace(self, resolved=True, disputed=False)

    # -- the stored form --------------------------------------------------------------------

    def as_record(self) -> dict[str, Any]:
        """The milestone as events and the orders read model store it."""
        return {
            "ref": self.ref,
            "title": self.title,
            "amountStroops": self.amount_stroops,
            "status": self.status.value,
            "completionRequested": self.completion_requested,
            "approvalRequested": self.approval_requested,
            "approved": self.approved,
            "releaseRequested": self.release_requested,
            "released": self.released,
            "disputed": self.disputed,
            "resolved": self.resolved,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Milestone:
        return cls(
            ref=record["ref"],
            title=record["title"],
            amount_stroops=record["amountStroops"],
            status=MilestoneStatus(record.get("status", MilestoneStatus.OPEN)),
            completion_requested=record.get("completionRequested", False),
            approval_requested=record.get("approvalRequested", False),
            approved=record.get("approved", False),
            release_requested=record.get("releaseRequested", False),
            released=record.get("released", False),
            disputed=record.get("disputed", False),
            resolved=record.get("resolved", False),
        )


def check_milestones(milestones: Sequence[Milestone], amount_stroops: int) -> None:
    """At most MILESTONES_MAX, refs unique, amounts summing exactly to the order's amount."""
    if len(milestones) > MILESTONES_MAX:
        raise ValidationError(f"at most {MILESTONES_MAX} milestones", field="milestones")
    refs = [m.ref for m in milestones]
    if len(set(refs)) != len(refs):
        raise ValidationError("milestoneRef values must be unique", field="milestones")
    if milestones and sum(m.amount_stroops for m in milestones) != amount_stroops:
        raise InvalidAmountError(
            "milestone amounts must sum exactly to the order amount",
            field="milestones",
        )


def allocate(held: list[tuple[int, int]], release_stroops: int) -> list[list[int]]:
    """Splits a decision over the milestones still held, in order: the seller's share fills the
    first milestones, the buyer's the rest. `held` is (index, amount) pairs; the result is
    [index, seller, buyer] rows, each summing to its milestone's amount."""
    rows = []
    left = release_stroops
    for index, amount in held:
        seller = min(amount, left)
        left -= seller
        rows.append([index, seller, amount - seller])
    return rows
