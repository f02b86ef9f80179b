"""Fields every log line written inside a block carries: the request id of the request being
served, the log position being applied or the saga being advanced. The process's formatter
(infrastructure/observability/logs.py) adds them, with the active trace and span ids, to each
JSON line.

Context variables, so they follow a request into the worker thread that runs its handler and
never leak between concurrent requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_fields: ContextVar[dict[str, Any] | None] = ContextVar("ledgerline_log_fields", default=None)


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Adds `fields` to every log line written inside the block (nested blocks add to them)."""
    token = _fields.set({**(_fields.get() or {}), **fields})
    try:
        yield
    finally:
        _fields.reset(token)


def current_fields() -> dict[str, Any]:
    return _fields.get() or {}
