"""The whole end-to-end suite's log, rebuilt: after every other test has written to the
session's stack (orders, escrows, disputes, withdrawals, deposits, fiat, webhooks, hostile
input), `projections rebuild --all`'s one pass over that log yields, table by table, exactly the
read models incremental processing built. Collected last (tests/e2e/conftest.py)."""

from __future__ import annotations

import pytest

from projections.rebuild import rebuild_together
from tests.support.read_models import snapshot
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def test_rebuilding_every_read_model_from_the_suites_log_yields_what_the_runner_built(
    stack: Stack,
) -> None:
    if stack.workers is not None:  # nothing may append while the two are compared
        stack.workers.stop()
        stack.workers = None
    stack.caught_up()
    assert stack.runner is not None
    stack.runner.stop()
    stack.runner = None
    resources = stack.services.resources
    incremental = snapshot(stack.services)
    assert incremental["rm_event_feed.events"] and incremental["rm_ledger_entries.entries"]

    reached = rebuild_together(list(resources.projections.values()), resources.ledger)

    assert reached == resources.ledger.head_position()
    rebuilt = snapshot(stack.services)
    differing = sorted(table for table in incremental if rebuilt.get(table) != incremental[table])
    assert differing == [], f"tables that differ after the rebuild: {differing}"
    assert rebuilt.keys() == incremental.keys()
