"""Server-sent event streams of Horizon feeds (payments, operations, transactions).

A stream opens with Horizon's hello frame, then sends one frame per record with the paging token
as its `id`, in ascending order and strictly after the cursor, so a client that reconnects with
`Last-Event-ID` (which overrides `cursor`) continues without gaps or duplicates. New records are
pushed when a ledger closes (or becomes visible after ingest lag). An injected `sse_disconnect`
ends the stream after K events, politely with the goodbye frame or abruptly.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from sandbox.chain.chain import Chain
from sandbox.faults.fault_rules import FaultRule
from sandbox.faults.transports import abort_connection
from sandbox.horizon.horizon_feeds import Feed, feed_records
from sandbox.horizon.horizon_problems import HorizonProblem, not_found
from sandbox.horizon.paging import PAGE_LIMIT_MAX, ListRequest, parse_list_request

STREAM_POLL_INTERVAL_S = 0.2
STREAM_KEEPALIVE_S = 10.0
HELLO_FRAME = b'retry: 1000\nevent: open\ndata: "hello"\n\n'
GOODBYE_FRAME = b'retry: 10\nevent: close\ndata: "byebye"\n\n'
KEEPALIVE_FRAME = b": keepalive\n\n"
_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"connection", b"keep-alive"),
    (b"access-control-allow-origin", b"*"),
]


def wants_event_stream(scope: Any) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"accept" and b"text/event-stream" in value:
            return True
    return False


async def serve_stream(
    scope: Any,
    receive: Any,
    send: Any,
    *,
    chain: Chain,
    feed: Feed,
    base: str,
    fault: FaultRule | None,
) -> None:
    params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    last_event_id = _header(scope, b"last-event-id")
    try:
        if feed.account is not None and not chain.knows_account(feed.account):
            raise not_found()
        request = parse_list_request(params, chain.ingested_ledger(), last_event_id)
    except HorizonProblem as problem:
        for message in problem.asgi_messages():
            await send(message)
        return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": HELLO_FRAME, "more_body": True})
    disconnected, wake = asyncio.Event(), asyncio.Event()
    watcher = asyncio.create_task(_watch_disconnect(receive, disconnected, wake))
    try:
        await _pump(scope, receive, send, chain, feed, base, request, fault, disconnected, wake)
    finally:
        watcher.cancel()


async def _pump(
    scope: Any,
    receive: Any,
    send: Any,
    chain: Chain,
    feed: Feed,
    base: str,
    request: ListRequest,
    fault: FaultRule | None,
    disconnected: asyncio.Event,
    wake: asyncio.Event,
) -> None:
    loop = asyncio.get_running_loop()

    def wake_up() -> None:
        loop.call_soon_threadsafe(wake.set)

    unsubscribe = chain.subscribe(wake_up)
    cursor, sent, idle_s = request.query.cursor, 0, 0.0
    disconnect_after = fault.after_events if fault and fault.mode == "sse_disconnect" else None
    try:
        while not disconnected.is_set():
            if disconnect_after is not None and sent >= disconnect_after:
                await _disconnect(scope, receive, send, fault)
                return
            wake.clear()
            batch = feed_records(chain, feed, _after(request, cursor, chain), base)
            for token, record in batch[: _room(disconnect_after, sent)]:
                frame = b"id: %d\ndata: %s\n\n" % (token, msgspec.json.encode(record))
                await send({"type": "http.response.body", "body": frame, "more_body": True})
                cursor, sent, idle_s = token, sent + 1, 0.0
            if batch:
                continue
            # New ledgers wake us; only ledgers hidden by ingest lag need polling.
            wait_s = STREAM_POLL_INTERVAL_S if chain.pending_ingestion() else STREAM_KEEPALIVE_S
            try:
                await asyncio.wait_for(wake.wait(), timeout=wait_s)
            except TimeoutError:
                idle_s += wait_s
                if idle_s >= STREAM_KEEPALIVE_S:
                    await send(
                        {"type": "http.response.body", "body": KEEPALIVE_FRAME, "more_body": True}
                    )
                    idle_s = 0.0
    finally:
        unsubscribe()


def _after(request: ListRequest, cursor: int | None, chain: Chain) -> ListRequest:
    """The same feed, ascending, strictly after the last record sent, up to what is ingested."""
    query = dataclasses.replace(
        request.query,
        cursor=cursor,
        descending=False,
        limit=PAGE_LIMIT_MAX,
        max_ledger=chain.ingested_ledger(),
    )
    return dataclasses.replace(request, query=query)


def _room(disconnect_after: int | None, sent: int) -> int | None:
    return None if disconnect_after is None else max(disconnect_after - sent, 0)


async def _disconnect(scope: Any, receive: Any, send: Any, fault: FaultRule | None) -> None:
    if fault is not None and fault.abrupt:
        await abort_connection(scope, receive, send, response_started=True)
        return
    await send({"type": "http.response.body", "body": GOODBYE_FRAME, "more_body": False})


async def _watch_disconnect(receive: Any, disconnected: asyncio.Event, wake: asyncio.Event) -> None:
    while (await receive())["type"] != "http.disconnect":
        continue
    disconnected.set()
    wake.set()


def _header(scope: Any, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None
