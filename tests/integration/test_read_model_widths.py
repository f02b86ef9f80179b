"""Every total the domain allows fits every read model: accounts without a ceiling (external,
platform) may sum past bigint, and the projections still reach the head with exact values."""

from __future__ import annotations

import uuid

import pytest

from application.context import CommandContext
from domain.ceilings import AMOUNT_STROOPS_MAX, USER_BALANCE_STROOPS_MAX
from domain.money import Amount
from domain.postings import EXTERNAL_ADJUSTMENTS, broken_invariants
from interfaces.bootstrap import ensure_projections
from interfaces.services import Services
from projections.event_feed.verification import Verifier
from tests.support.read_models import snapshot

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(request_id="read-model-widths")
BIGINT_MAX = 2**63 - 1


def test_two_largest_admin_credits_sum_past_bigint_and_every_projection_keeps_up(
    fresh_services: Services,
) -> None:
    services = fresh_services
    ensure_projections(services)
    users = [
        services.use_cases.users.create_user(
            f"w-{uuid.uuid4().hex}", None, "BOTH", CONTEXT
        ).user.user_id
        for _ in range(2)
    ]
    for user in users:
        services.use_cases.balances.adjust(
            user, "credit", Amount(AMOUNT_STROOPS_MAX), "largest credit", CONTEXT
        )

    head = services.resources.ledger.head_position()
    for store in services.resources.projections.values():
        store.catch_up()
        assert store.position() >= head, store.name

    balances = services.views.ledger_entries.balances()
    assert balances[EXTERNAL_ADJUSTMENTS] == -2 * AMOUNT_STROOPS_MAX
    assert -balances[EXTERNAL_ADJUSTMENTS] > BIGINT_MAX
    assert broken_invariants(balances) == []
    for user in users:
        assert balances[f"user:{user}:available"] == USER_BALANCE_STROOPS_MAX
        assert services.views.balances.get(user).available_stroops == AMOUNT_STROOPS_MAX
    lines = services.views.ledger_entries.statement([EXTERNAL_ADJUSTMENTS], None, None).items
    assert [line.balance_after_stroops for line in lines] == [
        -2 * AMOUNT_STROOPS_MAX,
        -AMOUNT_STROOPS_MAX,
    ]
    assert all(isinstance(line.balance_after_stroops, int) for line in lines)
    assert Verifier(services.resources.ledger, services.resources.pool).verify().ok

    before = snapshot(services)
    for store in services.resources.projections.values():
        store.rebuild()
    assert snapshot(services) == before
