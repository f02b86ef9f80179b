"""Trustless Work's own database of escrows: a copy of chain state, possibly behind it.

`send-transaction` (and `/indexer/update-from-txHash`) copy an escrow from the chain into the
index; an injected `indexer_lag` schedules the copy for later, so the helper reads serve the old
version meanwhile, as TW's Firebase-backed reads can. Updates carry a sequence number and a late
copy never overwrites a newer one. Transactions submitted straight to Horizon are not indexed
until someone calls the indexer endpoint, exactly as in V1.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from sandbox.contracts.escrow_model import Escrow


@dataclass
class IndexedEscrow:
    escrow: Escrow
    balance_stroops: int
    trustline_address: str
    trustline_symbol: str
    sequence: int = 0


@dataclass
class ScheduledCopy:
    visible_at_s: float
    item: IndexedEscrow


@dataclass
class EscrowIndex:
    items: dict[str, IndexedEscrow] = field(default_factory=dict)
    scheduled: list[ScheduledCopy] = field(default_factory=list)
    next_sequence: int = 1

    def store(self, item: IndexedEscrow, now_s: float, delay_s: float = 0.0) -> None:
        item = copy.deepcopy(item)
        item.sequence = self.next_sequence
        self.next_sequence += 1
        if delay_s > 0:
            self.scheduled.append(ScheduledCopy(now_s + delay_s, item))
        else:
            self._apply(item)

    def get(self, contract_id: str, now_s: float) -> IndexedEscrow | None:
        self._catch_up(now_s)
        found = self.items.get(contract_id)
        return copy.deepcopy(found) if found else None

    def all(self, now_s: float) -> list[IndexedEscrow]:
        self._catch_up(now_s)
        return copy.deepcopy(list(self.items.values()))

    def _catch_up(self, now_s: float) -> None:
        due = [entry for entry in self.scheduled if entry.visible_at_s <= now_s]
        self.scheduled = [entry for entry in self.scheduled if entry.visible_at_s > now_s]
        for entry in sorted(due, key=lambda e: e.item.sequence):
            self._apply(entry.item)

    def _apply(self, item: IndexedEscrow) -> None:
        current = self.items.get(item.escrow.contract_id)
        if current is None or current.sequence < item.sequence:
            self.items[item.escrow.contract_id] = item
