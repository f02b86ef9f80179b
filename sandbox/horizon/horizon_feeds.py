"""Horizon's record feeds (payments, operations, transactions; global or per account).

One function answers both a JSON page and a streaming batch, so the two can never disagree about
which records exist after a cursor. Records come from the ingested view only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sandbox.chain.chain import Chain
from sandbox.horizon.horizon_resources import operation_json, transaction_json
from sandbox.horizon.paging import ListRequest

FEED_KINDS = ("payments", "operations", "transactions")
_FEED_PATH = re.compile(
    r"^(?:/accounts/(?P<account>[A-Z2-7]{56}))?/(?P<kind>payments|operations|transactions)/?$"
)


@dataclass(frozen=True)
class Feed:
    kind: str
    account: str | None = None


def feed_for_path(path: str) -> Feed | None:
    """The feed a Horizon path names (`/payments`, `/accounts/G…/transactions`, …), if any."""
    match = _FEED_PATH.match(path)
    if match is None:
        return None
    return Feed(match.group("kind"), match.group("account"))


def feed_records(
    chain: Chain, feed: Feed, request: ListRequest, base: str
) -> list[tuple[int, dict[str, Any]]]:
    """(paging token, rendered record) pairs for one page of the feed."""
    if feed.kind == "transactions":
        transactions = chain.page(
            lambda history: history.page_transactions(request.query, feed.account)
        )
        return [(tx.id, transaction_json(tx, base)) for tx in transactions]
    payments_only = feed.kind == "payments"
    operations = chain.page(
        lambda history: history.page_operations(request.query, feed.account, payments_only)
    )
    rendered = []
    for op in operations:
        joined = chain.transaction(op.transaction_hash) if request.join_transactions else None
        rendered.append((op.id, operation_json(op, base, joined)))
    return rendered
