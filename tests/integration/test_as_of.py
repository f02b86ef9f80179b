"""Balances as of any point, read off the statement lines, equal `ledgerline audit replay
--as-of` (the fold of the event store) at every position and for every account."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.context import CommandContext
from application.trial_balance import fold
from domain.money import Amount
from interfaces.bootstrap import ensure_projections
from interfaces.services import Services
from tests.integration.test_audit import audit

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(request_id="as-of")


def generated_log(services: Services, amounts: list[tuple[int, int]]) -> None:
    """One user per (credit, debit) pair: credited, then debited (a debit past the balance is
    refused and leaves nothing in the log), so accounts start and move at different points."""
    ensure_projections(services)
    for credit, debit in amounts:
        user = services.use_cases.users.create_user(
            f"as-of-{uuid.uuid4().hex}", None, "BOTH", CONTEXT
        ).user.user_id
        services.use_cases.balances.adjust(user, "credit", Amount(credit), "seed", CONTEXT)
        if debit <= credit:
            services.use_cases.balances.adjust(user, "debit", Amount(debit), "fee", CONTEXT)
    for store in services.resources.projections.values():
        store.catch_up()


def test_any_account_at_any_position_equals_the_replay(fresh_services: Services) -> None:
    generated_log(fresh_services, [(5_000, 1_000), (7, 7), (123_456, 999_999), (42, 1)])
    books = fresh_services.views.ledger_entries
    ledger = fresh_services.resources.ledger
    head = books.position()
    names = [a.account for a in books.accounts()]

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(position=st.integers(0, head), account=st.sampled_from(names))
    def agrees(position: int, account: str) -> None:
        replayed = fold(ledger, position).balances
        as_of = {a.account: a.balance_stroops for a in books.accounts(position)}
        assert as_of == replayed
        assert books.account(account, position).balance_stroops == replayed.get(account, 0)

    agrees()


def test_the_read_models_as_of_equal_the_replay_command(fresh_services: Services) -> None:
    generated_log(fresh_services, [(9_000, 4_000), (300, 1)])
    books = fresh_services.views.ledger_entries
    for position in range(books.position() + 1):
        result = audit(fresh_services, "replay", "--as-of", str(position), "--json")
        assert result.exit_code == 0, result.output
        replayed: dict[str, Any] = json.loads(result.stdout)
        assert replayed["asOf"] == position
        assert {a.account: a.balance_stroops for a in books.accounts(position)} == {
            a["account"]: a["balanceStroops"] for a in replayed["accounts"]
        }
