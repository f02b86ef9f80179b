"""A caller written against OFFER-HUB gets what it meant or a 400 naming our field, never a
silently different answer: snake_case query names, `since=` on the stream, `description` and
`reference` on manual adjustments, unknown query parameters refused."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def new_user(stack: Stack) -> str:
    response = stack.client().post("/users", json={"externalUserId": f"oh-{uuid.uuid4().hex}"})
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def order(stack: Stack, buyer: str, seller: str) -> str:
    response = stack.client().post(
        "/orders", json={"buyer_id": buyer, "seller_id": seller, "amount": "5", "title": "t"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def test_a_snake_case_filter_filters_the_list_as_the_camel_case_one_does(stack: Stack) -> None:
    buyer, other, seller = new_user(stack), new_user(stack), new_user(stack)
    mine = order(stack, buyer, seller)
    order(stack, other, seller)
    client = stack.client()
    stack.caught_up()
    snake = client.get("/orders", params={"buyer_id": buyer})
    camel = client.get("/orders", params={"buyerId": buyer})
    assert [o["id"] for o in snake.json()["data"]] == [mine]
    assert snake.json()["data"] == camel.json()["data"]


def test_both_spellings_with_different_values_are_a_400_naming_ours(stack: Stack) -> None:
    buyer, other = new_user(stack), new_user(stack)
    response = stack.client().get("/orders", params={"buyer_id": buyer, "buyerId": other})
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "buyerId"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/orders", {"buyer": "usr_x"}),
        ("/users", {"page": "2"}),
        ("/health", {"verbose": "1"}),
        ("/withdrawals", {"user": "usr_x"}),
        ("/events/log", {"since": "2026-01-01T00:00:00Z"}),
    ],
)
def test_an_unknown_query_parameter_is_a_400_naming_it(
    stack: Stack, path: str, params: dict[str, str]
) -> None:
    response = stack.client().get(path, params=params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == next(iter(params))


def test_a_credit_with_offerhubs_description_and_reference_is_recorded(stack: Stack) -> None:
    user = new_user(stack)
    client = stack.client()
    response = client.post(
        f"/users/{user}/balance/credit",
        json={"amount": "3.00", "description": "welcome", "reference": "promo-77"},
    )
    assert response.status_code == 200, response.text
    position = response.json()["meta"]["position"]
    stack.caught_up()
    log = client.get("/events/log", params={"after": position - 1, "limit": 1}).json()["data"]
    assert log[0]["envelope"]["metadata"]["reference"] == "promo-77"
    assert "welcome" in json.dumps(log[0]["envelope"]["data"])


def test_a_reason_and_a_different_description_are_a_400_naming_reason(stack: Stack) -> None:
    user = new_user(stack)
    response = stack.client().post(
        f"/users/{user}/balance/credit",
        json={"amount": "1", "reason": "a", "description": "b"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "reason"
    missing = stack.client().post(f"/users/{user}/balance/credit", json={"amount": "1"})
    assert missing.status_code == 400
    assert missing.json()["error"]["details"]["field"] == "reason"


def test_a_stream_since_a_time_replays_what_came_after_it(stack: Stack) -> None:
    user = new_user(stack)
    client = stack.client()
    before = client.post(f"/users/{user}/balance/credit", json={"amount": "1", "reason": "before"})
    stack.caught_up()
    since = datetime.now(UTC).isoformat()
    later = client.post(f"/users/{user}/balance/credit", json={"amount": "2", "reason": "after"})
    wanted = later.json()["meta"]["position"]
    stack.caught_up()
    frames = first_frames(stack, {"userId": user, "since": since}, until=wanted)
    assert frames[0].startswith("retry: ")  # the hint rides on the first event, not alone
    positions = [
        int(line[4:]) for f in frames for line in f.splitlines() if line.startswith("id: ")
    ]
    assert positions and positions[-1] == wanted
    assert all(p > before.json()["meta"]["position"] for p in positions)  # none before `since`


def first_frames(stack: Stack, params: dict[str, str], until: int) -> list[str]:
    """The stream's frames, up to the one with id `until`."""
    frames: list[str] = []
    headers = {"Authorization": f"Bearer {stack.key('read')}"}
    timeout = httpx.Timeout(30, read=10)
    with httpx.stream(
        "GET", f"{stack.base_url}/events", params=params, headers=headers, timeout=timeout
    ) as response:
        assert response.status_code == 200
        block: list[str] = []
        for line in response.iter_lines():
            if line:
                block.append(line)
                continue
            if block and not block[0].startswith(":"):
                frames.append("\n".join(block))
                if f"id: {until}" in block:
                    return frames
            block = []
    raise AssertionError(f"the stream ended before {until}")
