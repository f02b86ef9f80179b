"""The threads the API's blocking work runs in: HANDLER_THREADS for synchronous handlers and
EDGE_THREADS for the edge's own steps, per process.

Litestar runs a synchronous handler in the event loop's default executor, which asyncio sizes
at min(32, cores + 4) — six threads on a two-core machine, so six requests that wait (for a
read model to reach a position, for a saga to settle) once held every handler and /health with
them. The app gives its loop a pool of its own size at startup instead; the waits that may hold
a thread are bounded well below it (read_your_writes.py).

The edge (middleware.py) runs what admission cannot do on the loop (admission.py: a key read
from the log, a claim written beforehand) and settles idempotency claims in threads of its own,
so a dependency stalling it holds none of the handlers' threads, nor they its. It hops there
with the loop's `run_in_executor`, which costs about a third of the CPU of
`anyio.to_thread.run_sync` (28 against 75 µs a hop here, a fifth of it in the kernel against
two fifths): anyio's capacity limiter, cancel scope and worker queue are machinery the edge
does not need, and an empty authenticated GET spent about a sixth of its CPU on them
(docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Final, TypeVar

# A few more than the API's PostgreSQL pool (20 in `serve`): a handler mostly waits on it.
HANDLER_THREADS: Final = 24
# As many as anyio's default limiter allowed the edge before: under a Redis stall each admission
# holds one for up to the client's socket timeout (REDIS_TIMEOUT_S, interfaces/bootstrap.py),
# and the rest queue.
EDGE_THREADS: Final = 40

T = TypeVar("T")

_edge_pool = ThreadPoolExecutor(EDGE_THREADS, thread_name_prefix="edge")


def use_handler_threads() -> None:
    """On startup, inside the server's loop: run synchronous handlers in HANDLER_THREADS."""
    executor = ThreadPoolExecutor(HANDLER_THREADS, thread_name_prefix="handler")
    asyncio.get_running_loop().set_default_executor(executor)


async def in_edge_thread(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in one of the edge's threads, with the caller's context variables
    (the request's log fields and span)."""
    call = partial(contextvars.copy_context().run, function, *args)
    return await asyncio.get_running_loop().run_in_executor(_edge_pool, call)
