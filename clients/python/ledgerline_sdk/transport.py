"""How a call reaches the API, for the sync and the async client alike: one `Call` describes a
request and how to read its answer; `Core` decides its headers and what each answer means; the
two senders only do the I/O.

- Every write carries an Idempotency-Key, made once per logical call and reused on each of its
  retries, so a retried write is applied once.
- Retries are bounded (`retries_max`) with exponential backoff and jitter, honouring
  `Retry-After`: on 409 IDEMPOTENCY_KEY_IN_PROGRESS, 429, 503, and on no answer at all.
- Read-your-writes: the client remembers the highest `meta.position` its writes answered and
  sends it as `X-Min-Position` on reads, so a read after a write sees it.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
import msgspec

from ledgerline_sdk.errors import ConnectionFailedError, LedgerlineError, error_from
from ledgerline_sdk.models import Envelope, Meta

T = TypeVar("T")

API_PATH = "/api/v1"
USER_AGENT = "ledgerline-sdk-python/0.1.0"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETRIED_CODES = frozenset({"IDEMPOTENCY_KEY_IN_PROGRESS"})
RETRIED_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool
    next_cursor: str | None


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    data_type: type[T]  # the type of the envelope's `data`
    params: dict[str, Any] | None = None
    body: Any = None
    reads_models: bool = False  # honours X-Min-Position
    wait_s: float | None = None  # Prefer: wait=N
    idempotency_key: str | None = None
    paged: bool = False


def page_of(path: str, item: type[T], params: dict[str, Any]) -> Call[Page[T]]:
    """A list call: one page of `item`s, read with read-your-writes."""
    return Call("GET", path, list[item], params=params, reads_models=True, paged=True)  # type: ignore[arg-type, valid-type]


@dataclass(frozen=True)
class Retries:
    retries_max: int = 4
    backoff_min_s: float = 0.25
    backoff_max_s: float = 8.0
    retry_after_max_s: float = 30.0

    def delay_s(self, attempt: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return min(retry_after_s, self.retry_after_max_s)
        ceiling = min(self.backoff_max_s, self.backoff_min_s * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # jitter, not a secret


@dataclass
class Core:
    api_key: str
    base_url: str
    retries: Retries = field(default_factory=Retries)
    read_your_writes: bool = True
    position: int = 0

    def __post_init__(self) -> None:
        base = self.base_url.rstrip("/")
        self.base_url = base if base.endswith(API_PATH) else base + API_PATH

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "User-Agent": USER_AGENT}

    def request(self, call: Call[Any], key: str | None) -> dict[str, Any]:
        headers: dict[str, str] = {}
        if key is not None:
            headers["Idempotency-Key"] = key
        if call.wait_s:
            headers["Prefer"] = f"wait={int(call.wait_s)}"
        if call.reads_models and self.read_your_writes and self.position:
            headers["X-Min-Position"] = str(self.position)
        params = {k: v for k, v in (call.params or {}).items() if v is not None}
        request: dict[str, Any] = {"method": call.method, "url": call.path, "headers": headers}
        if params:
            request["params"] = params
        if call.body is not None:
            request["content"] = msgspec.json.encode(call.body)
            headers["Content-Type"] = "application/json"
        return request

    def idempotency_key(self, call: Call[Any]) -> str | None:
        if call.method not in WRITES:
            return None
        return call.idempotency_key or f"sdk-{uuid.uuid4().hex}"

    def answer(self, call: Call[T], response: httpx.Response) -> T:
        """The call's result, or the typed error it answered."""
        if response.is_error:
            raise error_from(response.status_code, response.content, response.headers)
        envelope = msgspec.json.decode(
            response.content,
            type=Envelope[call.data_type],  # type: ignore[name-defined]
        )
        self.seen(envelope.meta)
        if call.paged:
            pagination = envelope.meta.pagination
            return Page(  # type: ignore[return-value]
                list(envelope.data),
                bool(pagination and pagination.has_more),
                pagination.next_cursor if pagination else None,
            )
        return envelope.data  # type: ignore[no-any-return]

    def seen(self, meta: Meta) -> None:
        if meta.position is not None and meta.position > self.position:
            self.position = meta.position

    def retry_delay_s(self, attempt: int, error: LedgerlineError) -> float | None:
        """How long to wait before retrying after `error`, or None to give up."""
        if attempt >= self.retries.retries_max:
            return None
        if error.code in RETRIED_CODES or error.status in RETRIED_STATUSES or error.status == 0:
            return self.retries.delay_s(attempt, error.retry_after_s)
        return None


def no_answer(error: httpx.TransportError) -> ConnectionFailedError:
    return ConnectionFailedError(0, "CONNECTION_FAILED", f"{type(error).__name__}: {error}")


class SyncSender:
    def __init__(self, core: Core, client: httpx.Client) -> None:
        self.core = core
        self.client = client

    def send(self, call: Call[T]) -> T:
        key = self.core.idempotency_key(call)
        attempt = 0
        while True:
            try:
                response = self.client.request(**self.core.request(call, key))
                return self.core.answer(call, response)
            except httpx.TransportError as failure:
                error: LedgerlineError = no_answer(failure)
            except LedgerlineError as refused:
                error = refused
            delay = self.core.retry_delay_s(attempt, error)
            if delay is None:
                raise error
            time.sleep(delay)
            attempt += 1


class AsyncSender:
    def __init__(self, core: Core, client: httpx.AsyncClient) -> None:
        self.core = core
        self.client = client

    async def send(self, call: Call[T]) -> T:
        key = self.core.idempotency_key(call)
        attempt = 0
        while True:
            try:
                response = await self.client.request(**self.core.request(call, key))
                return self.core.answer(call, response)
            except httpx.TransportError as failure:
                error: LedgerlineError = no_answer(failure)
            except LedgerlineError as refused:
                error = refused
            delay = self.core.retry_delay_s(attempt, error)
            if delay is None:
                raise error
            await asyncio.sleep(delay)
            attempt += 1
