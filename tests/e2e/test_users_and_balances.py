"""Users, manual adjustments, balances and statements through the HTTP API."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def new_user(client: httpx.Client) -> dict[str, object]:
    response = client.post("/users", json={"externalUserId": f"e2e-{uuid.uuid4().hex}"})
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


def fresh(stack: Stack, response: httpx.Response) -> dict[str, str]:
    """Read-your-writes: ask GETs to reflect this command's position."""
    return {"X-Min-Position": str(response.json()["meta"]["position"])}


def test_creating_a_user_twice_returns_the_same_user(stack: Stack) -> None:
    client = stack.client(stack.key("read", "write"))
    external = f"twice-{uuid.uuid4().hex}"
    first = client.post("/users", json={"externalUserId": external, "email": "a@b.co"})
    second = client.post("/users", json={"externalUserId": external})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    assert first.json()["data"]["balance"] == {
        "available": "0.00",
        "reserved": "0.00",
        "total": "0.00",
        "currency": "USDC",
    }


def test_a_credit_and_a_debit_show_in_balance_and_statement(stack: Stack) -> None:
    admin = stack.client()
    user = new_user(admin)
    credit = admin.post(
        f"/users/{user['id']}/balance/credit", json={"amount": "25.50", "reason": "welcome bonus"}
    )
    assert credit.status_code == 200, credit.text
    assert credit.json()["data"]["newBalance"] == {"available": "25.50", "reserved": "0.00"}
    debit = admin.post(
        f"/users/{user['id']}/balance/debit", json={"amount": "0.0000001", "reason": "correction"}
    )
    assert debit.json()["data"]["balance"]["available"] == "25.4999999"

    balance = admin.get(f"/users/{user['id']}/balance", headers=fresh(stack, debit))
    assert balance.json()["data"] == {
        "userId": user["id"],
        "available": "25.4999999",
        "reserved": "0.00",
        "total": "25.4999999",
        "currency": "USDC",
        "updatedAt": balance.json()["data"]["updatedAt"],
    }
    lines = admin.get(f"/users/{user['id']}/ledger", headers=fresh(stack, debit)).json()["data"]
    assert [(line["direction"], line["amount"], line["balanceAfter"]) for line in lines] == [
        ("debit", "0.0000001", "25.4999999"),
        ("credit", "25.50", "25.50"),
    ]
    assert all(line["counterparty"] == "external:adjustments" for line in lines)
    fetched = admin.get(f"/users/{user['id']}", headers=fresh(stack, debit)).json()["data"]
    assert fetched["balance"]["total"] == "25.4999999"


def test_a_debit_beyond_available_is_refused_and_changes_nothing(stack: Stack) -> None:
    admin = stack.client()
    user = new_user(admin)
    credit = admin.post(
        f"/users/{user['id']}/balance/credit", json={"amount": "5", "reason": "seed"}
    )
    refused = admin.post(
        f"/users/{user['id']}/balance/debit", json={"amount": "5.01", "reason": "too much"}
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "INSUFFICIENT_FUNDS"
    assert refused.json()["error"]["details"]["available"] == "5.00"
    balance = admin.get(f"/users/{user['id']}/balance", headers=fresh(stack, credit))
    assert balance.json()["data"]["available"] == "5.00"


def test_users_are_listed_newest_first_page_by_page(stack: Stack) -> None:
    client = stack.client()
    made = [new_user(client)["id"] for _ in range(3)]
    stack.caught_up()
    first = client.get("/users", params={"limit": 2}).json()
    assert [u["id"] for u in first["data"]] == made[::-1][:2]
    assert first["meta"]["pagination"]["hasMore"] is True
    cursor = first["meta"]["pagination"]["nextCursor"]
    second = client.get("/users", params={"limit": 2, "cursor": cursor}).json()
    assert second["data"][0]["id"] == made[0]


def test_statement_pages_do_not_repeat_or_skip_lines(stack: Stack) -> None:
    admin = stack.client()
    user = new_user(admin)
    for n in range(5):
        last = admin.post(
            f"/users/{user['id']}/balance/credit", json={"amount": f"{n + 1}", "reason": "seed"}
        )
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = admin.get(
            f"/users/{user['id']}/ledger", params=params, headers=fresh(stack, last)
        ).json()
        seen += [line["position"] for line in page["data"]]
        cursor = page["meta"]["pagination"]["nextCursor"]
        if not page["meta"]["pagination"]["hasMore"]:
            break
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)


def test_every_response_carries_the_request_id_and_rate_limit_headers(stack: Stack) -> None:
    response = stack.client(**{"X-Request-ID": "trace-me-42"}).get("/health")
    assert response.headers["X-Request-ID"] == "trace-me-42"
    assert response.json()["meta"]["requestId"] == "trace-me-42"
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(
        response.headers.keys()
    )


def test_health_reports_database_and_redis(stack: Stack) -> None:
    body = stack.client(None).get("/health").json()["data"]
    assert (body["status"], body["database"], body["redis"]) == (
        "healthy",
        "connected",
        "connected",
    )
    ready = stack.client(None).get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["data"]["dependencies"]["database"]["status"] == "up"
    assert stack.client(None).get("/docs/openapi.json").status_code == 200
