"""The trial balance folds postings and names the position where the books first break."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from application.trial_balance import TrialBalance

pytestmark = pytest.mark.unit

AVAILABLE = "user:usr_a:available"


def credited(amount: int, after: int) -> SimpleNamespace:
    return SimpleNamespace(
        postings=[["external:adjustments", AVAILABLE, amount]],
        user_id="usr_a",
        available_after_stroops=after,
    )


def test_a_sound_history_folds_to_balances_summing_to_zero() -> None:
    trial = TrialBalance()
    trial.apply(1, SimpleNamespace())  # no postings: counted, changes nothing
    trial.apply(3, credited(100, 100))
    trial.apply(7, credited(50, 150))
    trial.close()
    assert trial.breaks == []
    assert trial.balances == {"external:adjustments": -150, AVAILABLE: 150}
    assert (trial.events, trial.position) == (3, 7)


def test_a_guarded_account_going_negative_breaks_at_that_position() -> None:
    trial = TrialBalance()
    trial.apply(2, credited(10, 10))
    trial.apply(5, SimpleNamespace(postings=[[AVAILABLE, "external:stellar", 11]]))
    assert [(b.position, "went negative" in b.problem) for b in trial.breaks] == [(5, True)]


def test_an_event_whose_stated_balance_disagrees_with_its_postings_breaks() -> None:
    trial = TrialBalance()
    trial.apply(4, credited(10, 12))
    assert [b.position for b in trial.breaks] == [4]


def test_a_malformed_posting_breaks_instead_of_crashing() -> None:
    trial = TrialBalance()
    trial.apply(9, SimpleNamespace(postings=[[AVAILABLE, "external:stellar", -5]]))
    assert [b.position for b in trial.breaks] == [9]
