"""The closed sets of words the wire uses (states, decisions, types), each listed as an enum in
the OpenAPI document.

Spelled out rather than imported from the domain, so the document and generated clients read
them here; tests/unit/test_wire_shapes.py holds each to the domain's own constants. They are
strings to Python: msgspec encodes what the domain holds, and on requests the domain checks
them itself, answering VALIDATION_ERROR with the field named.
"""

from __future__ import annotations

from typing import Annotated, Final

from interfaces.http.schemas.wire import described

ORDER_STATUSES: Final = (
    "ORDER_CREATED",
    "FUNDS_RESERVED",
    "ESCROW_CREATING",
    "ESCROW_FUNDING",
    "ESCROW_FUNDED",
    "IN_PROGRESS",
    "RELEASE_REQUESTED",
    "RELEASED",
    "REFUND_REQUESTED",
    "REFUNDED",
    "DISPUTED",
    "CLOSED",
)
# How a closed order ended (SPLIT: a dispute divided the escrow; CANCELED before funding).
FINAL_STATUSES: Final = ("RELEASED", "REFUNDED", "SPLIT", "CANCELED")
ESCROW_STATUSES: Final = (
    "CREATING",
    "CREATED",
    "FUNDING",
    "FUNDED",
    "DISPUTED",
    "RELEASED",
    "REFUNDED",
    "RESOLVED",
)
ESCROW_TYPES: Final = ("single-release", "multi-release")
MILESTONE_STATUSES: Final = ("OPEN", "COMPLETED")
PENDING_REQUESTS: Final = ("completion", "approval", "release")
ESCROW_ACTIONS: Final = ("deploy", "fund", "complete", "approve", "release", "dispute", "resolve")
DISPUTE_STATUSES: Final = ("OPEN", "UNDER_REVIEW", "RESOLVED")
DECISIONS: Final = ("FULL_RELEASE", "FULL_REFUND", "SPLIT")
PARTIES: Final = ("BUYER", "SELLER")
DISPUTE_REASONS: Final = ("NOT_DELIVERED", "QUALITY_ISSUE", "OTHER")
USER_TYPES: Final = ("BUYER", "SELLER", "BOTH")
USER_STATUSES: Final = ("ACTIVE",)
WALLET_STATUSES: Final = ("PENDING", "FUNDED", "ACTIVE")
WITHDRAWAL_STATUSES: Final = (
    "WITHDRAWAL_CREATED",
    "WITHDRAWAL_COMMITTED",
    "WITHDRAWAL_PENDING",
    "WITHDRAWAL_PENDING_USER_ACTION",
    "WITHDRAWAL_COMPLETED",
    "WITHDRAWAL_FAILED",
    "WITHDRAWAL_CANCELED",
)
DESTINATION_TYPES: Final = ("crypto", "bank", "airtm_balance")
SCOPES: Final = ("read", "write", "support", "admin", "audit", "*")
API_KEY_STATUSES: Final = ("ACTIVE", "EXPIRED", "REVOKED")
ENDPOINT_STATUSES: Final = ("ACTIVE", "DISABLED", "DELETED")
SAGA_STATUSES: Final = ("IN_FLIGHT", "PARKED", "WAITING", "DONE")
BALANCE_OPERATIONS: Final = ("credit", "debit")
DIRECTIONS: Final = ("credit", "debit")
STATEMENT_ACCOUNTS: Final = ("available", "reserved")
HEALTH_STATUSES: Final = ("healthy", "degraded")
CONNECTIONS: Final = ("connected", "disconnected")
READINESS_STATUSES: Final = ("ready", "not_ready")
DEPENDENCY_STATUSES: Final = ("up", "down")

OrderStatus = Annotated[str, described(enum=list(ORDER_STATUSES), examples=["ORDER_CREATED"])]
FinalStatus = Annotated[str, described(enum=list(FINAL_STATUSES), examples=["RELEASED"])]
EscrowStatus = Annotated[str, described(enum=list(ESCROW_STATUSES), examples=["CREATING"])]
EscrowType = Annotated[str, described(enum=list(ESCROW_TYPES), examples=["single-release"])]
MilestoneStatus = Annotated[str, described(enum=list(MILESTONE_STATUSES), examples=["OPEN"])]
MilestonePending = Annotated[str, described(enum=list(PENDING_REQUESTS), examples=["completion"])]
EscrowAction = Annotated[str, described(enum=list(ESCROW_ACTIONS), examples=["deploy"])]
DisputeStatus = Annotated[str, described(enum=list(DISPUTE_STATUSES), examples=["OPEN"])]
Decision = Annotated[str, described(enum=list(DECISIONS), examples=["FULL_RELEASE"])]
Party = Annotated[str, described(enum=list(PARTIES), examples=["BUYER"])]
DisputeReason = Annotated[str, described(enum=list(DISPUTE_REASONS), examples=["NOT_DELIVERED"])]
UserType = Annotated[str, described(enum=list(USER_TYPES), examples=["BUYER"])]
UserStatus = Annotated[str, described(enum=list(USER_STATUSES), examples=["ACTIVE"])]
WalletStatus = Annotated[str, described(enum=list(WALLET_STATUSES), examples=["PENDING"])]
WithdrawalStatus = Annotated[
    str, described(enum=list(WITHDRAWAL_STATUSES), examples=["WITHDRAWAL_CREATED"])
]
DestinationType = Annotated[str, described(enum=list(DESTINATION_TYPES), examples=["crypto"])]
Scope = Annotated[str, described(enum=list(SCOPES), examples=["read"])]
ApiKeyStatus = Annotated[str, described(enum=list(API_KEY_STATUSES), examples=["ACTIVE"])]
EndpointStatus = Annotated[str, described(enum=list(ENDPOINT_STATUSES), examples=["ACTIVE"])]
SagaStatus = Annotated[str, described(enum=list(SAGA_STATUSES), examples=["IN_FLIGHT"])]
BalanceOperation = Annotated[str, described(enum=list(BALANCE_OPERATIONS), examples=["credit"])]
Direction = Annotated[str, described(enum=list(DIRECTIONS), examples=["credit"])]
StatementAccount = Annotated[str, described(enum=list(STATEMENT_ACCOUNTS), examples=["available"])]
HealthStatus = Annotated[str, described(enum=list(HEALTH_STATUSES), examples=["healthy"])]
Connection = Annotated[str, described(enum=list(CONNECTIONS), examples=["connected"])]
ReadinessStatus = Annotated[str, described(enum=list(READINESS_STATUSES), examples=["ready"])]
DependencyStatus = Annotated[str, described(enum=list(DEPENDENCY_STATUSES), examples=["up"])]
# A saga step: an action, on milestone N for multi-release escrows (`approve:0`).
EscrowStep = Annotated[
    str,
    described(
        pattern=rf"^({'|'.join(ESCROW_ACTIONS)})(:[0-9]+)?$",
        examples=["fund"],
    ),
]
