"""The TopUp aggregate: no skipped state, credited once, and what cannot be refused."""

from __future__ import annotations

import uuid

import pytest

from domain.errors import InvalidAmountError, InvalidStateError
from domain.topups import (
    AWAITING_CONFIRMATION,
    CANCELED,
    FAILED,
    STEP_CANCEL_PAYIN,
    STEP_CREATE_PAYIN,
    SUCCEEDED,
    TopUp,
    check_cents,
)

pytestmark = pytest.mark.unit
TEN = 10 * 10_000_000


def new_topup() -> TopUp:
    return TopUp(id=uuid.uuid4(), user_id="usr_1", provider="airtm", provider_user_id="a",
                 amount_stroops=TEN, currency="USDC", description=None)  # fmt: skip


def names(topup: TopUp) -> list[str]:
    return [type(e).__name__ for e in topup.pending_events]


def test_a_payin_settled_before_it_was_seen_processing_records_processing_first() -> None:
    topup = new_topup()
    assert topup.step == STEP_CREATE_PAYIN
    topup.await_confirmation("payin-1", "https://checkout/payin/payin-1", 100_000)
    assert topup.succeed(TEN - 100_000, 100_000) is True
    assert topup.succeed(TEN - 100_000, 100_000) is False  # the second report: nothing
    assert names(topup) == ["Created", "AwaitingConfirmation", "Processing", "Succeeded"]
    assert topup.status == SUCCEEDED


def test_a_settlement_that_does_not_add_up_is_refused() -> None:
    topup = new_topup()
    topup.await_confirmation("payin-1", "https://checkout/payin/payin-1", 100_000)
    with pytest.raises(InvalidStateError):
        topup.succeed(TEN, 100_000)


def test_cancel_is_asked_then_recorded_once_the_provider_canceled() -> None:
    topup = new_topup()
    with pytest.raises(InvalidStateError):
        topup.request_cancel("user", None)  # not before the payin exists
    topup.await_confirmation("payin-1", "https://checkout/payin/payin-1", 0)
    topup.request_cancel("user", "changed my mind")
    assert topup.step == STEP_CANCEL_PAYIN
    topup.cancel(None)
    assert (topup.status, topup.step) == (CANCELED, None)
    assert topup.pending_events[-1].canceled_by == "user"  # type: ignore[attr-defined]


def test_a_payin_canceled_after_confirmation_is_a_failure() -> None:
    topup = new_topup()
    topup.await_confirmation("payin-1", "https://checkout/payin/payin-1", 0)
    topup.start_processing()
    topup.cancel("bridge canceled")
    assert topup.status == FAILED
    assert topup.status != AWAITING_CONFIRMATION


def test_fiat_amounts_are_whole_cents() -> None:
    check_cents(12_300_000)
    with pytest.raises(InvalidAmountError):
        check_cents(12_300_001)
