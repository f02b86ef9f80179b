"""The log for auditors over HTTP and the CLI: `/events/log` pages with a chain anyone can
recompute, `/audit/logs` answers its filters, and `audit replay --as-of` gives the balances the
API showed at that point."""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from typing import Any

import pytest
import rfc8785
from click.testing import CliRunner

from interfaces.cli.main import cli
from tests.support.stack import Stack, process_environment

pytestmark = pytest.mark.e2e


def new_user(stack: Stack, key: str | None = None) -> str:
    client = stack.client(key) if key else stack.client()
    response = client.post("/users", json={"externalUserId": f"audit-{uuid.uuid4().hex}"})
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def adjust(stack: Stack, user_id: str, kind: str, amount: str, key: str | None = None) -> int:
    client = stack.client(key) if key else stack.client()
    response = client.post(
        f"/users/{user_id}/balance/{kind}", json={"amount": amount, "reason": "audit"}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["meta"]["position"])


def balance_at(stack: Stack, user_id: str, position: int) -> dict[str, Any]:
    response = stack.client().get(
        f"/users/{user_id}/balance", headers={"X-Min-Position": str(position)}
    )
    return dict(response.json()["data"])


def replayed(stack: Stack, as_of: str, user_id: str) -> tuple[str, str]:
    result = CliRunner().invoke(
        cli,
        ["audit", "replay", "--as-of", as_of, "--json"],
        env=process_environment(stack.services),
    )
    assert result.exit_code == 0, result.output
    accounts = {a["account"]: a["balance"] for a in json.loads(result.stdout)["accounts"]}
    return (
        accounts.get(f"user:{user_id}:available", "0.00"),
        accounts.get(f"user:{user_id}:reserved", "0.00"),
    )


def test_replay_as_of_a_position_or_a_time_gives_the_balances_the_api_showed(
    stack: Stack,
) -> None:
    user = new_user(stack)
    first = adjust(stack, user, "credit", "10.00")
    shown = balance_at(stack, user, first)
    adjust(stack, user, "debit", "3.25")
    last = adjust(stack, user, "credit", "0.0000001")
    final = balance_at(stack, user, last)
    stack.caught_up()
    occurred = stack.client().get("/events/log", params={"after": first - 1, "limit": 1})
    first_time = occurred.json()["data"][0]["envelope"]["occurredAt"]

    assert replayed(stack, str(first), user) == (shown["available"], shown["reserved"])
    assert replayed(stack, first_time, user) == (shown["available"], shown["reserved"])
    assert replayed(stack, str(last), user) == (final["available"], final["reserved"])
    assert final["available"] == "6.7500001"


def test_the_event_log_pages_in_order_with_a_chain_anyone_can_recompute(stack: Stack) -> None:
    # Caught up once, the feed's loop has prepared, so the runner's chain version is recorded.
    stack.caught_up()
    user = new_user(stack)
    start = adjust(stack, user, "credit", "1.00") - 1
    for _ in range(4):
        adjust(stack, user, "credit", "1.00")
    stack.caught_up()
    auditor = stack.client(stack.key("support"))
    entries: list[dict[str, Any]] = []
    params: dict[str, Any] = {"after": start, "limit": 3}
    while len(entries) < 8:
        page = auditor.get("/events/log", params=params).json()
        entries += page["data"]
        if not page["meta"]["pagination"]["hasMore"]:
            break
        params = {"cursor": page["meta"]["pagination"]["nextCursor"], "limit": 3}
    positions = [e["position"] for e in entries]
    assert positions == sorted(set(positions))
    assert positions[0] > start
    for before, entry in itertools.pairwise(entries):
        assert entry["previousHash"] == before["hash"]
    for entry in entries:
        # The runner recorded chain version 2 when it started on this log: RFC 8785 (JCS) of
        # the whole envelope, postings included, with the stock library.
        assert entry["chain"] == 2
        served = hashlib.sha256(
            bytes.fromhex(entry["previousHash"]) + rfc8785.dumps(entry["envelope"])
        )
        assert entry["hash"] == served.hexdigest()
        assert entry["envelope"]["id"] == str(entry["position"])
    assert stack.client(stack.key("read")).get("/events/log").status_code == 403


def test_audit_logs_answer_by_resource_action_user_actor_and_time(stack: Stack) -> None:
    operator = stack.key("admin")
    operator_id = stack.client(operator).get("/me").json()["data"]["apiKeyId"]
    user = new_user(stack, operator)
    adjust(stack, user, "credit", "4.00", operator)
    adjust(stack, user, "debit", "1.00", operator)
    stack.caught_up()
    auditor = stack.client(stack.key("support"))

    def logs(**params: Any) -> list[dict[str, Any]]:
        response = auditor.get("/audit/logs", params=params)
        assert response.status_code == 200, response.text
        return list(response.json()["data"])

    money = logs(userId=user, action="balance.*")
    assert [e["action"] for e in money] == ["balance.debited", "balance.credited"]
    assert {(e["actorType"], e["actorId"], e["result"]) for e in money} == {
        ("API_KEY", operator_id, "SUCCESS")
    }
    assert money[0]["payloadAfter"]["amount"] == "1.00"
    assert money[0]["resourceType"] == "Balance"
    assert money[0]["resourceId"] == user
    by_resource = logs(resourceType="user", resourceId=user)
    assert [e["action"] for e in by_resource][-1] == "user.created"
    moment = money[0]["occurredAt"]
    assert logs(userId=user, action="balance.*", to=money[1]["occurredAt"]) == money[1:]
    assert logs(userId=user, action="balance.*", **{"from": moment}) == money[:1]
    assert auditor.get("/audit/logs", params={"from": "yesterday"}).status_code == 400
    assert auditor.get("/audit/logs", params={"from": "2030-01-01T00:00:00"}).status_code == 400
    assert stack.client(stack.key("read")).get("/audit/logs").status_code == 403
