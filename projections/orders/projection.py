"""Orders as marketplaces list them: status, escrow, milestones and the saga's step.

Milestones are kept as a JSON array of the records events carry (the marketplace's milestones;
none for a single-release order), each changed by the same `Milestone` transition its event
makes in the aggregate, so the row and the aggregate cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from psycopg import Cursor
from psycopg.types.json import Jsonb

from domain import identifiers
from domain.escrow_payouts import PayoutRecord
from domain.milestones import Milestone, MilestoneRequest
from domain.order_states import (
    CLOSED,
    DISPUTED,
    ESCROW_CREATING,
    ESCROW_FUNDED,
    ESCROW_FUNDING,
    FUNDS_RESERVED,
    IN_PROGRESS,
    ORDER_CREATED,
    REFUND_REQUESTED,
    REFUNDED,
    RELEASE_REQUESTED,
    RELEASED,
    EscrowStatus,
)
from domain.orders import Order
from projections.projection import Projection, handles


class OrdersProjection(Projection):
    name = "orders"
    version = 2
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE orders (
            order_id                text        PRIMARY KEY,
            client_order_ref        text,
            buyer_id                text        NOT NULL,
            seller_id               text        NOT NULL,
            amount_stroops          bigint      NOT NULL,
            currency                text        NOT NULL,
            status                  text        NOT NULL,
            title                   text        NOT NULL,
            description             text,
            metadata                jsonb,
            platform_fee_bps        integer     NOT NULL,
            multi_release           boolean     NOT NULL,
            milestones              jsonb       NOT NULL,
            escrow_id               text,
            escrow_status           text,
            contract_id             text,
            escrow_balance_stroops  bigint      NOT NULL DEFAULT 0,
            funded_at               timestamptz,
            auto_release_at         timestamptz,
            dispute_id              text,
            planned_step            text,
            parked_step             text,
            park_reason             text,
            final_status            text,
            created_at              timestamptz NOT NULL,
            updated_at              timestamptz NOT NULL,
            position                bigint      NOT NULL,
            created_position        bigint      NOT NULL
        )""",
        "CREATE INDEX orders_position_idx ON orders (created_position)",
        "CREATE INDEX orders_buyer_idx ON orders (buyer_id, created_position)",
        "CREATE INDEX orders_seller_idx ON orders (seller_id, created_position)",
        "CREATE INDEX orders_status_idx ON orders (status, created_position)",
        # The auto-release timer's question: which funded orders are past their deadline?
        "CREATE INDEX orders_auto_release_idx ON orders (auto_release_at)"
        " WHERE status = 'IN_PROGRESS' AND auto_release_at IS NOT NULL",
        "CREATE UNIQUE INDEX orders_client_ref_idx ON orders (client_order_ref)",
    )

    @handles(Order.Created)
    def _created(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        milestones = [Milestone.from_record(m).as_record() for m in e.milestones]
        cursor.execute(
            "INSERT INTO orders (order_id, client_order_ref, buyer_id, seller_id, amount_stroops,"
            " currency, status, title, description, metadata, platform_fee_bps, multi_release,"
            " milestones, created_at, updated_at, position, created_position)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                _id(e),
                e.client_order_ref,
                e.buyer_id,
                e.seller_id,
                e.amount_stroops,
                e.currency,
                ORDER_CREATED,
                e.title,
                e.description,
                Jsonb(e.marketplace_metadata) if e.marketplace_metadata is not None else None,
                e.platform_fee_bps,
                bool(e.milestones),
                Jsonb(milestones),
                e.timestamp,
                e.timestamp,
                position,
                position,
            ),
        )

    # -- the order's status ----------------------------------------------------------------------

    @handles(Order.FundsReserved)
    def _funds_reserved(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=FUNDS_RESERVED)

    @handles(Order.Canceled)
    def _canceled(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=CLOSED)

    @handles(Order.Closed)
    def _closed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(
            cursor,
            e,
            position,
            status=CLOSED,
            final_status=e.final_status,
            parked_step=None,
            park_reason=None,
        )

    @handles(Order.EscrowCreating)
    def _escrow_creating(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(
            cursor,
            e,
            position,
            status=ESCROW_CREATING,
            escrow_status=EscrowStatus.CREATING,
            escrow_id=e.escrow_id,
        )

    @handles(Order.EscrowCreated)
    def _escrow_created(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(
            cursor,
            e,
            position,
            escrow_status=EscrowStatus.CREATED,
            contract_id=e.summary["contractId"],
        )

    @handles(Order.AwaitingFunding)
    def _awaiting_funding(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=ESCROW_FUNDING)

    @handles(Order.FundingStarted)
    def _funding_started(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, escrow_status=EscrowStatus.FUNDING)

    @handles(Order.FundingFailed)
    def _funding_failed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(
            cursor,
            e,
            position,
            escrow_status=EscrowStatus.CREATED,
            parked_step=None,
            park_reason=None,
        )

    @handles(Order.EscrowFunded)
    def _escrow_funded(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(
            cursor,
            e,
            position,
            escrow_status=EscrowStatus.FUNDED,
            funded_at=e.funded_at,
            escrow_balance_stroops=e.summary["amountStroops"],
        )

    @handles(Order.Funded)
    def _funded(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=ESCROW_FUNDED, auto_release_at=e.auto_release_at)

    @handles(Order.InProgress)
    def _in_progress(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=IN_PROGRESS, parked_step=None, park_reason=None)

    @handles(Order.ReleaseRequested)
    def _release_requested(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=RELEASE_REQUESTED)

    @handles(Order.RefundRequested)
    def _refund_requested(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=REFUND_REQUESTED)

    @handles(Order.Disputed)
    def _disputed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=DISPUTED, dispute_id=e.dispute_id)

    @handles(Order.Released)
    def _released(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=RELEASED)

    @handles(Order.Refunded)
    def _refunded(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, status=REFUNDED)

    # -- the escrow --------------------------------------------------------------------------------

    @handles(Order.EscrowDisputed)
    def _escrow_disputed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, escrow_status=EscrowStatus.DISPUTED)
        if e.index is not None:
            _milestone(cursor, e, e.index, Milestone.with_dispute)

    @handles(Order.EscrowReleased, Order.EscrowRefunded, Order.EscrowResolved)
    def _escrow_settled(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        status = {
            "EscrowReleased": EscrowStatus.RELEASED,
            "EscrowRefunded": EscrowStatus.REFUNDED,
            "EscrowResolved": EscrowStatus.RESOLVED,
        }[type(e).__name__]
        _paid_out(cursor, e, position, e.payout, escrow_status=status)

    @handles(Order.ResolutionRequested)
    def _resolution_requested(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position)

    # -- milestones --------------------------------------------------------------------------------

    @handles(Order.MilestoneRequested)
    def _milestone_requested(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position)
        request = MilestoneRequest(e.kind)
        _milestone(cursor, e, e.index, lambda m: m.with_request(request))

    @handles(Order.MilestoneCompleted)
    def _milestone_completed(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position)
        _milestone(cursor, e, e.index, Milestone.with_completion)

    @handles(Order.MilestoneApproved)
    def _milestone_approved(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position)
        _milestone(cursor, e, e.index, Milestone.with_approval)

    @handles(Order.MilestoneReleased)
    def _milestone_released(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _paid_out(cursor, e, position, e.payout)
        _milestone(cursor, e, e.index, Milestone.with_release)

    @handles(Order.MilestoneResolved)
    def _milestone_resolved(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _paid_out(cursor, e, position, e.payout)
        _milestone(cursor, e, e.index, Milestone.with_resolution)

    # -- the saga ----------------------------------------------------------------------------------

    @handles(Order.StepPlanned)
    def _step_planned(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, planned_step=e.step)

    @handles(Order.Parked)
    def _parked(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, parked_step=e.step, park_reason=e.reason)

    @handles(Order.Retried)
    def _retried(self, cursor: Cursor[Any], e: Any, position: int) -> None:
        _update(cursor, e, position, parked_step=None, park_reason=None)


def _id(e: Any) -> str:
    return identifiers.public_id(identifiers.ORDER, e.originator_id)


def _update(cursor: Cursor[Any], e: Any, position: int, **columns: Any) -> None:
    assignments = "".join(f"{name} = %({name})s, " for name in columns)
    cursor.execute(
        f"UPDATE orders SET {assignments}updated_at = %(at)s,"  # noqa: S608
        " position = %(position)s WHERE order_id = %(id)s",
        {**columns, "at": e.timestamp, "position": position, "id": _id(e)},
    )


def _paid_out(
    cursor: Cursor[Any], e: Any, position: int, payout: dict[str, Any] | None, **columns: Any
) -> None:
    """A payout left the escrow: its balance drops by the gross amount."""
    total = PayoutRecord.from_record(payout).total_stroops if payout else 0
    cursor.execute(
        "UPDATE orders SET escrow_balance_stroops = escrow_balance_stroops - %s"
        " WHERE order_id = %s",
        (total, _id(e)),
    )
    _update(cursor, e, position, **columns)


def _milestone(
    cursor: Cursor[Any], e: Any, index: int, change: Callable[[Milestone], Milestone]
) -> None:
    """Applies one milestone's transition to its record (single-release orders list none, so
    nothing changes)."""
    row = cursor.execute(
        "SELECT milestones -> %s::int AS milestone FROM orders"
        " WHERE order_id = %s AND multi_release",
        (index, _id(e)),
    ).fetchone()
    if row is None or row["milestone"] is None:
        return
    changed = change(Milestone.from_record(row["milestone"]))
    cursor.execute(
        "UPDATE orders SET milestones = jsonb_set(milestones, %s, %s) WHERE order_id = %s",
        ([str(index)], Jsonb(changed.as_record()), _id(e)),
    )
