"""The guard a step runs before signing anew: what the signer's history already holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from application import chain_recall
from application.ports import ChainTransaction, ContractCall, TransactionsPage
from domain.chain import memo_hash_of

pytestmark = pytest.mark.unit

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
MEMO = memo_hash_of("wd_example")


def tx(name: str, minutes_ago: float, *, ok: bool = True, **facts: object) -> ChainTransaction:
    return ChainTransaction(
        transaction_hash=name,
        envelope_xdr=f"xdr-{name}",
        successful=ok,
        created_at=NOW - timedelta(minutes=minutes_ago),
        **facts,  # type: ignore[arg-type]
    )


@dataclass
class History:
    """An account's history, newest first, served in pages as Horizon does."""

    transactions: list[ChainTransaction]
    pages_read: int = 0
    cursors: list[str | None] = field(default_factory=list)

    def account_transactions(
        self, address: str, cursor: str | None, limit: int
    ) -> TransactionsPage:
        self.pages_read += 1
        self.cursors.append(cursor)
        start = int(cursor) if cursor else 0
        page = self.transactions[start : start + limit]
        return TransactionsPage(page, str(start + len(page)) if page else None)


def test_a_payment_with_the_memo_is_found_and_becomes_the_recorded_envelope() -> None:
    history = History([tx("other", 1), tx("paid", 2, memo_hash=MEMO), tx("older", 3)])
    found = chain_recall.recall(
        history, "G…", NOW - timedelta(minutes=1), chain_recall.pays_memo(MEMO)
    )  # type: ignore[arg-type]
    assert found is not None and found.transaction_hash == "paid"
    envelope = chain_recall.as_envelope("pay", found)
    assert (envelope.step, envelope.hash, envelope.xdr) == ("pay", "paid", "xdr-paid")


def test_a_failed_transaction_with_the_memo_moved_nothing_and_is_not_a_payment() -> None:
    history = History([tx("failed", 1, ok=False, memo_hash=MEMO)])
    assert chain_recall.recall(history, "G…", NOW, chain_recall.pays_memo(MEMO)) is None  # type: ignore[arg-type]


def test_reading_stops_at_the_first_transaction_older_than_the_aggregate_less_the_skew() -> None:
    old = [tx(f"old{n}", 60 + n) for n in range(chain_recall.PAGE_SIZE * 3)]
    history = History([tx("recent", 1), *old, tx("ancient", 9_999, memo_hash=MEMO)])
    since = NOW - timedelta(minutes=10)
    assert chain_recall.recall(history, "G…", since, chain_recall.pays_memo(MEMO)) is None  # type: ignore[arg-type]
    assert history.pages_read == 1


def test_a_history_longer_than_the_bound_makes_the_step_wait_rather_than_guess() -> None:
    busy = [tx(f"t{n}", 0) for n in range(chain_recall.PAGE_SIZE * chain_recall.PAGES_MAX)]
    history = History(busy)
    with pytest.raises(chain_recall.HistoryTooLongError):
        chain_recall.recall(history, "G…", NOW - timedelta(hours=1), chain_recall.pays_memo(MEMO))  # type: ignore[arg-type]
    assert history.pages_read == chain_recall.PAGES_MAX


def test_an_escrow_step_matches_its_function_on_its_contract_and_milestone() -> None:
    release_0 = ContractCall("CESCROW", "release_milestone_funds", integers=(0,))
    release_1 = ContractCall("CESCROW", "release_milestone_funds", integers=(1,))
    elsewhere = ContractCall("COTHER", "release_milestone_funds", integers=(1,))
    history = History([tx("a", 1, calls=(elsewhere,)), tx("b", 2, calls=(release_0,))])
    since = NOW - timedelta(minutes=5)
    wanted = chain_recall.invokes("CESCROW", "release_milestone_funds", 1)
    assert chain_recall.recall(history, "G…", since, wanted) is None  # type: ignore[arg-type]
    history.transactions.insert(0, tx("c", 0, calls=(release_1,)))
    found = chain_recall.recall(history, "G…", since, wanted)  # type: ignore[arg-type]
    assert found is not None and found.transaction_hash == "c"
    any_milestone = chain_recall.invokes("CESCROW", "release_milestone_funds")
    assert chain_recall.recall(history, "G…", since, any_milestone) is not None  # type: ignore[arg-type]
