"""Operators' endpoints: sagas in flight or parked, retrying them, and reconciliation on demand."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery

from application.reconciliation import Reconciler
from application.sagas import Sagas
from domain.api_keys import ADMIN
from domain.errors import ValidationError
from interfaces.http.edge.admission import scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.responses import Envelope
from interfaces.http.schemas.money_movements import (
    ReconciliationBody,
    SagaBody,
    SagaRetriedBody,
    reconciliation_body,
    saga_body,
)
from projections.sagas.view import SagasView

# WAITING: an order whose escrow waits for the marketplace (to fund, release, decide…).
SAGA_STATUSES = ("IN_FLIGHT", "PARKED", "WAITING", "DONE")


class AdminController(Controller):
    path = "/admin"
    tags = ["admin"]

    @get("/sagas", opt=scope(ADMIN), sync_to_thread=True, operation_id="listSagas")
    def sagas(
        self,
        sagas_view: Provided[SagasView],
        respond: Respond,
        status: FromQuery[list[str] | None] = None,
        kind: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Response[Envelope[list[SagaBody]]]:
        """Sagas in flight and parked (or `status=WAITING|DONE`), most recently changed first."""
        statuses = status or ["IN_FLIGHT", "PARKED"]
        unknown = set(statuses) - set(SAGA_STATUSES)
        if unknown:
            raise ValidationError(
                f"status must be among {', '.join(SAGA_STATUSES)}", field="status"
            )
        page = sagas_view.find(statuses, kind, limit, cursor)
        return respond.page(page, saga_body)

    @post(
        "/sagas/{saga_id:str}/retry",
        opt=scope(ADMIN),
        sync_to_thread=True,
        operation_id="retrySaga",
    )
    def retry(
        self,
        saga_id: FromPath[str],
        sagas: Provided[Sagas],
        respond: Respond,
    ) -> Response[Envelope[SagaRetriedBody]]:
        """Resumes a parked saga at its step; INVALID_STATE when it is not parked."""
        return respond.command(
            lambda ctx: sagas.retry(saga_id, ctx),
            lambda r: SagaRetriedBody(id=r.saga_id, status="IN_FLIGHT"),
        )

    @post("/reconcile", opt=scope(ADMIN), sync_to_thread=True, operation_id="reconcile")
    def reconcile(
        self,
        reconciler: Provided[Reconciler],
        respond: Respond,
    ) -> Response[Envelope[ReconciliationBody]]:
        """Compares every wallet's on-chain USDC with its ledger balance now; drift is reported
        here and recorded as events, never adjusted."""
        return respond.command(
            lambda ctx: reconciler.reconcile_everything("api", ctx), reconciliation_body
        )
