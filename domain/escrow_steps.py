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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from domain.order_states import (
    BUYER,
    CLOSED,
    DISPUTED,
    E_FUNDING,
    E_HOLDING,
    ESCROW_CREATING,
    M_COMPLETED,
    PLATFORM,
    REFUND_REQUESTED,
    RELEASE_REQUESTED,
    SELLER,
)

if TYPE_CHECKING:
    from domain.orders import Order

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


def next_step(order: Order) -> Step | None:
    """The next transaction the order's saga must put on chain, or None while it waits."""
    if order.status == CLOSED:
        return None
    if order.status == ESCROW_CREATING:
        return Step(DEPLOY, PLATFORM)
    if order.escrow_status == E_FUNDING:
        return Step(FUND, BUYER)
    if order.escrow_status not in E_HOLDING:
        return None
    return _requested_milestone_work(order) or _work_for_status(order)


def _requested_milestone_work(order: Order) -> Step | None:
    for index, milestone in enumerate(order.milestones):
        if milestone["completionRequested"] and milestone["status"] != M_COMPLETED:
            return Step(COMPLETE, SELLER, index)
        if milestone["approvalRequested"] and not milestone["approved"]:
            return Step(APPROVE, BUYER, index)
        if milestone["releaseRequested"] and not milestone["released"]:
            return _release_milestone(order, index)
    return None


def _work_for_status(order: Order) -> Step | None:
    if order.status == RELEASE_REQUESTED:
        for index, milestone in enumerate(order.milestones):
            if not milestone["released"]:
                return _release_milestone(order, index)
        return None
    if order.status in (REFUND_REQUESTED, DISPUTED):
        return _dispute_work(order)
    return None


def _release_milestone(order: Order, index: int) -> Step:
    """Complete (seller), approve (buyer), then release (buyer): what the contract requires."""
    milestone = order.milestones[index]
    if milestone["status"] != M_COMPLETED:
        return Step(COMPLETE, SELLER, index)
    if not milestone["approved"]:
        return Step(APPROVE, BUYER, index)
    return Step(RELEASE, BUYER, index if order.multi_release else None)


def _dispute_work(order: Order) -> Step | None:
    opener = order.dispute_opened_by or BUYER
    resolution = order.resolution
    if not order.multi_release:
        if not order.escrow_disputed:
            return Step(DISPUTE, opener)
        if resolution is None:
            return None
        return Step(RESOLVE, PLATFORM, distributions=_pairs(resolution["allocations"][0][1:]))
    for index in order.held_milestones():
        if not order.milestones[index]["disputed"]:
            return Step(DISPUTE, opener, index)
    if resolution is None:
        return None
    for index, seller, buyer in resolution["allocations"]:
        if not order.milestones[index]["resolved"]:
            return Step(RESOLVE, PLATFORM, index, _pairs((seller, buyer)))
    return None


def _pairs(shares: tuple[int, int] | list[int]) -> tuple[tuple[str, int], ...]:
    """Distributions of a (seller, buyer) allocation; the contract refuses zero amounts."""
    seller, buyer = shares
    return tuple((party, amount) for party, amount in ((SELLER, seller), (BUYER, buyer)) if amount)


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
