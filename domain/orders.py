"""An order and the Trustless Work escrow that holds its money: the aggregate, as the events it
records.

Each `@event` method below declares one stored event (its parameters are the event's fields) and
what it does to the order's state; nothing else. The rules that decide which events to record
are its bases: `OrderRules` (`domain/order_rules.py`: the marketplace's requests, the saga's
plans and parking, the guards) and `EscrowSettlement` (`domain/escrow_settlement.py`: what the
chain did, payouts included). This module keeps its path, the class its name and every `@event`
name: event topics are `domain.orders:Order.<Name>`, stored in the log and filtered on by the
read models (`tests/unit/event_topics.txt` pins them). The bodies are pure: the frozen values
they build (`Milestone`, `PayoutRecord`, `Resolution`, `StepProgress`) come from the stored
records, which stay exactly as they were written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import event

from domain import order_states as states
from domain.chain import SignedEnvelope
from domain.escrow_payouts import PayoutRecord, PayoutTotals, Resolution, Rows
from domain.escrow_settlement import EscrowSettlement
from domain.milestones import Milestone, MilestoneRequest
from domain.order_rules import escrow_id_for
from domain.order_states import EscrowStatus
from domain.saga_steps import StepProgress

IMPLICIT_MILESTONE: Final = "default"  # the one milestone of an order created without any

Summary = dict[str, Any]  # buyerId, sellerId, amountStroops, currency, contractId
Record = dict[str, Any]  # a milestone or a payout as events store it

__all__ = ["IMPLICIT_MILESTONE", "Order", "escrow_id_for"]


class Order(EscrowSettlement):
    @event("Created")
    def __init__(
        self,
        id: UUID,
        buyer_id: str,
        seller_id: str,
        amount_stroops: int,
        currency: str,
        title: str,
        description: str | None,
        client_order_ref: str | None,
        marketplace_metadata: dict[str, Any] | None,
        platform_fee_bps: int,
        auto_release: dict[str, Any] | None,
        milestones: list[Record],
    ) -> None:
        self.buyer_id, self.seller_id = buyer_id, seller_id
        self.amount_stroops, self.currency = amount_stroops, currency
        self.title, self.description = title, description
        # Named apart from `metadata`, which the ledger stamps on every event (who asked, why).
        self.client_order_ref, self.metadata = client_order_ref, marketplace_metadata
        self.platform_fee_bps = platform_fee_bps
        self.auto_release = auto_release
        self.auto_release_at = None
        self.multi_release = bool(milestones)
        self.milestones = [Milestone.from_record(m) for m in milestones] or [
            Milestone(IMPLICIT_MILESTONE, title, amount_stroops)
        ]
        self.status = states.ORDER_CREATED
        self.escrow_status = None
        self.contract_id = None
        self.escrow_balance_stroops = 0
        self.escrow_disputed = False
        self.planned_step = None
        self.progress = StepProgress()
        self.resolution = None
        self.dispute_id = None
        self.dispute_opened_by = None
        self.payouts = PayoutTotals()
        self.funded_at = None
        self.final_status = None

    @classmethod
    def open(cls, *, milestones: list[Milestone], **terms: Any) -> Order:
        """A new order (ORDER_CREATED); `terms` are the `Created` event's other fields."""
        return cls(milestones=[m.as_record() for m in milestones], **terms)

    @event("FundsReserved")
    def _funds_reserved(
        self, summary: Summary, available_after_stroops: int, reserved_after_stroops: int
    ) -> None:
        self.status = states.FUNDS_RESERVED

    @event("Canceled")
    def _canceled(
        self, summary: Summary, canceled_by: str, reason: str | None, funds_released: bool
    ) -> None:
        self.status = states.CLOSED

    @event("Closed")
    def _closed(self, summary: Summary, final_status: str) -> None:
        self.status = states.CLOSED
        self.final_status = final_status
        self.progress = self.progress.resumed()

    @event("EscrowCreating")
    def _escrow_creating(self, summary: Summary, escrow_id: str) -> None:
        self.status = states.ESCROW_CREATING
        self.escrow_status = EscrowStatus.CREATING

    @event("EscrowCreated")
    def _escrow_created(
        self, summary: Summary, escrow_id: str, transaction_hash: str, multi_release: bool
    ) -> None:
        self.contract_id = summary["contractId"]
        self.escrow_status = EscrowStatus.CREATED

    @event("AwaitingFunding")
    def _awaiting_funding(self, summary: Summary, escrow_id: str) -> None:
        self.status = states.ESCROW_FUNDING

    @event("FundingStarted")
    def _funding_started(self, summary: Summary, escrow_id: str) -> None:
        self.escrow_status = EscrowStatus.FUNDING

    @event("EscrowFunded")
    def _escrow_funded(
        self, summary: Summary, escrow_id: str, transaction_hash: str, funded_at: datetime
    ) -> None:
        self.escrow_status = EscrowStatus.FUNDED
        self.escrow_balance_stroops = summary["amountStroops"]
        self.funded_at = funded_at

    @event("Funded")
    def _order_funded(
        self,
        summary: Summary,
        escrow_id: str,
        funded_at: datetime,
        auto_release_at: datetime | None,
    ) -> None:
        self.status = states.ESCROW_FUNDED
        self.auto_release_at = auto_release_at

    @event("InProgress")
    def _in_progress(self, summary: Summary, escrow_id: str) -> None:
        self.status = states.IN_PROGRESS
        self.progress = self.progress.resumed()

    @event("FundingFailed")
    def _funding_failed(
        self, summary: Summary, escrow_id: str, reason: str, error_code: str | None
    ) -> None:
        self.escrow_status = EscrowStatus.CREATED
        self.progress = self.progress.without_envelope("fund").resumed()

    @event("MilestoneRequested")
    def _milestone_requested(self, summary: Summary, index: int, ref: str, kind: str) -> None:
        self.milestones[index] = self.milestones[index].with_request(MilestoneRequest(kind))

    @event("MilestoneCompleted")
    def _milestone_completed(
        self, summary: Summary, escrow_id: str, index: int, milestone: Record, transaction_hash: str
    ) -> None:
        self.milestones[index] = self.milestones[index].with_completion()

    @event("MilestoneApproved")
    def _milestone_approved(
        self, summary: Summary, escrow_id: str, index: int, milestone: Record, transaction_hash: str
    ) -> None:
        self.milestones[index] = self.milestones[index].with_approval()

    @event("MilestoneReleased")
    def _milestone_released(
        self,
        summary: Summary,
        escrow_id: str,
        index: int,
        milestone: Record,
        payout: Record,
        postings: Rows,
        transaction_hash: str,
    ) -> None:
        self.milestones[index] = self.milestones[index].with_release()
        self._pay_out(payout, resolution=False)

    @event("MilestoneResolved")
    def _milestone_resolved(
        self,
        summary: Summary,
        escrow_id: str,
        index: int,
        milestone: Record,
        payout: Record,
        postings: Rows,
        transaction_hash: str,
    ) -> None:
        self.milestones[index] = self.milestones[index].with_resolution()
        self._pay_out(payout, resolution=True)

    @event("ReleaseRequested")
    def _release_requested(self, summary: Summary, requested_by: str) -> None:
        self.status = states.RELEASE_REQUESTED
        self.resolution = Resolution(states.FULL_RELEASE)

    @event("RefundRequested")
    def _refund_requested(
        self, summary: Summary, requested_by: str, reason: str, allocations: list[list[int]]
    ) -> None:
        self.status = states.REFUND_REQUESTED
        self.resolution = Resolution.of(states.FULL_REFUND, allocations, reason)

    @event("Disputed")
    def _disputed(
        self, summary: Summary, escrow_id: str, dispute_id: str, opened_by: str, reason: str
    ) -> None:
        self.status = states.DISPUTED
        self.dispute_id, self.dispute_opened_by = dispute_id, opened_by

    @event("ResolutionRequested")
    def _resolution_requested(
        self,
        summary: Summary,
        dispute_id: str | None,
        decision: str,
        release_stroops: int,
        refund_stroops: int,
        decided_by: str,
        allocations: list[list[int]],
    ) -> None:
        self.resolution = Resolution.of(decision, allocations)

    @event("EscrowDisputed")
    def _escrow_disputed(
        self,
        summary: Summary,
        escrow_id: str,
        index: int | None,
        opened_by: str | None,
        transaction_hash: str,
    ) -> None:
        if index is None:
            self.escrow_disputed = True
        else:
            self.milestones[index] = self.milestones[index].with_dispute()
        self.escrow_status = EscrowStatus.DISPUTED

    @event("EscrowReleased")
    def _escrow_released(
        self,
        summary: Summary,
        escrow_id: str,
        payout: Record | None,
        postings: Rows,
        transaction_hash: str,
        at: datetime,
    ) -> None:
        self.escrow_status = EscrowStatus.RELEASED
        self._pay_out(payout, resolution=False)

    @event("EscrowRefunded")
    def _escrow_refunded(
        self,
        summary: Summary,
        escrow_id: str,
        payout: Record | None,
        postings: Rows,
        transaction_hash: str,
        at: datetime,
    ) -> None:
        self.escrow_status = EscrowStatus.REFUNDED
        self._pay_out(payout, resolution=False)

    @event("EscrowResolved")
    def _escrow_resolved(
        self,
        summary: Summary,
        escrow_id: str,
        payout: Record | None,
        postings: Rows,
        transaction_hash: str,
        at: datetime,
        decision: str,
    ) -> None:
        self.escrow_status = EscrowStatus.RESOLVED
        self._pay_out(payout, resolution=True)

    def _pay_out(self, payout: Record | None, *, resolution: bool) -> None:
        """What a payout event does to the state (a helper of event bodies: pure)."""
        if payout is None:
            return
        paid = PayoutRecord.from_record(payout)
        self.escrow_balance_stroops -= paid.total_stroops
        self.payouts = self.payouts.adding(paid, resolution=resolution)

    @event("Released")
    def _released(
        self, summary: Summary, escrow_id: str, at: datetime, decision: str, outcome: Record
    ) -> None:
        self.status = states.RELEASED

    @event("Refunded")
    def _refunded(
        self,
        summary: Summary,
        escrow_id: str,
        at: datetime,
        decision: str,
        reason: str | None,
        outcome: Record,
    ) -> None:
        self.status = states.REFUNDED

    @event("StepPlanned")
    def _step_planned(self, summary: Summary, step: str | None, status: str) -> None:
        self.planned_step = step

    @event("EnvelopeSigned")
    def _envelope_signed(self, summary: Summary, envelope: dict[str, str]) -> None:
        self.progress = self.progress.with_envelope(SignedEnvelope.from_record(envelope))

    @event("EnvelopeVoided")
    def _envelope_voided(
        self, summary: Summary, step: str, transaction_hash: str, reason: str
    ) -> None:
        self.progress = self.progress.without_envelope(step)

    @event("Parked")
    def _parked(self, summary: Summary, step: str, reason: str) -> None:
        self.progress = self.progress.parked_at(step, reason)

    @event("Retried")
    def _retried(self, summary: Summary, step: str) -> None:
        self.progress = self.progress.resumed()
