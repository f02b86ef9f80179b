"""The success envelope `{data, meta: {requestId, timestamp, position?, pagination?}}` and the
three ways a handler answers: a resource, a page, or the outcome of a command.

`command` wires idempotency into the use case: when the request holds an Idempotency-Key claim,
the rendered response is stored in the very transaction that records the command's events.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar import Response

from application.context import CommandContext
from domain.errors import DomainError
from infrastructure.observability import metrics
from infrastructure.postgres.idempotency import Claim, IdempotencyStore, StoredResponse
from interfaces.http.edge.edge_state import EdgeState
from interfaces.http.edge.prefer import wait_slot
from interfaces.http.schemas.wire import Timestamp, described
from interfaces.workers.log_signal import LogSignal
from projections.pagination import Page

T = TypeVar("T")
R = TypeVar("R")
I = TypeVar("I")  # noqa: E741

JSON = "application/json"
REPLAY_HEADER = "Idempotency-Replay"


class Pagination(msgspec.Struct, rename="camel"):
    has_more: bool
    next_cursor: Annotated[str | None, described(examples=["cDQy"])]


class Meta(msgspec.Struct, rename="camel", omit_defaults=True):
    request_id: Annotated[str, described(examples=["req_3f1c2b7a9e0d"])]
    timestamp: Timestamp
    # The log position a command's events reached: send it as X-Min-Position to read them.
    position: Annotated[int | None, described(examples=[42])] = None
    pagination: Pagination | None = None


class Envelope(msgspec.Struct, Generic[T]):
    data: T
    meta: Meta


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _ResponseCompletion:
    """Stores the rendered response with the command's events (see application.context)."""

    def __init__(
        self, store: IdempotencyStore, claim: Claim, render: Callable[[Any], StoredResponse]
    ) -> None:
        self._store = store
        self._claim = claim
        self._render = render
        # The result whose transaction wrote the record. A retried attempt may roll back a
        # write; only the attempt whose result the use case returns committed it.
        self.written_for: object | None = None
        self.response: StoredResponse | None = None

    def write(self, cursor: Any, result: Any) -> None:
        response = self._render(result)
        self._store.complete(self._claim, response, cursor=cursor)
        self.written_for, self.response = result, response


@dataclass(frozen=True)
class Waiting(Generic[R]):
    """`Prefer: wait=N`: reload the result until it is settled, for at most `seconds`. A saga
    settles by appending events, so with the commit signal each reload follows a commit (and
    at the latest `poll_s` after the last, should a notification be lost)."""

    seconds: float
    reload: Callable[[R], R]
    settled: Callable[[R], bool]
    poll_s: float = 0.05

    def wait(self, result: R, signal: LogSignal | None = None) -> tuple[R, bool]:
        with wait_slot() as waiting:
            deadline = time.monotonic() + self.seconds
            seen = signal.generation if signal is not None else 0
            while not self.settled(result):
                left_s = deadline - time.monotonic()
                if not waiting or left_s <= 0:
                    return result, False
                if signal is None:
                    time.sleep(min(self.poll_s, left_s))
                else:
                    seen = signal.wait(seen, min(self.poll_s, left_s))
                result = self.reload(result)
            return result, True


class Responder:
    """Per-request answers; provided to handlers as a dependency."""

    def __init__(
        self, state: EdgeState, idempotency: IdempotencyStore, signal: LogSignal | None = None
    ) -> None:
        self._state = state
        self._idempotency = idempotency
        self._signal = signal

    @property
    def context(self) -> CommandContext:
        principal = self._state.principal
        return CommandContext(
            request_id=self._state.request_id,
            api_key_id=principal.key_id if principal else None,
            correlation_id=self._state.request_id,
            traceparent=self._state.traceparent,
        )

    def ok(self, data: Any, *, status: int = 200, position: int | None = None) -> Response[Any]:
        return self._bytes(status, self._encode(data, position))

    def page(self, page: Page[I], present: Callable[[I], Any]) -> Response[Any]:
        meta = Meta(
            request_id=self._state.request_id,
            timestamp=now_iso(),
            pagination=Pagination(page.has_more, page.next_cursor),
        )
        body = msgspec.json.encode(Envelope([present(i) for i in page.items], meta))
        return self._bytes(200, body)

    def command(
        self,
        run: Callable[[CommandContext], R],
        present: Callable[[R], Any],
        status: int | Callable[[R], int] = 200,
        waiting: Waiting[R] | None = None,
    ) -> Response[Any]:
        """Runs a use case and answers with `present(result)` and the result's position. With
        `waiting` (an asynchronous command and `Prefer: wait=N`), answers 200 with the settled
        result if the saga settles in time, else `status` (202) with the result in flight."""

        def render(result: R) -> StoredResponse:
            code = status(result) if callable(status) else status
            position = getattr(result, "position", None)
            return StoredResponse(code, self._encode(present(result), position))

        context = self.context
        completion = None
        if self._state.claim is not None:
            completion = _ResponseCompletion(self._idempotency, self._state.claim, render)
            context = replace(context, completion=completion)
        try:
            result = run(context)
        except DomainError:
            replayed = self._replay_deferred()
            if replayed is None:
                raise
            return replayed
        written = completion is not None and completion.written_for is result
        if written and completion is not None and completion.response is not None:
            self._stored(completion.response)
        if waiting is not None and waiting.seconds > 0:
            settled_result, settled = waiting.wait(result, self._signal)
            if settled:
                position = getattr(result, "position", None)
                return self._bytes(200, self._encode(present(settled_result), position))
        if written and completion is not None and completion.response is not None:
            return self._bytes(completion.response.status, completion.response.body)
        response = render(result)
        return self._bytes(response.status, response.body)

    def _stored(self, response: StoredResponse) -> None:
        """The command stored `response` with its events: it is cached here, on the handler's
        thread, and the claim is settled (interfaces/http/edge/admission.py `Gate.settle`)."""
        assert self._state.claim is not None
        self._state.stored_in_transaction = response
        self._idempotency.remember(self._state.claim, response)
        self._state.settled = True

    def _replay_deferred(self) -> Response[Any] | None:
        """For a refused command whose Idempotency-Key claim was deferred to its transaction:
        the response another request recorded under the key, if one did. A duplicate that lost
        the race to record is refused by that record, and a retry after the first completed
        (its cached response gone) may be refused by the state the first left — a debit the
        first already made — when the client must hear the first's answer again."""
        claim = self._state.claim
        if claim is None or not claim.deferred:
            return None
        stored = self._idempotency.recorded(claim)  # which caches it
        if stored is None:
            return None
        self._state.stored_in_transaction = stored
        self._state.settled = True
        metrics.IDEMPOTENCY_REPLAYS.inc()
        return Response(
            content=stored.body,
            status_code=stored.status,
            media_type=JSON,
            headers={REPLAY_HEADER: "true"},
        )

    def _encode(self, data: Any, position: int | None) -> bytes:
        meta = Meta(request_id=self._state.request_id, timestamp=now_iso(), position=position)
        return msgspec.json.encode(Envelope(data, meta))

    @staticmethod
    def _bytes(status: int, body: bytes) -> Response[Any]:
        return Response(content=body, status_code=status, media_type=JSON)
