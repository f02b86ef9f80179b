"""Orders: create, reserve, cancel; the escrow, its milestones and its resolution.

Commands that put a transaction on chain answer 202 with the order in flight (`saga.step` names
the transaction); `Prefer: wait=N` waits up to N seconds (≤ 30) for the saga to settle and then
answers 200 with the settled order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from application.context import CommandContext
from application.orders import MilestoneTerms, OrderResult, Orders, OrderTerms, saga_settled
from domain import identifiers
from domain.api_keys import READ, WRITE
from domain.errors import ValidationError
from domain.money import Amount
from interfaces.http.contract.answers import answers, or_existing, settles
from interfaces.http.edge.admission import claimed_with_events, scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.prefer import prefer_wait_s
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope, Responder, Waiting
from interfaces.http.schemas.orders import (
    CreateOrderRequest,
    DisputeBody,
    MilestoneBody,
    OpenDisputeRequest,
    OrderBody,
    ReasonRequest,
    dispute_body,
    milestone_body,
    order_body,
    parse_time,
)
from interfaces.http.schemas.vocabulary import ORDER_STATUSES
from interfaces.http.schemas.wire import Cursor, Limit, id_example, id_pattern, queried
from interfaces.settings import Settings
from projections.orders.view import OrderFilter, OrdersView

AnyRequest = Request[Any, Any, Any]
BuyerIdQuery = Annotated[
    str | None,
    queried("buyerId", pattern=id_pattern(identifiers.USER), examples=[id_example("usr")]),
]
SellerIdQuery = Annotated[
    str | None,
    queried("sellerId", pattern=id_pattern(identifiers.USER), examples=[id_example("usr")]),
]
OrderStatusQuery = Annotated[
    str | None, queried(enum=list(ORDER_STATUSES), examples=["IN_PROGRESS"])
]


def _present(result: OrderResult) -> OrderBody:
    return order_body(result.order)


def _saga_command(
    request: AnyRequest,
    orders: Orders,
    respond: Responder,
    run: Callable[[CommandContext], OrderResult],
) -> Response[Any]:
    """A command the escrow saga carries out: 202, or 200 once settled within `Prefer: wait`."""
    return respond.command(
        run,
        _present,
        status=202,
        waiting=Waiting(prefer_wait_s(request), orders.reload, saga_settled),
    )


class OrdersController(Controller):
    path = "/orders"
    tags = ["orders"]

    @post(
        "/",
        opt=scope(WRITE) | or_existing(errors=(404, 422)),
        sync_to_thread=True,
        operation_id="createOrder",
    )
    def create(
        self,
        data: JSONBody[CreateOrderRequest],
        orders: Provided[Orders],
        settings: Provided[Settings],
        respond: Respond,
    ) -> Response[Envelope[OrderBody]]:
        """Creates an order (201). Milestone amounts must sum to the amount; with milestones the
        escrow is multi-release. The same `clientOrderRef` with the same body returns the
        existing order (200); with another body, 409 DUPLICATE_CLIENT_ORDER_REF."""
        currency = settings.currency
        if data.currency is not None and data.currency != currency:
            raise ValidationError(f"currency must be {currency}", field="currency")
        terms = OrderTerms(
            buyer_id=data.buyer,
            seller_id=data.seller,
            amount=Amount.parse(data.amount, currency),
            title=data.title,
            description=data.description,
            client_order_ref=data.client_ref,
            metadata=data.metadata,
            platform_fee_bps=data.platform_fee_bps,
            auto_release_after=data.auto_release_after,
            milestones=[
                MilestoneTerms(m.ref, m.title, Amount.parse(m.amount, currency))
                for m in data.milestones or []
            ],
        )
        return respond.command(
            lambda ctx: orders.create(terms, ctx),
            _present,
            status=lambda result: 201 if result.created else 200,
        )

    @get("/", opt=scope(READ), sync_to_thread=True, operation_id="listOrders")
    def list_orders(
        self,
        request: AnyRequest,
        orders_view: Provided[OrdersView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        buyer_id: BuyerIdQuery = None,
        seller_id: SellerIdQuery = None,
        status: OrderStatusQuery = None,
        created_after: Annotated[str | None, QueryParameter(name="createdAfter")] = None,
        created_before: Annotated[str | None, QueryParameter(name="createdBefore")] = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[Envelope[list[OrderBody]]]:
        """Orders, newest first; filters `buyerId`, `sellerId`, `status`, `createdAfter`,
        `createdBefore` (ISO 8601 with a zone)."""
        for user_id in (buyer_id, seller_id):
            if user_id is not None:
                identifiers.parse_public_id(identifiers.USER, user_id)
        where = OrderFilter(
            buyer_id=buyer_id,
            seller_id=seller_id,
            status=status,
            created_after=parse_time(created_after, "createdAfter"),
            created_before=parse_time(created_before, "createdBefore"),
        )
        read_your_writes.wait(request, "orders")
        return respond.page(orders_view.list(where, limit, cursor), order_body)

    @get("/{order_id:str}", opt=scope(READ), sync_to_thread=True, operation_id="getOrder")
    def get_order(
        self, order_id: FromPath[str], orders: Provided[Orders], respond: Respond
    ) -> Response[Envelope[OrderBody]]:
        """One order, current to the last event (read from the log)."""
        return respond.ok(order_body(orders.get(order_id)))

    @post(
        "/{order_id:str}/reserve",
        opt=scope(WRITE) | claimed_with_events() | answers(errors=(422,)),
        status_code=200,
        sync_to_thread=True,
        operation_id="reserveOrderFunds",
    )
    def reserve(
        self, order_id: FromPath[str], orders: Provided[Orders], respond: Respond
    ) -> Response[Envelope[OrderBody]]:
        """Moves the amount from the buyer's available to reserved (422 INSUFFICIENT_FUNDS)."""
        return respond.command(lambda ctx: orders.reserve(order_id, ctx), _present)

    @post(
        "/{order_id:str}/cancel",
        opt=scope(WRITE) | claimed_with_events(),
        status_code=200,
        sync_to_thread=True,
        operation_id="cancelOrder",
    )
    def cancel(
        self,
        order_id: FromPath[str],
        orders: Provided[Orders],
        respond: Respond,
        data: JSONBody[ReasonRequest | None] = None,
    ) -> Response[Envelope[OrderBody]]:
        """Closes the order before its escrow is funded; a reservation returns to available."""
        reason = data.reason if data else None
        return respond.command(
            lambda ctx: orders.cancel(order_id, ctx.api_key_id or "api", reason, ctx),
            _present,
        )

    @post(
        "/{order_id:str}/escrow",
        opt=scope(WRITE) | settles(),
        status_code=202,
        sync_to_thread=True,
        operation_id="createEscrow",
    )
    def create_escrow(
        self,
        order_id: FromPath[str],
        request: AnyRequest,
        orders: Provided[Orders],
        respond: Respond,
    ) -> Response[Envelope[OrderBody]]:
        """Deploys the Trustless Work escrow (202; single-release without milestones,
        multi-release with them). Buyer, seller and platform wallets must be active."""
        return _saga_command(
            request, orders, respond, lambda ctx: orders.request_escrow(order_id, ctx)
        )

    @post(
        "/{order_id:str}/escrow/fund",
        opt=scope(WRITE) | settles(),
        status_code=202,
        sync_to_thread=True,
        operation_id="fundEscrow",
    )
    def fund_escrow(
        self,
        order_id: FromPath[str],
        request: AnyRequest,
        orders: Provided[Orders],
        respond: Respond,
    ) -> Response[Envelope[OrderBody]]:
        """Moves the buyer's reserved money into the escrow (202). A failed funding leaves the
        money reserved and the escrow CREATED, so funding can be asked again."""
        return _saga_command(
            request, orders, respond, lambda ctx: orders.request_funding(order_id, ctx)
        )

    @get(
        "/{order_id:str}/milestones",
        opt=scope(READ),
        sync_to_thread=True,
        operation_id="listMilestones",
    )
    def milestones(
        self, order_id: FromPath[str], orders: Provided[Orders], respond: Respond
    ) -> Response[Envelope[list[MilestoneBody]]]:
        """The order's milestones in order (none for a single-release order)."""
        order = orders.get(order_id)
        return respond.ok([milestone_body(m, order.currency) for m in order.visible_milestones()])

    @post(
        "/{order_id:str}/milestones/{ref:str}/complete",
        opt=scope(WRITE) | settles(),
        status_code=202,
        sync_to_thread=True,
        operation_id="completeMilestone",
    )
    def complete_milestone(
        self,
        order_id: FromPath[str],
        ref: FromPath[str],
        request: AnyRequest,
        orders: Provided[Orders],
        respond: Respond,
    ) -> Response[Envelope[OrderBody]]:
        """The seller marks the milestone done (202; Trustless Work change-milestone-status)."""
        return _saga_command(
            request,
            orders,
            respond,
            lambda ctx: orders.complete_milestone(order_id, ref, ctx),
        )

    @post(
        "/{order_id:str}/milestones/{ref:str}/approve",
        opt=scope(WRITE) | settles(),
        status_code=202,
        sync_to_thread=True,
        operation_id="approveMilestone",
    )
    def approve_milestone(
        self,
        order_id: FromPath[str],
        ref: FromPath[str],
        request: AnyRequest,
        orders: Provided[Orders],
        respond: Respond,
    ) -> Response[Envelope[OrderBody]]:
        """The buyer approves a completed milestone (202; Trustless Work approve-milestone)."""
        return _saga_command(
            request,
            orders,
            respond,
            lambda ctx: orders.approve_milestone(order_id, ref, ctx),
        )

    @post(
        "/{order_id:str}/milestones/{ref:str}/release",
        opt=scope(WRITE) | settles(),
        status_code=202,
        sync_to_thread=True,
        operation_id="releaseMilestone",
    )
    def release_milestone(
        self,
        order_id: FromPath[str],
        ref: FromPath[str],
        request: AnyRequest,
        orders: Provided[Orders],
        respond: Respond,
    ) -> Response[Envelope[OrderBody]]:
        """Pays one completed milestone to the seller (202; multi-release only)."""
        return _saga_command(
            request,
            orders,
            respond,
            lambda ctx: orders.release_milestone(order_id, ref, ctx),
        )

    @post(
        "/{order_id:str}/resolution/release",
        opt=scope(WRITE) | settles(),
        status_code=202,
        sync_to_thread=True,
        operation_id="releaseOrder",
    )
    def release(
        self,
        order_id: FromPath[str],
        request: AnyRequest,
        orders: Provided[Orders],
        respond: Respond,
        data: JSONBody[ReasonRequest | None] = None,
    ) -> Response[Envelope[OrderBody]]:
        """Pays the escrow to the seller (202): the seller gets the amount less Trustless
        Work's 0.3 % and the platform fee, to the stroop. Every milestone must be completed."""
        return _saga_command(
            request,
            orders,
            respond,
            lambda ctx: orders.release(order_id, ctx.api_key_id or "api", ctx),
        )

    @post(
        "/{order_id:str}/resolution/refund",
        opt=scope(WRITE) | settles(),
        status_code=202,
        sync_to_thread=True,
        operation_id="refundOrder",
    )
    def refund(
        self,
        order_id: FromPath[str],
        data: JSONBody[ReasonRequest],
        request: AnyRequest,
        orders: Provided[Orders],
        respond: Respond,
    ) -> Response[Envelope[OrderBody]]:
        """Returns the escrow to the buyer (202; `reason` required). On chain: the buyer
        disputes the escrow and the platform resolves it in the buyer's favour."""
        reason = data.reason or ""
        return _saga_command(
            request,
            orders,
            respond,
            lambda ctx: orders.refund(order_id, ctx.api_key_id or "api", reason, ctx),
        )

    @post(
        "/{order_id:str}/resolution/dispute",
        opt=scope(WRITE),
        sync_to_thread=True,
        operation_id="openDispute",
    )
    def dispute(
        self,
        order_id: FromPath[str],
        data: JSONBody[OpenDisputeRequest],
        orders: Provided[Orders],
        respond: Respond,
    ) -> Response[Envelope[DisputeBody]]:
        """Opens the order's dispute (201): the escrow is frozen on chain by the opener's
        wallet, and support staff assign and resolve it (`/disputes`)."""
        if data.order_id is not None and data.order_id != order_id:
            raise ValidationError("orderId in the body must match the path", field="orderId")
        return respond.command(
            lambda ctx: orders.open_dispute(
                order_id, data.opened_by, data.reason, data.evidence or [], ctx
            ),
            lambda opened: dispute_body(opened.dispute),
            status=201,
        )
