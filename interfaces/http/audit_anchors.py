"""`GET /audit/anchors` (audit scope): the anchors of the audit chain on Stellar, newest first —
each the chain's head hash at a log position, the balance tree's root there, and the platform
wallet's transaction that carries them (docs/audit.md, "Anchors on Stellar")."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from domain.api_keys import AUDIT
from interfaces.http.edge.admission import scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope
from interfaces.http.schemas.audit_anchors import AnchorBody, anchor_body
from interfaces.http.schemas.wire import Cursor, Limit
from projections.audit_anchors.view import AuditAnchorsView


class AuditAnchorsController(Controller):
    path = "/audit/anchors"
    tags = ["audit"]

    @get("/", opt=scope(AUDIT), sync_to_thread=True, operation_id="listAuditAnchors")
    def anchors(
        self,
        request: Request[Any, Any, Any],
        audit_anchors_view: Provided[AuditAnchorsView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[Envelope[list[AnchorBody]]]:
        """Anchors, newest first: `position`, `headHash` (the transaction's MEMO_HASH),
        `balancesRoot` and `balancesSum`, `status` (STARTED, PARKED, ANCHORED) and, once on
        chain, `transactionHash` and `anchoredAt`."""
        read_your_writes.wait(request, "audit_anchors")
        return respond.page(audit_anchors_view.page(limit, cursor), anchor_body)
