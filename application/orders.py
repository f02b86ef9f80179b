"""Use cases for orders: create, reserve the buyer's funds, cancel, and ask the escrow saga for
each on-chain move (deploy, fund, milestones, release, refund, dispute).

Every command changes the order — and, where money moves in our books, the buyer's account — in
one transaction. Commands that need the chain only record the request; the order plans the
transaction and the escrow saga (`escrow_saga.py`) carries it out, so the HTTP answer is a 202
with the order in flight unless the caller waits (`Prefer: wait=N`). The terms an order is
created with, and their checks, are `order_terms.py`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from application.context import CommandContext
from application.ledger import Ledger
from application.order_terms import (
    MilestoneTerms,
    OrderLimits,
    OrderTerms,
    auto_release_of,
    check_terms,
    same_terms,
)
from application.ports import DueOrders
from domain import identifiers
from domain.accounts import Account, account_id_for
from domain.disputes import Dispute, check_opening, dispute_id_for
from domain.errors import ValidationError
from domain.money import Amount
from domain.order_states import IN_PROGRESS, DuplicateClientOrderRefError
from domain.orders import Order
from domain.users import UserNotFoundError, platform_user_id
from domain.wallets import ACTIVE, Wallet, WalletNotReadyError, wallet_id_for


@dataclass(frozen=True, slots=True)
class OrderResult:
    order: Order
    position: int | None
    created: bool = True


@dataclass(frozen=True, slots=True)
class DisputeOpened:
    dispute: Dispute
    order: Order
    position: int


class Orders:
    def __init__(
        self,
        ledger: Ledger,
        clock: Callable[[], datetime],
        limits: OrderLimits,
        due_orders: DueOrders | None = None,
    ) -> None:
        self._ledger = ledger
        self._clock = clock
        self._limits = limits
        self._due_orders = due_orders  # the auto-release candidates (release_due)

    # -- reading -------------------------------------------------------------------------------

    def get(self, order_id: str) -> Order:
        return self._ledger.require(Order, _order_uuid(order_id))

    def reload(self, result: OrderResult) -> OrderResult:
        order = self._ledger.require(Order, result.order.id)
        return OrderResult(order, result.position, result.created)

    # -- create, reserve, cancel ---------------------------------------------------------------

    def create(self, terms: OrderTerms, context: CommandContext) -> OrderResult:
        """Records a new order (ORDER_CREATED). With a `clientOrderRef`, asking again with the
        same terms returns the same order; other terms under that ref are refused (409)."""
        self._check_parties(terms)
        check_terms(terms, self._limits)
        fee_bps = self._limits.fee_of(terms)
        order_uuid = (
            identifiers.natural_uuid("order", terms.client_order_ref)
            if terms.client_order_ref is not None
            else uuid4()
        )
        auto_release = auto_release_of(terms.auto_release_after, self._clock())

        def open_once() -> OrderResult:
            existing = self._ledger.get(Order, order_uuid)
            if existing is not None:
                if not same_terms(existing, terms, fee_bps, auto_release):
                    raise DuplicateClientOrderRefError(
                        "an order with this clientOrderRef exists with other terms",
                        clientOrderRef=terms.client_order_ref,
                        orderId=existing.public_id,
                    )
                return OrderResult(existing, None, created=False)
            order = Order.open(
                id=order_uuid,
                buyer_id=terms.buyer_id,
                seller_id=terms.seller_id,
                amount_stroops=terms.amount.stroops,
                currency=terms.amount.currency,
                title=terms.title,
                description=terms.description,
                client_order_ref=terms.client_order_ref,
                marketplace_metadata=terms.metadata,
                platform_fee_bps=fee_bps,
                auto_release=auto_release,
                milestones=terms.milestone_values(),
            )
            return self._ledger.commit(
                order, context=context, outcome=lambda position: OrderResult(order, position)
            )

        return self._ledger.run(open_once, touching=[order_uuid])

    def reserve(self, order_id: str, context: CommandContext) -> OrderResult:
        """Holds the order's amount in the buyer's reserved balance (422 when short)."""
        order = self.get(order_id)

        def reserve(order: Order) -> list[Aggregate]:
            buyer = self._buyer(order)
            buyer.reserve(Amount(order.amount_stroops, order.currency), hold_ref=order.public_id)
            order.mark_funds_reserved(buyer.available_stroops, buyer.reserved_stroops)
            return [buyer]

        return self._ledger.change(
            Order,
            order.id,
            reserve,
            context=context,
            outcome=OrderResult,
            touching=[account_id_for(order.buyer_id)],
        )

    def cancel(
        self, order_id: str, canceled_by: str, reason: str | None, context: CommandContext
    ) -> OrderResult:
        """Closes the order before its escrow is funded; any reservation returns to available."""
        order = self.get(order_id)

        def cancel(order: Order) -> list[Aggregate]:
            buyer = self._buyer(order)
            if order.cancel(canceled_by, reason):
                buyer.release_reservation(hold_ref=order.public_id, reason="cancel")
            return [buyer]

        return self._ledger.change(
            Order,
            order.id,
            cancel,
            context=context,
            outcome=OrderResult,
            touching=[account_id_for(order.buyer_id)],
        )

    # -- requests for the escrow saga -----------------------------------------------------------

    def request_escrow(self, order_id: str, context: CommandContext) -> OrderResult:
        """Asks for the Trustless Work escrow to be deployed (202: ESCROW_CREATING)."""
        order = self.get(order_id)
        for user_id, role in (
            (order.buyer_id, "buyer"),
            (order.seller_id, "seller"),
            (platform_user_id(), "platform"),
        ):
            self._require_active_wallet(user_id, role)
        return self._ledger.change(
            Order,
            order.id,
            Order.request_escrow,
            context=context,
            outcome=OrderResult,
        )

    def request_funding(self, order_id: str, context: CommandContext) -> OrderResult:
        """Asks for the buyer's reserved money to move into the escrow."""
        return self._ledger.change(
            Order,
            _order_uuid(order_id),
            Order.request_funding,
            context=context,
            outcome=OrderResult,
        )

    def complete_milestone(self, order_id: str, ref: str, context: CommandContext) -> OrderResult:
        return self._ledger.change(
            Order,
            _order_uuid(order_id),
            lambda order: order.request_milestone_completion(ref),
            context=context,
            outcome=OrderResult,
        )

    def approve_milestone(self, order_id: str, ref: str, context: CommandContext) -> OrderResult:
        return self._ledger.change(
            Order,
            _order_uuid(order_id),
            lambda order: order.request_milestone_approval(ref),
            context=context,
            outcome=OrderResult,
        )

    def release_milestone(self, order_id: str, ref: str, context: CommandContext) -> OrderResult:
        return self._ledger.change(
            Order,
            _order_uuid(order_id),
            lambda order: order.request_milestone_release(ref),
            context=context,
            outcome=OrderResult,
        )

    def release(self, order_id: str, requested_by: str, context: CommandContext) -> OrderResult:
        return self._ledger.change(
            Order,
            _order_uuid(order_id),
            lambda order: order.request_release(requested_by),
            context=context,
            outcome=OrderResult,
        )

    def refund(
        self, order_id: str, requested_by: str, reason: str, context: CommandContext
    ) -> OrderResult:
        if not reason or not reason.strip():
            raise ValidationError("reason is required", field="reason")
        return self._ledger.change(
            Order,
            _order_uuid(order_id),
            lambda order: order.request_refund(requested_by, reason),
            context=context,
            outcome=OrderResult,
        )

    def open_dispute(
        self,
        order_id: str,
        opened_by: str,
        reason: str,
        evidence: list[str],
        context: CommandContext,
    ) -> DisputeOpened:
        """Opens the order's dispute; the opener's wallet then disputes the escrow on chain."""
        check_opening(opened_by, reason, evidence)
        order_uuid = _order_uuid(order_id)

        def open_with_dispute() -> DisputeOpened:
            order = self._ledger.require(Order, order_uuid)
            dispute = Dispute(
                order_id=order.public_id,
                buyer_id=order.buyer_id,
                seller_id=order.seller_id,
                opened_by=opened_by,
                reason=reason,
                evidence=evidence,
            )
            order.open_dispute(dispute.public_id, opened_by, reason)
            return self._ledger.commit(
                order,
                dispute,
                context=context,
                outcome=lambda position: DisputeOpened(dispute, order, position),
            )

        return self._ledger.run(open_with_dispute, touching=[order_uuid, dispute_id_for(order_id)])

    def auto_release(self, order_uuid: UUID, context: CommandContext) -> bool:
        """Releases an order whose auto-release deadline has passed, if it is still waiting in
        IN_PROGRESS with nothing in flight; False when it is not (or no longer) due."""
        now = self._clock()

        def release_if_due(order: Order) -> None:
            if _due(order, now):
                order.request_release("system:auto_release", automatic=True)

        return self._ledger.change(
            Order,
            order_uuid,
            release_if_due,
            context=context,
            outcome=lambda order, position: position is not None,
        )

    def release_due(self, now: datetime, limit: int, context: CommandContext) -> list[str]:
        """Releases funded orders whose auto-release deadline passed by `now` with no dispute
        open, at most `limit`; returns the ids released. The read model proposes candidates;
        each order decides for itself (it may have moved on since)."""
        if self._due_orders is None:
            raise RuntimeError("Orders was built without its due orders (a DueOrders read port)")
        released = []
        for order_id in self._due_orders.due_for_auto_release(now, limit):
            if self.auto_release(identifiers.parse_public_id(identifiers.ORDER, order_id), context):
                released.append(order_id)
        return released

    # -- operators -----------------------------------------------------------------------------

    def park(self, order_uuid: UUID, reason: str, context: CommandContext) -> None:
        self._ledger.change(
            Order,
            order_uuid,
            lambda order: order.park(reason),
            context=context,
            outcome=lambda order, position: None,
        )

    def retry(self, order_uuid: UUID, context: CommandContext) -> int:
        return self._ledger.change(
            Order,
            order_uuid,
            Order.retry,
            context=context,
            outcome=lambda order, position: position or 0,
        )

    # -- internals -----------------------------------------------------------------------------

    def _check_parties(self, terms: OrderTerms) -> None:
        for field_name, user_id in (("buyerId", terms.buyer_id), ("sellerId", terms.seller_id)):
            identifiers.parse_public_id(identifiers.USER, user_id)
            if self._ledger.get(Account, account_id_for(user_id)) is None:
                raise UserNotFoundError("user not found", userId=user_id, field=field_name)

    def _require_active_wallet(self, user_id: str, role: str) -> None:
        wallet = self._ledger.get(Wallet, wallet_id_for(user_id))
        if wallet is None or wallet.status != ACTIVE:
            # Say what is true now: a wallet that exists is activating (retry shortly); only a
            # platform wallet that does not exist needs an operator (`ledgerline up` and the
            # deployments' migrate step run `ledgerline bootstrap`, which creates it).
            if wallet is not None:
                hint = "its activation on chain has not finished; retry in a few seconds"
            elif role == "platform":
                hint = "the platform has no wallet: run `ledgerline bootstrap` once"
            else:
                hint = "it has no wallet"
            raise WalletNotReadyError(
                f"the {role}'s wallet is not active yet ({hint})",
                userId=user_id,
                status=wallet.status if wallet else None,
            )

    def _buyer(self, order: Order) -> Account:
        buyer = self._ledger.get(Account, account_id_for(order.buyer_id))
        assert buyer is not None, f"buyer {order.buyer_id} has no account"
        return buyer


def saga_settled(result: OrderResult) -> bool:
    """What `Prefer: wait=N` waits for: the saga has nothing left to do now, or is parked."""
    return result.order.planned_step is None or result.order.parked_step is not None


def _due(order: Order, now: datetime) -> bool:
    return (
        order.status == IN_PROGRESS
        and order.auto_release_at is not None
        and order.auto_release_at <= now
        and order.planned_step is None
        and order.parked_step is None
    )


def _order_uuid(order_id: str) -> UUID:
    return identifiers.parse_public_id(identifiers.ORDER, order_id)


__all__ = ["MilestoneTerms", "OrderLimits", "OrderResult", "OrderTerms", "Orders"]
