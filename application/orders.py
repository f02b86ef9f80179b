"""Use cases for orders: create, reserve the buyer's funds, cancel, and ask the escrow saga for
each on-chain move (deploy, fund, milestones, release, refund, dispute).

Every command changes the order — and, where money moves in our books, the buyer's account — in
one transaction. Commands that need the chain only record the request; the order plans the
transaction and the escrow saga (`escrow_saga.py`) carries it out, so the HTTP answer is a 202
with the order in flight unless the caller waits (`Prefer: wait=N`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID, uuid4

from application.context import CommandContext
from application.ledger import Ledger
from domain import identifiers
from domain.accounts import Account, account_id_for
from domain.disputes import Dispute, check_opening, dispute_id_for
from domain.errors import InvalidAmountError, LimitExceededError, ValidationError
from domain.escrow_fees import PLATFORM_FEE_BPS_MAX
from domain.milestones import Milestone, check_milestones
from domain.money import Amount
from domain.order_states import IN_PROGRESS, DuplicateClientOrderRefError, OrderNotFoundError
from domain.orders import Order
from domain.users import UserNotFoundError, platform_user_id
from domain.wallets import ACTIVE, Wallet, WalletNotReadyError, wallet_id_for

TITLE_LENGTH_MAX: Final = 200
DESCRIPTION_LENGTH_MAX: Final = 2_000
CLIENT_ORDER_REF_LENGTH_MAX: Final = 255
METADATA_BYTES_MAX: Final = 16_384
AUTO_RELEASE_AFTER_MAX: Final = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class MilestoneTerms:
    ref: str
    title: str
    amount: Amount


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """What a marketplace asks for when it creates an order."""

    buyer_id: str
    seller_id: str
    amount: Amount
    title: str
    description: str | None = None
    client_order_ref: str | None = None
    metadata: dict[str, Any] | None = None
    platform_fee_bps: int | None = None  # None: the service's default
    auto_release_after: int | datetime | None = None  # seconds after funding, or a moment
    milestones: list[MilestoneTerms] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OrderLimits:
    min_stroops: int
    max_stroops: int
    default_platform_fee_bps: int


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
    ) -> None:
        self._ledger = ledger
        self._clock = clock
        self._limits = limits

    # -- reading -------------------------------------------------------------------------------

    def get(self, order_id: str) -> Order:
        found = self._ledger.get(Order, identifiers.parse_public_id(identifiers.ORDER, order_id))
        if found is None:
            raise OrderNotFoundError("order not found", orderId=order_id)
        return found

    def reload(self, result: OrderResult) -> OrderResult:
        return OrderResult(self.get(result.order.public_id), result.position, result.created)

    # -- create, reserve, cancel ---------------------------------------------------------------

    def create(self, terms: OrderTerms, context: CommandContext) -> OrderResult:
        """Records a new order (ORDER_CREATED). With a `clientOrderRef`, asking again with the
        same terms returns the same order; other terms under that ref are refused (409)."""
        self._check_terms(terms)
        order_uuid = (
            identifiers.natural_uuid("order", terms.client_order_ref)
            if terms.client_order_ref is not None
            else uuid4()
        )
        auto_release = _auto_release(terms.auto_release_after, self._clock())

        def attempt() -> OrderResult:
            existing = self._ledger.get(Order, order_uuid)
            if existing is not None:
                if _terms_of(existing) != _terms_of_request(terms, self._fee(terms), auto_release):
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
                platform_fee_bps=self._fee(terms),
                auto_release=auto_release,
                milestones=[Milestone(m.ref, m.title, m.amount.stroops) for m in terms.milestones],
            )
            return self._ledger.commit(
                order, context=context, outcome=lambda position: OrderResult(order, position)
            )

        return self._ledger.run(attempt, touching=[order_uuid])

    def reserve(self, order_id: str, context: CommandContext) -> OrderResult:
        """Holds the order's amount in the buyer's reserved balance (422 when short)."""

        def change(order: Order, buyer: Account) -> None:
            buyer.reserve(Amount(order.amount_stroops, order.currency), hold_ref=order.public_id)
            order.mark_funds_reserved(buyer.available_stroops, buyer.reserved_stroops)

        return self._with_buyer(order_id, change, context)

    def cancel(
        self, order_id: str, canceled_by: str, reason: str | None, context: CommandContext
    ) -> OrderResult:
        """Closes the order before its escrow is funded; any reservation returns to available."""

        def change(order: Order, buyer: Account) -> None:
            if order.cancel(canceled_by, reason):
                buyer.release_reservation(hold_ref=order.public_id, reason="cancel")

        return self._with_buyer(order_id, change, context)

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
        return self._change(order_id, lambda o: o.request_escrow(), context)

    def request_funding(self, order_id: str, context: CommandContext) -> OrderResult:
        """Asks for the buyer's reserved money to move into the escrow."""
        return self._change(order_id, lambda o: o.request_funding(), context)

    def complete_milestone(self, order_id: str, ref: str, context: CommandContext) -> OrderResult:
        return self._change(order_id, lambda o: o.request_milestone_completion(ref), context)

    def approve_milestone(self, order_id: str, ref: str, context: CommandContext) -> OrderResult:
        return self._change(order_id, lambda o: o.request_milestone_approval(ref), context)

    def release_milestone(self, order_id: str, ref: str, context: CommandContext) -> OrderResult:
        return self._change(order_id, lambda o: o.request_milestone_release(ref), context)

    def release(self, order_id: str, requested_by: str, context: CommandContext) -> OrderResult:
        return self._change(order_id, lambda o: o.request_release(requested_by), context)

    def refund(
        self, order_id: str, requested_by: str, reason: str, context: CommandContext
    ) -> OrderResult:
        if not reason or not reason.strip():
            raise ValidationError("reason is required", field="reason")
        return self._change(order_id, lambda o: o.request_refund(requested_by, reason), context)

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
        order_uuid = identifiers.parse_public_id(identifiers.ORDER, order_id)

        def attempt() -> DisputeOpened:
            order = self.get(order_id)
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

        return self._ledger.run(attempt, touching=[order_uuid, dispute_id_for(order_id)])

    def auto_release(self, order_uuid: UUID, context: CommandContext) -> bool:
        """Releases an order whose auto-release deadline has passed, if it is still waiting in
        IN_PROGRESS with nothing in flight; False when it is not (or no longer) due."""
        now = self._clock()

        def attempt() -> bool:
            order = self._ledger.get(Order, order_uuid)
            if order is None or not _due(order, now):
                return False
            order.request_release("system:auto_release", automatic=True)
            self._ledger.commit(order, context=context, outcome=lambda position: position)
            return True

        return self._ledger.run(attempt, touching=[order_uuid])

    # -- operators -----------------------------------------------------------------------------

    def park(self, order_uuid: UUID, reason: str, context: CommandContext) -> None:
        self._change_by_uuid(order_uuid, lambda o: o.park(reason), context)

    def retry(self, order_uuid: UUID, context: CommandContext) -> int:
        result = self._change_by_uuid(order_uuid, lambda o: o.retry(), context)
        return result.position or 0

    # -- internals -----------------------------------------------------------------------------

    def _check_terms(self, terms: OrderTerms) -> None:
        for field_name, user_id in (("buyerId", terms.buyer_id), ("sellerId", terms.seller_id)):
            identifiers.parse_public_id(identifiers.USER, user_id)
            if self._ledger.get(Account, account_id_for(user_id)) is None:
                raise UserNotFoundError("user not found", userId=user_id, field=field_name)
        if terms.buyer_id == terms.seller_id:
            raise ValidationError("buyerId and sellerId must differ", field="sellerId")
        if terms.amount.is_zero():
            raise InvalidAmountError("amount must be greater than zero", field="amount")
        low, high = self._limits.min_stroops, self._limits.max_stroops
        if not low <= terms.amount.stroops <= high:
            raise LimitExceededError(
                f"orders must be between {Amount(low).to_wire()} and {Amount(high).to_wire()}",
                min=Amount(low).to_wire(),
                max=Amount(high).to_wire(),
            )
        _check_text(terms.title, "title", TITLE_LENGTH_MAX, required=True)
        _check_text(terms.description, "description", DESCRIPTION_LENGTH_MAX, required=False)
        _check_text(
            terms.client_order_ref, "clientOrderRef", CLIENT_ORDER_REF_LENGTH_MAX, required=False
        )
        if terms.metadata is not None and len(json.dumps(terms.metadata)) > METADATA_BYTES_MAX:
            raise ValidationError(
                f"metadata must be at most {METADATA_BYTES_MAX} bytes", field="metadata"
            )
        fee = self._fee(terms)
        if not 0 <= fee <= PLATFORM_FEE_BPS_MAX:
            raise ValidationError(
                f"platformFeeBps must be 0 to {PLATFORM_FEE_BPS_MAX}", field="platformFeeBps"
            )
        for milestone in terms.milestones:
            _check_text(milestone.ref, "milestoneRef", CLIENT_ORDER_REF_LENGTH_MAX, required=True)
            _check_text(milestone.title, "milestones.title", TITLE_LENGTH_MAX, required=True)
            if milestone.amount.is_zero():
                raise InvalidAmountError(
                    "every milestone amount must be greater than zero",
                    field="milestones",
                )
        check_milestones(
            [Milestone(m.ref, m.title, m.amount.stroops) for m in terms.milestones],
            terms.amount.stroops,
        )

    def _fee(self, terms: OrderTerms) -> int:
        if terms.platform_fee_bps is None:
            return self._limits.default_platform_fee_bps
        return terms.platform_fee_bps

    def _require_active_wallet(self, user_id: str, role: str) -> None:
        wallet = self._ledger.get(Wallet, wallet_id_for(user_id))
        if wallet is None or wallet.status != ACTIVE:
            hint = (
                "run `ledgerline bootstrap` to create the platform wallet"
                if role == "platform"
                else "its activation has not finished"
            )
            raise WalletNotReadyError(
                f"the {role}'s wallet is not active yet ({hint})",
                userId=user_id,
                status=wallet.status if wallet else None,
            )

    def _with_buyer(
        self, order_id: str, change: Callable[[Order, Account], None], context: CommandContext
    ) -> OrderResult:
        """Changes the order and its buyer's account together, in one transaction."""
        order = self.get(order_id)

        def attempt() -> OrderResult:
            fresh = self.get(order_id)
            buyer = self._ledger.get(Account, account_id_for(fresh.buyer_id))
            assert buyer is not None, f"buyer {fresh.buyer_id} has no account"
            change(fresh, buyer)
            return self._ledger.commit(
                fresh,
                buyer,
                context=context,
                outcome=lambda position: OrderResult(fresh, position),
            )

        return self._ledger.run(attempt, touching=[order.id, account_id_for(order.buyer_id)])

    def _change(
        self, order_id: str, change: Callable[[Order], None], context: CommandContext
    ) -> OrderResult:
        return self._change_by_uuid(
            identifiers.parse_public_id(identifiers.ORDER, order_id), change, context
        )

    def _change_by_uuid(
        self, order_uuid: UUID, change: Callable[[Order], None], context: CommandContext
    ) -> OrderResult:
        def attempt() -> OrderResult:
            order = self._ledger.get(Order, order_uuid)
            if order is None:
                raise OrderNotFoundError(
                    "order not found", orderId=identifiers.public_id(identifiers.ORDER, order_uuid)
                )
            change(order)
            if not order.pending_events:
                return OrderResult(order, None)
            return self._ledger.commit(
                order, context=context, outcome=lambda position: OrderResult(order, position)
            )

        return self._ledger.run(attempt, touching=[order_uuid])


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


def _auto_release(value: int | datetime | None, now: datetime) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValidationError(
                "autoReleaseAfter must include a time zone", field="autoReleaseAfter"
            )
        if value <= now:
            raise ValidationError(
                "autoReleaseAfter must be in the future", field="autoReleaseAfter"
            )
        return {"at": value.isoformat()}
    if isinstance(value, bool) or not 1 <= value <= AUTO_RELEASE_AFTER_MAX.total_seconds():
        raise ValidationError(
            "autoReleaseAfter must be 1 to 31536000 seconds after funding, or a time",
            field="autoReleaseAfter",
        )
    return {"afterSeconds": value}


def _terms_of(order: Order) -> tuple[Any, ...]:
    return (
        order.buyer_id,
        order.seller_id,
        order.amount_stroops,
        order.currency,
        order.title,
        order.description,
        order.metadata,
        order.platform_fee_bps,
        order.auto_release,
        [(m.ref, m.title, m.amount_stroops) for m in order.visible_milestones()],
    )


def _terms_of_request(
    terms: OrderTerms, fee_bps: int, auto_release: dict[str, Any] | None
) -> tuple[Any, ...]:
    return (
        terms.buyer_id,
        terms.seller_id,
        terms.amount.stroops,
        terms.amount.currency,
        terms.title,
        terms.description,
        terms.metadata,
        fee_bps,
        auto_release,
        [(m.ref, m.title, m.amount.stroops) for m in terms.milestones],
    )


def _check_text(text: str | None, name: str, length_max: int, *, required: bool) -> None:
    if text is None:
        if required:
            raise ValidationError(f"{name} is required", field=name)
        return
    if (required and not text.strip()) or len(text) > length_max:
        raise ValidationError(f"{name} must be 1 to {length_max} characters", field=name)
