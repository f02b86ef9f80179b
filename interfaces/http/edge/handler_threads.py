"""The threads the API's synchronous handlers run in: HANDLER_THREADS per process.

Litestar runs a synchronous handler in the event loop's default executor, which asyncio sizes
at min(32, cores + 4) — six threads on a two-core machine, so six requests that wait (for a
read model to reach a position, for a saga to settle) once held every handler and /health with
them. The app gives its loop a pool of its own size at startup instead; the waits that may hold
a thread are bounded well below it (read_your_writes.py).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Final

# A few more than the API's PostgreSQL pool (20 in `serve`): a handler mostly waits on it.
HANDLER_THREADS: Final = 24


def use_handler_threads() -> None:
    """On startup, inside the server's loop: run synchronous handlers in HANDLER_THREADS."""
    executor = ThreadPoolExecutor(HANDLER_THREADS, thread_name_prefix="handler")
    asyncio.get_running_loop().set_default_executor(executor)
