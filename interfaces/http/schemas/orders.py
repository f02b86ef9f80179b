"""Wire types for orders, milestones, escrows and disputes.

`POST /orders` also accepts the snake_case names OFFER-HUB used (`buyer_id`, `seller_id`,
`client_order_ref`, `milestone_ref`); giving both spellings with different values is a 400.
Responses are camelCase and render the same from the log (GET one) or a read model (lists).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.disputes import Dispute
from domain.errors import ValidationError
from domain.milestones import Milestone
from domain.money import Amount
from domain.orders import Order
from interfaces.http.edge.responses import iso
from interfaces.http.schemas.wire import AwareDatetime, Body, Request
from projections.disputes.view import DisputeRow
from projections.orders.view import OrderRow


class MilestoneRequest(Request):
    title: str
    amount: str
    milestone_ref: str | None = None
    milestone_ref_snake: str | None = msgspec.field(default=None, name="milestone_ref")
    description: str | None = None

    @property
    def ref(self) -> str:
        return _either(self.milestone_ref, self.milestone_ref_snake, "milestoneRef")


class CreateOrderRequest(Request):
    amount: str
    title: str
    buyer_id: str | None = None
    seller_id: str | None = None
    buyer_id_snake: str | None = msgspec.field(default=None, name="buyer_id")
    seller_id_snake: str | None = msgspec.field(default=None, name="seller_id")
    client_order_ref: str | None = None
    client_order_ref_snake: str | None = msgspec.field(default=None, name="client_order_ref")
    currency: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    platform_fee_bps: int | None = None
    auto_release_after: int | AwareDatetime | None = None
    milestones: list[MilestoneRequest] | None = None

    @property
    def buyer(self) -> str:
        return _either(self.buyer_id, self.buyer_id_snake, "buyerId")

    @property
    def seller(self) -> str:
        return _either(self.seller_id, self.seller_id_snake, "sellerId")

    @property
    def client_ref(self) -> str | None:
        return _either(
            self.client_order_ref, self.client_order_ref_snake, "clientOrderRef", required=False
        )


class ReasonRequest(Request):
    reason: str | None = None


class OpenDisputeRequest(Request):
    opened_by: str
    reason: str
    evidence: list[str] | None = None
    order_id: str | None = None  # OFFER-HUB required it in the body too; it must match


class AssignDisputeRequest(Request):
    assigned_to: str


class ResolveDisputeRequest(Request):
    decision: str
    release_amount: str | None = None
    refund_amount: str | None = None
    note: str | None = None


def _either(camel: str | None, snake: str | None, name: str, *, required: bool = True) -> Any:
    if camel is not None and snake is not None and camel != snake:
        raise ValidationError(f"{name} is given twice with different values", field=name)
    value = camel if camel is not None else snake
    if value is None and required:
        raise ValidationError(f"{name} is required", field=name)
    return value


# -- responses -------------------------------------------------------------------------------------


class MilestoneBody(Body):
    milestone_ref: str
    title: str
    amount: str
    status: str
    approved: bool
    released: bool
    disputed: bool
    resolved: bool
    pending: str | None  # the on-chain request in flight: completion, approval or release


class EscrowBody(Body):
    id: str
    order_id: str
    trustless_contract_id: str | None
    status: str
    type: str
    amount: str
    balance: str
    platform_fee_bps: int
    funded_at: str | None


class SagaStateBody(Body):
    step: str | None
    parked: bool
    park_reason: str | None


class OrderBody(Body):
    id: str
    client_order_ref: str | None
    buyer_id: str
    seller_id: str
    amount: str
    currency: str
    status: str
    final_status: str | None
    title: str
    description: str | None
    metadata: dict[str, Any] | None
    platform_fee_bps: int
    auto_release_at: str | None
    escrow: EscrowBody | None
    milestones: list[MilestoneBody]
    dispute_id: str | None
    saga: SagaStateBody
    created_at: str | None
    updated_at: str | None


def milestone_body(milestone: Milestone, currency: str) -> MilestoneBody:
    pending = milestone.pending_request()
    return MilestoneBody(
        milestone_ref=milestone.ref,
        title=milestone.title,
        amount=Amount(milestone.amount_stroops, currency).to_wire(),
        status=milestone.status.value,
        approved=milestone.approved,
        released=milestone.released,
        disputed=milestone.disputed,
        resolved=milestone.resolved,
        pending=pending.value if pending is not None else None,
    )


def order_body(source: Order | OrderRow) -> OrderBody:
    if isinstance(source, Order):
        ident, milestones = source.public_id, source.visible_milestones()
        escrow_id = source.escrow_id if source.escrow_status is not None else None
        created, updated = source.created_on, source.modified_on
    else:
        ident, milestones, escrow_id = source.order_id, source.milestones, source.escrow_id
        created, updated = source.created_at, source.updated_at
    currency = source.currency
    escrow = None
    if escrow_id is not None and source.escrow_status is not None:
        escrow = EscrowBody(
            id=escrow_id,
            order_id=ident,
            trustless_contract_id=source.contract_id,
            status=source.escrow_status,
            type="multi-release" if source.multi_release else "single-release",
            amount=Amount(source.amount_stroops, currency).to_wire(),
            balance=Amount(source.escrow_balance_stroops, currency).to_wire(),
            platform_fee_bps=source.platform_fee_bps,
            funded_at=iso(source.funded_at),
        )
    return OrderBody(
        id=ident,
        client_order_ref=source.client_order_ref,
        buyer_id=source.buyer_id,
        seller_id=source.seller_id,
        amount=Amount(source.amount_stroops, currency).to_wire(),
        currency=currency,
        status=source.status,
        final_status=source.final_status,
        title=source.title,
        description=source.description,
        metadata=source.metadata,
        platform_fee_bps=source.platform_fee_bps,
        auto_release_at=iso(source.auto_release_at),
        escrow=escrow,
        milestones=[milestone_body(m, currency) for m in milestones],
        dispute_id=source.dispute_id,
        saga=SagaStateBody(
            step=source.planned_step,
            parked=source.parked_step is not None,
            park_reason=source.park_reason,
        ),
        created_at=iso(created),
        updated_at=iso(updated),
    )


class DisputeBody(Body):
    id: str
    order_id: str
    buyer_id: str
    seller_id: str
    opened_by: str
    reason: str
    evidence: list[str]
    status: str
    assigned_to: str | None
    resolution_decision: str | None
    decision_note: str | None
    release_amount: str | None
    refund_amount: str | None
    seller_amount: str | None
    buyer_amount: str | None
    resolved_at: str | None
    created_at: str | None
    updated_at: str | None
    order: OrderBody | None = None


def dispute_body(source: Dispute | DisputeRow, order: Order | None = None) -> DisputeBody:
    if isinstance(source, Dispute):
        ident, created, updated = source.public_id, source.created_on, source.modified_on
        resolved = order.payouts.resolved if order and source.resolved_at else {}
        seller_net, buyer_net = resolved.get("SELLER"), resolved.get("BUYER")
    else:
        ident, created, updated = source.dispute_id, source.created_at, source.updated_at
        seller_net, buyer_net = source.seller_net_stroops, source.buyer_net_stroops
    return DisputeBody(
        id=ident,
        order_id=source.order_id,
        buyer_id=source.buyer_id,
        seller_id=source.seller_id,
        opened_by=source.opened_by,
        reason=source.reason,
        evidence=list(source.evidence),
        status=source.status,
        assigned_to=source.assigned_to,
        resolution_decision=source.decision,
        decision_note=source.decision_note,
        release_amount=_wire(source.release_stroops),
        refund_amount=_wire(source.refund_stroops),
        seller_amount=_wire(seller_net),
        buyer_amount=_wire(buyer_net),
        resolved_at=iso(source.resolved_at),
        created_at=iso(created),
        updated_at=iso(updated),
        order=order_body(order) if order is not None else None,
    )


def _wire(stroops: int | None) -> str | None:
    return None if stroops is None else Amount(stroops).to_wire()


def parse_time(value: str | None, name: str) -> datetime | None:
    """A query-string time filter: ISO 8601 with a zone."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{name} must be an ISO 8601 time", field=name) from None
    if moment.tzinfo is None:
        raise ValidationError(f"{name} must include a time zone", field=name)
    return moment
