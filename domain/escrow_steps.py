"""What the escrow saga does next: one Trustless Work transaction, planned from the order alone.

The planner is a pure function of the order's state, so a worker that crashed, a redelivered
message and the stall sweeper all agree on the next step, and a step is never planned twice once
its result is recorded. Requested milestone work goes first, in milestone order; then whatever
the order's status asks for:

- ESCROW_CREATING: `deploy` (the platform signs);
- escrow FUNDING: `fund` (the buyer signs);
- RELEASE_REQUESTED: per milestone still held, `complete:i` (seller), `approve:i` (buyer), then
  `release` (single-release, buyer) or `release:i` (multi-release, buyer);
- REFUND_REQUESTED and DISPUTED: `dispute` / `dispute:i` (the opener signs; the buyer for a
  refund), then, once a resolution is decided, `resolve` / `resolve:i` (the platform signs) with
  the distributions of the decision.

Single-release escrows are the orders created without milestones (one implicit milestone);
multi-release ones the orders created with at least one. One rule everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from domain.escrow_payouts import Resolution
from domain.milestones import Milestone, MilestoneRequest
from domain.order_states import (
    BUYER,
    CLOSED,
    DISPUTED,
    ESCROW_CREATING,
    ESCROW_HOLDING,
    PLATFORM,
    REFUND_REQUESTED,
    RELEASE_REQUESTED,
    SELLER,
    EscrowStatus,
)

DEPLOY: Final = "deploy"
FUND: Final = "fund"
COMPLETE: Final = "complete"
APPROVE: Final = "approve"
RELEASE: Final = "release"
DISPUTE: Final = "dispute"
RESOLVE: Final = "resolve"
ACTIONS: Final = (DEPLOY, FUND, COMPLETE, APPROVE, RELEASE, DISPUTE, RESOLVE)


@dataclass(frozen=True, slots=True)
class Step:
    """One transaction: `action` on the whole escrow, or on milestone `index` (multi-release)."""

    action: str
    signer: str  # BUYER, SELLER or PLATFORM
    index: int | None = None
    distributions: tuple[tuple[str, int], ...] = ()  # (party, stroops), for RESOLVE

    @property
    def name(self) -> str:
        """The step's name in events and envelopes: `release`, `approve:0`, `resolve:2`."""
        return self.action if self.index is None else f"{self.action}:{self.index}"


class EscrowPlan(Protocol):
    """What the planner reads of an order (the `Order` aggregate is one)."""

    @property
    def status(self) -> str: ...
    @property
    def escrow_status(self) -> str | None: ...
    @property
    def multi_release(self) -> bool: ...
    @property
    def milestones(self) -> Sequence[Milestone]: ...
    @property
    def escrow_disputed(self) -> bool: ...
    @property
    def dispute_opened_by(self) -> str | None: ...
    @property
    def resolution(self) -> Resolution | None: ...
    def held_milestones(self) -> list[int]: ...


def next_step(order: EscrowPlan) -> Step | None:
    """The next transaction the order's saga must put on chain, or None while it waits."""
    if order.status == CLOSED:
        return None
    if order.status == ESCROW_CREATING:
        return Step(DEPLOY, PLATFORM)
    if order.escrow_status == EscrowStatus.FUNDING:
        return Step(FUND, BUYER)
    if order.escrow_status not in ESCROW_HOLDING:
        return None
    return _requested_milestone_work(order) or _work_for_status(order)


def _requested_milestone_work(order: EscrowPlan) -> Step | None:
    for index, milestone in enumerate(order.milestones):
        pending = milestone.pending_request()
        if pending is MilestoneRequest.COMPLETION:
            return Step(COMPLETE, SELLER, index)
        if pending is MilestoneRequest.APPROVAL:
            return Step(APPROVE, BUYER, index)
        if pending is MilestoneRequest.RELEASE:
            return _release_milestone(order, index)
    return None


def _work_for_status(order: EscrowPlan) -> Step | None:
    if order.status == RELEASE_REQUESTED:
        for index, milestone in enumerate(order.milestones):
            if not milestone.released:
                return _release_milestone(order, index)
        return None
    if order.status in (REFUND_REQUESTED, DISPUTED):
        return _dispute_work(order)
    return None


def _release_milestone(order: EscrowPlan, index: int) -> Step:
    """Complete (seller), approve (buyer), then release (buyer): what the contract requires."""
    milestone = order.milestones[index]
    if not milestone.is_completed:
        return Step(COMPLETE, SELLER, index)
    if not milestone.approved:
        return Step(APPROVE, BUYER, index)
    return Step(RELEASE, BUYER, index if order.multi_release else None)


def _dispute_work(order: EscrowPlan) -> Step | None:
    opener = order.dispute_opened_by or BUYER
    resolution = order.resolution
    if not order.multi_release:
        if not order.escrow_disputed:
            return Step(DISPUTE, opener)
        if resolution is None:
            return None
        _, seller, buyer = resolution.allocations[0]
        return Step(RESOLVE, PLATFORM, distributions=_pairs((seller, buyer)))
    for index in order.held_milestones():
        if not order.milestones[index].disputed:
            return Step(DISPUTE, opener, index)
    if resolution is None:
        return None
    for index, seller, buyer in resolution.allocations:
        if not order.milestones[index].resolved:
            return Step(RESOLVE, PLATFORM, index, _pairs((seller, buyer)))
    return None


def _pairs(shares: tuple[int, int]) -> tuple[tuple[str, int], ...]:
    """Distributions of a (seller, buyer) allocation; the contract refuses zero amounts."""
    seller, buyer = shares
    return tuple((party, amount) for party, amount in ((SELLER, seller), (BUYER, buyer)) if amount)
