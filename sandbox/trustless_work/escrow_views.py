"""Escrows as Trustless Work V1 renders them: human amounts, percent fees, V1 flag shapes.

The V1 API speaks JSON numbers (`"amount": 250`, `"platformFee": 5`), computed here exactly from
stroops and basis points as `Decimal`s and written as numbers, never through floats.
Multi-release milestones carry their own amount, receiver and flags; single-release milestones a
plain `approved` boolean.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.chain.amounts import decimal_from_stroops
from sandbox.contracts.escrow_model import MULTI_RELEASE, Escrow, Milestone


def percent_from_bps(bps: int) -> Decimal:
    value = (Decimal(bps) / 100).normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def escrow_json(escrow: Escrow, trustline_address: str, trustline_symbol: str) -> dict[str, Any]:
    """The escrow object of send-transaction (deploy) and get-escrow."""
    multi = escrow.kind == MULTI_RELEASE
    document: dict[str, Any] = {
        "engagementId": escrow.engagement_id,
        "title": escrow.title,
        "description": escrow.description,
        "roles": dict(escrow.roles),
        "platformFee": percent_from_bps(escrow.platform_fee_bps),
        "milestones": [_milestone_json(m, multi) for m in escrow.milestones],
        "trustline": {"address": trustline_address, "symbol": trustline_symbol},
        "receiverMemo": escrow.receiver_memo,
    }
    if not multi:
        document["amount"] = decimal_from_stroops(escrow.amount_stroops)
        document["flags"] = {
            "disputed": escrow.disputed,
            "released": escrow.released,
            "resolved": escrow.resolved,
        }
    return document


def _milestone_json(milestone: Milestone, multi: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "description": milestone.description,
        "status": milestone.status,
        "evidence": milestone.evidence,
    }
    if multi:
        document["amount"] = decimal_from_stroops(milestone.amount_stroops)
        document["receiver"] = milestone.receiver
        document["flags"] = {
            "approved": milestone.approved,
            "disputed": milestone.disputed,
            "released": milestone.released,
            "resolved": milestone.resolved,
        }
    else:
        document["approved"] = milestone.approved
    return document


def indexed_escrow_json(
    escrow: Escrow,
    balance_stroops: int,
    trustline_address: str,
    trustline_symbol: str,
) -> dict[str, Any]:
    """An indexer item (get-escrow-by-contract-ids, by-role, by-signer)."""
    document = escrow_json(escrow, trustline_address, trustline_symbol)
    document["trustline"] = {"address": trustline_address, "name": trustline_symbol}
    document.update(
        contractId=escrow.contract_id,
        signer=escrow.deployer,
        type=escrow.kind,
        balance=decimal_from_stroops(balance_stroops),
        isActive=escrow.is_active,
        status=escrow.status(),
        user=escrow.deployer,
        createdAt={"_seconds": escrow.created_at_s, "_nanoseconds": 0},
        updatedAt={"_seconds": escrow.updated_at_s, "_nanoseconds": 0},
    )
    if escrow.kind == MULTI_RELEASE:
        document["amount"] = decimal_from_stroops(escrow.total_amount_stroops())
    return document
