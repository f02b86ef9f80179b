"""The one event-sourced application: a single, totally ordered log of every aggregate's events.

Its notification id is the public *position* used by SSE ids, webhooks, audits and tracking.
`commit` is the only way use cases record events: it stamps request metadata on each event, saves
every given aggregate in one transaction (optimistic concurrency on each, group-committed with
concurrent commands) and lets the edge record the command's outcome in that same transaction.
`change` is the one load-check-change-commit: it loads an aggregate (refusing with the caller's
not-found error), lets the use case change it, and commits only when events are pending; it is
decided on the group committer's thread, in sequence with the other commands of its batch and
against the state they left (application.decisions, application.group_commit,
application.working_set), and is decided again from a fresh load when another process won the
race. `run` does the load-decide-commit on
the caller's thread, serialised in this process with other `run`s on the same aggregates, for a
command that creates what it records (a natural id taken once).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import zip_longest
from typing import Any, ClassVar, Final, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from application import instruments as outcomes
from application.context import CommandContext
from application.decided_states import DecidedStates
from application.decisions import Batches, Decision, Recording, command_metadata, decided
from application.group_commit import GroupCommitter, Prepared
from application.instruments import Instruments, NoInstruments, caller_use_case
from application.outages import ServiceUnavailableError
from application.snapshotting import BackgroundSnapshots
from application.tracing import current_traceparent, recording, span, tracer
from application.working_set import WorkingSet
from domain.accounts import Account
from domain.errors import ConflictError, DomainError, NotFoundError

A = TypeVar("A", bound=Aggregate)
log = logging.getLogger(__name__)
R = TypeVar("R")

CONFLICT_ATTEMPTS_MAX: Final = 8
CONFLICT_BACKOFF_S: Final = 0.002
# Long-lived, busy aggregates are snapshotted so loading one never replays its whole history.
SNAPSHOT_INTERVAL_EVENTS: Final = 100


class ConcurrencyConflictError(ConflictError):
    code = "CONCURRENCY_CONFLICT"


class Ledger(Application[UUID]):
    name = "Ledger"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Account: SNAPSHOT_INTERVAL_EVENTS}

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        self._committer: GroupCommitter | None = None
        self._background_snapshots: BackgroundSnapshots | None = None
        self._committer_lock = threading.Lock()
        self._aggregate_locks = AggregateLocks()
        self._batches = Batches()  # the committer thread's working set, while it decides
        # What the committer decides on: the states this process recorded (decided_states.py).
        self._decided = DecidedStates(self._moved_past)
        self.instruments: Instruments = NoInstruments()

    def close(self) -> None:
        if getattr(self, "_committer", None) is not None:
            self._committer.close()  # type: ignore[union-attr]
        if getattr(self, "_background_snapshots", None) is not None:
            self._background_snapshots.close()  # type: ignore[union-attr]
        super().close()

    def run(self, command: Callable[[], R], *, touching: Iterable[UUID] = ()) -> R:
        """Runs a load-decide-commit `command`, serialised in this process with other commands
        touching the same aggregates (so they queue instead of conflicting), and retried when a
        writer in another process won the race."""
        name = caller_use_case()

        def locked() -> R:
            with self._aggregate_locks.holding(touching):
                return retry_on_conflict(command)

        return self._counted(name, locked)

    def _counted(self, name: str, command: Callable[[], R]) -> R:
        """Runs `command`, counting how it ends when it does not record (a recorded command is
        counted where it records)."""
        try:
            return command()
        except ConcurrencyConflictError:
            self.instruments.command(name, outcomes.CONFLICT)
            raise
        except ServiceUnavailableError:
            self.instruments.command(name, outcomes.ERROR)
            raise
        except DomainError:
            self.instruments.command(name, outcomes.REJECTED)
            raise

    def change(
        self,
        cls: type[A],
        aggregate_id: UUID,
        decide: Callable[[A], Sequence[Aggregate] | None],
        *,
        context: CommandContext,
        outcome: Callable[[A, int | None], R],
        touching: Iterable[UUID] = (),
        missing: DomainError | None = None,
    ) -> R:
        """Loads `aggregate_id` (raising `missing`, by default the class's `not_found(id)`, when
        there is no such `cls`), lets `decide`
        change it — returning the other aggregates it loaded or created and changed with it —
        and records every pending event of them all in one transaction. Answers `outcome(the
        aggregate, the last position recorded)`, the position None when nothing was; for a
        recorded command it is computed inside the transaction, so the edge can store it there.

        `decide` runs on the group committer's thread, after the commands that reached the
        committer before it in the same batch and against the state they left (see
        group_commit): commands on one hot aggregate are decided in sequence and recorded in
        one transaction instead of queueing for it. It is decided again on fresh state when the
        batch could not be recorded, and the whole command is retried when a writer in another
        process won the race (the version check refuses the stale decision). `touching` names
        the other aggregates `decide` may change; it only matters for a `change` nested inside
        a `run`, which holds their in-process locks."""
        if self._committer_thread():
            raise RuntimeError("a command's decision cannot issue another command")
        if self._aggregate_locks.active():
            # Nested in a `run` command holding its locks: decide in place on this thread.
            return self._change_in_place(
                cls, aggregate_id, decide, context, outcome, missing, touching
            )
        name = caller_use_case()
        # The command's span is the caller's (the request's or the actor's child), as for
        # `commit`; its events carry it onwards although they are decided on the committer.
        with span(f"command {name}", attributes={"ledger.command": name}):
            traceparent = current_traceparent() or context.traceparent
            decision = Decision(
                cls, aggregate_id, decide, context, outcome, missing, traceparent, name
            )
            since_ns = time.time_ns()

            def prepare() -> Prepared:
                return decision.prepare(
                    self._working_set(), self.require, self.instruments, self._decided.confirm
                )

            result = self._counted(name, lambda: retry_on_conflict(lambda: self._submit(prepare)))
            if decision.recorded is not None:  # traced on this thread, as `commit` is
                _trace_appended(decision.recorded.events, decision.recorded.positions, since_ns)
            return result

    def _change_in_place(
        self,
        cls: type[A],
        aggregate_id: UUID,
        decide: Callable[[A], Sequence[Aggregate] | None],
        context: CommandContext,
        outcome: Callable[[A, int | None], R],
        missing: DomainError | None,
        touching: Iterable[UUID],
    ) -> R:
        def attempt() -> R:
            aggregate, changed = decided(self.require, cls, aggregate_id, decide, missing)
            if not any(a.pending_events for a in changed):
                return outcome(aggregate, None)
            return self.commit(
                *changed, context=context, outcome=lambda position: outcome(aggregate, position)
            )

        return self.run(attempt, touching=[aggregate_id, *touching])

    def commands_waiting(self) -> int:
        """Commands queued for the group committer's next batch."""
        committer = self._committer
        return 0 if committer is None else committer.waiting()

    def _submit(self, prepare: Callable[[], Prepared]) -> Any:
        return self._group_committer().submit(prepare)

    def _committer_thread(self) -> bool:
        committer = self._committer
        return committer is not None and committer.is_committer_thread()

    def _working_set(self) -> WorkingSet:
        working = self._batches.working()
        if working is None:
            raise RuntimeError("deciding outside a group-commit batch")
        return working

    def require(self, cls: type[A], aggregate_id: UUID, missing: DomainError | None = None) -> A:
        """The aggregate, or `missing` (by default the class's `not_found(id)`) raised when
        there is no such `cls`."""
        found = self.get(cls, aggregate_id)
        if found is None:
            raise missing if missing is not None else not_found(cls, aggregate_id)
        return found

    def get(self, cls: type[A], aggregate_id: UUID) -> A | None:
        working = self._batches.working()
        found = (
            self._load(aggregate_id)
            if working is None
            else working.get(
                aggregate_id, lambda: self._decided.load(working, aggregate_id, self._load)
            )
        )
        if found is None or not isinstance(found, cls):
            return None
        return found

    def _moved_past(self, aggregate_id: UUID, version: int) -> bool:
        return bool(list(self.events.get(aggregate_id, gt=version, limit=1)))

    def _load(self, aggregate_id: UUID) -> Aggregate | None:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate

    def commit(
        self,
        *aggregates: Aggregate,
        context: CommandContext,
        outcome: Callable[[int], R],
    ) -> R:
        """Records the pending events of `aggregates` atomically and returns `outcome(position)`,
        where position is that of the last event recorded.

        The command gets a span (child of the request's or the actor's), each recorded event a
        span of its own, and the events carry the command span's traceparent onwards."""
        name = caller_use_case()
        pending = [e for agg in aggregates for e in agg.pending_events]
        if not pending:
            raise ValueError("commit() needs at least one new event")
        types = [type(e).__qualname__ for e in pending]
        attributes: dict[str, str | int] = {"ledger.command": name, "ledger.events": len(pending)}
        with span(f"command {name}", attributes=attributes):
            traceparent = current_traceparent() or context.traceparent
            recording = Recording(
                pending, command_metadata(context, traceparent), outcome, context.completion
            )
            processing: ProcessingEvent[UUID] = ProcessingEvent()
            processing.collect_events(*aggregates)
            appending_since_ns = time.time_ns()
            try:
                self._submit(lambda: Prepared(processing, recording.on_recorded, lambda rs: rs))
            except (IntegrityError, DomainError):
                raise  # a lost race (tried again) or a refusal: `run` counts how it ends
            except Exception:
                self.instruments.command(name, outcomes.ERROR)
                raise
            _trace_appended(pending, recording.positions, appending_since_ns)
        self.instruments.command(name, outcomes.OK)
        self.instruments.appended(types)
        return recording.result

    def _snapshots(self) -> BackgroundSnapshots:
        with self._committer_lock:
            if self._background_snapshots is None:
                self._background_snapshots = BackgroundSnapshots(self._take_snapshots, self.name)
            return self._background_snapshots

    def _group_committer(self) -> GroupCommitter:
        with self._committer_lock:
            if self._committer is None:
                self._committer = GroupCommitter(
                    self._record_processing, self.name, self._batches.scope
                )
            return self._committer

    def _record_processing(self, processing: ProcessingEvent[UUID]) -> list[Any]:
        """What `Application.save` does once events are collected: record, snapshot, notify.

        Once the events are recorded the command has happened: snapshots are taken afterwards
        on their own thread (application.snapshotting), never reported as the command failing
        — a caller told "failed" would retry a command already applied."""
        try:
            recordings = self._record(processing)
        except BaseException:
            # Refused (another process wrote first) or of unknown outcome: decide on the
            # store's state next time.
            self._decided.forget(processing.aggregates)
            raise
        self._decided.remember(processing.aggregates.values())
        self._snapshots().after_recording(processing)
        self._notify(recordings)
        return recordings

    def head_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def refresh_statistics(self) -> None:
        """Before reading a long stretch of the log (a rebuild, a new read model catching up
        from the start): the database's statistics of it brought up to date if they are
        missing or stale, so each page of one projection's topics is read along the index
        rather than as a sort of everything left."""
        # The PostgreSQL recorder's (infrastructure/postgres/event_store.py); a recorder
        # without a planner has no statistics to refresh.
        refresh = getattr(self.recorder, "refresh_statistics", None)
        if refresh is not None:
            refresh()

    def read(
        self,
        after: int,
        limit: int,
        topics: Sequence[str] = (),
        stop: int | None = None,
    ) -> list[tuple[int, Any]]:
        """Events with positions greater than `after` (at most `limit`, up to `stop`), in order.

        Positions have gaps (sequence values are not rolled back): page by "greater than the
        last one seen", never by counting."""
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, stop=stop, topics=topics, inclusive_of_start=False
        )
        return [(n.id, self.mapper.to_domain_event(n)) for n in notifications]


# Commands on the same aggregate queue on one of these stripes instead of conflicting.
LOCK_STRIPES: Final = 1024


class AggregateLocks:
    """Striped in-process locks. Acquired all at once in stripe order, never nested, so two
    commands can never wait on each other; other processes are still held off by the
    optimistic version check, these locks only spare conflicts inside one process."""

    def __init__(self) -> None:
        self._stripes = [threading.Lock() for _ in range(LOCK_STRIPES)]
        self._held = threading.local()

    def active(self) -> bool:
        """Whether this thread is inside a command that holds its locks."""
        return bool(getattr(self._held, "active", False))

    @contextmanager
    def holding(self, aggregate_ids: Iterable[UUID]) -> Iterator[None]:
        if getattr(self._held, "active", False):
            yield  # already inside a command on this thread: its locks cover it
            return
        stripes = sorted({aggregate_id.int % LOCK_STRIPES for aggregate_id in aggregate_ids})
        for stripe in stripes:
            self._stripes[stripe].acquire()
        self._held.active = True
        try:
            yield
        finally:
            self._held.active = False
            for stripe in reversed(stripes):
                self._stripes[stripe].release()


def retry_on_conflict(command: Callable[[], R], attempts_max: int = CONFLICT_ATTEMPTS_MAX) -> R:
    """Runs a load-decide-commit `command` again when another writer won the race.

    Each attempt reloads the aggregates, so the rules are checked against the latest state: two
    debits racing for the same money cannot both pass.
    """
    for attempt in range(attempts_max):
        try:
            return command()
        except IntegrityError:
            time.sleep(CONFLICT_BACKOFF_S * (2**attempt) * random.random())
    raise ConcurrencyConflictError(
        "the resource changed concurrently too many times; retry the request",
        attempts=attempts_max,
    )


def _trace_appended(events: Sequence[Any], positions: Sequence[int], since_ns: int) -> None:
    """One span per recorded event, from the moment the command asked to append it until it
    was in the log, carrying its position and aggregate version (when spans are recorded)."""
    if not recording():
        return
    for domain_event, position in zip_longest(events, positions):
        if domain_event is None:
            break
        appended = tracer().start_span(
            f"append {type(domain_event).__qualname__}",
            start_time=since_ns,
            attributes={
                "ledger.position": position or 0,
                "ledger.aggregate_id": str(domain_event.originator_id),
                "ledger.aggregate_version": domain_event.originator_version,
            },
        )
        appended.end()


def recorded(position: int | None) -> int:
    """The position a command recorded at, for a command that always records (or is refused)."""
    assert position is not None, "this command records an event whenever it is not refused"
    return position


def not_found(cls: type[Aggregate], aggregate_id: UUID) -> DomainError:
    """The aggregate class's own refusal for an unknown id (`not_found`), or a generic one."""
    refusal = getattr(cls, "not_found", None)
    if callable(refusal):
        error = refusal(aggregate_id)
        assert isinstance(error, DomainError)
        return error
    return NotFoundError(f"{cls.__name__} not found")


def topic_of(event_class: type) -> str:
    return get_topic(event_class)
