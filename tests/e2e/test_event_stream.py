"""SSE on `/events`: resumable from any position across restarts and instances, filtered,
bounded per key, kept alive by heartbeats, and never in the way of commands."""

from __future__ import annotations

import socket
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.support.instances import api_instance
from tests.support.sse import EventStreamClient
from tests.support.stack import Stack
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def new_user(stack: Stack) -> str:
    response = stack.client().post("/users", json={"externalUserId": f"sse-{uuid.uuid4().hex}"})
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def credit(stack: Stack, user_id: str, amount: str = "1.25") -> int:
    response = stack.client().post(
        f"/users/{user_id}/balance/credit", json={"amount": amount, "reason": "sse test"}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["meta"]["position"])


def published_for(stack: Stack, user_id: str, up_to: int) -> list[int]:
    """Positions of the published events about `user_id`, up to `up_to`, as the feed has them."""
    stack.caught_up()
    with stack.services.resources.pool.connection() as conn:
        rows = conn.execute(
            "SELECT position FROM rm_event_feed.events WHERE public AND user_ids @> ARRAY[%s]"
            " AND position <= %s ORDER BY position",
            (user_id, up_to),
        ).fetchall()
    return [r["position"] for r in rows]


def test_a_stream_resumed_across_an_api_restart_sees_every_event_once_in_order(
    stack: Stack,
) -> None:
    user = new_user(stack)
    key = stack.key("read")
    params = {"userId": user}
    with api_instance(stack) as first:
        reader = EventStreamClient(first.base_url, key, params, last_event_id="0").start()
        for _ in range(3):
            last = credit(stack, user)
        reader.wait_for_position(last)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 5, "shutdown waited on the open stream"
    assert reader.ended.wait(5)
    reader.close()
    seen_before = reader.positions()
    for _ in range(3):
        credit(stack, user)  # while no instance streams
    with api_instance(stack) as second:
        resumed = EventStreamClient(
            second.base_url, key, params, last_event_id=str(seen_before[-1])
        ).start()
        for _ in range(2):
            last = credit(stack, user)
        resumed.wait_for_position(last)
        resumed.close()
    got = seen_before + resumed.positions()
    assert got == published_for(stack, user, got[-1])
    assert got[-1] >= last


def test_a_stream_hears_of_a_commit_from_the_log_with_the_same_envelope_the_feed_stores(
    stack: Stack,
) -> None:
    """Streams follow the log itself: with the runner (and so the event_feed projection) down,
    a stream still gets each event, and its frame is the text the feed stores once it runs."""
    user = new_user(stack)
    key = stack.key("read")
    assert stack.runner is not None
    stack.caught_up()
    stack.runner.stop()
    try:
        with EventStreamClient(stack.base_url, key, {"userId": user, "after": "0"}) as stream:
            last = [credit(stack, user) for _ in range(3)][-1]
            stream.wait_for_position(last)
    finally:
        stack.restart_runner()
    got = {frame.position: frame.data for frame in stream.frames}
    stack.caught_up()
    with stack.services.resources.pool.connection() as conn:
        stored = conn.execute(
            "SELECT position, envelope::text AS envelope FROM rm_event_feed.events"
            " WHERE position = ANY(%s) ORDER BY position",
            (list(got),),
        ).fetchall()
    assert {r["position"]: r["envelope"] for r in stored} == got
    assert stream.positions() == published_for(stack, user, last)


def test_a_stream_on_another_instance_sees_every_event_once_in_order(stack: Stack) -> None:
    user = new_user(stack)
    key = stack.key("read")
    params = {"userId": user, "after": "0"}
    with api_instance(stack) as other:
        # Commands go through the stack's instance; the stream lives on the other one, so
        # it only hears of new events through the log's NOTIFY (or its idle re-read).
        with EventStreamClient(other.base_url, key, params) as remote:
            for _ in range(4):
                last = credit(stack, user)
            remote.wait_for_position(last)
        switched_at = remote.positions()[-1]
        with EventStreamClient(
            stack.base_url, key, params, last_event_id=str(switched_at)
        ) as local:
            for _ in range(2):
                last = credit(stack, user)
            local.wait_for_position(last)
    got = remote.positions() + local.positions()
    assert got == published_for(stack, user, got[-1])
    assert len(got) == len(set(got))


def read_everything(stack: Stack, *streams: EventStreamClient) -> None:
    """Waits until each stream has read the feed after every event so far was in it. A read
    follows each heartbeat and its frames precede the next heartbeat, so the third heartbeat
    counted after the catch-up comes after a read that started after it."""
    stack.caught_up()
    seen = [stream.heartbeats for stream in streams]
    for stream, before in zip(streams, seen, strict=True):
        wait_until(lambda s=stream, b=before: s.heartbeats >= b + 3, timeout_s=8, message="a read")


def test_filters_select_by_type_with_wildcards_resource_and_user(stack: Stack) -> None:
    user = new_user(stack)
    key = stack.key("read")
    start = credit(stack, user) - 1
    debit = stack.client().post(
        f"/users/{user}/balance/debit", json={"amount": "0.25", "reason": "filters"}
    )
    assert debit.status_code == 200, debit.text
    stack.key("read")  # an internal event (api_key.created) after them, never streamed
    after = {"after": str(start)}
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"userId": user, "types": "balance.*"}, {"balance.credited", "balance.debited"}),
        ({"userId": user, "types": ["balance.debited", "user.created"]}, {"balance.debited"}),
        ({"userId": user, "resources": "Balance"}, {"balance.credited", "balance.debited"}),
        ({"userId": user, "resources": "Withdrawal"}, set()),
        ({}, {"balance.credited", "balance.debited"}),
    ]
    streams = [EventStreamClient(stack.base_url, key, {**after, **p}).start() for p, _ in cases]
    try:
        read_everything(stack, *streams)
    finally:
        for stream in streams:
            stream.close()
    for (params, expected), stream in zip(cases, streams, strict=True):
        got = {f.event for f in stream.frames}
        assert all(f.envelope["type"] == f.event for f in stream.frames)
        if params:
            assert got == expected, params
        else:  # everything published, whoever it concerns; never an internal event
            assert expected <= got
            assert not any(t.startswith("api_key.") for t in got)


def test_an_idle_stream_gets_heartbeats_and_well_formed_frames(stack: Stack) -> None:
    user = new_user(stack)
    with EventStreamClient(stack.base_url, stack.key("read"), {"userId": user}) as stream:
        position = credit(stack, user, "3.50")
        stream.wait_for_position(position)
        before = stream.heartbeats
        wait_until(lambda: stream.heartbeats >= before + 2, timeout_s=6, message="heartbeats")
    frame = next(f for f in stream.frames if f.event == "balance.credited")
    envelope = frame.envelope
    assert envelope["id"] == frame.id == str(position)
    assert envelope["type"] == "balance.credited"
    assert envelope["data"]["amount"] == "3.50"
    assert envelope["eventId"].startswith("evt_")
    assert set(envelope) == {
        "id",
        "eventId",
        "type",
        "occurredAt",
        "aggregateType",
        "aggregateId",
        "version",
        "data",
        "metadata",
        "postings",
    }
    [posting] = envelope["postings"]
    assert posting["credit"] == f"user:{user}:available"
    assert posting["debit"].startswith("external:")
    assert posting["amount"] == "3.50"


def test_a_key_holds_at_most_its_limit_of_streams(stack: Stack) -> None:
    key = stack.key("read")
    with api_instance(stack, sse_connections_per_key_max=2) as server:
        first = EventStreamClient(server.base_url, key).start()
        second = EventStreamClient(server.base_url, key).start()
        refused = httpx.get(
            f"{server.base_url}/events", headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "TOO_MANY_STREAMS"
        with EventStreamClient(server.base_url, stack.key("read")) as other_key:
            assert other_key.status_code == 200
        first.close()

        def reopened() -> bool:
            stream = EventStreamClient(server.base_url, key).start()
            stream.close()
            return stream.status_code == 200

        # Sooner than a lease lapses (3 heartbeats): the closed stream gave its slot back.
        wait_until(reopened, timeout_s=2, message="the closed stream's slot to be free")
        second.close()


def test_a_stalled_client_slows_neither_commands_nor_other_streams(stack: Stack) -> None:
    key = stack.key("read")
    user = new_user(stack)
    host, port = "127.0.0.1", stack.server.port
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    stalled.connect((host, port))
    # The whole log from the start, and then never read a byte of it.
    stalled.sendall(
        f"GET /api/v1/events?after=0 HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {key}\r\n\r\n".encode()
    )
    try:
        with EventStreamClient(stack.base_url, key, {"userId": user}) as reader:
            took = []
            for _ in range(30):
                started = time.monotonic()
                last = credit(stack, user, "0.10")
                took.append(time.monotonic() - started)
            reader.wait_for_position(last, timeout_s=10)
        assert max(took) < 2.0, took
    finally:
        stalled.close()


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({}, {"Last-Event-ID": "abc"}),
        ({"after": "-1"}, {}),
        ({"types": "Balance.Credited"}, {}),
        ({"types": "balance.*.x"}, {}),
        ({"userId": "ord_0000000000000000000000"}, {}),
        ({"resources": "Or der"}, {}),
    ],
)
def test_a_malformed_resume_point_or_filter_is_a_validation_error(
    stack: Stack, params: dict[str, str], headers: dict[str, str]
) -> None:
    response = stack.client(stack.key("read"), **headers).get("/events", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
