"""Wire entries for anchors of the audit chain on Stellar. Only `audit.anchored` is published;
the saga's bookkeeping (started, signed, voided, parked, retried) stays internal."""

from __future__ import annotations

from typing import Any

from domain import identifiers
from domain.audit_anchors import AuditAnchor
from projections.event_feed.catalogue import Payload, entry, iso_utc, originator, wire

ANC = identifiers.ANCHOR


def _anchor(e: Any) -> Payload:
    return {"anchorId": originator(e, ANC), "position": e.position}


@entry(AuditAnchor.Created, "audit.anchor_started", "AuditAnchor", prefix=ANC, public=False)
def _started(e: Any) -> Payload:
    return {
        **_anchor(e),
        "headHash": e.head_hash,
        "balancesRoot": e.balances_root,
        "balancesSum": wire(e.balances_sum_stroops),
        "signer": e.signer,
    }


@entry(
    AuditAnchor.EnvelopeSigned,
    "audit.anchor_transaction_signed",
    "AuditAnchor",
    prefix=ANC,
    public=False,
)
def _signed(e: Any) -> Payload:
    return {**_anchor(e), "transactionHash": e.envelope["hash"]}


@entry(
    AuditAnchor.EnvelopeVoided,
    "audit.anchor_transaction_voided",
    "AuditAnchor",
    prefix=ANC,
    public=False,
)
def _voided(e: Any) -> Payload:
    return {**_anchor(e), "transactionHash": e.hash, "reason": e.reason}


@entry(AuditAnchor.Anchored, "audit.anchored", "AuditAnchor", prefix=ANC)
def _anchored(e: Any) -> Payload:
    return {
        **_anchor(e),
        "headHash": e.head_hash,
        "transactionHash": e.transaction_hash,
        "stellarLedger": e.stellar_ledger,
        "balancesRoot": e.balances_root,
        "balancesSum": wire(e.balances_sum_stroops),
        "anchoredAt": iso_utc(e.anchored_at),
    }


@entry(AuditAnchor.Parked, "audit.anchor_parked", "AuditAnchor", prefix=ANC, public=False)
def _parked(e: Any) -> Payload:
    return {**_anchor(e), "step": e.step, "reason": e.reason}


@entry(AuditAnchor.Retried, "audit.anchor_retried", "AuditAnchor", prefix=ANC, public=False)
def _retried(e: Any) -> Payload:
    return {**_anchor(e), "step": e.step}
