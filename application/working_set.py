"""The aggregates a group-commit batch has loaded and changed so far, as the next command in the
batch must see them.

Each aggregate is loaded at most once per batch. A command that touches an aggregate an earlier
command of the batch already changed works on a copy of it, so the earlier command's outcome
still reads the state it left (its response says the balance after *its* credit, not after the
whole batch), and a command refused halfway is undone by putting the earlier objects back.
Nothing here decides: the rules stay in the aggregates, which the commands call.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

_ABSENT = object()


class WorkingSet:
    def __init__(self) -> None:
        # Aggregates the batch took from the ledger's decided states rather than the store, and
        # the version each was at: what a refusal confirms before it stands (ledger.py).
        self.trusted: dict[UUID, int] = {}
        # Aggregates the batch's decided commands write: its commit checks their versions.
        self.written: set[UUID] = set()
        self._current: dict[UUID, Aggregate] = {}
        # The entries the command being decided replaced (or _ABSENT for ones it added).
        self._undo: dict[UUID, Any] = {}

    def get(self, aggregate_id: UUID, load: Callable[[], Aggregate | None]) -> Aggregate | None:
        """The batch's current state of `aggregate_id`, `load`ed the first time."""
        if aggregate_id in self._undo:
            return self._current.get(aggregate_id)  # already this command's own
        if aggregate_id in self._current:
            earlier = self._current[aggregate_id]
            mine = copy.deepcopy(earlier)
            self._undo[aggregate_id] = earlier
            self._current[aggregate_id] = mine
            return mine
        loaded = load()
        if loaded is None:
            return None
        self._undo[aggregate_id] = _ABSENT
        self._current[aggregate_id] = loaded
        return loaded

    def adopt(self, aggregates: list[Aggregate]) -> None:
        """Aggregates the command created (or changed without loading them here)."""
        for aggregate in aggregates:
            if self._current.get(aggregate.id) is not aggregate:
                self._undo.setdefault(aggregate.id, self._current.get(aggregate.id, _ABSENT))
                self._current[aggregate.id] = aggregate

    def touched(self) -> list[Aggregate]:
        """What the command being decided loaded or changed."""
        return [self._current[i] for i in self._undo if i in self._current]

    def keep(self, writes: Collection[UUID] = ()) -> None:
        """The command was decided, writing `writes`: its state is what the next command
        sees."""
        self.written.update(writes)
        self._undo.clear()

    def undo(self) -> None:
        """The command was refused: the batch is as it was before it."""
        for aggregate_id, earlier in self._undo.items():
            if earlier is _ABSENT:
                self._current.pop(aggregate_id, None)
            else:
                self._current[aggregate_id] = earlier
        self._undo.clear()

    def forget(self, aggregate_ids: list[UUID]) -> None:
        """Drops aggregates found stale: the batch's next command loads them afresh."""
        for aggregate_id in aggregate_ids:
            self._current.pop(aggregate_id, None)
            self._undo.pop(aggregate_id, None)
            self.trusted.pop(aggregate_id, None)
