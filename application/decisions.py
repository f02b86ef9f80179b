"""Decisions: how a command of `Ledger.change` is decided on the group committer's thread, and
what every recorded command does once its events have positions.

The committer prepares the commands of a batch in arrival order inside one batch scope
(application/group_commit.py), which `Batches` gives its working set (application/working_set.py).
A `Decision` loads its aggregate through the ledger (so from that working set: it sees the
state the commands before it in the batch left), lets the use case's rule change it, and
collects the pending events of everything the batch changed that it touched; a refusal undoes
what it changed and fails it alone. Nothing here decides money: the rules stay in the
aggregates, which the use cases' `decide` calls.

A `Recording` is what a recorded command shares whether decided here or committed directly
(`Ledger.commit`): its events stamped with who caused it and its trace, and, inside the
transaction that gives them positions, its outcome computed and its completion (the
idempotent response) written.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate

from application import instruments as outcomes
from application.context import CommandContext, Completion
from application.group_commit import Prepared
from application.instruments import Instruments
from application.working_set import WorkingSet
from domain.errors import DomainError

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")


class Require(Protocol):
    def __call__(
        self, cls: type[A], aggregate_id: UUID, missing: DomainError | None = None
    ) -> A: ...


# Checks the decided states a command read (but those it wrote) against the store.
Confirm = Callable[[WorkingSet, Collection[UUID]], None]


class Batches:
    """The working set of the batch the committer thread is preparing; None on any other
    thread, and on the committer between batches."""

    def __init__(self) -> None:
        self._local = threading.local()

    def working(self) -> WorkingSet | None:
        working: WorkingSet | None = getattr(self._local, "working", None)
        return working

    @contextmanager
    def scope(self) -> Iterator[None]:
        self._local.working = WorkingSet()
        try:
            yield
        finally:
            self._local.working = None


def decided(
    require: Require,
    cls: type[A],
    aggregate_id: UUID,
    decide: Callable[[A], Sequence[Aggregate] | None],
    missing: DomainError | None,
) -> tuple[A, list[Aggregate]]:
    """Loads `aggregate_id` (refusing with `missing`, or the class's not-found) and lets
    `decide` change it: the aggregate, and every aggregate the decision changed, it first."""
    aggregate = require(cls, aggregate_id, missing)
    return aggregate, [aggregate, *(decide(aggregate) or ())]


class Recording(Generic[R]):
    """One command's events on their way into the log, and what it answers once they are."""

    def __init__(
        self,
        events: Sequence[Any],
        metadata: dict[str, str | None],
        outcome: Callable[[int], R],
        completion: Completion | None,
    ) -> None:
        for domain_event in events:
            # Events are frozen dataclasses; metadata is not an @event argument, it rides
            # along in the stored state so every envelope says who caused it.
            object.__setattr__(domain_event, "metadata", metadata)
        self.events = list(events)
        self.positions: list[int] = []
        self._outcome = outcome
        self._completion = completion
        self._results: list[R] = []

    def on_recorded(self, cursor: Any, positions: list[int]) -> None:
        """Inside the transaction: the outcome at the last position, and its completion."""
        self.positions = list(positions)
        self._results[:] = [self._outcome(max(positions))]
        if self._completion is not None:
            self._completion.write(cursor, self._results[0])

    @property
    def result(self) -> R:
        return self._results[0]


def command_metadata(context: CommandContext, traceparent: str | None) -> dict[str, str | None]:
    """What every event of the command carries: who asked, and the trace it continues."""
    return {**context.metadata(), "traceparent": traceparent}


@dataclass
class Decision(Generic[A, R]):
    """One `Ledger.change` command, prepared again for each batch it is tried in."""

    cls: type[A]
    aggregate_id: UUID
    decide: Callable[[A], Sequence[Aggregate] | None]
    context: CommandContext
    outcome: Callable[[A, int | None], R]
    missing: DomainError | None
    traceparent: str | None
    name: str
    # The recording of the attempt whose events are in the log, once one is.
    recorded: Recording[R] | None = field(default=None, init=False)

    def prepare(
        self,
        working: WorkingSet,
        require: Require,
        instruments: Instruments,
        confirm: Confirm | None = None,
    ) -> Prepared:
        """On the committer thread, inside its batch's working set: loads, decides, and
        collects the command's events; a refusal undoes whatever it changed. `confirm`, when
        given, checks the states the decision read against the store and raises when one is
        stale, undoing the command as a refusal does. A command answered only after its batch
        commits skips those it or an earlier command of the batch writes (the version check at
        that commit covers them); a refusal, or a decision to do nothing, is answered at once,
        so it confirms them all."""
        try:
            aggregate, changed = decided(
                require, self.cls, self.aggregate_id, self.decide, self.missing
            )
            working.adopt(changed)
            processing: ProcessingEvent[UUID] = ProcessingEvent()
            processing.collect_events(*working.touched())
            writes = {e.originator_id for e in processing.events}
            if confirm is not None:
                confirm(working, writes | working.written if writes else ())
        except DomainError:
            working.undo()
            if confirm is not None:
                confirm(working, ())
            raise
        except BaseException:
            working.undo()
            raise
        working.keep(writes)
        recording = Recording(
            processing.events,
            command_metadata(self.context, self.traceparent),
            lambda position: self.outcome(aggregate, position),
            self.context.completion,
        )

        def on_recorded(cursor: Any, positions: list[int]) -> None:
            recording.on_recorded(cursor, positions)
            self.recorded = recording

        def answer(recordings: list[Any]) -> R:
            if not recordings:
                return self.outcome(aggregate, None)
            instruments.command(self.name, outcomes.OK)
            instruments.appended([type(e).__qualname__ for e in recording.events])
            return recording.result

        return Prepared(processing, on_recorded, answer)
