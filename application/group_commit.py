"""Group commit: concurrent commands share one transaction, one log lock and one fsync.

A command hands the committer a `prepare` and waits. The committer thread takes every command
waiting at that moment (natural batching: while one transaction commits, the next batch
gathers) and prepares them in arrival order inside one batch scope: a command that decides in
the committer (`Ledger.change`) loads its aggregates there and decides against the state the
commands before it in the batch left them in, so N commands on one hot account are N decisions
and one transaction, not N transactions in a row. A command refused while deciding (insufficient
funds, a bad state) fails alone and leaves nothing behind; the others are recorded together,
each `on_recorded` seeing only its own positions. When the store does not answer while one
command decides, the rest of its batch is told so at once (each would only wait as long again).

If the batch fails to record — a stale decision (another process wrote an aggregate first: the
version check refuses it), or a lost idempotency claim in any one command — each command is
prepared afresh and recorded on its own, so one conflict never fails its neighbours; but when
the batch's commit outcome is unknown (the connection died during COMMIT), recording them again
could apply them twice, so every command in it hears that instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Final

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import InterfaceError, OperationalError

from application.outages import CommitOutcomeUnknownError

BATCH_COMMANDS_MAX: Final = 256

OnRecorded = Callable[[Any, list[int]], None]
Record = Callable[[ProcessingEvent[Any]], list[Any]]


@dataclass
class Prepared:
    """A command ready to record: its events, what runs in the transaction once they have
    positions, and what its caller is answered from its recordings."""

    processing: ProcessingEvent[Any]
    on_recorded: OnRecorded
    answer: Callable[[list[Any]], Any]


Prepare = Callable[[], Prepared]
BatchScope = Callable[[], AbstractContextManager[None]]


@dataclass
class _Pending:
    prepare: Prepare
    done: Future[Any]


class GroupCommitter:
    def __init__(self, record: Record, name: str, batch_scope: BatchScope) -> None:
        self._record = record
        self._batch_scope = batch_scope
        self._queue: list[_Pending] = []
        self._condition = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"{name}-commit", daemon=True)
        self._thread.start()

    def waiting(self) -> int:
        """How many commands wait for the next batch (an operational gauge)."""
        with self._condition:
            return len(self._queue)

    def is_committer_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, prepare: Prepare) -> Any:
        """Prepares (on the committer thread) and records one command, in a batch when others
        are waiting; returns its answer or raises what preparing or recording it alone would."""
        pending = _Pending(prepare, Future())
        with self._condition:
            if self._closed:
                raise RuntimeError("the ledger is closed")
            self._queue.append(pending)
            self._condition.notify()
        return pending.done.result()

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._queue or self._closed)
                if not self._queue:
                    return
                batch = self._queue[:BATCH_COMMANDS_MAX]
                del self._queue[:BATCH_COMMANDS_MAX]
            self._together(batch)

    def _alone(self, pending: _Pending) -> None:
        try:
            with self._batch_scope():
                prepared = pending.prepare()
            if not prepared.processing.events:
                pending.done.set_result(prepared.answer([]))
                return
            prepared.processing.saved_kwargs["on_recorded"] = prepared.on_recorded
            pending.done.set_result(prepared.answer(self._record(prepared.processing)))
        except BaseException as error:  # delivered to the waiting command, which raises it
            pending.done.set_exception(error)

    def _together(self, batch: list[_Pending]) -> None:
        ready: list[tuple[_Pending, Prepared]] = []
        outage: BaseException | None = None
        with self._batch_scope():
            for pending in batch:
                if outage is not None:
                    # The store did not answer the command before: the rest of the batch
                    # hears so at once instead of each waiting out its own timeout in turn.
                    pending.done.set_exception(outage)
                    continue
                try:
                    prepared = pending.prepare()
                except (InterfaceError, OperationalError) as error:
                    outage = error
                    pending.done.set_exception(error)
                    continue
                except BaseException as error:  # refused alone; prepare left nothing behind
                    pending.done.set_exception(error)
                    continue
                if prepared.processing.events:
                    ready.append((pending, prepared))
                else:
                    pending.done.set_result(prepared.answer([]))
        if not ready:
            return
        merged: ProcessingEvent[Any] = ProcessingEvent()
        sizes = []
        for _, prepared in ready:
            merged.events.extend(prepared.processing.events)
            merged.aggregates.update(prepared.processing.aggregates)
            sizes.append(len(prepared.processing.events))

        def on_recorded(cursor: Any, positions: list[int]) -> None:
            start = 0
            for (_, prepared), size in zip(ready, sizes, strict=True):
                prepared.on_recorded(cursor, positions[start : start + size])
                start += size

        merged.saved_kwargs["on_recorded"] = on_recorded
        try:
            recordings = self._record(merged)
        except CommitOutcomeUnknownError as error:
            for pending, _ in ready:
                pending.done.set_exception(error)
            return
        except BaseException as error:
            if len(ready) == 1:  # alone already: preparing it again would meet the same
                ready[0][0].done.set_exception(error)
                return
            # Nothing of the batch was recorded: each command decides again on fresh state.
            for pending, _ in ready:
                self._alone(pending)
            return
        start = 0
        for (pending, prepared), size in zip(ready, sizes, strict=True):
            try:
                pending.done.set_result(prepared.answer(recordings[start : start + size]))
            except BaseException as error:
                pending.done.set_exception(error)
            start += size
