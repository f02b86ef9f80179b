"""`Prefer: wait=N` (RFC 7240): how long a client is willing to wait for an asynchronous command
to settle before it takes a 202. Bounded in time, so no request holds a handler thread for long,
and in number: at most PREFER_WAITS_MAX requests wait at once in a process (a quarter of the
handler threads); past that the preference is not honoured (RFC 7240 lets a server ignore one)
and the command answers 202 at once."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from litestar import Request

from interfaces.http.edge.handler_threads import HANDLER_THREADS

PREFER_WAIT_MAX_S: Final = 30.0
PREFER_WAITS_MAX: Final = HANDLER_THREADS // 4
_waits = threading.BoundedSemaphore(PREFER_WAITS_MAX)
_PREFER_WAIT = re.compile(r"(?:^|[;,\s])wait=(\d{1,5})(?:$|[;,\s])")


def prefer_wait_s(request: Request[Any, Any, Any]) -> float:
    """Seconds the client is willing to wait (`Prefer: wait=N`), at most PREFER_WAIT_MAX_S."""
    match = _PREFER_WAIT.search(request.headers.get("prefer", ""))
    return min(float(match.group(1)), PREFER_WAIT_MAX_S) if match else 0.0


@contextmanager
def wait_slot() -> Iterator[bool]:
    """Holds one of the PREFER_WAITS_MAX places to wait in, if one is free (yields whether)."""
    held = _waits.acquire(blocking=False)
    try:
        yield held
    finally:
        if held:
            _waits.release()
