"""Use case: compare the ledger with the chain and report every difference, never adjusting.

- Each wallet's on-chain USDC must equal its user's available + reserved; the platform's wallet
  also holds the platform fees the escrows paid it (`platform:fees`).
- Each escrow contract's balance must equal its order's escrow account (`escrow:{order}`).

Subjects with a saga in flight are skipped (the chain may legitimately be a step ahead of the
books); a difference is measured twice, a moment apart, so a deposit the monitor has not
credited yet is not reported. Every subject is measured first and only the differing ones
again, after one pause for the whole run: a run takes one pause, however many subjects differ.

`reconcile_everything` (the runner's timer, `POST /admin/reconcile`, the CLI) takes its subjects
from the read models: every wallet and every deployed escrow, skipping what has a saga in
flight, with the platform's fee income counted in the platform's wallet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Final
from uuid import uuid4

from application.context import CommandContext
from application.ledger import Ledger
from application.ports import (
    AccountBalances,
    EscrowDirectory,
    EscrowProvider,
    ReadModelProgress,
    SagasInFlight,
    StellarNetwork,
    WalletDirectory,
)
from domain import identifiers
from domain.accounts import Account, account_id_for
from domain.orders import Order
from domain.postings import PLATFORM_FEES, escrow
from domain.reconciliations import Reconciliation
from domain.users import platform_user_id

RECHECK_AFTER_S: Final = 1.0
# Wallets are read from Horizon this many at a time (each read is a round trip), taken from the
# scope a batch at a time so memory stays bounded however many wallets there are.
WALLET_READS_AT_ONCE: Final = 8
WALLET_BATCH: Final = 64
ESCROW_PAGE_SIZE: Final = 20  # Trustless Work reads at most 20 balances per call
# The fee income is compared once its read model has folded the log this far, waiting this long.
READ_MODEL_WAIT_S: Final = 5.0
ORDER_SAGAS: Final = "order"  # the saga kind of an order's escrow steps


@dataclass(frozen=True, slots=True)
class Drift:
    subject: str
    ledger_account: str
    ledger_stroops: int
    chain_stroops: int


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    reconciliation_id: str
    checked: int
    skipped: int
    drifts: list[Drift] = field(default_factory=list)
    position: int | None = None


@dataclass(frozen=True, slots=True)
class EscrowToCheck:
    order_id: str
    contract_id: str
    multi_release: bool


@dataclass(frozen=True, slots=True)
class ReconciliationScope:
    """What to compare: wallets as (user id, address), escrows, which subjects (user or order
    ids) to skip, and what a user's wallet holds besides its account (the platform's fees)."""

    wallets: Iterable[tuple[str, str]]
    escrows: Iterable[Sequence[EscrowToCheck]]  # pages of escrows
    in_flight: Callable[[str], bool]
    held_besides: Callable[[str], int] = lambda user_id: 0


@dataclass(frozen=True, slots=True)
class ReconciliationSources:
    """Where a run of everything finds its subjects: the read models of wallets, escrows and
    sagas in flight, and the ledger accounts' balances with that model's progress."""

    wallets: WalletDirectory
    escrows: EscrowDirectory
    sagas: SagasInFlight
    balances: AccountBalances
    balances_progress: ReadModelProgress


@dataclass
class _Tally:
    checked: int = 0
    skipped: int = 0


class Reconciler:
    def __init__(
        self,
        ledger: Ledger,
        network: StellarNetwork,
        escrows: EscrowProvider,
        sources: ReconciliationSources | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ledger = ledger
        self._network = network
        self._escrows = escrows
        self._sources = sources  # what reconcile_everything compares
        self._sleep = sleep

    def reconcile_everything(self, trigger: str, context: CommandContext) -> ReconciliationReport:
        """Checks every wallet and deployed escrow the read models know, skipping whatever has
        a saga in flight, and records the run."""
        if self._sources is None:
            raise RuntimeError("Reconciler was built without its sources (the read ports)")
        return self.reconcile(self.scope_of_everything(self._sources), trigger, context)

    def scope_of_everything(self, sources: ReconciliationSources) -> ReconciliationScope:
        busy = sources.sagas.users_in_flight() | sources.sagas.sagas_in_flight(ORDER_SAGAS)
        platform = platform_user_id()

        def held_besides(user_id: str) -> int:
            if user_id != platform:
                return 0
            # The fees are a fold of the log; make sure the read model has folded all of it.
            sources.balances_progress.wait_for(self._ledger.head_position(), READ_MODEL_WAIT_S)
            return sources.balances.balance_of(PLATFORM_FEES)

        return ReconciliationScope(
            wallets=((wallet.user_id, wallet.address) for wallet in sources.wallets.all()),
            escrows=escrow_pages(sources.escrows),
            in_flight=busy.__contains__,
            held_besides=held_besides,
        )

    def reconcile(
        self, scope: ReconciliationScope, trigger: str, context: CommandContext
    ) -> ReconciliationReport:
        """Checks every wallet and escrow in `scope` and records the run with its drifts."""
        tally = _Tally()
        differing_wallets = self._differing_wallets(scope, tally)
        differing_escrows = self._differing_escrows(scope, tally)
        drifts: list[Drift] = []
        if differing_wallets or differing_escrows:
            self._sleep(RECHECK_AFTER_S)  # the books may be a moment behind the chain
            for user_id, address in differing_wallets:
                drift = self._measure_wallet(user_id, address, scope)
                if drift is not None:
                    drifts.append(drift)
            drifts += self._escrow_drifts(differing_escrows)
        checked, skipped = tally.checked, tally.skipped
        run = Reconciliation(id=uuid4(), trigger=trigger)
        for drift in drifts:
            run.report_drift(
                drift.subject, drift.ledger_account, drift.ledger_stroops, drift.chain_stroops
            )
        run.complete(checked, skipped)
        self._ledger.instruments.reconciled(
            sum(abs(d.ledger_stroops - d.chain_stroops) for d in drifts), len(drifts)
        )
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

    def _differing_wallets(
        self, scope: ReconciliationScope, tally: _Tally
    ) -> list[tuple[str, str]]:
        differing: list[tuple[str, str]] = []
        with ThreadPoolExecutor(WALLET_READS_AT_ONCE, thread_name_prefix="reconcile") as reads:
            for batch in batched(scope.wallets, WALLET_BATCH):
                idle = [(user, address) for user, address in batch if not scope.in_flight(user)]
                tally.skipped += len(batch) - len(idle)
                tally.checked += len(idle)
                measured = reads.map(lambda w: self._measure_wallet(w[0], w[1], scope), idle)
                differing += [w for w, drift in zip(idle, measured, strict=True) if drift]
        return differing

    def _differing_escrows(self, scope: ReconciliationScope, tally: _Tally) -> list[EscrowToCheck]:
        differing: list[EscrowToCheck] = []
        for page in scope.escrows:
            busy = [e for e in page if scope.in_flight(e.order_id)]
            tally.skipped += len(busy)
            to_check = [e for e in page if e not in busy]
            tally.checked += len(to_check)
            drifting = {drift.subject for drift in self._escrow_drifts(to_check)}
            differing += [e for e in to_check if e.order_id in drifting]
        return differing

    def _measure_wallet(
        self, user_id: str, address: str, scope: ReconciliationScope
    ) -> Drift | None:
        account = self._ledger.get(Account, account_id_for(user_id))
        chain = self._network.account(address)
        ledger_stroops = (account.available_stroops + account.reserved_stroops) if account else 0
        ledger_stroops += scope.held_besides(user_id)
        chain_stroops = (chain.usdc_stroops or 0) if chain else 0
        if ledger_stroops == chain_stroops:
            return None
        return Drift(user_id, f"user:{user_id}", ledger_stroops, chain_stroops)

    def _escrow_drifts(self, escrows: Sequence[EscrowToCheck]) -> list[Drift]:
        """The escrows whose balance differs from their order's books, asking Trustless Work
        once per contract type."""
        drifts = []
        for multi_release in (False, True):
            group = [e for e in escrows if e.multi_release == multi_release]
            if group:
                drifts += self._measure_escrows(group, multi_release)
        return drifts

    def _measure_escrows(self, group: list[EscrowToCheck], multi_release: bool) -> list[Drift]:
        chain = self._escrows.balances([e.contract_id for e in group], multi_release)
        found = []
        for item in group:
            order = self._ledger.get(
                Order, identifiers.parse_public_id(identifiers.ORDER, item.order_id)
            )
            ledger_stroops = order.escrow_balance_stroops if order else 0
            chain_stroops = chain.get(item.contract_id, 0)
            if ledger_stroops != chain_stroops:
                found.append(
                    Drift(item.order_id, escrow(item.order_id), ledger_stroops, chain_stroops)
                )
        return found


def batched(items: Iterable[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def escrow_pages(directory: EscrowDirectory) -> Iterator[Sequence[EscrowToCheck]]:
    """Every deployed escrow, a page of ESCROW_PAGE_SIZE at a time."""
    after = 0
    while True:
        rows = directory.escrows(after, ESCROW_PAGE_SIZE)
        if not rows:
            return
        yield [EscrowToCheck(r.order_id, str(r.contract_id), r.multi_release) for r in rows]
        after = rows[-1].created_position
