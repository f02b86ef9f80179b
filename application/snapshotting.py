"""Snapshots are taken on a thread of their own, never on the group committer's.

Taking one reloads the aggregate and writes a row (about 18 ms under load): on the commit thread
it stalled every command of the next batch. A snapshot only shortens later loads, so one that
is skipped — the queue is full, the database went away, the process stopped — costs nothing but
a longer replay next time; and the events it summarises are already recorded, so a command is
never reported failed for its snapshot.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, Final

SNAPSHOTS_QUEUED_MAX: Final = 1024

log = logging.getLogger(__name__)


class BackgroundSnapshots:
    def __init__(self, take: Callable[[Any], None], name: str) -> None:
        self._take = take
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=SNAPSHOTS_QUEUED_MAX)
        self._thread = threading.Thread(target=self._run, name=f"{name}-snapshots", daemon=True)
        self._thread.start()

    def after_recording(self, processing: Any) -> None:
        """Hands a recorded batch over; skipped when the snapshot thread is behind."""
        try:
            self._queue.put_nowait(processing)
        except queue.Full:
            log.warning("snapshots skipped for a recorded batch: the snapshot queue is full")

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while (processing := self._queue.get()) is not None:
            try:
                self._take(processing)
            except Exception as error:
                log.warning("snapshot skipped after a recorded command: %s", error)
