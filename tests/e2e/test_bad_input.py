"""Bad input gets the documented 4xx and changes nothing; it is never a 500."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def user_id(stack: Stack) -> str:
    response = stack.client().post("/users", json={"externalUserId": f"bad-{uuid.uuid4().hex}"})
    return str(response.json()["data"]["id"])


AMOUNTS = ["-1", "0", "0.00", "1e3", "NaN", "Infinity", "1.00000001", "", " 1", "1,00", "abc"]


@pytest.mark.parametrize("amount", AMOUNTS)
def test_a_bad_amount_is_invalid_amount(stack: Stack, user_id: str, amount: str) -> None:
    response = stack.client().post(
        f"/users/{user_id}/balance/credit", json={"amount": amount, "reason": "x"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_AMOUNT"


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/users", b"{not json", "VALIDATION_ERROR"),
        ("/users", b"[]", "VALIDATION_ERROR"),
        ("/users", {"externalUserId": 42}, "VALIDATION_ERROR"),
        ("/users", {"externalUserId": "a", "surprise": True}, "VALIDATION_ERROR"),
        ("/users", {}, "VALIDATION_ERROR"),
        ("/users", {"externalUserId": ""}, "VALIDATION_ERROR"),
        ("/users", {"externalUserId": "a", "type": "ROBOT"}, "VALIDATION_ERROR"),
        ("/users", {"externalUserId": "a", "email": "nope"}, "VALIDATION_ERROR"),
        ("/users/usr_123/balance/credit", {"amount": "1", "reason": "x"}, "VALIDATION_ERROR"),
        (
            "/users/ord_0000000000000000000000/balance/credit",
            {"amount": "1", "reason": "x"},
            "VALIDATION_ERROR",
        ),
        ("/auth/api-keys", {"name": "k", "scopes": ["god"]}, "VALIDATION_ERROR"),
        ("/auth/api-keys", {"name": "k", "scopes": []}, "VALIDATION_ERROR"),
        (
            "/auth/api-keys",
            {"name": "k", "scopes": ["read"], "expiresAt": "2030-01-01T00:00:00"},
            "VALIDATION_ERROR",
        ),
    ],
)
def test_malformed_requests_are_validation_errors(
    stack: Stack, path: str, body: Any, code: str
) -> None:
    client = stack.client()
    if isinstance(body, bytes):
        response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    else:
        response = client.post(path, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["requestId"]


def test_a_credit_without_a_reason_is_refused(stack: Stack, user_id: str) -> None:
    response = stack.client().post(f"/users/{user_id}/balance/credit", json={"amount": "1"})
    assert response.status_code == 400
    blank = stack.client().post(
        f"/users/{user_id}/balance/credit", json={"amount": "1", "reason": "  "}
    )
    assert blank.status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/users/usr_0000000000000000000000", "USER_NOT_FOUND"),
        ("GET", "/users/usr_0000000000000000000000/balance", "USER_NOT_FOUND"),
        ("GET", "/users/usr_0000000000000000000000/ledger", "USER_NOT_FOUND"),
        ("POST", "/users/usr_0000000000000000000000/balance/credit", "USER_NOT_FOUND"),
        ("DELETE", "/auth/api-keys/key_0000000000000000000000", "API_KEY_NOT_FOUND"),
        ("GET", "/no/such/route", "NOT_FOUND"),
    ],
)
def test_unknown_resources_are_not_found(stack: Stack, method: str, path: str, code: str) -> None:
    response = stack.client().request(method, path, json={"amount": "1", "reason": "x"})
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == code


def test_a_body_too_large_is_refused(stack: Stack) -> None:
    response = stack.client().post("/users", content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    "params", [{"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"cursor": "!!"}]
)
def test_bad_pagination_is_a_validation_error(stack: Stack, params: dict[str, str]) -> None:
    response = stack.client().get("/users", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_bad_idempotency_key_is_a_validation_error(stack: Stack) -> None:
    response = stack.client(**{"Idempotency-Key": "x" * 256}).post(
        "/users", json={"externalUserId": "k"}
    )
    assert response.status_code == 400
