"""Read-your-writes: a GET may send `X-Min-Position` (the `meta.position` of a command it made)
and is answered only once the read models it reads have applied that position, waiting at most
MIN_POSITION_WAIT_S in all. It is never answered stale: past the wait the answer is 503
POSITION_NOT_REACHED with `Retry-After`, and a position beyond the log's end (which no command
ever answered) is a 400 at once.

The header is a log position: digits only, at most POSITION_MAX (PostgreSQL's bigint); anything
else is a 400 naming it. A wait holds a handler thread, so at most MIN_POSITION_WAITS_MAX
requests wait at once in a process, a quarter of the HANDLER_THREADS every request shares: a
flood of far-ahead positions cannot starve other requests (or /health). A request past that
bound is answered at once as an unmet wait is (503 with `Retry-After`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from litestar import Request

from domain.errors import ValidationError
from interfaces.http.edge.errors import PositionNotReachedError
from interfaces.http.edge.handler_threads import HANDLER_THREADS
from interfaces.workers.log_signal import LogSignal
from projections.store import ProjectionStore

MIN_POSITION_HEADER: Final = "x-min-position"
MIN_POSITION_WAIT_S: Final = 5.0
MIN_POSITION_WAITS_MAX: Final = HANDLER_THREADS // 4
POSITION_MAX: Final = 2**63 - 1  # positions are PostgreSQL bigint notification ids
RETRY_AFTER_S: Final = 1
RECHECK_FIRST_S: Final = 0.002
RECHECK_MAX_S: Final = 0.02
_POSITION = re.compile(r"[0-9]{1,19}")


def min_position(raw: str | None) -> int | None:
    """The position `X-Min-Position` asks for, if sent; a 400 unless it is a log position."""
    if raw is None:
        return None
    if not _POSITION.fullmatch(raw) or int(raw) > POSITION_MAX:
        raise ValidationError(
            f"X-Min-Position must be a log position: an integer from 0 to {POSITION_MAX}",
            field="X-Min-Position",
        )
    return int(raw)


class ReadYourWrites:
    def __init__(
        self,
        stores: Mapping[str, ProjectionStore],
        head: Callable[[], int],
        waits_max: int = MIN_POSITION_WAITS_MAX,
        *,
        signal: LogSignal | None = None,
    ) -> None:
        self._stores = stores
        self._head = head
        self._signal = signal
        self._waits = threading.BoundedSemaphore(waits_max)

    def wait(self, request: Request[Any, Any, Any], *projections: str) -> None:
        """Honours `X-Min-Position`: returns once `projections` have applied it; raises
        PositionNotReachedError when they do not within the bound (or too many wait already)."""
        wanted = min_position(request.headers.get(MIN_POSITION_HEADER))
        if wanted is None:
            return
        behind = [name for name in projections if not self._stores[name].has_applied(wanted)]
        if not behind:
            return
        head = self._head()
        if wanted > head:
            raise ValidationError(
                f"X-Min-Position {wanted} is beyond the log's last position ({head})",
                field="X-Min-Position",
                head=head,
            )
        if not self._waits.acquire(blocking=False):
            raise self._not_reached(behind[0], wanted, "too many requests are waiting already")
        try:
            deadline = time.monotonic() + MIN_POSITION_WAIT_S
            for name in behind:
                left_s = max(0.0, deadline - time.monotonic())
                if not self._reached(name, wanted, left_s):
                    raise self._not_reached(name, wanted, f"not within {MIN_POSITION_WAIT_S:g} s")
        finally:
            self._waits.release()

    def _reached(self, name: str, wanted: int, timeout_s: float) -> bool:
        """Whether read model `name` applied `wanted` within `timeout_s`."""
        store = self._stores[name]
        if self._signal is None:
            return store.wait_for(wanted, timeout_s)
        deadline = time.monotonic() + timeout_s
        seen = self._signal.generation
        recheck_s = RECHECK_FIRST_S
        while not store.has_applied(wanted):
            left_s = deadline - time.monotonic()
            if left_s <= 0:
                return False
            moved = self._signal.wait(seen, min(recheck_s, left_s))
            recheck_s = RECHECK_FIRST_S if moved != seen else min(recheck_s * 2, RECHECK_MAX_S)
            seen = moved
        return True

    def _not_reached(self, name: str, wanted: int, why: str) -> PositionNotReachedError:
        return PositionNotReachedError(
            f"the {name} read model did not reach position {wanted}: {why}",
            readModel=name,
            minPosition=wanted,
            position=self._stores[name].position(),
            retryAfter=RETRY_AFTER_S,
        )
