"""Horizon list queries (`cursor`, `order`, `limit`, `include_failed`, `join`) and page links.

A cursor is a paging token (a TOID) or `now`; records are returned strictly after it in ascending
order or strictly before it in descending order. `_links.next` continues from the last record and
`_links.prev` turns around at the first, both under the sandbox's own URL, because the SDK follows
them verbatim. Unknown query parameters (the SDK adds X-Client-Name to streams) are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from sandbox.chain.history import PageQuery, toid
from sandbox.horizon.horizon_problems import bad_request

PAGE_LIMIT_DEFAULT = 10
PAGE_LIMIT_MAX = 200


@dataclass(frozen=True)
class ListRequest:
    cursor_text: str
    query: PageQuery
    join_transactions: bool


def parse_list_request(
    params: Mapping[str, str], max_ledger: int, last_event_id: str | None = None
) -> ListRequest:
    """Validates a list query; `Last-Event-ID` (streams) overrides the cursor parameter."""
    order = params.get("order") or "asc"
    if order not in ("asc", "desc"):
        raise bad_request("order", "order must be asc or desc")
    descending = order == "desc"
    cursor_text = last_event_id or params.get("cursor") or ""
    cursor = _cursor(cursor_text, descending, max_ledger)
    limit_text = params.get("limit") or str(PAGE_LIMIT_DEFAULT)
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= PAGE_LIMIT_MAX:
        raise bad_request("limit", f"limit must be an integer from 1 to {PAGE_LIMIT_MAX}")
    include_failed = params.get("include_failed", "false").lower()
    if include_failed not in ("true", "false"):
        raise bad_request("include_failed", "include_failed must be true or false")
    join = params.get("join") or ""
    if join not in ("", "transactions"):
        raise bad_request("join", "join accepts only transactions")
    query = PageQuery(
        cursor=cursor,
        descending=descending,
        limit=int(limit_text),
        include_failed=include_failed == "true",
        max_ledger=max_ledger,
    )
    return ListRequest(cursor_text, query, join == "transactions")


def _cursor(text: str, descending: bool, max_ledger: int) -> int | None:
    if text == "":
        return None
    if text == "now":
        # "now" is after the latest ingested ledger; in descending order that is the top.
        return None if descending else toid(max_ledger + 1) - 1
    if not text.lstrip("-").isdigit():
        raise bad_request("cursor", "cursor must be a paging token (a decimal integer) or now")
    value = int(text)
    if value < 0:
        raise bad_request("cursor", "cursor must be a non-negative paging token")
    return value


def page_links(url: str, request: ListRequest, tokens: list[int]) -> dict[str, str]:
    order = "desc" if request.query.descending else "asc"
    flipped = "asc" if request.query.descending else "desc"
    first = str(tokens[0]) if tokens else request.cursor_text
    last = str(tokens[-1]) if tokens else request.cursor_text

    def link(cursor: str, link_order: str) -> str:
        params = {"cursor": cursor, "limit": str(request.query.limit), "order": link_order}
        if request.query.include_failed:
            params["include_failed"] = "true"
        if request.join_transactions:
            params["join"] = "transactions"
        return f"{url}?{urlencode(params)}"

    return {
        "self": link(request.cursor_text, order),
        "next": link(last, order),
        "prev": link(first, flipped),
    }
