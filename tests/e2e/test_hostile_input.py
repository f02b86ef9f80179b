"""Hostile input is a 4xx that names what was wrong, records nothing and stalls nothing: text
the database cannot store, bodies that are not JSON or nest absurdly deep, absurd
read-your-writes positions. (Oversized heads: test_request_heads.py; every string field:
test_storable_strings.py.)"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from interfaces.http.edge import read_your_writes
from tests.support.stack import MASTER_KEY, TRUSTLESS_WEBHOOK_SECRET, Stack

pytestmark = pytest.mark.e2e

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def user_id(stack: Stack) -> str:
    response = stack.client().post("/users", json={"externalUserId": f"host-{uuid.uuid4().hex}"})
    return str(response.json()["data"]["id"])


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["requestId"]
    return error


def balance_of(stack: Stack, user_id: str) -> str:
    return str(stack.client().get(f"/users/{user_id}/balance").json()["data"]["available"])


# -- media types -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "image/png",
        None,
        "application/json; charset=latin-1",
        "application/jsonx",
    ],
)
def test_a_credit_sent_as_anything_but_json_is_415_and_not_applied(
    stack: Stack, user_id: str, content_type: str | None
) -> None:
    before = balance_of(stack, user_id)
    body = json.dumps({"amount": "1", "reason": "sent as something else"}).encode()
    headers = {"content-type": content_type} if content_type else {}
    client = stack.client(**{"Idempotency-Key": f"media-{uuid.uuid4().hex}"})
    response = client.post(f"/users/{user_id}/balance/credit", content=body, headers=headers)
    refused(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert balance_of(stack, user_id) == before


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=UTF-8", "application/x+json"]
)
def test_json_in_utf8_is_accepted_however_it_is_spelled(
    stack: Stack, user_id: str, content_type: str
) -> None:
    body = json.dumps({"amount": "1", "reason": "json"}).encode()
    response = stack.client().post(
        f"/users/{user_id}/balance/credit", content=body, headers={"content-type": content_type}
    )
    assert response.status_code == 200, response.text


def test_a_command_without_a_body_needs_no_content_type(stack: Stack) -> None:
    response = stack.client().post("/orders/ord_0000000000000000000000/reserve")
    refused(response, 404, "ORDER_NOT_FOUND")


# -- JSON depth --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/orders", "/users", "/webhooks/trustless-work"])
def test_json_nested_a_thousand_deep_is_400_not_500(stack: Stack, path: str) -> None:
    deep = b'{"metadata":' + b"[" * 1000 + b"]" * 1000 + b"}"
    error = refused(stack.client().post(path, content=deep, headers=JSON), 400, "VALIDATION_ERROR")
    assert "32" in error["message"]


def test_brackets_inside_strings_do_not_count_as_nesting(stack: Stack) -> None:
    response = stack.client().post(
        "/users", json={"externalUserId": "[" * 100 + f"{uuid.uuid4().hex}" + "{" * 100}
    )
    assert response.status_code == 201, response.text


def test_metadata_nested_within_the_limit_is_accepted(stack: Stack) -> None:
    nested: Any = "leaf"
    for _ in range(25):
        nested = {"n": nested}
    client = stack.client()
    buyer, seller = (
        client.post("/users", json={"externalUserId": f"{who}-{uuid.uuid4().hex}"}).json()["data"][
            "id"
        ]
        for who in ("buyer", "seller")
    )
    response = client.post(
        "/orders",
        json={
            "buyerId": buyer,
            "sellerId": seller,
            "amount": "5",
            "title": "deep metadata",
            "metadata": nested,
        },
    )
    assert response.status_code == 201, response.text


# -- text the database cannot store ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/users/usr_%00/balance/credit"),
        ("GET", "/users/usr_%00"),
        ("GET", "/orders/ord_%00"),
        ("POST", "/orders/ord_0000000000000000000000/milestones/m%00/complete"),
        ("GET", "/orders?buyerId=usr_%00"),
        ("GET", "/orders?status=%00"),
        ("GET", "/audit/logs?resourceId=%00"),
        ("GET", "/events/log?types=order.%00"),
        ("GET", "/users?cursor=%00"),
        ("GET", "/orders?%00=1"),
    ],
)
def test_nul_in_a_path_or_query_parameter_is_400_naming_it(
    stack: Stack, method: str, path: str
) -> None:
    response = stack.client().request(
        method, path, content=b'{"amount": "1", "reason": "x"}', headers=JSON
    )
    error = refused(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"]
    assert "NUL" in error["message"]


def test_an_over_long_path_parameter_is_400(stack: Stack) -> None:
    response = stack.client().get("/users/usr_" + "a" * 300)
    error = refused(response, 400, "VALIDATION_ERROR")
    assert error["details"] == {"field": "userId", "max": 255}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"externalUserId": "nul\\u0000here"}', "externalUserId"),
        (b'{"externalUserId": "lone \\ud800 high"}', "externalUserId"),
        (b'{"externalUserId": "lone \\udfff low"}', "externalUserId"),
        (b'{"externalUserId": "ok", "email": "a\\u0000@b.c"}', "email"),
    ],
)
def test_unstorable_text_in_a_body_is_400_naming_the_field(
    stack: Stack, body: bytes, field: str
) -> None:
    error = refused(
        stack.client().post("/users", content=body, headers=JSON), 400, "VALIDATION_ERROR"
    )
    assert field in error["message"]
    assert "NUL" in error["message"] or "surrogate" in error["message"]


def test_a_surrogate_pair_is_an_ordinary_character(stack: Stack) -> None:
    body = f'{{"externalUserId": "pair \\ud83d\\ude00 {uuid.uuid4().hex}"}}'.encode()
    response = stack.client().post("/users", content=body, headers=JSON)
    assert response.status_code == 201, response.text
    assert "\U0001f600" in response.json()["data"]["externalUserId"]


@pytest.mark.parametrize(
    "metadata",
    [{"note": "a\u0000b"}, {"a\u0000": 1}, {"list": [1, {"deep": ["x", "\u0000"]}]}],
)
def test_nul_anywhere_in_order_metadata_is_400_naming_metadata(
    stack: Stack, metadata: dict[str, Any]
) -> None:
    response = stack.client().post(
        "/orders",
        json={
            "buyerId": "usr_a",
            "sellerId": "usr_b",
            "amount": "5",
            "title": "t",
            "metadata": metadata,
        },
    )
    error = refused(response, 400, "VALIDATION_ERROR")
    assert "metadata" in error["message"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/users", {"externalUserId": "x" * 256}, "externalUserId"),
        ("/users", {"externalUserId": "x", "email": "a@" + "b" * 320}, "email"),
        ("/auth/api-keys", {"name": "n" * 101, "scopes": ["read"]}, "name"),
        ("/webhooks/endpoints", {"url": "https://e.example/" + "p" * 2048}, "url"),
    ],
)
def test_an_over_long_string_is_400_naming_its_maximum(
    stack: Stack, path: str, body: dict[str, Any], field: str
) -> None:
    error = refused(stack.client().post(path, json=body), 400, "VALIDATION_ERROR")
    assert field in error["message"]
    assert "length" in error["message"]


# -- read-your-writes positions ----------------------------------------------------------------


@pytest.mark.parametrize(
    "position",
    [b"99999999999999999999999", b"9223372036854775808", b"-1", b"abc", b"1.5", b"\xb2", b""],
)
def test_an_absurd_min_position_is_400_naming_the_header(
    stack: Stack, user_id: str, position: bytes
) -> None:
    response = stack.client().get(f"/users/{user_id}", headers={"X-Min-Position": position})
    error = refused(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "X-Min-Position"


def test_a_reachable_min_position_is_waited_for(stack: Stack, user_id: str) -> None:
    credit = stack.client().post(
        f"/users/{user_id}/balance/credit", json={"amount": "2", "reason": "then read"}
    )
    position = str(credit.json()["meta"]["position"])
    response = stack.client().get(f"/users/{user_id}/balance", headers={"X-Min-Position": position})
    assert response.status_code == 200
    assert response.json()["data"]["available"] == credit.json()["data"]["balance"]["available"]


def test_reads_waiting_for_a_lagging_model_are_bounded_and_health_answers_meanwhile(
    isolated_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """60 reads asking for a position the read models will not reach (the runner is stopped):
    only a few may hold a handler thread waiting, the rest are refused at once as an unmet wait
    is (503), and /health is answered while the few still wait. The wait is made long here so a
    slow machine cannot blur "at once" and "waited"."""
    stack = isolated_stack
    wait_s = 10.0
    monkeypatch.setattr(read_your_writes, "MIN_POSITION_WAIT_S", wait_s)
    assert stack.runner is not None
    stack.caught_up()
    stack.runner.stop()
    stack.runner = None
    created = stack.client().post("/users", json={"externalUserId": f"lag-{uuid.uuid4().hex}"})
    user_id, position = created.json()["data"]["id"], created.json()["meta"]["position"]
    reads = 60
    answered = threading.Semaphore(0)
    headers = {"Authorization": f"Bearer {MASTER_KEY}", "X-Min-Position": str(position)}

    def read(_: int) -> int:
        with httpx.Client(base_url=stack.base_url, timeout=60) as client:
            response = client.get(f"/users/{user_id}", headers=headers)
        answered.release()
        return response.status_code

    with ThreadPoolExecutor(max_workers=reads) as pool:
        statuses = pool.map(read, range(reads))
        for _ in range(reads - read_your_writes.MIN_POSITION_WAITS_MAX):  # over the bound
            assert answered.acquire(timeout=wait_s * 0.8)
        health = stack.client(key=None).get("/health")
        still_waiting = not answered.acquire(blocking=False)
        assert health.status_code == 200
        assert still_waiting
        assert list(statuses) == [503] * reads


def test_a_signed_trustless_work_notification_with_nul_is_400_naming_the_field(
    stack: Stack,
) -> None:
    body = b'{"type": "escrow.funded", "event_id": "tw-nul\\u0000", "data": {}}'
    signature = hmac.new(TRUSTLESS_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = stack.client(None).post(
        "/webhooks/trustless-work",
        content=body,
        headers={"x-tw-signature": signature, "content-type": "application/json"},
    )
    error = refused(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "event_id"
