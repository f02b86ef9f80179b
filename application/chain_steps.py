"""Exactly one transaction on chain per saga step.

A step signs an envelope, records it in an event, and only then submits. Whatever happens next —
a crash, a 504, a redelivered message — the step comes back here with the *recorded* envelope:
look its hash up; if it is not in a ledger and still valid, submit the same bytes again (Horizon
answers a known hash with its stored result); once its deadline has passed unseen it can never
land, and the step may sign anew.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from application.ports import Outcome, StellarNetwork, Submission
from domain.chain import SignedEnvelope

# How long a signed envelope may land; past it (plus the grace) an unseen one is void.
ENVELOPE_VALIDITY: Final = timedelta(minutes=5)
DEADLINE_GRACE: Final = timedelta(seconds=30)
# Rejections that only mean "this envelope is stale": sign a fresh one and try again.
RESIGN_CODES: Final = frozenset({"tx_bad_seq", "tx_too_late", "tx_too_early"})


class StepPending(Exception):
    """The network has not said what became of the step's transaction; retry later."""


def settle(
    network: StellarNetwork,
    envelope: SignedEnvelope,
    now: Callable[[], datetime],
    submit: Callable[[SignedEnvelope], Submission] | None = None,
) -> Submission:
    """What became of a recorded envelope, submitting it (again) when that is still possible:
    to Horizon, or through `submit` (Trustless Work's send-transaction)."""
    found = network.lookup(envelope.hash)
    if found is not None:
        return found
    if now() > envelope.valid_until + DEADLINE_GRACE:
        return Submission(
            Outcome.REJECTED,
            envelope.hash,
            codes=("tx_too_late",),
            detail="the envelope expired without reaching a ledger",
        )
    return submit(envelope) if submit is not None else network.submit(envelope.xdr)


def needs_new_envelope(submission: Submission) -> bool:
    """A rejection that a freshly signed envelope may fix (stale sequence or time bounds)."""
    return submission.outcome is Outcome.REJECTED and bool(set(submission.codes) & RESIGN_CODES)


def deadline(now: datetime) -> datetime:
    return now + ENVELOPE_VALIDITY
