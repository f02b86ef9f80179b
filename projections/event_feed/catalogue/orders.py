"""Wire entries for orders and their escrows (OFFER-HUB's `order.*` and `escrow.*` names).

Every order event carries the order's summary, so each payload names the order, both parties,
the amount and the contract on its own, and SSE filters by user reach buyer and seller alike.
Amounts are wire decimals; payouts say what the escrow paid, to whom, and the two fees.
"""

from __future__ import annotations

from typing import Any

from domain import identifiers
from domain.escrow_payouts import PayoutRecord, PayoutTotals
from domain.milestones import Milestone
from domain.order_states import BUYER, SELLER
from domain.orders import Order
from projections.event_feed.catalogue import Payload, entry, iso_utc, originator, wire

ORD = identifiers.ORDER


def _parties(e: Any) -> list[str]:
    if hasattr(e, "summary"):
        return [e.summary["buyerId"], e.summary["sellerId"]]
    return [e.buyer_id, e.seller_id]


def _escrow_id(e: Any) -> str:
    return str(e.escrow_id)


def order_entry(event_class: type, wire_type: str, *, public: bool = True) -> Any:
    return entry(event_class, wire_type, "Order", prefix=ORD, users=_parties, public=public)


def escrow_entry(event_class: type, wire_type: str) -> Any:
    return entry(event_class, wire_type, "Escrow", aggregate_id=_escrow_id, users=_parties)


def _order(e: Any) -> Payload:
    summary = e.summary
    return {
        "orderId": originator(e, ORD),
        "buyerId": summary["buyerId"],
        "sellerId": summary["sellerId"],
        "amount": wire(summary["amountStroops"], summary["currency"]),
        "currency": summary["currency"],
    }


def _escrow(e: Any) -> Payload:
    return {
        "escrowId": e.escrow_id,
        **_order(e),
        "trustlessContractId": e.summary["contractId"],
    }


def _milestone(e: Any) -> Payload:
    milestone = Milestone.from_record(e.milestone)
    return {
        "milestoneRef": milestone.ref,
        "milestoneTitle": milestone.title,
        "milestoneAmount": wire(milestone.amount_stroops, e.summary["currency"]),
        "transactionHash": e.transaction_hash,
    }


def _payout(e: Any) -> Payload:
    """A payout out of the escrow: the gross amount, each party's net share, and the fees."""
    currency = e.summary["currency"]
    if e.payout is None:
        return {}
    payout = PayoutRecord.from_record(e.payout)
    balances = payout.balances_after
    return {
        "payout": {
            "total": wire(payout.total_stroops, currency),
            "sellerAmount": wire(payout.net_to(SELLER), currency),
            "buyerAmount": wire(payout.net_to(BUYER), currency),
            "platformFee": wire(payout.platform_fee_stroops, currency),
            "protocolFee": wire(payout.protocol_fee_stroops, currency),
            "newSellerBalance": wire(balances.get(SELLER), currency),
            "newBuyerBalance": wire(balances.get(BUYER), currency),
        },
        "transactionHash": e.transaction_hash,
    }


# -- order lifecycle ----------------------------------------------------------------------------


@entry(Order.Created, "order.created", "Order", prefix=ORD, users=_parties)
def _created(e: Any) -> Payload:
    return {
        "orderId": originator(e, ORD),
        "buyerId": e.buyer_id,
        "sellerId": e.seller_id,
        "amount": wire(e.amount_stroops, e.currency),
        "currency": e.currency,
        "title": e.title,
        "description": e.description,
        "clientOrderRef": e.client_order_ref,
        "metadata": e.marketplace_metadata,
        "platformFeeBps": e.platform_fee_bps,
        "multiRelease": bool(e.milestones),
        "milestones": [
            {"milestoneRef": m.ref, "title": m.title, "amount": wire(m.amount_stroops, e.currency)}
            for m in map(Milestone.from_record, e.milestones)
        ],
        "autoReleaseAfter": e.auto_release,
    }


@order_entry(Order.FundsReserved, "order.funds_reserved")
def _funds_reserved(e: Any) -> Payload:
    currency = e.summary["currency"]
    return {
        **_order(e),
        "reservedBalance": wire(e.reserved_after_stroops, currency),
        "availableBalance": wire(e.available_after_stroops, currency),
    }


@order_entry(Order.Canceled, "order.canceled")
def _canceled(e: Any) -> Payload:
    return {
        **_order(e),
        "canceledBy": e.canceled_by,
        "canceledAt": iso_utc(e.timestamp),
        "fundsReleased": e.funds_released,
        "reason": e.reason,
    }


@order_entry(Order.Closed, "order.closed")
def _closed(e: Any) -> Payload:
    return {**_order(e), "finalStatus": e.final_status, "closedAt": iso_utc(e.timestamp)}


@order_entry(Order.EscrowCreating, "order.escrow_creating")
def _escrow_creating(e: Any) -> Payload:
    return {**_order(e), "escrowId": e.escrow_id}


@order_entry(Order.AwaitingFunding, "order.escrow_funding")
def _awaiting_funding(e: Any) -> Payload:
    return {**_escrow(e)}


@order_entry(Order.Funded, "order.escrow_funded")
def _funded(e: Any) -> Payload:
    return {
        **_escrow(e),
        "fundedAt": iso_utc(e.funded_at),
        "autoReleaseAt": iso_utc(e.auto_release_at),
    }


@order_entry(Order.InProgress, "order.in_progress")
def _in_progress(e: Any) -> Payload:
    return {**_escrow(e)}


@order_entry(Order.MilestoneRequested, "order.milestone_requested")
def _milestone_requested(e: Any) -> Payload:
    return {**_order(e), "milestoneRef": e.ref, "request": e.kind}


@order_entry(Order.ReleaseRequested, "order.release_requested")
def _release_requested(e: Any) -> Payload:
    return {**_order(e), "requestedBy": e.requested_by, "requestedAt": iso_utc(e.timestamp)}


@order_entry(Order.RefundRequested, "order.refund_requested")
def _refund_requested(e: Any) -> Payload:
    return {
        **_order(e),
        "requestedBy": e.requested_by,
        "requestedAt": iso_utc(e.timestamp),
        "reason": e.reason,
    }


@order_entry(Order.Disputed, "order.disputed")
def _disputed(e: Any) -> Payload:
    return {
        **_order(e),
        "disputeId": e.dispute_id,
        "openedBy": e.opened_by,
        "reason": e.reason,
        "openedAt": iso_utc(e.timestamp),
    }


@order_entry(Order.ResolutionRequested, "order.resolution_requested")
def _resolution_requested(e: Any) -> Payload:
    currency = e.summary["currency"]
    return {
        **_order(e),
        "disputeId": e.dispute_id,
        "decision": e.decision,
        "releaseAmount": wire(e.release_stroops, currency),
        "refundAmount": wire(e.refund_stroops, currency),
        "decidedBy": e.decided_by,
    }


def _outcome(e: Any) -> Payload:
    currency = e.summary["currency"]
    outcome = PayoutTotals.from_outcome_record(e.outcome)
    paid, balances = outcome.paid, outcome.balances_after
    return {
        "decision": e.decision,
        "sellerAmount": wire(paid.get(SELLER, 0), currency),
        "buyerAmount": wire(paid.get(BUYER, 0), currency),
        "newSellerBalance": wire(balances.get(SELLER), currency),
        "newBuyerBalance": wire(balances.get(BUYER), currency),
    }


@order_entry(Order.Released, "order.released")
def _released(e: Any) -> Payload:
    return {**_order(e), "escrowId": e.escrow_id, "releasedAt": iso_utc(e.at), **_outcome(e)}


@order_entry(Order.Refunded, "order.refunded")
def _refunded(e: Any) -> Payload:
    return {
        **_order(e),
        "escrowId": e.escrow_id,
        "refundedAt": iso_utc(e.at),
        "reason": e.reason,
        **_outcome(e),
    }


# -- the escrow -------------------------------------------------------------------------------


@escrow_entry(Order.EscrowCreated, "escrow.created")
def _escrow_created(e: Any) -> Payload:
    return {**_escrow(e), "multiRelease": e.multi_release, "transactionHash": e.transaction_hash}


@escrow_entry(Order.FundingStarted, "escrow.funding_started")
def _funding_started(e: Any) -> Payload:
    return {**_escrow(e)}


@escrow_entry(Order.FundingFailed, "escrow.funding_failed")
def _funding_failed(e: Any) -> Payload:
    return {**_escrow(e), "reason": e.reason, "errorCode": e.error_code}


@escrow_entry(Order.EscrowFunded, "escrow.funded")
def _escrow_funded(e: Any) -> Payload:
    return {**_escrow(e), "fundedAt": iso_utc(e.funded_at), "transactionHash": e.transaction_hash}


@escrow_entry(Order.MilestoneCompleted, "escrow.milestone_completed")
def _milestone_completed(e: Any) -> Payload:
    return {**_escrow(e), **_milestone(e), "completedAt": iso_utc(e.timestamp)}


@escrow_entry(Order.MilestoneApproved, "escrow.milestone_approved")
def _milestone_approved(e: Any) -> Payload:
    return {**_escrow(e), **_milestone(e), "approvedAt": iso_utc(e.timestamp)}


@escrow_entry(Order.MilestoneReleased, "escrow.milestone_released")
def _milestone_released(e: Any) -> Payload:
    return {**_escrow(e), **_milestone(e), **_payout(e), "releasedAt": iso_utc(e.timestamp)}


@escrow_entry(Order.EscrowDisputed, "escrow.disputed")
def _escrow_disputed(e: Any) -> Payload:
    return {
        **_escrow(e),
        "milestoneIndex": e.index,
        "openedBy": e.opened_by,
        "transactionHash": e.transaction_hash,
    }


@escrow_entry(Order.MilestoneResolved, "escrow.milestone_resolved")
def _milestone_resolved(e: Any) -> Payload:
    return {**_escrow(e), **_milestone(e), **_payout(e), "resolvedAt": iso_utc(e.timestamp)}


@escrow_entry(Order.EscrowReleased, "escrow.released")
def _escrow_released(e: Any) -> Payload:
    return {**_escrow(e), **_payout(e), "releasedAt": iso_utc(e.at)}


@escrow_entry(Order.EscrowRefunded, "escrow.refunded")
def _escrow_refunded(e: Any) -> Payload:
    return {**_escrow(e), **_payout(e), "refundedAt": iso_utc(e.at)}


@escrow_entry(Order.EscrowResolved, "escrow.resolved")
def _escrow_resolved(e: Any) -> Payload:
    return {**_escrow(e), **_payout(e), "decision": e.decision, "resolvedAt": iso_utc(e.at)}


# -- the saga ---------------------------------------------------------------------------------


@order_entry(Order.StepPlanned, "order.saga_step", public=False)
def _step_planned(e: Any) -> Payload:
    return {**_order(e), "step": e.step, "status": e.status}


@order_entry(Order.EnvelopeSigned, "order.transaction_signed", public=False)
def _envelope_signed(e: Any) -> Payload:
    return {**_order(e), "step": e.envelope["step"], "transactionHash": e.envelope["hash"]}


@order_entry(Order.EnvelopeVoided, "order.transaction_voided", public=False)
def _envelope_voided(e: Any) -> Payload:
    return {
        **_order(e),
        "step": e.step,
        "transactionHash": e.transaction_hash,
        "reason": e.reason,
    }


@order_entry(Order.Parked, "order.saga_parked")
def _parked(e: Any) -> Payload:
    return {**_order(e), "step": e.step, "reason": e.reason, "actionRequired": "operator_retry"}


@order_entry(Order.Retried, "order.saga_retried")
def _retried(e: Any) -> Payload:
    return {**_order(e), "step": e.step}
