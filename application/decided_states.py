"""The state of each aggregate this process recorded last, for the group committer to decide on.

The committer decides on these without asking the store whether anything came after (a round
trip per command on its one thread). Another process may have written the aggregate since:
a decision that writes it is then refused by the version check at commit, its states are
forgotten and its commands decide again on the store's state; and what no version check covers
— a refusal, an aggregate a decision only read — is confirmed against the store before it
counts (`confirm`), so a stale state never refuses nor decides a command.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterable
from contextlib import suppress
from typing import Final
from uuid import UUID

from eventsourcing.application import LRUCache
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.working_set import WorkingSet

# Aggregates as this process last recorded them (least recently used first out).
DECIDED_STATES_MAX: Final = 10_000

# Whether the store holds an event of the aggregate after the given version.
Moved = Callable[[UUID, int], bool]
Load = Callable[[UUID], Aggregate | None]


class StaleStateError(IntegrityError):
    """A command was decided on a state another process has since moved past: it is tried
    again (retry_on_conflict) on the state in the store."""


class DecidedStates:
    def __init__(self, moved: Moved) -> None:
        self._moved = moved
        self._states: LRUCache[UUID, Aggregate] = LRUCache(maxsize=DECIDED_STATES_MAX)

    def load(self, working: WorkingSet, aggregate_id: UUID, load: Load) -> Aggregate | None:
        """The state this process last recorded (a copy: deciding changes it), else `load`."""
        try:
            known = self._states.get(aggregate_id)
        except KeyError:
            return load(aggregate_id)
        if known.pending_events:  # changed after it was recorded: not a recorded state
            self.forget([aggregate_id])
            return load(aggregate_id)
        working.trusted[aggregate_id] = known.version
        return copy.deepcopy(known)

    def confirm(self, working: WorkingSet, covered: Collection[UUID] = ()) -> None:
        """Every decided state the batch used, but those `covered` (written in the batch: the
        version check at its commit covers them), is still the store's latest — else
        StaleStateError, and the command is tried again on the store's state. A refusal
        confirms them all before it stands. Each is asked of the store once per batch."""
        checked = [i for i in working.trusted if i not in covered]
        stale = [i for i in checked if self._moved(i, working.trusted[i])]
        for aggregate_id in checked:  # confirmed as of now, or forgotten just below
            del working.trusted[aggregate_id]
        if stale:
            working.forget(stale)
            self.forget(stale)
            raise StaleStateError(f"decided on a state older than the store's: {stale[0]}")

    def remember(self, aggregates: Iterable[object]) -> None:
        """Aggregates just recorded, as recorded."""
        for aggregate in aggregates:
            if isinstance(aggregate, Aggregate):
                self._states.put(aggregate.id, aggregate)

    def forget(self, aggregate_ids: Iterable[UUID]) -> None:
        """Refused, or of unknown outcome: the store's state is what to decide on next."""
        for aggregate_id in aggregate_ids:
            with suppress(KeyError):
                self._states.get(aggregate_id, evict=True)
