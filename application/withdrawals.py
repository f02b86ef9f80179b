"""Use cases for withdrawals: request (validate, hold), cancel, park, retry, and pay.

A request is refused up front — nothing held — when the amount is outside the limits, the
address is malformed or not on chain, or it does not trust USDC. Otherwise the amount moves from
available to reserved in the same transaction that records the withdrawal, and the outbox relay
asks a worker to `pay`: the saga step of `withdrawal_payments.py` (sign, record, submit, and
settle the books by what the chain did).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from application.context import CommandContext
from application.fiat_withdrawals import FiatWithdrawals
from application.ledger import Ledger
from application.payment_providers import (
    DESTINATION_CRYPTO,
    FIAT_DESTINATIONS,
    ProviderNotEnabledError,
)
from application.ports import StellarNetwork, WalletKeys
from application.withdrawal_payments import WithdrawalPayments
from domain import identifiers
from domain.accounts import Account, account_id_for
from domain.chain import check_address
from domain.errors import DomainError, LimitExceededError, ValidationError
from domain.money import Amount
from domain.users import UserNotFoundError
from domain.wallets import ACTIVE, Wallet, WalletNotReadyError, wallet_id_for
from domain.withdrawals import Withdrawal, WithdrawalNotFoundError

DESTINATION_TYPES: Final = (DESTINATION_CRYPTO, *FIAT_DESTINATIONS)
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
        fiat: FiatWithdrawals | None = None,
    ) -> None:
        self._ledger = ledger
        self._fiat = fiat  # None unless PAYMENT_PROVIDERS includes airtm
        self._keys = keys
        self._network = network
        self._limits = limits
        self._clock = clock
        # The payment step is its own room; this door stays for the workers that ask for it.
        self._payments = WithdrawalPayments(ledger, keys, network, clock)

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
        commit: bool = True,
    ) -> WithdrawalRequested:
        """Validates, holds the amount and records the withdrawal; the payment follows (for a
        fiat destination, once the withdrawal is committed: at once when `commit`)."""
        if destination_type in FIAT_DESTINATIONS:
            self._check_common(amount, destination_type, description)
            changed = self.fiat.request(
                user_id, amount, destination_type, destination_ref, description, commit, context
            )
            assert changed.position is not None  # a request always records events
            return WithdrawalRequested(changed.withdrawal, changed.position)
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
            withdrawal.hold(account.available_stroops, account.reserved_stroops)
            return self._ledger.commit(
                account,
                withdrawal,
                context=context,
                outcome=lambda position: WithdrawalRequested(withdrawal, position),
            )

        return self._ledger.run(hold_and_record, touching=[account_id_for(user_id)])

    def pay(self, withdrawal_uuid: UUID, context: CommandContext) -> None:
        """The saga step: put exactly one payment on chain and settle the books by it (or, for
        a fiat withdrawal, create and commit its payout at the provider)."""
        found = self._ledger.get(Withdrawal, withdrawal_uuid)
        if found is not None and found.is_fiat:
            self.fiat.advance(withdrawal_uuid, context)
        else:
            self._payments.pay(withdrawal_uuid, context)

    @property
    def fiat(self) -> FiatWithdrawals:
        if self._fiat is None:
            raise ProviderNotEnabledError(
                "fiat withdrawals need the airtm payment provider (PAYMENT_PROVIDERS=crypto,airtm)",
                field="destinationType",
            )
        return self._fiat

    def cancel(
        self, withdrawal_id: str, canceled_by: str, reason: str | None, context: CommandContext
    ) -> Withdrawal:
        withdrawal_uuid = _withdrawal_uuid(withdrawal_id)
        found = self._ledger.get(Withdrawal, withdrawal_uuid)

        def cancel(withdrawal: Withdrawal) -> list[Aggregate]:
            account = self._ledger.require(Account, account_id_for(withdrawal.user_id))
            withdrawal.cancel(canceled_by, reason)
            account.release_reservation(hold_ref=withdrawal.public_id, reason="withdrawal_canceled")
            return [account]

        return self._ledger.change(
            Withdrawal,
            withdrawal_uuid,
            cancel,
            context=context,
            missing=WithdrawalNotFoundError("withdrawal not found"),
            outcome=lambda withdrawal, position: withdrawal,
            touching=[account_id_for(found.user_id)] if found is not None else [],
        )

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

    def _check_common(self, amount: Amount, destination_type: str, description: str | None) -> None:
        if destination_type not in DESTINATION_TYPES:
            raise ValidationError(
                f"destinationType must be one of {', '.join(DESTINATION_TYPES)}",
                field="destinationType",
            )
        if description is not None and len(description) > DESCRIPTION_LENGTH_MAX:
            raise ValidationError("description is too long", field="description")
        low, high = self._limits.min_stroops, self._limits.max_stroops
        if not low <= amount.stroops <= high:
            raise LimitExceededError(
                f"withdrawals must be between {Amount(low).to_wire()} and {Amount(high).to_wire()}",
                limit="withdrawal",
                min=Amount(low).to_wire(),
                max=Amount(high).to_wire(),
            )

    def _check_request(
        self,
        user_id: str,
        amount: Amount,
        destination_type: str,
        destination_ref: str,
        description: str | None,
    ) -> Wallet:
        self._check_common(amount, destination_type, description)
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


def _withdrawal_uuid(withdrawal_id: str) -> UUID:
    return identifiers.parse_public_id(identifiers.WITHDRAWAL, withdrawal_id)
