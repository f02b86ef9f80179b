"""The vocabulary of orders and their escrows: states, decisions, parties, and the errors.

Order states are OFFER-HUB's, none skipped:

    ORDER_CREATED → FUNDS_RESERVED → ESCROW_CREATING → ESCROW_FUNDING → ESCROW_FUNDED
    → IN_PROGRESS → RELEASE_REQUESTED → RELEASED → CLOSED
                  → REFUND_REQUESTED  → REFUNDED → CLOSED
                  → DISPUTED → (resolution) → RELEASED | REFUNDED | CLOSED (split)

plus CLOSED straight from ORDER_CREATED, FUNDS_RESERVED or ESCROW_FUNDING when canceled. The
escrow states mirror the contract; a failed funding returns the escrow from FUNDING to CREATED.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from domain.errors import ConflictError, NotFoundError

ORDER_CREATED: Final = "ORDER_CREATED"
FUNDS_RESERVED: Final = "FUNDS_RESERVED"
ESCROW_CREATING: Final = "ESCROW_CREATING"
ESCROW_FUNDING: Final = "ESCROW_FUNDING"
ESCROW_FUNDED: Final = "ESCROW_FUNDED"
IN_PROGRESS: Final = "IN_PROGRESS"
RELEASE_REQUESTED: Final = "RELEASE_REQUESTED"
RELEASED: Final = "RELEASED"
REFUND_REQUESTED: Final = "REFUND_REQUESTED"
REFUNDED: Final = "REFUNDED"
DISPUTED: Final = "DISPUTED"
CLOSED: Final = "CLOSED"
ORDER_STATES: Final = (
    ORDER_CREATED,
    FUNDS_RESERVED,
    ESCROW_CREATING,
    ESCROW_FUNDING,
    ESCROW_FUNDED,
    IN_PROGRESS,
    RELEASE_REQUESTED,
    RELEASED,
    REFUND_REQUESTED,
    REFUNDED,
    DISPUTED,
    CLOSED,
)
CANCELABLE: Final = frozenset({ORDER_CREATED, FUNDS_RESERVED, ESCROW_FUNDING})


class EscrowStatus(StrEnum):
    """The escrow, as the contract holds it (the values are stored and on the wire)."""

    CREATING = "CREATING"
    CREATED = "CREATED"
    FUNDING = "FUNDING"
    FUNDED = "FUNDED"
    DISPUTED = "DISPUTED"
    RELEASED = "RELEASED"
    REFUNDED = "REFUNDED"
    RESOLVED = "RESOLVED"  # split between buyer and seller


# The states in which the escrow holds the money.
ESCROW_HOLDING: Final = frozenset({EscrowStatus.FUNDED, EscrowStatus.DISPUTED})


class MilestoneStatus(StrEnum):
    """A milestone is OPEN until the seller's completion is on chain (values stored)."""

    OPEN = "OPEN"
    COMPLETED = "COMPLETED"


MILESTONES_MAX: Final = 10  # the V1 contracts' limit

# How money leaves an escrow when it does not simply go to the seller.
FULL_RELEASE: Final = "FULL_RELEASE"
FULL_REFUND: Final = "FULL_REFUND"
SPLIT: Final = "SPLIT"
DECISIONS: Final = (FULL_RELEASE, FULL_REFUND, SPLIT)
FINAL_STATUS_BY_DECISION: Final = {FULL_RELEASE: RELEASED, FULL_REFUND: REFUNDED, SPLIT: SPLIT}

# The parties of an escrow; each acts through its wallet (roles per OFFER-HUB §7.3).
BUYER: Final = "BUYER"  # approver and release signer
SELLER: Final = "SELLER"  # service provider and receiver
PLATFORM: Final = "PLATFORM"  # platform address and dispute resolver; deploys
OPENERS: Final = (BUYER, SELLER)
DISPUTE_REASONS: Final = ("NOT_DELIVERED", "QUALITY_ISSUE", "OTHER")


class OrderNotFoundError(NotFoundError):
    code = "ORDER_NOT_FOUND"


class MilestoneNotFoundError(NotFoundError):
    code = "MILESTONE_NOT_FOUND"


class DisputeNotFoundError(NotFoundError):
    code = "DISPUTE_NOT_FOUND"


class EscrowAlreadyExistsError(ConflictError):
    code = "ESCROW_ALREADY_EXISTS"


class DisputeAlreadyOpenError(ConflictError):
    code = "DISPUTE_ALREADY_OPEN"


class DuplicateClientOrderRefError(ConflictError):
    code = "DUPLICATE_CLIENT_ORDER_REF"
