"""An auditor reads the double entry over HTTP: every ledger account, its statement, and each
money event's postings with the balances they left."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from domain import identifiers
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def credited_user(stack: Stack) -> tuple[str, httpx.Response]:
    """A new user credited 25.50 and debited 0.0000001 by an operator; the debit's answer."""
    admin = stack.client()
    created = admin.post("/users", json={"externalUserId": f"audit-{uuid.uuid4().hex}"})
    user = created.json()["data"]["id"]
    admin.post(f"/users/{user}/balance/credit", json={"amount": "25.50", "reason": "bonus"})
    debit = admin.post(
        f"/users/{user}/balance/debit", json={"amount": "0.0000001", "reason": "correction"}
    )
    assert debit.status_code == 200, debit.text
    return user, debit


def fresh(response: httpx.Response) -> dict[str, str]:
    return {"X-Min-Position": str(response.json()["meta"]["position"])}


def every_account(client: httpx.Client, limit: int = 100, **request: Any) -> list[dict[str, Any]]:
    """`GET /accounts` page by page, as a client follows `nextCursor`."""
    accounts: list[dict[str, Any]] = []
    params = dict(request.pop("params", {}))
    while True:
        page = client.get("/accounts", params={**params, "limit": limit}, **request)
        assert page.status_code == 200, page.text
        body = page.json()
        accounts += body["data"]
        pagination = body["meta"]["pagination"]
        if not pagination["hasMore"]:
            return accounts
        params["cursor"] = pagination["nextCursor"]


def test_a_user_account_shows_its_balance_and_debit_and_credit_totals(stack: Stack) -> None:
    user, debit = credited_user(stack)
    auditor = stack.client(stack.key("audit"))
    answer = auditor.get(f"/accounts/user:{user}:available", headers=fresh(debit))
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"] == {
        "account": f"user:{user}:available",
        "balance": "25.4999999",
        "debits": "0.0000001",
        "credits": "25.50",
        "position": debit.json()["meta"]["position"],
    }


def test_every_ledger_account_is_listed_and_their_balances_sum_to_zero(stack: Stack) -> None:
    user, debit = credited_user(stack)
    listed = every_account(stack.client(stack.key("audit")), headers=fresh(debit))
    accounts = {a["account"]: a for a in listed}
    assert f"user:{user}:available" in accounts
    assert "external:adjustments" in accounts
    assert sum(Decimal(a["balance"]) for a in accounts.values()) == 0
    for a in accounts.values():
        assert Decimal(a["credits"]) - Decimal(a["debits"]) == Decimal(a["balance"])


def test_accounts_page_by_name_without_repeating_or_skipping_one(stack: Stack) -> None:
    _, debit = credited_user(stack)
    auditor = stack.client(stack.key("audit"))
    whole = every_account(auditor, headers=fresh(debit))
    paged = every_account(auditor, limit=2)
    names = [a["account"] for a in paged]
    assert len(names) == len(set(names)) > 2
    assert names == [a["account"] for a in whole]
    first = auditor.get("/accounts", params={"limit": 2}).json()
    assert len(first["data"]) == 2
    assert first["meta"]["pagination"]["hasMore"] is True


def test_a_garbled_accounts_cursor_or_limit_is_400(stack: Stack) -> None:
    auditor = stack.client(stack.key("audit"))
    user, debit = credited_user(stack)
    lines = auditor.get(
        f"/accounts/user:{user}:available/entries", params={"limit": 1}, headers=fresh(debit)
    ).json()
    statement_cursor = lines["meta"]["pagination"]["nextCursor"]
    for params in ({"cursor": "!!"}, {"cursor": statement_cursor}, {"limit": 0}, {"limit": 101}):
        refused = auditor.get("/accounts", params=params)
        assert refused.status_code == 400, (params, refused.text)
        assert refused.json()["error"]["code"] == "VALIDATION_ERROR"


def test_an_account_statement_names_the_account_in_full_newest_first(stack: Stack) -> None:
    user, debit = credited_user(stack)
    auditor = stack.client(stack.key("audit"))
    lines = auditor.get(f"/accounts/user:{user}:available/entries", headers=fresh(debit))
    assert [(x["account"], x["direction"], x["balanceAfter"]) for x in lines.json()["data"]] == [
        (f"user:{user}:available", "debit", "25.4999999"),
        (f"user:{user}:available", "credit", "25.50"),
    ]


def test_a_transaction_carries_its_postings_and_the_balances_after(stack: Stack) -> None:
    user, debit = credited_user(stack)
    auditor = stack.client(stack.key("audit"))
    lines = auditor.get(f"/accounts/user:{user}:available/entries", headers=fresh(debit))
    credit_line = lines.json()["data"][1]
    answer = auditor.get(f"/transactions/{credit_line['eventId']}")
    assert answer.status_code == 200, answer.text
    body = answer.json()["data"]
    assert body["eventId"] == credit_line["eventId"] == body["event"]["eventId"]
    assert body["type"] == "balance.credited"
    assert body["position"] == credit_line["position"]
    assert body["postings"] == [
        {"debit": "external:adjustments", "credit": f"user:{user}:available", "amount": "25.50"}
    ]
    assert body["postings"] == body["event"]["postings"]
    after = {b["account"]: b["balance"] for b in body["balancesAfter"]}
    assert after[f"user:{user}:available"] == "25.50"
    assert set(after) == {"external:adjustments", f"user:{user}:available"}


def test_unknown_accounts_and_events_are_404_and_a_garbled_event_id_400(stack: Stack) -> None:
    auditor = stack.client(stack.key("audit"))
    missing = auditor.get("/accounts/user:usr_nobody:available")
    assert (missing.status_code, missing.json()["error"]["code"]) == (
        404,
        "LEDGER_ACCOUNT_NOT_FOUND",
    )
    unknown = auditor.get(f"/transactions/{identifiers.public_id('evt', uuid.uuid4())}")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "TRANSACTION_NOT_FOUND")
    assert auditor.get("/transactions/not-an-event").status_code == 400


def test_a_read_key_cannot_see_other_peoples_accounts(stack: Stack) -> None:
    refused = stack.client(stack.key("read")).get("/accounts")
    assert refused.status_code == 403


def test_an_account_and_its_statement_as_of_the_credit_exclude_the_later_debit(
    stack: Stack,
) -> None:
    user, debit = credited_user(stack)
    auditor = stack.client(stack.key("audit"))
    account = f"/accounts/user:{user}:available"
    lines = auditor.get(f"{account}/entries", headers=fresh(debit)).json()["data"]
    credited_at = lines[1]["position"]
    then = auditor.get(account, params={"asOf": str(credited_at)}).json()["data"]
    assert (then["balance"], then["debits"], then["credits"]) == ("25.50", "0.00", "25.50")
    assert then["position"] == credited_at
    earlier = auditor.get(f"{account}/entries", params={"asOf": str(credited_at)})
    assert [x["balanceAfter"] for x in earlier.json()["data"]] == ["25.50"]
    before = auditor.get(account, params={"asOf": str(credited_at - 1)}).json()["data"]
    assert before["balance"] == "0.00"
    listed = every_account(auditor, params={"asOf": str(credited_at)})
    assert sum(Decimal(a["balance"]) for a in listed) == 0
    assert f"user:{user}:available" in {a["account"] for a in listed}


def test_as_of_a_time_is_the_last_position_then_and_past_the_books_is_400(stack: Stack) -> None:
    user, debit = credited_user(stack)
    auditor = stack.client(stack.key("audit"))
    account = f"/accounts/user:{user}:available"
    now = auditor.get(account, params={"asOf": "2999-01-01T00:00:00Z"}, headers=fresh(debit))
    assert now.json()["data"]["balance"] == "25.4999999"
    assert auditor.get(account, params={"asOf": "1999-01-01T00:00:00Z"}).json()["data"][
        "balance"
    ] == ("0.00")
    for bad in ("99999999999999", "yesterday", "2026-01-01T00:00:00"):
        refused = auditor.get(account, params={"asOf": bad})
        assert refused.status_code == 400, bad
        assert refused.json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_users_balance_as_of_the_credit_is_what_it_was_then(stack: Stack) -> None:
    user, debit = credited_user(stack)
    reader = stack.client(stack.key("read"))
    lines = stack.client(stack.key("audit")).get(
        f"/accounts/user:{user}:available/entries", headers=fresh(debit)
    )
    credited_at = lines.json()["data"][1]["position"]
    then = reader.get(f"/users/{user}/balance", params={"asOf": str(credited_at)}).json()["data"]
    assert (then["available"], then["reserved"], then["total"]) == ("25.50", "0.00", "25.50")
    assert then["updatedAt"] == lines.json()["data"][1]["occurredAt"]
    before = reader.get(f"/users/{user}/balance", params={"asOf": str(credited_at - 1)})
    assert before.json()["data"]["available"] == "0.00"
    assert before.json()["data"]["updatedAt"] is None
