"""The indexer's list filters (`get-escrows-by-role`, `get-escrows-by-signer`).

Filters follow the V1 client's parameters: role and address (or signer), page, order, dates,
amount range, activity, title, engagement id, status and type. Pages hold
`INDEXER_PAGE_SIZE` items; TW does not document its page size, so ours is a named choice.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sandbox.chain.amounts import STROOPS_PER_UNIT
from sandbox.trustless_work.escrow_indexer import IndexedEscrow
from sandbox.trustless_work.escrow_requests import RequestValidationError

INDEXER_PAGE_SIZE = 10
ROLES = (
    "approver",
    "serviceProvider",
    "platformAddress",
    "releaseSigner",
    "disputeResolver",
    "receiver",
    "signer",
)


@dataclass(frozen=True)
class EscrowFilter:
    role: str
    address: str
    page: int = 1
    descending: bool = True
    order_by: str = "createdAt"
    start_s: int | None = None
    end_s: int | None = None
    min_stroops: int | None = None
    max_stroops: int | None = None
    is_active: bool | None = None
    title: str | None = None
    engagement_id: str | None = None
    status: str | None = None
    kind: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str], by_signer: bool) -> EscrowFilter:
        role = "signer" if by_signer else params.get("role", "")
        address = params.get("signer" if by_signer else "roleAddress", "")
        problems = []
        if role not in ROLES:
            problems.append(f"role must be one of {', '.join(ROLES)}")
        if not address:
            problems.append("signer is required" if by_signer else "roleAddress is required")
        page = params.get("page", "1")
        if not page.isdigit() or int(page) < 1:
            problems.append("page must be a positive integer")
        if problems:
            raise RequestValidationError(problems)
        active = params.get("isActive")
        return cls(
            role=role,
            address=address,
            page=int(page),
            descending=params.get("orderDirection", "desc") != "asc",
            order_by=params.get("orderBy", "createdAt"),
            start_s=_date_s(params.get("startDate")),
            end_s=_date_s(params.get("endDate")),
            min_stroops=_stroops(params.get("minAmount")),
            max_stroops=_stroops(params.get("maxAmount")),
            is_active=None if active is None else active.lower() == "true",
            title=params.get("title"),
            engagement_id=params.get("engagementId"),
            status=params.get("status"),
            kind=params.get("type"),
        )


def filter_escrows(items: list[IndexedEscrow], query: EscrowFilter) -> list[IndexedEscrow]:
    kept = [item for item in items if _matches(item, query)]
    sort_keys = {
        "createdAt": lambda i: i.escrow.created_at_s,
        "updatedAt": lambda i: i.escrow.updated_at_s,
        "amount": lambda i: i.escrow.total_amount_stroops(),
    }
    kept.sort(key=sort_keys.get(query.order_by, sort_keys["createdAt"]), reverse=query.descending)
    start = (query.page - 1) * INDEXER_PAGE_SIZE
    return kept[start : start + INDEXER_PAGE_SIZE]


def _matches(item: IndexedEscrow, query: EscrowFilter) -> bool:
    escrow = item.escrow
    if query.role == "signer":
        holds = escrow.deployer == query.address
    elif query.role == "receiver":
        holds = query.address in (escrow.role("receiver"), *(m.receiver for m in escrow.milestones))
    else:
        holds = escrow.role(query.role) == query.address
    amount = escrow.total_amount_stroops()
    checks = (
        holds,
        query.start_s is None or escrow.created_at_s >= query.start_s,
        query.end_s is None or escrow.created_at_s <= query.end_s,
        query.min_stroops is None or amount >= query.min_stroops,
        query.max_stroops is None or amount <= query.max_stroops,
        query.is_active is None or escrow.is_active == query.is_active,
        not query.title or query.title.lower() in escrow.title.lower(),
        not query.engagement_id or escrow.engagement_id == query.engagement_id,
        not query.status or escrow.status() == query.status,
        not query.kind or escrow.kind == query.kind,
    )
    return all(checks)


def _date_s(text: str | None) -> int | None:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise RequestValidationError([f"{text!r} is not a date"]) from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return int(parsed.timestamp())


def _stroops(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(Decimal(text) * STROOPS_PER_UNIT)
    except InvalidOperation as error:
        raise RequestValidationError([f"{text!r} is not an amount"]) from error
