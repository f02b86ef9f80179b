"""Use cases for disputes: assign one for review, and decide it.

A decision is recorded on the dispute and on its order in one transaction; the order's escrow
saga then distributes the escrow by it on chain, and the dispute is RESOLVED when that lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.context import CommandContext
from application.ledger import Ledger
from domain import identifiers
from domain.disputes import Dispute, check_decision
from domain.errors import InvalidAmountError, ValidationError
from domain.money import Amount
from domain.order_states import (
    FULL_REFUND,
    FULL_RELEASE,
    SPLIT,
    OrderNotFoundError,
)
from domain.orders import Order


@dataclass(frozen=True, slots=True)
class DisputeResult:
    dispute: Dispute
    order: Order
    position: int | None


class Disputes:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def get(self, dispute_id: str) -> Dispute:
        return self._ledger.require(Dispute, _dispute_uuid(dispute_id))

    def reload(self, result: DisputeResult) -> DisputeResult:
        dispute = self._ledger.require(Dispute, result.dispute.id)
        return DisputeResult(dispute, self._order(dispute), result.position)

    def assign(self, dispute_id: str, assigned_to: str, context: CommandContext) -> DisputeResult:
        orders: list[Order] = []  # the dispute's order, as it was read with it

        def assign(dispute: Dispute) -> None:
            dispute.assign(assigned_to)
            orders[:] = [self._order(dispute)]

        return self._ledger.change(
            Dispute,
            _dispute_uuid(dispute_id),
            assign,
            context=context,
            outcome=lambda dispute, position: DisputeResult(dispute, orders[0], position),
        )

    def resolve(
        self,
        dispute_id: str,
        decision: str,
        release: Amount | None,
        refund: Amount | None,
        note: str | None,
        decided_by: str,
        context: CommandContext,
    ) -> DisputeResult:
        """Decides the dispute: FULL_RELEASE pays the seller, FULL_REFUND the buyer, SPLIT both,
        with `release` + `refund` equal to what the escrow holds. Amounts are what leaves the
        escrow; Trustless Work's fees come out of each share pro rata."""
        check_decision(decision)
        existing = self.get(dispute_id)
        orders: list[Order] = []  # the dispute's order, changed with it

        def decide(dispute: Dispute) -> list[Aggregate]:
            orders[:] = [self._order(dispute)]
            order = orders[0]
            release_stroops, refund_stroops = _shares(
                decision, release, refund, order.escrow_balance_stroops
            )
            dispute.decide(decision, release_stroops, refund_stroops, note, decided_by)
            order.request_resolution(decision, release_stroops, refund_stroops, decided_by)
            return [order]

        return self._ledger.change(
            Dispute,
            existing.id,
            decide,
            context=context,
            outcome=lambda dispute, position: DisputeResult(dispute, orders[0], position),
            touching=[_order_uuid(existing)],
        )

    def _order(self, dispute: Dispute) -> Order:
        missing = OrderNotFoundError("the dispute's order is missing", orderId=dispute.order_id)
        return self._ledger.require(Order, _order_uuid(dispute), missing)


def _dispute_uuid(dispute_id: str) -> UUID:
    return identifiers.parse_public_id(identifiers.DISPUTE, dispute_id)


def _order_uuid(dispute: Dispute) -> UUID:
    return identifiers.parse_public_id(identifiers.ORDER, dispute.order_id)


def _shares(
    decision: str, release: Amount | None, refund: Amount | None, balance: int
) -> tuple[int, int]:
    """(release, refund) in stroops for a decision; amounts given with a full decision must
    agree with it."""
    if decision == SPLIT:
        if release is None or refund is None:
            raise ValidationError(
                "a SPLIT needs releaseAmount and refundAmount", field="releaseAmount"
            )
        if release.is_zero() or refund.is_zero():
            raise InvalidAmountError(
                "a SPLIT pays both sides; use FULL_RELEASE or FULL_REFUND",
                field="releaseAmount",
            )
        return release.stroops, refund.stroops
    wanted = {FULL_RELEASE: (balance, 0), FULL_REFUND: (0, balance)}[decision]
    given = (
        release.stroops if release is not None else wanted[0],
        refund.stroops if refund is not None else wanted[1],
    )
    if given != wanted:
        raise InvalidAmountError(
            f"{decision} moves the whole escrow; leave the amounts out or match it",
            field="releaseAmount",
            escrowBalance=Amount(balance).to_wire(),
        )
    return wanted
