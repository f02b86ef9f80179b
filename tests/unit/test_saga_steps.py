"""A saga's step progress: one envelope per step until it is voided, parking only what is not
parked yet, and a retry only of what is parked — the same for orders, withdrawals and wallets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.chain import SignedEnvelope
from domain.errors import InvalidStateError
from domain.saga_steps import REASON_LENGTH_MAX, StepProgress, clip

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def envelope(step: str, hash_: str = "ab" * 32) -> SignedEnvelope:
    return SignedEnvelope(step, "AAAA", hash_, NOW)


def test_a_step_keeps_its_envelope_until_it_is_voided() -> None:
    progress = StepProgress().with_envelope(envelope("fund"))
    assert progress.envelope("fund") == envelope("fund")
    assert progress.holds(envelope("fund"))
    assert not progress.holds(envelope("fund", "cd" * 32))
    with pytest.raises(InvalidStateError, match="already has a signed transaction"):
        progress.check_unsigned("fund")
    voided = progress.without_envelope("fund")
    assert (voided.envelope("fund"), voided.holds(envelope("fund"))) == (None, False)
    voided.check_unsigned("fund")
    with pytest.raises(InvalidStateError, match="no signed transaction"):
        voided.signed("fund")
    assert progress.envelope("fund") is not None  # the value itself never changed


def test_only_a_step_not_yet_parked_is_parked_and_only_a_parked_one_retried() -> None:
    progress = StepProgress()
    assert (progress.may_park("fund"), progress.may_park(None)) == (True, False)
    with pytest.raises(InvalidStateError, match="not parked"):
        progress.check_parked("not parked", status="X")
    parked = progress.parked_at("fund", "retries exhausted")
    assert (parked.is_parked, parked.may_park("fund")) == (True, False)
    assert parked.check_parked("not parked") == "fund"
    resumed = parked.resumed()
    assert (resumed.parked_step, resumed.park_reason) == (None, None)


def test_reasons_are_clipped_to_their_limit() -> None:
    assert clip("x" * (REASON_LENGTH_MAX + 10)) == "x" * REASON_LENGTH_MAX
