"""The state a Trustless Work V1 escrow contract keeps on chain, for both contract kinds.

A single-release escrow pays one `amount` to one receiver once every milestone is approved; a
multi-release escrow pays each milestone's own amount to that milestone's receiver. Amounts are
stroops of the escrow's asset and the platform fee is basis points, exactly as the contract stores
them; the API's human numbers and percents are converted at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SINGLE_RELEASE = "single-release"
MULTI_RELEASE = "multi-release"
ESCROW_KINDS = (SINGLE_RELEASE, MULTI_RELEASE)

SINGLE_RELEASE_ROLES = (
    "approver",
    "serviceProvider",
    "platformAddress",
    "releaseSigner",
    "disputeResolver",
    "receiver",
)
# Multi-release names a receiver per milestone instead of one for the escrow.
MULTI_RELEASE_ROLES = SINGLE_RELEASE_ROLES[:-1]
# The Sep 2025 contracts cap milestones at 10; TW's guide says 50 for newer ones (open question).
MILESTONES_MAX = 10
PLATFORM_FEE_BPS_MAX = 9_900
BPS_DENOMINATOR = 10_000


def roles_for(kind: str) -> tuple[str, ...]:
    return SINGLE_RELEASE_ROLES if kind == SINGLE_RELEASE else MULTI_RELEASE_ROLES


@dataclass
class Milestone:
    description: str
    status: str = "pending"
    evidence: str = ""
    approved: bool = False
    disputed: bool = False
    released: bool = False
    resolved: bool = False
    amount_stroops: int = 0  # multi-release only
    receiver: str = ""  # multi-release only


@dataclass
class Escrow:
    contract_id: str
    kind: str
    engagement_id: str
    title: str
    description: str
    roles: dict[str, str]
    platform_fee_bps: int
    milestones: list[Milestone]
    asset_code: str
    asset_issuer: str
    # The escrow token: the asset's Stellar Asset Contract id (C…), as the contract stores it.
    trustline_address: str
    amount_stroops: int = 0  # single-release only
    disputed: bool = False  # single-release flags
    released: bool = False
    resolved: bool = False
    receiver_memo: int = 0
    is_active: bool = True
    deployer: str = ""
    created_at_s: int = 0
    updated_at_s: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def role(self, name: str) -> str:
        return self.roles.get(name, "")

    def holds_role(self, address: str) -> bool:
        """Whether the address is named in any role (or as a milestone receiver)."""
        if address in self.roles.values():
            return True
        return any(milestone.receiver == address for milestone in self.milestones)

    def receiver_of(self, milestone: Milestone) -> str:
        return milestone.receiver if self.kind == MULTI_RELEASE else self.role("receiver")

    def status(self) -> str:
        """The indexer's escrow status: working, pendingRelease, released, resolved or inDispute."""
        if self.kind == SINGLE_RELEASE:
            disputed, released, resolved = self.disputed, self.released, self.resolved
        else:
            disputed = any(m.disputed for m in self.milestones)
            released = bool(self.milestones) and all(m.released for m in self.milestones)
            resolved = bool(self.milestones) and all(m.resolved for m in self.milestones)
        if disputed:
            return "inDispute"
        if released:
            return "released"
        if resolved:
            return "resolved"
        if self.milestones and all(m.approved for m in self.milestones):
            return "pendingRelease"
        return "working"

    def total_amount_stroops(self) -> int:
        if self.kind == SINGLE_RELEASE:
            return self.amount_stroops
        return sum(milestone.amount_stroops for milestone in self.milestones)
