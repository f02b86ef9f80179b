"""Read-your-writes: a GET may send `X-Min-Position` (the `meta.position` of a command it made)
and is answered once the read models it reads have applied that position, waiting at most
MIN_POSITION_WAIT_S in all. Past that it is answered from the models as they are.

The header is a log position: digits only, at most POSITION_MAX (PostgreSQL's bigint); anything
else is a 400 naming it. A wait holds a handler thread, so at most MIN_POSITION_WAITS_MAX
requests wait at once in a process, a quarter of the HANDLER_THREADS every request shares: a
flood of far-ahead positions cannot starve other requests (or /health). A request past that
bound is answered at once, as an unmet wait is.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from typing import Any, Final

from litestar import Request

from domain.errors import ValidationError
from interfaces.http.edge.handler_threads import HANDLER_THREADS
from projections.store import ProjectionStore

MIN_POSITION_HEADER: Final = "x-min-position"
MIN_POSITION_WAIT_S: Final = 5.0
MIN_POSITION_WAITS_MAX: Final = HANDLER_THREADS // 4
POSITION_MAX: Final = 2**63 - 1  # positions are PostgreSQL bigint notification ids
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
        self, stores: Mapping[str, ProjectionStore], waits_max: int = MIN_POSITION_WAITS_MAX
    ) -> None:
        self._stores = stores
        self._waits = threading.BoundedSemaphore(waits_max)

    def wait(self, request: Request[Any, Any, Any], *projections: str) -> bool:
        """Honours `X-Min-Position`: True when `projections` have applied it (or none was
        asked for), False when the wait went unmet (too long, or too many waiting already)."""
        position = min_position(request.headers.get(MIN_POSITION_HEADER))
        if position is None:
            return True
        stores = [self._stores[name] for name in projections]
        if all(store.position() >= position for store in stores):
            return True
        if not self._waits.acquire(blocking=False):
            return False
        try:
            deadline = time.monotonic() + MIN_POSITION_WAIT_S
            return all(
                store.wait_for(position, max(0.0, deadline - time.monotonic())) for store in stores
            )
        finally:
            self._waits.release()
