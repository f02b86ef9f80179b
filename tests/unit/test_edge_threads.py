"""The edge's threads: admission and claim settling run off the event loop, in the edge's own
pool, seeing the request's context variables, and their errors reach the request."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from interfaces.http.edge.handler_threads import in_edge_thread

pytestmark = pytest.mark.unit
REQUEST: contextvars.ContextVar[str] = contextvars.ContextVar("request")


def test_an_edge_step_runs_in_an_edge_thread_with_the_callers_context() -> None:
    def step() -> tuple[str, str]:
        return threading.current_thread().name, REQUEST.get()

    async def request() -> tuple[str, str, str]:
        REQUEST.set("req-7")
        name, seen = await in_edge_thread(step)
        return threading.current_thread().name, name, seen

    loop_thread, step_thread, seen = asyncio.run(request())
    assert step_thread.startswith("edge") and step_thread != loop_thread
    assert seen == "req-7"


def test_an_edge_step_that_fails_raises_in_the_request() -> None:
    def refuse(reason: str) -> None:
        raise LookupError(reason)

    with pytest.raises(LookupError, match="no such key"):
        asyncio.run(in_edge_thread(refuse, "no such key"))
