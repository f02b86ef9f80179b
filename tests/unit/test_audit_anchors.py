"""An anchor of the audit chain: what it may start from, and its saga's bookkeeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.audit_anchors import ANCHORED, STEP_ANCHOR, AuditAnchor, anchor_id_for
from domain.chain import SignedEnvelope
from domain.errors import InvalidStateError, ValidationError

pytestmark = pytest.mark.unit
HEAD = "ab" * 32
ROOT = "cd" * 32
SIGNER = "G" + "A" * 55
NOW = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)


def envelope(tag: str) -> SignedEnvelope:
    return SignedEnvelope(STEP_ANCHOR, f"xdr-{tag}", tag * 64, NOW + timedelta(minutes=5))


def test_an_anchor_is_one_per_position_and_refuses_what_is_not_a_head() -> None:
    anchor = AuditAnchor.start(12, HEAD, ROOT, 5_000, SIGNER)
    assert anchor.id == anchor_id_for(12) != anchor_id_for(13)
    assert anchor.step == STEP_ANCHOR
    with pytest.raises(ValidationError):
        AuditAnchor.start(0, HEAD, ROOT, 0, SIGNER)
    with pytest.raises(ValidationError):
        AuditAnchor.start(12, HEAD.upper(), ROOT, 0, SIGNER)
    with pytest.raises(ValidationError):
        AuditAnchor.start(12, HEAD, ROOT[:-2], 0, SIGNER)
    with pytest.raises(ValidationError):
        AuditAnchor.start(12, HEAD, ROOT, -1, SIGNER)


def test_an_anchor_keeps_one_envelope_until_voided_and_is_done_once_on_chain() -> None:
    anchor = AuditAnchor.start(12, HEAD, ROOT, 5_000, SIGNER)
    anchor.record_envelope(envelope("a"))
    with pytest.raises(InvalidStateError):
        anchor.record_envelope(envelope("b"))
    anchor.void_envelope("tx_bad_seq")
    assert anchor.envelope is None
    anchor.record_envelope(envelope("b"))
    anchor.mark_anchored("b" * 64, 7, NOW)
    assert (anchor.status, anchor.transaction_hash, anchor.step) == (ANCHORED, "b" * 64, None)
    with pytest.raises(InvalidStateError):
        anchor.mark_anchored("c" * 64, 8, NOW)
    anchor.park("too late")  # nothing to park once on chain
    assert anchor.parked_step is None


def test_a_parked_anchor_waits_for_an_operator_and_resumes_at_its_step() -> None:
    anchor = AuditAnchor.start(12, HEAD, ROOT, 5_000, SIGNER)
    with pytest.raises(InvalidStateError):
        anchor.retry()
    anchor.park("retries exhausted: tx_insufficient_balance")
    anchor.park("again")  # parked once
    assert anchor.parked_step == STEP_ANCHOR
    assert anchor.progress.park_reason == "retries exhausted: tx_insufficient_balance"
    anchor.retry()
    assert anchor.parked_step is None and anchor.step == STEP_ANCHOR
