"""Payment feeds: JSON pages (cursor, order, limit, join) and SSE streams with resumption.

Streams are read with stellar-sdk's own sync and async stream clients, and once with raw HTTP to
check the frames themselves. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from stellar_sdk import Keypair, Server, ServerAsync
from stellar_sdk.client.aiohttp_client import AiohttpClient

from sandbox.server import SandboxServer

from .stellar_wallets import new_keypair, new_wallet, stroops, submit, usdc_of

pytestmark = pytest.mark.integration
STREAM_WAIT_S = 10.0


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer) -> Server:
    return Server(sandbox.horizon_url)


def pay(
    sandbox: SandboxServer,
    server: Server,
    sender: Keypair,
    receiver: Keypair,
    amount: str,
    memo: str | None = None,
) -> dict[str, Any]:
    def build(builder: Any) -> Any:
        builder.append_payment_op(receiver.public_key, usdc_of(sandbox), amount)
        return builder.add_text_memo(memo) if memo else builder

    return submit(server, sandbox, sender, build)


def latest_token(server: Server, account: str) -> str:
    records = server.payments().for_account(account).order(desc=True).limit(1).call()
    return str(records["_embedded"]["records"][0]["paging_token"])


def test_pages_follow_the_cursor_without_overlap_in_both_orders(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="10")
    receiver = new_wallet(sandbox, server)
    for amount in ("1", "2", "3"):
        pay(sandbox, server, sender, receiver, amount)
    builder = server.payments().for_account(receiver.public_key).order(desc=False).limit(2)
    first = builder.call()["_embedded"]["records"]
    second = builder.next()["_embedded"]["records"]
    ascending = [int(r["paging_token"]) for r in first + second]
    assert ascending == sorted(ascending)
    assert len(set(ascending)) == len(ascending) == 4  # create_account + three payments
    assert [r["amount"] for r in second] == ["2.0000000", "3.0000000"]
    descending = server.payments().for_account(receiver.public_key).order(desc=True).limit(4)
    tokens = [int(r["paging_token"]) for r in descending.call()["_embedded"]["records"]]
    assert tokens == sorted(ascending, reverse=True)


def test_page_links_point_back_at_the_sandbox(sandbox: SandboxServer, server: Server) -> None:
    wallet = new_wallet(sandbox, server)
    page = server.payments().for_account(wallet.public_key).limit(1).call()
    assert page["_links"]["next"]["href"].startswith(sandbox.horizon_url + "/accounts/")
    assert "cursor=" in page["_links"]["prev"]["href"]


def test_join_transactions_embeds_the_transaction_and_its_memo(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="5")
    receiver = new_wallet(sandbox, server)
    pay(sandbox, server, sender, receiver, "1", memo="order-77")
    records = (
        server.payments()
        .for_account(receiver.public_key)
        .order(desc=True)
        .limit(1)
        .join("transactions")
        .call()["_embedded"]["records"]
    )
    assert records[0]["transaction"]["memo"] == "order-77"
    assert records[0]["transaction"]["memo_type"] == "text"


def test_failed_payments_appear_only_with_include_failed(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="1")
    receiver = new_wallet(sandbox, server)
    with pytest.raises(Exception):  # noqa: B017 - op_underfunded, checked elsewhere
        pay(sandbox, server, sender, receiver, "2")
    plain = server.payments().for_account(receiver.public_key).call()["_embedded"]["records"]
    every = (
        server.payments()
        .for_account(receiver.public_key)
        .include_failed(True)
        .call()["_embedded"]["records"]
    )
    assert [r["transaction_successful"] for r in every if r["type"] == "payment"] == [False]
    assert not [r for r in plain if r["type"] == "payment"]


def test_bad_list_queries_are_refused_and_unknown_accounts_are_not_found(
    sandbox: SandboxServer,
) -> None:
    base = sandbox.horizon_url
    negative = httpx.get(f"{base}/payments", params={"cursor": "-5"})
    assert negative.status_code == 400
    assert negative.json()["extras"]["invalid_field"] == "cursor"
    assert httpx.get(f"{base}/payments", params={"limit": "201"}).status_code == 400
    unknown = httpx.get(f"{base}/accounts/{new_keypair().public_key}/payments")
    assert unknown.status_code == 404


def test_a_raw_stream_opens_with_hello_and_honours_last_event_id(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="10")
    receiver = new_wallet(sandbox, server)
    first = pay(sandbox, server, sender, receiver, "1")
    pay(sandbox, server, sender, receiver, "2")
    first_token = str(
        next(
            r["paging_token"]
            for r in server.payments()
            .for_account(receiver.public_key)
            .call()["_embedded"]["records"]
            if r["transaction_hash"] == first["hash"]
        )
    )
    url = f"{sandbox.horizon_url}/accounts/{receiver.public_key}/payments"
    headers = {"Accept": "text/event-stream", "Last-Event-ID": first_token}
    with httpx.stream("GET", url, params={"cursor": "0"}, headers=headers, timeout=5) as stream:
        assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
        frames = _frames(stream.iter_lines(), count=2)
    assert frames[0] == {"retry": "1000", "event": "open", "data": '"hello"'}
    # Last-Event-ID overrides cursor=0: the stream resumes after the first payment.
    assert int(frames[1]["id"]) > int(first_token)
    assert '"amount":"2.0000000"' in frames[1]["data"]


def test_cursor_now_streams_only_payments_made_after_connecting(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="10")
    receiver = new_wallet(sandbox, server)
    pay(sandbox, server, sender, receiver, "1")
    url = f"{sandbox.horizon_url}/accounts/{receiver.public_key}/payments"
    headers = {"Accept": "text/event-stream"}
    with httpx.stream("GET", url, params={"cursor": "now"}, headers=headers, timeout=5) as stream:
        lines = stream.iter_lines()
        assert _frames(lines, count=1)[0]["event"] == "open"
        pay(sandbox, server, sender, receiver, "4")
        (frame,) = _frames(lines, count=1)
    assert '"amount":"4.0000000"' in frame["data"]


def test_sync_stream_resumed_from_a_cursor_has_no_gaps_or_duplicates(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="100")
    receiver = new_wallet(sandbox, server)
    start = latest_token(server, receiver.public_key)
    received: list[dict[str, Any]] = []
    first_reader = _stream_in_thread(server, receiver.public_key, start, 2, received)
    for amount in ("1", "2", "3", "4", "5"):
        pay(sandbox, server, sender, receiver, amount)
    first_reader.join(STREAM_WAIT_S)
    assert len(received) == 2
    resumed: list[dict[str, Any]] = []
    second_reader = _stream_in_thread(
        server, receiver.public_key, received[-1]["paging_token"], 3, resumed
    )
    second_reader.join(STREAM_WAIT_S)
    amounts = [r["amount"] for r in received + resumed]
    assert amounts == [f"{n}.0000000" for n in range(1, 6)]
    tokens = [int(r["paging_token"]) for r in received + resumed]
    assert tokens == sorted(set(tokens))


def test_async_stream_delivers_payments_made_while_it_listens(
    sandbox: SandboxServer, server: Server
) -> None:
    sender = new_wallet(sandbox, server, usdc="10")
    receiver = new_wallet(sandbox, server)
    start = latest_token(server, receiver.public_key)

    async def listen() -> list[dict[str, Any]]:
        async with ServerAsync(sandbox.horizon_url, client=AiohttpClient()) as async_server:
            records: list[dict[str, Any]] = []
            stream = async_server.payments().for_account(receiver.public_key).cursor(start)
            async for record in stream.stream():
                records.append(record)
                if len(records) == 1:
                    await asyncio.to_thread(pay, sandbox, server, sender, receiver, "2")
                if len(records) == 2:
                    return records
            return records

    async def main() -> list[dict[str, Any]]:
        return await asyncio.wait_for(listen(), timeout=STREAM_WAIT_S)

    pay(sandbox, server, sender, receiver, "1")
    records = asyncio.run(main())
    assert [r["amount"] for r in records] == ["1.0000000", "2.0000000"]
    assert sandbox.chain.usdc_balance(receiver.public_key) == stroops("3")


def _stream_in_thread(
    server: Server, account: str, cursor: str, count: int, out: list[dict[str, Any]]
) -> threading.Thread:
    def consume() -> None:
        for record in server.payments().for_account(account).cursor(cursor).stream():
            out.append(record)
            if len(out) >= count:
                return

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    return thread


def _frames(lines: Iterator[str], count: int) -> list[dict[str, str]]:
    """The next `count` SSE frames (comments skipped), each as a field -> value dict."""
    frames: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in lines:
        if line.startswith(":"):
            continue
        if not line:
            if current:
                frames.append(current)
                current = {}
                if len(frames) == count:
                    return frames
            continue
        name, _, value = line.partition(":")
        current[name] = value.lstrip(" ")
    raise AssertionError("the stream ended early")
