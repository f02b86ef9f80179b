"""Use cases for withdrawals: request (validate, hold), pay (the saga step), cancel, park, retry.

A request is refused up front — nothing held — when the amount is outside the limits, the
address is malformed or not on chain, or it does not trust USDC. Otherwise the amount moves from
available to reserved in the same transaction that records the withdrawal, and the outbox relay
asks a worker to `pay`: sign, record, submit, and settle the books by what the chain did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from application.chain_steps import StepPending, deadline, needs_new_envelope, settle
from application.context import CommandContext
from application.ledger import Ledger
from application.ports import Outcome, StellarNetwork, Submission, WalletKeys
from domain import identifiers
from domain.accounts import Account, account_id_for
from domain.chain import SignedEnvelope, check_address
from domain.errors import DomainError, LimitExceededError, ValidationError
from domain.money import Amount
from domain.postings import EXTERNAL_STELLAR
from domain.users import UserNotFoundError
from domain.wallets import ACTIVE, Wallet, WalletNotReadyError, wallet_id_for
from domain.withdrawals import STEP_PAY, Withdrawal, WithdrawalNotFoundError

DESTINATION_TYPES: Final = ("crypto",)
DESCRIPTION_LENGTH_MAX: Final = 500


class WithdrawalDestinationInvalidError(DomainError):
    code = "WITHDRAWAL_DESTINATION_INVALID"


@dataclass(frozen=True, slots=True)
class WithdrawalLimits:
    min_stroops: int
    max_stroops: int


@dataclass(frozen=True, slots=True)
class WithdrawalRequested:
    withdrawal: Withdrawal
    position: int


class Withdrawals:
    def __init__(
        self,
        ledger: Ledger,
        keys: WalletKeys,
        network: StellarNetwork,
        limits: WithdrawalLimits,
        clock: Callable[[], datetime],
    ) -> None:
        self._ledger = ledger
        self._keys = keys
        self._network = network
        self._limits = limits
        self._clock = clock

    def get(self, withdrawal_id: str) -> Withdrawal:
        return self._ledger.require(Withdrawal, _withdrawal_uuid(withdrawal_id))

    def request(
        self,
        user_id: str,
        amount: Amount,
        destination_type: str,
        destination_ref: str,
        description: str | None,
        context: CommandContext,
    ) -> WithdrawalRequested:
        """Validates, holds the amount and records the withdrawal; the payment follows."""
        wallet = self._check_request(
            user_id, amount, destination_type, destination_ref, description
        )
        withdrawal_uuid = uuid4()

        def hold_and_record() -> WithdrawalRequested:
            account = self._ledger.get(Account, account_id_for(user_id))
            assert account is not None
            withdrawal = Withdrawal(
                id=withdrawal_uuid,
                user_id=user_id,
                source_address=wallet.address,
                amount_stroops=amount.stroops,
                currency=amount.currency,
                destination_type=destination_type,
                destination_ref=destination_ref,
                description=description,
            )
            account.reserve(amount, hold_ref=withdrawal.public_id)
            withdrawal.commit(account.available_stroops, account.reserved_stroops)
            return self._ledger.commit(
                account,
                withdrawal,
                context=context,
                outcome=lambda position: WithdrawalRequested(withdrawal, position),
            )

        return self._ledger.run(hold_and_record, touching=[account_id_for(user_id)])

    def pay(self, withdrawal_uuid: UUID, context: CommandContext) -> None:
        """The saga step: put exactly one payment on chain and settle the books by it."""
        withdrawal = self._ledger.get(Withdrawal, withdrawal_uuid)
        if withdrawal is None or withdrawal.step != STEP_PAY or withdrawal.parked_step:
            return
        envelope = withdrawal.envelope or self._record_envelope(withdrawal_uuid, context)
        if envelope is None:
            return  # canceled or settled meanwhile
        submission = settle(self._network, envelope, self._clock)
        if submission.outcome is Outcome.UNKNOWN:
            raise StepPending(f"payment outcome unknown ({submission.detail})")
        if submission.outcome is Outcome.APPLIED:
            self._settle(withdrawal_uuid, context, lambda w, a: self._completed(w, a, submission))
        elif needs_new_envelope(submission):
            self._ledger.change(
                Withdrawal,
                withdrawal_uuid,
                lambda w: w.void_envelope(",".join(submission.codes)),
                context=context,
                outcome=lambda w, position: None,
            )
            raise StepPending(f"stale payment envelope ({','.join(submission.codes)})")
        else:
            self._settle(withdrawal_uuid, context, lambda w, a: self._failed(w, a, submission))

    def cancel(
        self, withdrawal_id: str, canceled_by: str, reason: str | None, context: CommandContext
    ) -> Withdrawal:
        withdrawal_uuid = _withdrawal_uuid(withdrawal_id)

        def cancel(withdrawal: Withdrawal, account: Account) -> None:
            withdrawal.cancel(canceled_by, reason)
            account.release_reservation(hold_ref=withdrawal.public_id, reason="withdrawal_canceled")

        self._settle(withdrawal_uuid, context, cancel, saga=False)
        return self.get(withdrawal_id)

    def park(self, withdrawal_uuid: UUID, reason: str, context: CommandContext) -> None:
        """Parks the payment step (nothing when the withdrawal settled meanwhile)."""
        self._ledger.change(
            Withdrawal,
            withdrawal_uuid,
            lambda w: w.park(w.step, reason) if w.step else None,
            context=context,
            missing=WithdrawalNotFoundError("withdrawal not found"),
            outcome=lambda w, position: None,
        )

    def retry(self, withdrawal_uuid: UUID, context: CommandContext) -> int:
        return self._ledger.change(
            Withdrawal,
            withdrawal_uuid,
            Withdrawal.retry,
            context=context,
            missing=WithdrawalNotFoundError("withdrawal not found"),
            outcome=lambda w, position: position or 0,
        )

    # -- internals ----------------------------------------------------------------------------

    def _check_request(
        self,
        user_id: str,
        amount: Amount,
        destination_type: str,
        destination_ref: str,
        description: str | None,
    ) -> Wallet:
        if destination_type not in DESTINATION_TYPES:
            raise ValidationError("destinationType must be 'crypto'", field="destinationType")
        if description is not None and len(description) > DESCRIPTION_LENGTH_MAX:
            raise ValidationError("description is too long", field="description")
        low, high = self._limits.min_stroops, self._limits.max_stroops
        if not low <= amount.stroops <= high:
            raise LimitExceededError(
                f"withdrawals must be between {Amount(low).to_wire()} and {Amount(high).to_wire()}",
                min=Amount(low).to_wire(),
                max=Amount(high).to_wire(),
            )
        check_address(destination_ref, field="destinationRef")
        wallet = self._ledger.get(Wallet, wallet_id_for(user_id))
        if self._ledger.get(Account, account_id_for(user_id)) is None or wallet is None:
            raise UserNotFoundError("user not found", userId=user_id)
        if wallet.status != ACTIVE:
            raise WalletNotReadyError("the user's wallet is not active yet", status=wallet.status)
        if destination_ref == wallet.address:
            raise WithdrawalDestinationInvalidError("cannot withdraw to the same wallet")
        destination = self._network.account(destination_ref)
        if destination is None:
            raise WithdrawalDestinationInvalidError(
                "the destination account does not exist on chain", destinationRef=destination_ref
            )
        if not destination.trusts_usdc:
            raise WithdrawalDestinationInvalidError(
                "the destination account does not trust USDC", destinationRef=destination_ref
            )
        return wallet

    def _record_envelope(
        self, withdrawal_uuid: UUID, context: CommandContext
    ) -> SignedEnvelope | None:
        """The payment's recorded envelope, signing and recording one if there is none; None
        when the withdrawal left the pay step meanwhile (canceled)."""

        def sign_once(withdrawal: Withdrawal) -> None:
            if withdrawal.step != STEP_PAY or withdrawal.envelope is not None:
                return
            envelope = self._keys.sign_payment(
                STEP_PAY,
                withdrawal.source_address,
                withdrawal.destination_ref,
                withdrawal.amount_stroops,
                self._network.usdc_asset,
                deadline(self._clock()),
            )
            withdrawal.record_envelope(envelope)

        return self._ledger.change(
            Withdrawal,
            withdrawal_uuid,
            sign_once,
            context=context,
            outcome=lambda w, position: w.envelope if w.step == STEP_PAY else None,
        )

    @staticmethod
    def _completed(withdrawal: Withdrawal, account: Account, submission: Submission) -> None:
        withdrawal.complete(submission.transaction_hash, submission.ledger)
        account.spend_reservation(
            Amount(withdrawal.amount_stroops, withdrawal.currency),
            hold_ref=withdrawal.public_id,
            reason="withdrawal_completed",
            counterparty=EXTERNAL_STELLAR,
        )

    @staticmethod
    def _failed(withdrawal: Withdrawal, account: Account, submission: Submission) -> None:
        code = submission.error_code
        withdrawal.fail(submission.detail or f"the payment failed: {code}", code)
        account.release_reservation(hold_ref=withdrawal.public_id, reason="withdrawal_failed")

    def _settle(
        self,
        withdrawal_uuid: UUID,
        context: CommandContext,
        change: Callable[[Withdrawal, Account], None],
        *,
        saga: bool = True,
    ) -> None:
        """Changes the withdrawal and its user's account together, in one transaction. For the
        saga, a withdrawal another worker already settled is left alone (redelivery)."""

        def settle(withdrawal: Withdrawal) -> list[Aggregate]:
            if saga and withdrawal.is_terminal:
                return []
            account = self._ledger.get(Account, account_id_for(withdrawal.user_id))
            assert account is not None
            change(withdrawal, account)
            return [account]

        withdrawal = self._ledger.get(Withdrawal, withdrawal_uuid)
        self._ledger.change(
            Withdrawal,
            withdrawal_uuid,
            settle,
            context=context,
            missing=WithdrawalNotFoundError("withdrawal not found"),
            outcome=lambda w, position: None,
            touching=[account_id_for(withdrawal.user_id)] if withdrawal is not None else [],
        )


def _withdrawal_uuid(withdrawal_id: str) -> UUID:
    return identifiers.parse_public_id(identifiers.WITHDRAWAL, withdrawal_id)
