"""Before a step signs a new transaction: has the chain already got it?

A step records its envelope before submitting, so in a log that is whole the chain never holds a
step's transaction that the log does not. A log restored from a backup can be behind the chain:
a withdrawal paid after the backup was taken is, in the restored log, still waiting to be paid.
So before signing anything new, a step reads the signer's history back to the moment its
aggregate last changed (nothing of the step can be older) and, when a successful transaction of
that step is there, the step records that transaction instead of making a second one. Its
`prepare` then goes on as after any crash: the recorded hash is looked up, found in a ledger,
and concluded.

What identifies a step's transaction is the step's business: a withdrawal's payment carries a
MEMO_HASH of the withdrawal's id (`pays_memo`); an escrow step invokes one contract function,
on one milestone (`invokes`). The reading is bounded: `PAGES_MAX` pages of `PAGE_SIZE`; a
history longer than that since the aggregate last changed cannot be searched to its end, and
the step waits (and, retried in vain, parks for an operator) rather than risk paying twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from application.chain_steps import StepPending
from application.ports import ChainTransaction, StellarNetwork
from domain.chain import SignedEnvelope

# The first page is small: the aggregate changed moments before, so the cut-off is usually among
# the newest few transactions, and a busy signer (the platform's wallet) need not send 200.
FIRST_PAGE_SIZE: Final = 20
PAGE_SIZE: Final = 200  # Horizon's largest page
PAGES_MAX: Final = 25
# Ledger close times come from the network's clock, `since` from ours: read a little further back.
CLOCK_SKEW: Final = timedelta(minutes=5)

Match = Callable[[ChainTransaction], bool]

log = logging.getLogger(__name__)


class HistoryTooLongError(StepPending):
    """The signer's history since `since` is longer than the guard reads."""


def recall(
    network: StellarNetwork, signer: str, since: datetime, matches: Match
) -> ChainTransaction | None:
    """The newest successful transaction in `signer`'s history, no older than `since`, that
    `matches`; None when there is none."""
    oldest = since - CLOCK_SKEW
    cursor: str | None = None
    for page_number in range(PAGES_MAX):
        size = FIRST_PAGE_SIZE if page_number == 0 else PAGE_SIZE
        page = network.account_transactions(signer, cursor, size)
        for transaction in page.transactions:
            if transaction.created_at < oldest:
                return None
            if transaction.successful and matches(transaction):
                log.warning(
                    "transaction %s of %s is on chain but not in the log (a restored log?): "
                    "recording it instead of signing again",
                    transaction.transaction_hash,
                    signer,
                )
                return transaction
        if len(page.transactions) < size or page.cursor is None:
            return None
        cursor = page.cursor
    read = FIRST_PAGE_SIZE + (PAGES_MAX - 1) * PAGE_SIZE
    raise HistoryTooLongError(
        f"{signer} made more than {read} transactions since {oldest.isoformat()}; "
        "cannot tell whether this step's transaction is among them"
    )


def pays_memo(memo_hash: bytes) -> Match:
    """A transaction carrying `memo_hash` as its MEMO_HASH."""
    return lambda transaction: transaction.memo_hash == memo_hash


def invokes(contract_id: str, function: str, index: int | None = None) -> Match:
    """A transaction invoking `function` on `contract_id` (on milestone `index`, when given)."""

    def matches(transaction: ChainTransaction) -> bool:
        return any(
            call.contract_id == contract_id
            and call.function == function
            and (index is None or index in call.integers)
            for call in transaction.calls
        )

    return matches


def as_envelope(step: str, transaction: ChainTransaction) -> SignedEnvelope:
    """The transaction found on chain, as the step's recorded envelope."""
    return SignedEnvelope(
        step=step,
        xdr=transaction.envelope_xdr,
        hash=transaction.transaction_hash,
        # It is in a ledger already: its time bounds no longer matter, only its hash does.
        valid_until=transaction.valid_until or transaction.created_at,
    )
