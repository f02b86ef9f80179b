"""Running a reconciliation from any edge (the runner's timer, `POST /admin/reconcile`, the
CLI): every wallet and every deployed escrow from the read models, whatever has a saga in
flight skipped, and the platform's fee income counted in its wallet."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from application.context import CommandContext
from application.reconciliation import EscrowToCheck, ReconciliationReport, ReconciliationScope
from domain.postings import PLATFORM_FEES
from domain.users import platform_user_id
from interfaces.bootstrap import Services

ESCROW_PAGE_SIZE: Final = 20  # Trustless Work reads at most 20 balances per call
READ_MODEL_WAIT_S: Final = 5.0


def reconcile_now(
    services: Services, trigger: str, context: CommandContext
) -> ReconciliationReport:
    busy = services.views.sagas.users_in_flight() | services.views.sagas.sagas_in_flight("order")
    platform = platform_user_id()

    def held_besides(user_id: str) -> int:
        if user_id != platform:
            return 0
        # The fees are a fold of the log; make sure the read model has folded all of it.
        services.projections["ledger_entries"].wait_for(
            services.ledger.head_position(), READ_MODEL_WAIT_S
        )
        return services.views.ledger_entries.balance_of(PLATFORM_FEES)

    scope = ReconciliationScope(
        wallets=((row.user_id, row.address) for row in services.views.wallets.all()),
        escrows=_escrow_pages(services),
        in_flight=busy.__contains__,
        held_besides=held_besides,
    )
    return services.reconciler.reconcile(scope, trigger, context)


def _escrow_pages(services: Services) -> Iterator[Sequence[EscrowToCheck]]:
    after = 0
    while True:
        rows = services.views.orders.escrows(after, ESCROW_PAGE_SIZE)
        if not rows:
            return
        yield [EscrowToCheck(r.order_id, str(r.contract_id), r.multi_release) for r in rows]
        after = rows[-1].created_position
