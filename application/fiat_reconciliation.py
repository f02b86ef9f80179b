"""Use case: the fiat ramp reconciled against the provider, as the runner's loop and on demand.

Every top-up and fiat withdrawal still pending is read from the provider and its report applied
(a lost webhook's work is done here), and whatever the provider reports that the books cannot
follow — a settled top-up it now calls failed, an amount that does not add up — is recorded as
drift on a `Reconciliation` run (`ledgerAccount: external:airtm`, the provider's figure in
`chainStroops`), never adjusted. At most PENDING_PER_RUN_MAX of each are read per run, oldest
first; one the provider cannot answer now is skipped and read on the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol
from uuid import uuid4

from application.context import CommandContext
from application.fiat_withdrawals import FiatWithdrawals
from application.ledger import Ledger
from application.payment_providers import PAYIN_SUCCEEDED, PAYOUT_COMPLETED, FiatProvider
from application.reconciliation import Drift, ReconciliationReport
from application.topups import TopUps, topup_uuid
from domain import identifiers
from domain.errors import DomainError
from domain.postings import EXTERNAL_AIRTM
from domain.reconciliations import Reconciliation
from domain.topups import TopUp
from domain.withdrawals import Withdrawal

PENDING_PER_RUN_MAX: Final = 500
log = logging.getLogger(__name__)


class PendingAtProvider(Protocol):
    def pending(self, limit: int) -> Sequence[str]:
        """Public ids still waiting on the fiat provider, oldest first."""


@dataclass(frozen=True, slots=True)
class FiatSources:
    topups: PendingAtProvider
    withdrawals: PendingAtProvider


class FiatReconciler:
    def __init__(
        self,
        ledger: Ledger,
        provider: FiatProvider,
        topups: TopUps,
        withdrawals: FiatWithdrawals,
        sources: FiatSources,
    ) -> None:
        self._ledger = ledger
        self._provider = provider
        self._topups = topups
        self._withdrawals = withdrawals
        self._sources = sources

    def reconcile(self, trigger: str, context: CommandContext) -> ReconciliationReport:
        checked = skipped = 0
        drifts: list[Drift] = []
        for topup_id in self._sources.topups.pending(PENDING_PER_RUN_MAX):
            drift, answered = self._topup(topup_id, context)
            checked, skipped = checked + answered, skipped + (not answered)
            drifts += drift
        for withdrawal_id in self._sources.withdrawals.pending(PENDING_PER_RUN_MAX):
            drift, answered = self._withdrawal(withdrawal_id, context)
            checked, skipped = checked + answered, skipped + (not answered)
            drifts += drift
        run = Reconciliation(id=uuid4(), trigger=f"airtm:{trigger}")
        for d in drifts:
            run.report_drift(d.subject, d.ledger_account, d.ledger_stroops, d.chain_stroops)
        run.complete(checked, skipped)
        return self._ledger.commit(
            run,
            context=context,
            outcome=lambda position: ReconciliationReport(
                identifiers.public_id(identifiers.RECONCILIATION, run.id),
                checked,
                skipped,
                drifts,
                position,
            ),
        )

    def _topup(self, topup_id: str, context: CommandContext) -> tuple[list[Drift], bool]:
        topup = self._ledger.get(TopUp, topup_uuid(topup_id))
        if topup is None or topup.is_terminal:
            return [], True
        try:
            payin = (
                self._provider.payin(topup.payin_id)
                if topup.payin_id is not None
                else self._provider.find_payin(topup.public_id)
            )
            if payin is None:
                return [], True  # not created yet: the saga is on it
            changed = self._topups.apply(payin, context)
        except DomainError as error:
            log.warning("reconciling %s against AirTM: %s", topup_id, error)
            return [], False
        if changed.contradiction is None:
            return [], True
        provider = payin.net_stroops if payin.status == PAYIN_SUCCEEDED else 0
        booked = changed.topup.credited_stroops or 0
        return [Drift(topup_id, EXTERNAL_AIRTM, booked, provider)], True

    def _withdrawal(self, withdrawal_id: str, context: CommandContext) -> tuple[list[Drift], bool]:
        uuid = identifiers.parse_public_id(identifiers.WITHDRAWAL, withdrawal_id)
        withdrawal = self._ledger.get(Withdrawal, uuid)
        if withdrawal is None or withdrawal.is_terminal or not withdrawal.is_fiat:
            return [], True
        try:
            payout = (
                self._provider.payout(withdrawal.payout_id)
                if withdrawal.payout_id is not None
                else self._provider.find_payout(withdrawal.public_id)
            )
            if payout is None:
                return [], True
            changed = self._withdrawals.apply(payout, context)
        except DomainError as error:
            log.warning("reconciling %s against AirTM: %s", withdrawal_id, error)
            return [], False
        if changed.contradiction is None:
            return [], True
        provider = payout.amount_stroops if payout.status == PAYOUT_COMPLETED else 0
        booked = withdrawal.amount_stroops if changed.withdrawal.status.endswith("COMPLETED") else 0
        return [Drift(withdrawal_id, EXTERNAL_AIRTM, booked, provider)], True
