"""`Prefer: wait=N` (RFC 7240): how long a client is willing to wait for an asynchronous command
to settle before it takes a 202. Bounded, so no request holds a worker thread for long."""

from __future__ import annotations

import re
from typing import Any, Final

from litestar import Request

PREFER_WAIT_MAX_S: Final = 30.0
_PREFER_WAIT = re.compile(r"(?:^|[;,\s])wait=(\d{1,5})(?:$|[;,\s])")


def prefer_wait_s(request: Request[Any, Any, Any]) -> float:
    """Seconds the client is willing to wait (`Prefer: wait=N`), at most PREFER_WAIT_MAX_S."""
    match = _PREFER_WAIT.search(request.headers.get("prefer", ""))
    return min(float(match.group(1)), PREFER_WAIT_MAX_S) if match else 0.0
