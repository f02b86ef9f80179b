"""A short seeded run of `ledgerline simulate`: every kind of kill once (API, worker, runner,
PostgreSQL, Redis with and without its data) and sandbox faults under a mixed load, then every
invariant checked — so no change can break the campaign, or what it guards, silently.

The long run (≥ 60 kills over ≥ 15 minutes) is documented in README and docs/operations.md.
"""

from __future__ import annotations

import pytest

from simulation.campaign import simulate
from simulation.limits import KILL_KINDS, Limits
from simulation.report import render
from tests.support.scratch import scratch_dir

pytestmark = pytest.mark.e2e

SHORT_RUN = Limits(duration_s=60, kills=len(KILL_KINDS), clients=2, workers=1, settle_timeout_s=240)


@pytest.mark.parametrize("seed", [2])
def test_a_short_seeded_run_with_every_kind_of_kill_keeps_every_invariant(
    seed: int,
) -> None:
    with scratch_dir("simulation") as directory:
        outcome = simulate(seed, SHORT_RUN, directory, progress=lambda line: None)

    report = render(outcome)
    assert outcome.error is None, report
    assert outcome.passed, report
    assert dict(outcome.chaos.kills) == dict.fromkeys(KILL_KINDS, 1), report
    assert outcome.answers.bad_count == 0, report
    assert outcome.answers.requests > 0
