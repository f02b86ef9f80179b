"""Wire type of an anchor of the audit chain on Stellar (`GET /audit/anchors`)."""

from __future__ import annotations

from domain.money import format_stroops
from interfaces.http.edge.responses import iso
from interfaces.http.schemas.wire import AmountText, Body, Timestamp
from projections.audit_anchors.view import AnchorRow


class AnchorBody(Body):
    id: str  # anc_…, the anchor's saga id (`/admin/sagas/{id}/retry` when it is parked)
    position: int  # the log position whose chain head is anchored
    head_hash: str  # the chain's link at `position` (hex), the transaction's MEMO_HASH
    balances_root: str  # the balance tree's root hash at `position` (hex)
    balances_sum: AmountText  # the sum of every user's balance in that tree
    status: str  # STARTED | PARKED | ANCHORED
    transaction_hash: str | None  # the Stellar transaction, once it is in a ledger
    stellar_ledger: int | None
    signer: str  # the platform wallet that sends it
    started_at: Timestamp
    anchored_at: Timestamp | None
    park_reason: str | None


def anchor_body(row: AnchorRow) -> AnchorBody:
    return AnchorBody(
        id=row.anchor_id,
        position=row.anchor_position,
        head_hash=row.head_hash,
        balances_root=row.balances_root,
        balances_sum=format_stroops(row.balances_sum_stroops),
        status=row.shown_status,
        transaction_hash=row.transaction_hash,
        stellar_ledger=row.stellar_ledger,
        signer=row.signer,
        started_at=iso(row.started_at) or "",
        anchored_at=iso(row.anchored_at) if row.anchored_at else None,
        park_reason=row.park_reason,
    )
