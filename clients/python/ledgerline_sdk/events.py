"""The event feed over SSE, resumable: `events.stream(after=...)` yields every event after that
position, in order, and when the connection drops (a network failure, a server restart) it
reconnects with `Last-Event-ID` set to the last event it yielded, so nothing is lost or
repeated. Without `after` it starts at the feed's end at the first connection.

Reconnection waits the server's `retry:` hint, backing off on consecutive failures; after
`failures_max` consecutive failed connections it raises ConnectionFailedError. An error answer
other than 429/503 (a bad filter, a revoked key) is raised at once, typed.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from ledgerline_sdk.errors import ConnectionFailedError, LedgerlineError, error_from
from ledgerline_sdk.models import Event
from ledgerline_sdk.transport import Core

FAILURES_MAX = 10
READ_TIMEOUT_S = 60.0  # several heartbeats: a silent connection is a dead one
RETRY_DEFAULT_MS = 3000
BACKOFF_MAX_S = 30.0


@dataclass
class Frames:
    """An SSE parser: lines in, events out (`id:`/`event:`/`data:`/`retry:`; comments skipped)."""

    retry_ms: int = RETRY_DEFAULT_MS
    _data: list[str] = field(default_factory=list)

    def line(self, text: str) -> Event | None:
        if text == "":
            if not self._data:
                return None
            data, self._data = "\n".join(self._data), []
            return msgspec.json.decode(data, type=Event)
        if text.startswith(":"):
            return None
        name, _, value = text.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self._data.append(value)
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None


@dataclass
class Resumption:
    """Where the stream is, and how long to wait before the next connection."""

    after: int | None
    failures: int = 0

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.after is not None:
            headers["Last-Event-ID"] = str(self.after)
        return headers

    def fresh(self, event: Event) -> bool:
        """Whether `event` is new (a replayed duplicate is dropped)."""
        if self.after is not None and event.position <= self.after:
            return False
        self.after = event.position
        return True

    def failed(self, frames: Frames, error: LedgerlineError) -> float:
        """Seconds to wait before reconnecting after a dropped or refused connection."""
        self.failures += 1
        if self.failures > FAILURES_MAX:
            raise error
        hint = error.retry_after_s if error.retry_after_s is not None else frames.retry_ms / 1000
        backoff = min(BACKOFF_MAX_S, hint * 2 ** (self.failures - 1))
        return random.uniform(hint, max(hint, backoff))  # jitter, not a secret


def _params(types: list[str] | None, resources: list[str] | None, user_id: str | None) -> Any:
    params: list[tuple[str, str]] = [("types", t) for t in types or ()]
    params += [("resources", r) for r in resources or ()]
    if user_id is not None:
        params.append(("userId", user_id))
    return params


def _refusal(response: httpx.Response, body: bytes) -> LedgerlineError:
    error = error_from(response.status_code, body, response.headers)
    if response.status_code in (429, 503):
        return error
    raise error


def _dropped(error: Exception) -> ConnectionFailedError:
    return ConnectionFailedError(0, "STREAM_DROPPED", f"{type(error).__name__}: {error}")


class Events:
    def __init__(self, core: Core, client: httpx.Client) -> None:
        self._core = core
        self._client = client

    def stream(
        self,
        *,
        after: int | None = None,
        types: list[str] | None = None,
        resources: list[str] | None = None,
        user_id: str | None = None,
    ) -> Iterator[Event]:
        where = Resumption(after)
        params = _params(types, resources, user_id)
        timeout = httpx.Timeout(30.0, read=READ_TIMEOUT_S)
        while True:
            frames = Frames()
            try:
                with self._client.stream(
                    "GET", "/events", params=params, headers=where.headers(), timeout=timeout
                ) as response:
                    if response.status_code != 200:
                        error = _refusal(response, response.read())
                    else:
                        where.failures = 0
                        for text in response.iter_lines():
                            event = frames.line(text)
                            if event is not None and where.fresh(event):
                                yield event
                        error = _dropped(EOFError("the server closed the stream"))
            except (httpx.TransportError, httpx.StreamError) as failure:
                error = _dropped(failure)
            time.sleep(where.failed(frames, error))


class AsyncEvents:
    def __init__(self, core: Core, client: httpx.AsyncClient) -> None:
        self._core = core
        self._client = client

    async def stream(
        self,
        *,
        after: int | None = None,
        types: list[str] | None = None,
        resources: list[str] | None = None,
        user_id: str | None = None,
    ) -> AsyncIterator[Event]:
        where = Resumption(after)
        params = _params(types, resources, user_id)
        timeout = httpx.Timeout(30.0, read=READ_TIMEOUT_S)
        while True:
            frames = Frames()
            try:
                async with self._client.stream(
                    "GET", "/events", params=params, headers=where.headers(), timeout=timeout
                ) as response:
                    if response.status_code != 200:
                        error = _refusal(response, await response.aread())
                    else:
                        where.failures = 0
                        async for text in response.aiter_lines():
                            event = frames.line(text)
                            if event is not None and where.fresh(event):
                                yield event
                        error = _dropped(EOFError("the server closed the stream"))
            except (httpx.TransportError, httpx.StreamError) as failure:
                error = _dropped(failure)
            await asyncio.sleep(where.failed(frames, error))
