"""The sagas read model names the step a withdrawal's saga takes next, as the withdrawal itself
does (`Withdrawal.step`): crypto or fiat, committed before or after its payout exists."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from domain.withdrawals import STEP_COMMIT_PAYOUT, STEP_CREATE_PAYOUT, STEP_PAY, Withdrawal
from projections.sagas.projection import SagasProjection

pytestmark = pytest.mark.integration

Step = Callable[[Withdrawal], None]


@pytest.fixture
def sagas(database_factory: Callable[[], str]) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
    """A cursor on an empty sagas table of a fresh database."""
    with psycopg.connect(database_factory(), row_factory=dict_row) as conn:
        for statement in SagasProjection.ddl:
            conn.execute(statement)
        yield conn.cursor()


def withdrawal(destination_type: str) -> Withdrawal:
    return Withdrawal(
        id=uuid.uuid4(),
        user_id=f"usr_{uuid.uuid4().hex}",
        source_address="G" + "A" * 55,
        amount_stroops=10_000_000,
        currency="USDC",
        destination_type=destination_type,
        destination_ref="ref",
        description=None,
    )


def hold(w: Withdrawal) -> None:
    w.hold(available_after_stroops=0, reserved_after_stroops=10_000_000)


def commit(w: Withdrawal) -> None:
    w.commit(available_after_stroops=0, reserved_after_stroops=10_000_000)


def record_payout(w: Withdrawal) -> None:
    w.record_payout("payout-1", 100, 0, 9_999_900)


def folded_steps(
    cursor: psycopg.Cursor[dict[str, Any]], w: Withdrawal, steps: list[Step]
) -> list[str | None]:
    """The read model's step once the withdrawal is created, then after each of `steps` (the
    events each triggers applied in log order)."""
    projection = SagasProjection()
    positions = itertools.count(1)

    def step_now() -> str | None:
        pending = w.collect_events()  # type: ignore[attr-defined]
        assert pending, "each step records an event"
        for event in pending:
            projection.apply(cursor, event, next(positions))
        found = cursor.execute("SELECT step FROM sagas WHERE saga_id = %s", (w.public_id,))
        row = found.fetchone()
        return None if row is None else row["step"]

    seen = [step_now()]
    for step in steps:
        step(w)
        seen.append(step_now())
    return seen


@pytest.mark.parametrize(
    ("destination_type", "steps", "expected"),
    [
        ("stellar", [hold], [None, STEP_PAY]),
        ("bank", [commit], [STEP_CREATE_PAYOUT, STEP_CREATE_PAYOUT]),
        ("bank", [record_payout, commit], [STEP_CREATE_PAYOUT, None, STEP_COMMIT_PAYOUT]),
    ],
    ids=["crypto-held", "fiat-committed-before-its-payout", "fiat-committed-after-its-payout"],
)
def test_a_withdrawals_saga_row_names_the_step_the_withdrawal_takes_next(
    sagas: psycopg.Cursor[dict[str, Any]],
    destination_type: str,
    steps: list[Step],
    expected: list[str | None],
) -> None:
    w = withdrawal(destination_type)
    assert folded_steps(sagas, w, steps) == expected
    assert expected[-1] == w.step
