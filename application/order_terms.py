"""What a marketplace asks for when it creates an order, and the checks those terms pass before
anything is recorded: texts and metadata within their limits, the amount within the service's,
a platform fee the contracts accept, milestones that sum to the amount, an auto-release that
can happen. Field names in refusals are the wire's (`buyerId`, `milestones.title`), because
they tell the marketplace which field of its request to fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from domain.errors import InvalidAmountError, LimitExceededError, ValidationError
from domain.escrow_fees import PLATFORM_FEE_BPS_MAX
from domain.milestones import Milestone, check_milestones
from domain.money import Amount
from domain.orders import Order

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

    def milestone_values(self) -> list[Milestone]:
        return [Milestone(m.ref, m.title, m.amount.stroops) for m in self.milestones]


@dataclass(frozen=True, slots=True)
class OrderLimits:
    min_stroops: int
    max_stroops: int
    default_platform_fee_bps: int

    def fee_of(self, terms: OrderTerms) -> int:
        """The platform fee the order pays: its own, or the service's default."""
        if terms.platform_fee_bps is None:
            return self.default_platform_fee_bps
        return terms.platform_fee_bps


def check_terms(terms: OrderTerms, limits: OrderLimits) -> None:
    """Refuses terms no order may have (the parties' existence is the use case's to check)."""
    if terms.buyer_id == terms.seller_id:
        raise ValidationError("buyerId and sellerId must differ", field="sellerId")
    if terms.amount.is_zero():
        raise InvalidAmountError("amount must be greater than zero", field="amount")
    low, high = limits.min_stroops, limits.max_stroops
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
    if not 0 <= limits.fee_of(terms) <= PLATFORM_FEE_BPS_MAX:
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
    check_milestones(terms.milestone_values(), terms.amount.stroops)


def auto_release_of(value: int | datetime | None, now: datetime) -> dict[str, Any] | None:
    """The `auto_release` an order records: seconds after funding, or a moment to come."""
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


def same_terms(
    order: Order, terms: OrderTerms, fee_bps: int, auto_release: dict[str, Any] | None
) -> bool:
    """Whether `order` was created with these terms (a retried create under one ref)."""
    recorded = (
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
    asked = (
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
    return recorded == asked


def _check_text(text: str | None, name: str, length_max: int, *, required: bool) -> None:
    if text is None:
        if required:
            raise ValidationError(f"{name} is required", field=name)
        return
    if (required and not text.strip()) or len(text) > length_max:
        raise ValidationError(f"{name} must be 1 to {length_max} characters", field=name)
