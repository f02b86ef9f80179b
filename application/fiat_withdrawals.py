"""Use cases for withdrawals through the fiat ramp: request (validate, link, hold), commit,
refresh, and the saga's step at the provider.

Hold, then finalize: a request holds the amount (available → reserved) in the same transaction
that records the withdrawal; the saga creates the provider's payout (uncommitted) under the
withdrawal's public id as its `code`; a commit (in the request, or `POST …/commit`) lets the
saga commit it. The books follow the provider's reports through `fiat_settlement.settle_payout`:
the hold leaves the books once when the payout completes, or returns once when it fails or is
canceled. A worker killed after calling the provider and before recording finds the payout by
its code (create) or reads its status first (commit), so nothing is paid twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from application import sagas
from application.airtm_links import AirtmLinks
from application.context import CommandContext
from application.fiat_settlement import settle_payout
from application.ledger import Ledger
from application.payment_providers import FiatProvider, Payout, PayoutRequest
from domain import identifiers
from domain.accounts import Account, account_id_for
from domain.errors import ProviderError, ProviderTimeoutError, ProviderUnavailableError
from domain.money import Amount
from domain.topups import check_cents
from domain.withdrawals import STEP_COMMIT_PAYOUT, STEP_CREATE_PAYOUT, Withdrawal

# How many steps one actor run may take (create the payout, then commit it).
STEPS_PER_RUN_MAX: Final = 2
NOTES: Final = "Withdrawal"


@dataclass(frozen=True, slots=True)
class FiatWithdrawalChanged:
    withdrawal: Withdrawal
    position: int | None
    contradiction: str | None = None


@dataclass(frozen=True, slots=True)
class PayoutStep:
    withdrawal_id: UUID
    user_id: str
    step: str
    payout_id: str | None
    request: PayoutRequest


@dataclass(frozen=True, slots=True)
class PayoutAnswer:
    payout: Payout | None
    refusal: ProviderError | None = None


class FiatWithdrawals:
    def __init__(
        self, ledger: Ledger, provider: FiatProvider, links: AirtmLinks, fee_bps: int
    ) -> None:
        self._ledger = ledger
        self._provider = provider
        self._links = links
        self._fee_bps = fee_bps

    def request(
        self,
        user_id: str,
        amount: Amount,
        destination_type: str,
        destination_ref: str,
        description: str | None,
        commit: bool,
        context: CommandContext,
    ) -> FiatWithdrawalChanged:
        """Holds the amount and records the withdrawal (committed too when `commit`). The
        outcome is what the edge renders, also inside the commit for an Idempotency-Key's
        stored answer, so it is the same shape as every other withdrawal change."""
        check_cents(amount.stroops)
        link = self._links.linked(user_id)
        self._links.eligible(link.email)
        withdrawal_uuid = uuid4()

        def hold_and_record() -> FiatWithdrawalChanged:
            account = self._ledger.require(Account, account_id_for(user_id))
            withdrawal = Withdrawal(
                id=withdrawal_uuid,
                user_id=user_id,
                source_address=link.email,  # the AirTM account the payout is for
                amount_stroops=amount.stroops,
                currency=amount.currency,
                destination_type=destination_type,
                destination_ref=destination_ref,
                description=description,
            )
            account.reserve(amount, hold_ref=withdrawal.public_id)
            if commit:
                withdrawal.commit(account.available_stroops, account.reserved_stroops)
            return self._ledger.commit(
                account,
                withdrawal,
                context=context,
                outcome=lambda position: FiatWithdrawalChanged(withdrawal, position),
            )

        return self._ledger.run(hold_and_record, touching=[account_id_for(user_id)])

    def commit(self, withdrawal_uuid: UUID, context: CommandContext) -> FiatWithdrawalChanged:
        def commit(withdrawal: Withdrawal) -> None:
            account = self._ledger.require(Account, account_id_for(withdrawal.user_id))
            withdrawal.commit(account.available_stroops, account.reserved_stroops)

        return self._ledger.change(
            Withdrawal,
            withdrawal_uuid,
            commit,
            context=context,
            outcome=lambda w, position: FiatWithdrawalChanged(w, position),
        )

    def refresh(self, withdrawal_uuid: UUID, context: CommandContext) -> FiatWithdrawalChanged:
        withdrawal = self._ledger.require(Withdrawal, withdrawal_uuid)
        if withdrawal.is_terminal:
            return FiatWithdrawalChanged(withdrawal, None)
        payout = (
            self._provider.payout(withdrawal.payout_id)
            if withdrawal.payout_id is not None
            else self._provider.find_payout(withdrawal.public_id)
        )
        if payout is None:
            return FiatWithdrawalChanged(withdrawal, None)
        return self.apply(payout, context)

    def apply(self, payout: Payout, context: CommandContext) -> FiatWithdrawalChanged:
        """Applies the provider's report of a payout to its withdrawal and the user's account."""
        uuid = identifiers.parse_public_id(identifiers.WITHDRAWAL, payout.code)
        found = self._ledger.require(Withdrawal, uuid)
        noted: list[str | None] = [None]

        def settle(withdrawal: Withdrawal) -> list[Aggregate]:
            account = self._ledger.require(Account, account_id_for(withdrawal.user_id))
            noted[0] = settle_payout(withdrawal, account, payout)
            return [account]

        return self._ledger.change(
            Withdrawal,
            uuid,
            settle,
            context=context,
            outcome=lambda w, position: FiatWithdrawalChanged(w, position, noted[0]),
            touching=[account_id_for(found.user_id)],
        )

    # -- the saga ------------------------------------------------------------------------------

    def advance(self, withdrawal_uuid: UUID, context: CommandContext) -> None:
        for _ in range(STEPS_PER_RUN_MAX):
            before = self._ledger.get(Withdrawal, withdrawal_uuid)
            sagas.advance(self, withdrawal_uuid, context)
            after = self._ledger.get(Withdrawal, withdrawal_uuid)
            if before is None or after is None or after.step in (None, before.step):
                return

    def prepare(self, saga_uuid: UUID, context: CommandContext) -> PayoutStep | None:
        withdrawal = self._ledger.get(Withdrawal, saga_uuid)
        if withdrawal is None or withdrawal.step is None or withdrawal.parked_step is not None:
            return None
        fee = withdrawal.amount_stroops * self._fee_bps // 10_000 // 100_000 * 100_000
        request = PayoutRequest(
            code=withdrawal.public_id,
            recipient_email=withdrawal.source_address,
            gross_stroops=withdrawal.amount_stroops,
            enterprise_fee_stroops=fee,
            notes=withdrawal.description or NOTES,
            destination_type=withdrawal.destination_type,
            destination_ref=withdrawal.destination_ref,
        )
        return PayoutStep(
            saga_uuid, withdrawal.user_id, withdrawal.step, withdrawal.payout_id, request
        )

    def submit(self, prepared: PayoutStep) -> PayoutAnswer:
        try:
            if prepared.step == STEP_COMMIT_PAYOUT and prepared.payout_id is not None:
                return PayoutAnswer(self._provider.commit_payout(prepared.payout_id))
            return PayoutAnswer(self._provider.create_payout(prepared.request))
        except (ProviderUnavailableError, ProviderTimeoutError):
            raise  # asking again may succeed: the broker retries, then parks
        except ProviderError as refused:
            return PayoutAnswer(None, refused)

    def conclude(self, prepared: PayoutStep, answer: PayoutAnswer, context: CommandContext) -> None:
        if answer.payout is not None:
            self.apply(answer.payout, context)
            return
        refusal = answer.refusal
        assert refusal is not None
        reason = f"AirTM refused the payout ({prepared.step}): {refusal.message}"
        code = str(refusal.details.get("providerCode") or "PROVIDER_REFUSED")

        def fail(withdrawal: Withdrawal) -> list[Aggregate]:
            account = self._ledger.require(Account, account_id_for(withdrawal.user_id))
            if withdrawal.fail_payout(reason, code, refused=True):
                account.release_reservation(
                    hold_ref=withdrawal.public_id, reason="withdrawal_failed"
                )
            return [account]

        self._ledger.change(
            Withdrawal,
            prepared.withdrawal_id,
            fail,
            context=context,
            outcome=lambda w, position: None,
            touching=[account_id_for(prepared.user_id)],
        )


__all__ = ["STEP_CREATE_PAYOUT", "FiatWithdrawalChanged", "FiatWithdrawals"]
