"""A busy account is snapshotted after the commit, on a thread of its own, and loads the same."""

from __future__ import annotations

import time
import uuid

import pytest

from application.context import CommandContext
from application.ledger import SNAPSHOT_INTERVAL_EVENTS
from domain.accounts import account_id_for
from domain.money import Amount
from interfaces.services import Services

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(request_id="snapshots")
SNAPSHOT_WAIT_S = 10


def test_a_busy_account_is_snapshotted_in_the_background_and_loads_the_same(
    services: Services,
) -> None:
    user = services.use_cases.users.create_user(f"snap-{uuid.uuid4().hex}", None, "BOTH", CONTEXT)
    user_id = user.user.user_id
    for _ in range(SNAPSHOT_INTERVAL_EVENTS):
        services.use_cases.balances.adjust(user_id, "credit", Amount(1), "busy", CONTEXT)
    ledger = services.resources.ledger
    assert ledger.snapshots is not None
    deadline = time.monotonic() + SNAPSHOT_WAIT_S
    taken: list[object] = []
    while not taken and time.monotonic() < deadline:
        taken = list(ledger.snapshots.get(account_id_for(user_id)))
        time.sleep(0.05)
    assert taken, "no snapshot was taken for the busy account"
    account = services.use_cases.balances.account(user_id)
    assert account.available_stroops == SNAPSHOT_INTERVAL_EVENTS
