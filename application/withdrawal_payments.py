"""A withdrawal's saga step: exactly one USDC payment on chain, and the books settled by it.

`prepare` signs the payment and records its envelope before anything is submitted (or finds the
one recorded). The payment carries the MEMO_HASH of the withdrawal's id, and before signing a
new one the step reads the wallet's history for a payment with that memo: a log restored from
a backup taken before the payment was recorded then records the payment the chain holds
instead of paying again (`chain_recall`). `submit` settles that envelope
(`chain_steps.settle`: looked up first, the same bytes resubmitted only while they can land);
`conclude` records what the chain did. In a ledger and successful: the withdrawal completes and
its hold leaves the books. Stale (a sequence or time-bounds rejection): the envelope is voided
and the next attempt signs a fresh one. Failed in a ledger or refused for good: the withdrawal
fails and the hold returns to available. A withdrawal already settled by another worker is left
alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from application import chain_recall, sagas
from application.chain_steps import StepPending, deadline, needs_new_envelope, settle
from application.context import CommandContext
from application.ledger import Ledger
from application.ports import Outcome, StellarNetwork, Submission, WalletKeys
from domain.accounts import Account, account_id_for
from domain.chain import SignedEnvelope, memo_hash_of
from domain.money import Amount
from domain.postings import EXTERNAL_STELLAR
from domain.withdrawals import STEP_PAY, Withdrawal


@dataclass(frozen=True, slots=True)
class PreparedPayment:
    """A payment ready to submit: its envelope is recorded in the log."""

    withdrawal_id: UUID
    user_id: str
    envelope: SignedEnvelope


class WithdrawalPayments:
    """The payment step of every withdrawal (a `sagas.SagaStep`)."""

    def __init__(
        self,
        ledger: Ledger,
        keys: WalletKeys,
        network: StellarNetwork,
        clock: Callable[[], datetime],
    ) -> None:
        self._ledger = ledger
        self._keys = keys
        self._network = network
        self._clock = clock

    def pay(self, withdrawal_uuid: UUID, context: CommandContext) -> None:
        """Puts the withdrawal's payment on chain once and settles the books by it."""
        sagas.advance(self, withdrawal_uuid, context)

    def prepare(self, withdrawal_uuid: UUID, context: CommandContext) -> PreparedPayment | None:
        withdrawal = self._ledger.get(Withdrawal, withdrawal_uuid)
        if withdrawal is None or withdrawal.step != STEP_PAY or withdrawal.parked_step:
            return None
        envelope = withdrawal.envelope or self._sign(withdrawal_uuid, context)
        if envelope is None:
            return None  # canceled or settled meanwhile
        return PreparedPayment(withdrawal_uuid, withdrawal.user_id, envelope)

    def submit(self, prepared: PreparedPayment) -> Submission:
        return settle(self._network, prepared.envelope, self._clock)

    def conclude(
        self, prepared: PreparedPayment, submission: Submission, context: CommandContext
    ) -> None:
        if submission.outcome is Outcome.UNKNOWN:
            raise StepPending(f"payment outcome unknown ({submission.detail})")
        if needs_new_envelope(submission):
            codes = ",".join(submission.codes)
            self._ledger.change(
                Withdrawal,
                prepared.withdrawal_id,
                lambda withdrawal: withdrawal.void_envelope(codes),
                context=context,
                outcome=lambda withdrawal, position: None,
            )
            raise StepPending(f"stale payment envelope ({codes})")

        def settle_books(withdrawal: Withdrawal) -> list[Aggregate]:
            if withdrawal.is_terminal:
                return []  # another worker settled it (a redelivered message)
            account = self._ledger.require(Account, account_id_for(withdrawal.user_id))
            if submission.outcome is Outcome.APPLIED:
                _completed(withdrawal, account, submission)
            else:
                _failed(withdrawal, account, submission)
            return [account]

        self._ledger.change(
            Withdrawal,
            prepared.withdrawal_id,
            settle_books,
            context=context,
            outcome=lambda withdrawal, position: None,
            touching=[account_id_for(prepared.user_id)],
        )

    def _sign(self, withdrawal_uuid: UUID, context: CommandContext) -> SignedEnvelope | None:
        """The payment's recorded envelope, signing and recording one if there is none; None
        when the withdrawal left the pay step meanwhile (canceled)."""

        def sign_once(withdrawal: Withdrawal) -> None:
            if withdrawal.step != STEP_PAY or withdrawal.envelope is not None:
                return
            memo_hash = memo_hash_of(withdrawal.public_id)
            paid = chain_recall.recall(
                self._network,
                withdrawal.source_address,
                withdrawal.modified_on,
                chain_recall.pays_memo(memo_hash),
            )
            if paid is not None:  # paid before the log was restored: record it, pay nothing
                withdrawal.record_envelope(chain_recall.as_envelope(STEP_PAY, paid))
                return
            envelope = self._keys.sign_payment(
                STEP_PAY,
                withdrawal.source_address,
                withdrawal.destination_ref,
                withdrawal.amount_stroops,
                self._network.usdc_asset,
                deadline(self._clock()),
                memo_hash=memo_hash,
            )
            withdrawal.record_envelope(envelope)

        return self._ledger.change(
            Withdrawal,
            withdrawal_uuid,
            sign_once,
            context=context,
            outcome=lambda withdrawal, _: (
                withdrawal.envelope if withdrawal.step == STEP_PAY else None
            ),
        )


def _envelope_to_pay(withdrawal: Withdrawal) -> SignedEnvelope | None:
    return withdrawal.envelope if withdrawal.step == STEP_PAY else None


def _completed(withdrawal: Withdrawal, account: Account, submission: Submission) -> None:
    withdrawal.complete(submission.transaction_hash, submission.stellar_ledger_sequence)
    account.spend_reservation(
        Amount(withdrawal.amount_stroops, withdrawal.currency),
        hold_ref=withdrawal.public_id,
        reason="withdrawal_completed",
        counterparty=EXTERNAL_STELLAR,
    )


def _failed(withdrawal: Withdrawal, account: Account, submission: Submission) -> None:
    code = submission.error_code
    withdrawal.fail(submission.detail or f"the payment failed: {code}", code)
    account.release_reservation(hold_ref=withdrawal.public_id, reason="withdrawal_failed")
