"""The resources the API answers with, as typed, immutable structs (snake_case attributes for the
API's camelCase fields). Amounts are decimal strings, exactly as the API writes them; times are
ISO 8601 strings. Fields the server adds later are ignored, so an older SDK keeps working."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from ledgerline_sdk import balance_proofs as proofs

T = TypeVar("T")


class Model(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    pass


class Pagination(Model, frozen=True, kw_only=True):
    has_more: bool
    next_cursor: str | None = None


class Meta(Model, frozen=True, kw_only=True):
    request_id: str
    timestamp: str
    position: int | None = None
    pagination: Pagination | None = None


class Envelope(Model, Generic[T], frozen=True, kw_only=True):
    data: T
    meta: Meta


class Balance(Model, frozen=True, kw_only=True):
    available: str
    reserved: str
    total: str
    currency: str


class UserWallet(Model, frozen=True, kw_only=True):
    address: str
    status: str


class User(Model, frozen=True, kw_only=True):
    id: str
    external_user_id: str
    email: str | None = None
    type: str
    status: str
    balance: Balance
    wallet: UserWallet | None = None
    created_at: str | None = None
    updated_at: str | None = None


class UserBalance(Model, frozen=True, kw_only=True):
    user_id: str
    available: str
    reserved: str
    total: str
    currency: str
    updated_at: str | None = None


class BalanceTreeNode(Model, frozen=True, kw_only=True):
    hash: str
    sum: str


class BalanceProofStep(Model, frozen=True, kw_only=True):
    side: str  # where the sibling sits: "left" or "right"
    hash: str
    sum: str


class BalanceProof(Model, frozen=True, kw_only=True):
    """A user's leaf in the Merkle sum tree over balances at `position`, and its path."""

    user_id: str
    position: int
    balance: str
    salt: str
    leaf_hash: str
    path: list[BalanceProofStep]
    root: BalanceTreeNode

    def verifies(self, root_hash: str | None = None, root_sum: str | None = None) -> bool:
        """Whether the leaf (this user, this balance, this salt) and its path lead to the
        proof's root with consistent sums, and that root is `root_hash` / `root_sum` when given
        (the root anchored on Stellar: pass it, or the proof only agrees with itself)."""
        try:
            reached = (
                proofs.leaf_hash(
                    self.user_id, proofs.stroops(self.balance), bytes.fromhex(self.salt)
                ),
                proofs.stroops(self.balance),
            )
            if reached[0].hex() != self.leaf_hash:
                return False
            for step in self.path:
                sibling = (bytes.fromhex(step.hash), proofs.stroops(step.sum))
                if step.side not in ("left", "right") or len(sibling[0]) != proofs.HASH_BYTES:
                    return False
                left, right = (sibling, reached) if step.side == "left" else (reached, sibling)
                reached = proofs.parent(left, right)
            root = (self.root.hash, proofs.stroops(self.root.sum))
        except (ValueError, OverflowError):
            return False
        return (
            (reached[0].hex(), reached[1]) == root
            and (root_hash is None or root_hash.lower() == root[0])
            and (root_sum is None or proofs.stroops(root_sum) == root[1])
        )


class HeldBalance(Model, frozen=True, kw_only=True):
    available: str
    reserved: str


class BalanceOperation(Model, frozen=True, kw_only=True):
    user_id: str
    operation: str
    amount: str
    currency: str
    previous_balance: HeldBalance
    new_balance: HeldBalance
    balance: Balance
    occurred_at: str | None = None


class LedgerLine(Model, frozen=True, kw_only=True):
    position: int
    event_id: str
    type: str
    account: str
    direction: str
    amount: str
    balance_after: str
    counterparty: str
    occurred_at: str | None = None


class Milestone(Model, frozen=True, kw_only=True):
    milestone_ref: str
    title: str
    amount: str
    status: str
    approved: bool
    released: bool
    disputed: bool
    resolved: bool
    pending: str | None = None


class Escrow(Model, frozen=True, kw_only=True):
    id: str
    order_id: str
    trustless_contract_id: str | None = None
    status: str
    type: str
    amount: str
    balance: str
    platform_fee_bps: int
    funded_at: str | None = None


class SagaState(Model, frozen=True, kw_only=True):
    step: str | None = None
    parked: bool
    park_reason: str | None = None


class Order(Model, frozen=True, kw_only=True):
    id: str
    client_order_ref: str | None = None
    buyer_id: str
    seller_id: str
    amount: str
    currency: str
    status: str
    final_status: str | None = None
    title: str
    description: str | None = None
    metadata: dict[str, Any] | None = None
    platform_fee_bps: int
    auto_release_at: str | None = None
    escrow: Escrow | None = None
    milestones: list[Milestone] = msgspec.field(default_factory=list)
    dispute_id: str | None = None
    saga: SagaState
    created_at: str | None = None
    updated_at: str | None = None


class Dispute(Model, frozen=True, kw_only=True):
    id: str
    order_id: str
    buyer_id: str
    seller_id: str
    opened_by: str
    reason: str
    evidence: list[str] = msgspec.field(default_factory=list)
    status: str
    assigned_to: str | None = None
    resolution_decision: str | None = None
    decision_note: str | None = None
    release_amount: str | None = None
    refund_amount: str | None = None
    seller_amount: str | None = None
    buyer_amount: str | None = None
    resolved_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    order: Order | None = None


class Withdrawal(Model, frozen=True, kw_only=True):
    id: str
    user_id: str
    amount: str
    fee: str
    currency: str
    status: str
    destination_type: str
    destination_ref: str
    description: str | None = None
    stellar_transaction_hash: str | None = None
    failure_reason: str | None = None
    error_code: str | None = None
    parked: bool = False
    created_at: str | None = None
    updated_at: str | None = None
    committed: bool = True
    airtm_payout_id: str | None = None
    provider_fee: str | None = None
    net_amount: str | None = None


class AirtmLink(Model, frozen=True, kw_only=True):
    user_id: str
    airtm_user_id: str
    email: str
    eligible: bool
    airtm_linked_at: str | None = None


class TopUp(Model, frozen=True, kw_only=True):
    """A top-up through AirTM: the user confirms it at `confirmation_uri`."""

    id: str
    user_id: str
    amount: str
    currency: str
    status: str
    provider: str
    description: str | None = None
    airtm_payin_id: str | None = None
    confirmation_uri: str | None = None
    fee: str | None = None
    credited: str | None = None
    failure_reason: str | None = None
    cancel_requested: bool = False
    parked: bool = False
    created_at: str | None = None
    updated_at: str | None = None


class Deposit(Model, frozen=True, kw_only=True):
    id: str
    user_id: str
    address: str
    from_: str = msgspec.field(name="from")
    amount: str
    currency: str
    transaction_hash: str
    operation_id: str
    chain_time: str | None = None
    credited_at: str | None = None


class WalletBalance(Model, frozen=True, kw_only=True):
    usdc: str | None = None
    xlm: str


class Wallet(Model, frozen=True, kw_only=True):
    id: str
    user_id: str
    public_key: str
    network: str
    status: str
    is_active: bool
    balance: WalletBalance | None = None
    created_at: str | None = None
    activated_at: str | None = None


class Asset(Model, frozen=True, kw_only=True):
    code: str
    issuer: str


class DepositInstructions(Model, frozen=True, kw_only=True):
    address: str
    asset: Asset
    network: str
    wallet_status: str
    instructions: str


class ApiKey(Model, frozen=True, kw_only=True):
    id: str
    name: str
    scopes: list[str]
    masked_key: str
    status: str
    rate_limit_per_minute: int | None = None
    last_used_at: str | None = None
    expires_at: str | None = None
    revoked_at: str | None = None
    created_at: str | None = None


class CreatedApiKey(Model, frozen=True, kw_only=True):
    """The key's secret is in `key`, shown only here."""

    id: str
    key: str
    name: str
    scopes: list[str]
    expires_at: str | None = None
    rate_limit_per_minute: int | None = None
    created_at: str | None = None


class RevokedApiKey(Model, frozen=True, kw_only=True):
    id: str
    status: str


class Token(Model, frozen=True, kw_only=True):
    token: str
    token_type: str
    key_id: str
    scopes: list[str]
    expires_at: str
    expires_in: int


class Me(Model, frozen=True, kw_only=True):
    api_key_id: str
    api_key_name: str
    scopes: list[str]


class WebhookEndpoint(Model, frozen=True, kw_only=True):
    id: str
    url: str
    events: list[str]
    description: str | None = None
    status: str
    masked_secret: str | None = None
    disabled_reason: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class CreatedWebhookEndpoint(Model, frozen=True, kw_only=True):
    """The signing secret is in `secret`, shown only here: keep it for `webhooks.verify`."""

    id: str
    url: str
    events: list[str]
    description: str | None = None
    status: str
    secret: str
    created_at: str | None = None


class WebhookEndpointChange(Model, frozen=True, kw_only=True):
    id: str
    status: str


class ReplayAccepted(Model, frozen=True, kw_only=True):
    id: str
    status: str
    from_position: int
    until_position: int


class Event(Model, frozen=True, kw_only=True):
    """One event of the feed (SSE `data:`, a webhook's body, an audit line's envelope)."""

    id: str
    event_id: str
    type: str
    occurred_at: str
    aggregate_type: str
    aggregate_id: str
    version: int
    data: dict[str, Any]
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def position(self) -> int:
        return int(self.id)
