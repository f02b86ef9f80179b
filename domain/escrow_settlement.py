"""What an escrow transaction that landed does: to the order, the facts its events record, and
to the books, the postings that move the money.

The saga calls `record_step` once a step's transaction is in a ledger, with the order and the
buyer's and seller's accounts loaded; it changes them (the events carry the postings) and the
saga commits them together. Payouts use the contracts' own fee math (`escrow_fees`), so the
stroops each account receives are the stroops the chain moved. `EscrowSettlement` holds the
order's commands for these facts (a base of `Order`, beside the marketplace's in `OrderRules`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from domain import order_states as states
from domain.accounts import Account
from domain.escrow_fees import Payout, distribution_payout, release_payout
from domain.escrow_payouts import PayoutRecord, Rows
from domain.escrow_steps import APPROVE, COMPLETE, DEPLOY, DISPUTE, FUND, RELEASE, RESOLVE, Step
from domain.money import Amount
from domain.order_rules import Facts, OrderRules, clip_reason
from domain.order_states import BUYER, SELLER

# How a payout reads in the recipient's statement.
CREDIT_SOURCE: Final = {SELLER: "release", BUYER: "refund"}


class EscrowSettlement(OrderRules):
    """The order's commands for what the chain did; never instantiated itself."""

    def mark_deployed(self, contract_id: str, transaction_hash: str) -> None:
        self._require(states.ESCROW_CREATING)
        summary = {**self._summary(), "contractId": contract_id}
        escrow_id, multi = self.escrow_id, self.multi_release
        self.trigger_event(
            self.EscrowCreated,
            summary=summary,
            escrow_id=escrow_id,
            transaction_hash=transaction_hash,
            multi_release=multi,
        )
        self.trigger_event(self.AwaitingFunding, summary=summary, escrow_id=escrow_id)
        self._plan()

    def mark_funded(self, transaction_hash: str, funded_at: datetime) -> None:
        """The fund transaction is on chain: the money is in the escrow (the buyer's account
        records it leaving `reserved` in the same transaction)."""
        self._require_funding()
        release_at = self._auto_release_deadline(funded_at)
        self._record_escrow(
            self.EscrowFunded, transaction_hash=transaction_hash, funded_at=funded_at
        )
        self._record_escrow(self.Funded, funded_at=funded_at, auto_release_at=release_at)
        self._record_escrow(self.InProgress)
        self._plan()

    def funding_failed(self, reason: str, error_code: str | None) -> None:
        """The fund transaction moved nothing: the escrow is back to CREATED, the buyer's money
        still reserved, and funding may simply be asked again."""
        self._require_funding()
        self._record_escrow(
            self.FundingFailed, reason=clip_reason(reason) or "", error_code=error_code
        )
        self._plan()

    def _auto_release_deadline(self, funded_at: datetime) -> datetime | None:
        if not self.auto_release:
            return None
        if "afterSeconds" in self.auto_release:
            return funded_at + timedelta(seconds=self.auto_release["afterSeconds"])
        return datetime.fromisoformat(self.auto_release["at"])

    def mark_milestone_completed(self, index: int, transaction_hash: str) -> None:
        self._record_milestone(self.MilestoneCompleted, index, transaction_hash=transaction_hash)
        self._plan()

    def mark_milestone_approved(self, index: int, transaction_hash: str) -> None:
        self._record_milestone(self.MilestoneApproved, index, transaction_hash=transaction_hash)
        self._plan()

    def mark_escrow_disputed(self, index: int | None, transaction_hash: str) -> None:
        self._record_escrow(
            self.EscrowDisputed,
            index=index,
            opened_by=self.dispute_opened_by,
            transaction_hash=transaction_hash,
        )
        self._plan()

    # -- payouts -----------------------------------------------------------------------------

    def mark_milestone_paid(
        self,
        index: int,
        payout: Payout,
        balances_after: dict[str, int],
        tx_hash: str,
        at: datetime,
        *,
        resolved: bool,
    ) -> None:
        """One milestone of a multi-release escrow paid out: released to the seller, or
        distributed by a resolution (`resolved`). The last one paid settles the order."""
        self._record_milestone(
            self.MilestoneResolved if resolved else self.MilestoneReleased,
            index,
            payout=PayoutRecord.of(payout, balances_after).as_record(),
            postings=self.fee_postings(payout),
            transaction_hash=tx_hash,
        )
        if not self.held_milestones():
            self._settle(None, [], tx_hash, at)
        self._plan()

    def mark_settled(
        self, payout: Payout, balances_after: dict[str, int], transaction_hash: str, at: datetime
    ) -> None:
        """A single-release escrow paid out everything (release or resolution)."""
        postings = self.fee_postings(payout)
        record = PayoutRecord.of(payout, balances_after).as_record()
        self._settle(record, postings, transaction_hash, at)
        self._plan()

    def _settle(self, payout: Facts | None, postings: Rows, tx_hash: str, at: datetime) -> None:
        """The escrow is empty: record its end by the decision (resolved when disputed or split,
        else released or refunded), then the order's, then close. Multi-release payouts were
        recorded milestone by milestone (`payout` is None)."""
        assert self.resolution is not None
        decision = self.resolution.decision
        refund = decision == states.FULL_REFUND
        paid = {"payout": payout, "postings": postings, "transaction_hash": tx_hash, "at": at}
        if self.status == states.DISPUTED or decision == states.SPLIT:
            self._record_escrow(self.EscrowResolved, **paid, decision=decision)
        else:
            self._record_escrow(self.EscrowRefunded if refund else self.EscrowReleased, **paid)
        ended = {"at": at, "decision": decision, "outcome": self.payouts.outcome_record()}
        if refund:
            self._record_escrow(self.Refunded, **ended, reason=self.resolution.reason)
        else:
            self._record_escrow(self.Released, **ended)
        self._close(states.FINAL_STATUS_BY_DECISION[decision])


def record_step(
    order: EscrowSettlement,
    step: Step,
    transaction_hash: str,
    contract_id: str | None,
    accounts: dict[str, Account],
    now: datetime,
) -> None:
    """Records that `step`'s transaction is on chain. `accounts` holds the BUYER's and the
    SELLER's accounts; a deploy needs the new `contract_id`."""
    if step.action == DEPLOY:
        assert contract_id is not None, "a deploy records its contract"
        order.mark_deployed(contract_id, transaction_hash)
    elif step.action == FUND:
        accounts[BUYER].spend_reservation(
            Amount(order.amount_stroops, order.currency),
            hold_ref=order.public_id,
            reason="escrow_funded",
            counterparty=order.escrow_account,
        )
        order.mark_funded(transaction_hash, now)
    elif step.action == COMPLETE:
        order.mark_milestone_completed(_index(step), transaction_hash)
    elif step.action == APPROVE:
        order.mark_milestone_approved(_index(step), transaction_hash)
    elif step.action == DISPUTE:
        order.mark_escrow_disputed(step.index, transaction_hash)
    elif step.action == RELEASE:
        amount = (
            order.milestones[_index(step)].amount_stroops
            if order.multi_release
            else order.amount_stroops
        )
        payout = release_payout(amount, order.platform_fee_bps, SELLER)
        balances = _pay(order, payout, accounts, transaction_hash)
        if order.multi_release:
            order.mark_milestone_paid(
                _index(step), payout, balances, transaction_hash, now, resolved=False
            )
        else:
            order.mark_settled(payout, balances, transaction_hash, now)
    elif step.action == RESOLVE:
        payout = distribution_payout(list(step.distributions), order.platform_fee_bps)
        balances = _pay(order, payout, accounts, transaction_hash)
        if order.multi_release:
            order.mark_milestone_paid(
                _index(step), payout, balances, transaction_hash, now, resolved=True
            )
        else:
            order.mark_settled(payout, balances, transaction_hash, now)
    else:
        raise ValueError(f"unknown escrow action {step.action!r}")


def _pay(
    order: EscrowSettlement, payout: Payout, accounts: dict[str, Account], transaction_hash: str
) -> dict[str, int]:
    """Credits each recipient's net share out of the escrow; returns their available balances."""
    for party, amount in payout.net:
        if amount > 0:
            accounts[party].credit(
                Amount(amount, order.currency),
                source=CREDIT_SOURCE[party],
                counterparty=order.escrow_account,
                source_id=order.public_id,
                transaction_hash=transaction_hash,
            )
    return {party: accounts[party].available_stroops for party, _ in payout.net}


def _index(step: Step) -> int:
    assert step.index is not None, f"{step.name} names no milestone"
    return step.index
