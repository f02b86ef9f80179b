"""Disputes: listed for anyone with `read`, assigned and resolved by `support`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from application.disputes import DisputeResult, Disputes
from application.orders import Orders
from domain import identifiers
from domain.api_keys import READ, SUPPORT
from domain.money import Amount
from interfaces.http.edge.admission import scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.prefer import prefer_wait_s
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope, Waiting
from interfaces.http.schemas.orders import (
    AssignDisputeRequest,
    DisputeBody,
    ResolveDisputeRequest,
    dispute_body,
)
from interfaces.settings import Settings
from projections.disputes.view import DisputesView


def _present(result: DisputeResult) -> DisputeBody:
    return dispute_body(result.dispute, result.order)


def _settled(result: DisputeResult) -> bool:
    return result.dispute.resolved_at is not None or result.order.parked_step is not None


class DisputesController(Controller):
    path = "/disputes"
    tags = ["disputes"]

    @get("/", opt=scope(READ), sync_to_thread=True, operation_id="listDisputes")
    def list_disputes(
        self,
        request: Request[Any, Any, Any],
        disputes_view: Provided[DisputesView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        order_id: Annotated[str | None, QueryParameter(name="orderId")] = None,
        status: FromQuery[str | None] = None,
        opened_by: Annotated[str | None, QueryParameter(name="openedBy")] = None,
        limit: FromQuery[int | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Response[Envelope[list[DisputeBody]]]:
        """Disputes, newest first; filters `orderId`, `status`, `openedBy`."""
        if order_id is not None:
            identifiers.parse_public_id(identifiers.ORDER, order_id)
        read_your_writes.wait(request, "disputes")
        page = disputes_view.list(order_id, status, opened_by, limit, cursor)
        return respond.page(page, dispute_body)

    @get("/{dispute_id:str}", opt=scope(READ), sync_to_thread=True, operation_id="getDispute")
    def get_dispute(
        self,
        dispute_id: FromPath[str],
        orders: Provided[Orders],
        disputes: Provided[Disputes],
        respond: Respond,
    ) -> Response[Envelope[DisputeBody]]:
        """One dispute with its order, current to the last event."""
        dispute = disputes.get(dispute_id)
        order = orders.get(dispute.order_id)
        return respond.ok(dispute_body(dispute, order))

    @post(
        "/{dispute_id:str}/assign",
        opt=scope(SUPPORT),
        sync_to_thread=True,
        operation_id="assignDispute",
    )
    def assign(
        self,
        dispute_id: FromPath[str],
        data: JSONBody[AssignDisputeRequest],
        disputes: Provided[Disputes],
        respond: Respond,
    ) -> Response[Envelope[DisputeBody]]:
        """Puts the dispute UNDER_REVIEW with `assignedTo` stored (reassigning is allowed
        until it is decided)."""
        return respond.command(
            lambda ctx: disputes.assign(dispute_id, data.assigned_to, ctx), _present
        )

    @post(
        "/{dispute_id:str}/resolve",
        opt=scope(SUPPORT),
        sync_to_thread=True,
        operation_id="resolveDispute",
    )
    def resolve(
        self,
        dispute_id: FromPath[str],
        data: JSONBody[ResolveDisputeRequest],
        request: Request[Any, Any, Any],
        disputes: Provided[Disputes],
        settings: Provided[Settings],
        respond: Respond,
    ) -> Response[Envelope[DisputeBody]]:
        """Decides the dispute (202): FULL_RELEASE, FULL_REFUND, or SPLIT with releaseAmount +
        refundAmount equal to what the escrow holds. The platform's wallet resolves it on
        chain; Trustless Work's fees come out of each share pro rata."""
        currency = settings.currency
        release = (
            Amount.parse(data.release_amount, currency) if data.release_amount is not None else None
        )
        refund = (
            Amount.parse(data.refund_amount, currency) if data.refund_amount is not None else None
        )
        return respond.command(
            lambda ctx: disputes.resolve(
                dispute_id,
                data.decision,
                release,
                refund,
                data.note,
                ctx.api_key_id or "api",
                ctx,
            ),
            _present,
            status=202,
            waiting=Waiting(prefer_wait_s(request), disputes.reload, _settled),
        )
