"""Group commit: concurrent commands share one transaction, one log lock and one fsync.

A command hands its collected events to the committer and waits. The committer thread takes
every command waiting at that moment (natural batching: while one transaction commits, the next
batch gathers) and records them together, each command's `on_recorded` seeing only its own
positions. If the batch fails — a version conflict or a lost idempotency claim in any one
command — each command is recorded again on its own, so one conflict never fails its neighbours;
but when the batch's commit outcome is unknown (the connection died during COMMIT), recording
them again could apply them twice, so every command in it hears that instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Final

from eventsourcing.application import ProcessingEvent

from application.outages import CommitOutcomeUnknownError

BATCH_COMMANDS_MAX: Final = 256

OnRecorded = Callable[[Any, list[int]], None]
Record = Callable[[ProcessingEvent[Any]], list[Any]]


@dataclass
class _Pending:
    processing: ProcessingEvent[Any]
    on_recorded: OnRecorded
    done: Future[list[Any]]


class GroupCommitter:
    def __init__(self, record: Record, name: str) -> None:
        self._record = record
        self._queue: list[_Pending] = []
        self._condition = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"{name}-commit", daemon=True)
        self._thread.start()

    def commit(self, processing: ProcessingEvent[Any], on_recorded: OnRecorded) -> list[Any]:
        """Records `processing`'s events (in a batch when others are waiting) and returns the
        recordings; raises what recording this command on its own would raise."""
        pending = _Pending(processing, on_recorded, Future())
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
            if len(batch) == 1:
                self._alone(batch[0])
            else:
                self._together(batch)

    def _alone(self, pending: _Pending) -> None:
        pending.processing.saved_kwargs["on_recorded"] = pending.on_recorded
        try:
            pending.done.set_result(self._record(pending.processing))
        except BaseException as error:  # delivered to the waiting command, which raises it
            pending.done.set_exception(error)

    def _together(self, batch: list[_Pending]) -> None:
        merged: ProcessingEvent[Any] = ProcessingEvent()
        sizes = []
        for pending in batch:
            merged.events.extend(pending.processing.events)
            merged.aggregates.update(pending.processing.aggregates)
            sizes.append(len(pending.processing.events))

        def on_recorded(cursor: Any, positions: list[int]) -> None:
            start = 0
            for pending, size in zip(batch, sizes, strict=True):
                pending.on_recorded(cursor, positions[start : start + size])
                start += size

        merged.saved_kwargs["on_recorded"] = on_recorded
        try:
            recordings = self._record(merged)
        except CommitOutcomeUnknownError as error:
            for pending in batch:
                pending.done.set_exception(error)
            return
        except BaseException:
            for pending in batch:
                self._alone(pending)
            return
        start = 0
        for pending, size in zip(batch, sizes, strict=True):
            pending.done.set_result(recordings[start : start + size])
            start += size
