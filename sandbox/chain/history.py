"""What Horizon has ingested: closed ledgers, transactions by hash and the operations log.

Records are appended in ledger order and never change. Every id is a TOID,
`(ledger << 32) | (tx_index << 12) | op_index`, so paging tokens grow with time and a cursor is
just a number. Reads see history only up to the ingested ledger: a ledger whose `visible_at_s` is
still in the future (injected ingest lag) hides itself and every later ledger, as a lagging
Horizon would, so a streaming client can never skip a record and find it later.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def toid(ledger: int, tx_index: int = 0, op_index: int = 0) -> int:
    return (ledger << 32) | (tx_index << 12) | op_index


@dataclass
class LedgerRecord:
    sequence: int
    hash: str
    prev_hash: str
    closed_at_s: int
    successful_transaction_count: int = 0
    failed_transaction_count: int = 0
    operation_count: int = 0
    visible_at_s: float = 0.0


@dataclass
class OperationRecord:
    id: int
    transaction_hash: str
    ledger: int
    created_at_s: int
    source_account: str
    type: str
    type_i: int
    successful: bool
    details: dict[str, Any]
    participants: list[str]
    is_payment: bool


@dataclass
class ContractFailure:
    """Why a contract call trapped: the contract error (or host error) and its message."""

    contract_id: str
    code: int
    name: str
    message: str


@dataclass
class TransactionRecord:
    hash: str
    id: int
    ledger: int
    created_at_s: int
    source_account: str
    source_account_sequence: int
    fee_account: str
    fee_charged: int
    max_fee: int
    operation_count: int
    envelope_xdr: str
    result_xdr: str
    successful: bool
    tx_code: str
    op_codes: list[str]
    memo_type: str = "none"
    memo: str | None = None
    memo_bytes: str | None = None
    signatures: list[str] = field(default_factory=list)
    min_time_s: int | None = None
    max_time_s: int | None = None
    operation_ids: list[int] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)
    contract_ids: list[str] = field(default_factory=list)
    contract_failure: ContractFailure | None = None


@dataclass
class History:
    ledgers: list[LedgerRecord] = field(default_factory=list)
    transactions: dict[str, TransactionRecord] = field(default_factory=dict)
    transaction_order: list[str] = field(default_factory=list)
    operations: list[OperationRecord] = field(default_factory=list)
    account_operations: dict[str, list[int]] = field(default_factory=dict)
    account_transactions: dict[str, list[int]] = field(default_factory=dict)
    ingested_ledger: int = 0

    def latest_ledger(self) -> LedgerRecord:
        return self.ledgers[-1]

    def visible_ledger(self, now_s: float) -> int:
        """Advances the ingestion watermark over every ledger whose lag has passed."""
        while self.ingested_ledger < len(self.ledgers):
            candidate = self.ledgers[self.ingested_ledger]
            if candidate.visible_at_s > now_s:
                break
            self.ingested_ledger += 1
        return self.ingested_ledger

    def append(
        self, ledger: LedgerRecord, tx: TransactionRecord, ops: list[OperationRecord]
    ) -> None:
        assert ledger.sequence == len(self.ledgers) + 1, "ledgers close in order"
        self.ledgers.append(ledger)
        self.transactions[tx.hash] = tx
        tx_index = len(self.transaction_order)
        self.transaction_order.append(tx.hash)
        for account in tx.participants:
            self.account_transactions.setdefault(account, []).append(tx_index)
        for op in ops:
            op_index = len(self.operations)
            self.operations.append(op)
            for account in op.participants:
                self.account_operations.setdefault(account, []).append(op_index)

    def append_empty_ledger(self, ledger: LedgerRecord) -> None:
        assert ledger.sequence == len(self.ledgers) + 1, "ledgers close in order"
        self.ledgers.append(ledger)

    def knows_account(self, account_id: str) -> bool:
        return account_id in self.account_operations or account_id in self.account_transactions

    def pending_ingestion(self) -> bool:
        """Whether some closed ledger is still hidden by ingest lag."""
        return self.ingested_ledger < len(self.ledgers)

    def page_operations(
        self, query: PageQuery, account: str | None, payments_only: bool
    ) -> list[OperationRecord]:
        operations = self.operations
        positions = self.account_operations.get(account, []) if account else None
        return _page(
            _view(operations, positions),
            lambda op: op.id,
            query,
            lambda op: (
                (query.include_failed or op.successful) and (op.is_payment or not payments_only)
            ),
        )

    def page_transactions(self, query: PageQuery, account: str | None) -> list[TransactionRecord]:
        order = self.transaction_order
        positions = self.account_transactions.get(account, []) if account else None
        hashes = _view(order, positions)
        records = _Mapped(hashes, self.transactions.__getitem__)
        return _page(
            records, lambda tx: tx.id, query, lambda tx: query.include_failed or tx.successful
        )

    def page_ledgers(self, query: PageQuery) -> list[LedgerRecord]:
        return _page(self.ledgers, lambda ledger: toid(ledger.sequence), query, lambda _: True)


@dataclass(frozen=True)
class PageQuery:
    """A validated Horizon list query: records strictly after (asc) or before (desc) the cursor."""

    cursor: int | None
    descending: bool
    limit: int
    include_failed: bool
    max_ledger: int


class _Mapped(Sequence[T]):
    """A read-only view applying `load` to each item of `items` (no copies)."""

    def __init__(self, items: Sequence[Any], load: Callable[[Any], T]):
        self._items, self._load = items, load

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        return self._load(self._items[index])


def _view(items: Sequence[T], positions: list[int] | None) -> Sequence[T]:
    """All items, or only those at `positions` (an account's index), without copying."""
    return items if positions is None else _Mapped(positions, items.__getitem__)


def _page(
    view: Sequence[T],
    key: Callable[[T], int],
    query: PageQuery,
    keep: Callable[[T], bool],
) -> list[T]:
    """Up to `limit` kept items strictly after (or before) the cursor; O(log n + page)."""
    ceiling = toid(query.max_ledger + 1)
    if query.descending:
        start = bisect.bisect_left(view, min(query.cursor or ceiling, ceiling), key=key) - 1
        indexes: range = range(start, -1, -1)
    else:
        start = 0 if query.cursor is None else bisect.bisect_right(view, query.cursor, key=key)
        indexes = range(start, len(view))
    found: list[T] = []
    for index in indexes:
        item = view[index]
        if key(item) >= ceiling:
            break
        if keep(item):
            found.append(item)
            if len(found) >= query.limit:
                break
    return found
