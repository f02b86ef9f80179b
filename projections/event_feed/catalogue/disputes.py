"""Wire entries for disputes (OFFER-HUB's `dispute.*` names; `dispute.resolved` exactly once)."""

from __future__ import annotations

from typing import Any

from domain import identifiers
from domain.disputes import Dispute
from projections.event_feed.catalogue import Payload, entry, iso_utc, originator, wire

DSP = identifiers.DISPUTE


def _parties(e: Any) -> list[str]:
    return [e.buyer_id, e.seller_id]


def _dispute(e: Any) -> Payload:
    return {
        "disputeId": originator(e, DSP),
        "orderId": e.order_id,
        "buyerId": e.buyer_id,
        "sellerId": e.seller_id,
    }


@entry(Dispute.Opened, "dispute.opened", "Dispute", prefix=DSP, users=_parties)
def _opened(e: Any) -> Payload:
    return {
        **_dispute(e),
        "openedBy": e.opened_by,
        "reason": e.reason,
        "evidence": list(e.evidence),
        "openedAt": iso_utc(e.timestamp),
    }


@entry(Dispute.Assigned, "dispute.under_review", "Dispute", prefix=DSP, users=_parties)
def _assigned(e: Any) -> Payload:
    return {
        **_dispute(e),
        "assignedTo": e.assigned_to,
        "reviewedBy": e.assigned_to,
        "reviewStartedAt": iso_utc(e.timestamp),
    }


@entry(Dispute.Decided, "dispute.decided", "Dispute", prefix=DSP, users=_parties)
def _decided(e: Any) -> Payload:
    return {
        **_dispute(e),
        "decision": e.decision,
        "releaseAmount": wire(e.release_stroops),
        "refundAmount": wire(e.refund_stroops),
        "decisionNote": e.note,
        "decidedBy": e.decided_by,
    }


@entry(Dispute.Resolved, "dispute.resolved", "Dispute", prefix=DSP, users=_parties)
def _resolved(e: Any) -> Payload:
    return {
        **_dispute(e),
        "decision": e.decision,
        "decisionNote": e.note,
        "resolvedBy": e.resolved_by,
        "resolvedAt": iso_utc(e.at),
        "sellerAmount": wire(e.seller_net_stroops),
        "buyerAmount": wire(e.buyer_net_stroops),
    }
