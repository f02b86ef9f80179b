"""The event catalogue: how each stored domain event appears on the wire.

One stored event is one wire event with one position. For each domain event class the catalogue
gives the OFFER-HUB type name (`balance.credited`, …), the aggregate it is reported under, the
users it concerns (for SSE filters) and a complete payload. Internal events (keys, account
openings, signed envelopes) are part of the log and the audit chain but are not published to SSE
or webhooks. Entries live beside this module, one module per area; importing it registers them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain import identifiers
from domain.money import DEFAULT_CURRENCY, STROOPS_MAX, Amount, wire_text
from domain.postings import from_rows

Payload = dict[str, Any]
Describe = Callable[[Any], Payload]


@dataclass(frozen=True, slots=True)
class Entry:
    type: str
    aggregate_type: str
    aggregate_id: Callable[[Any], str]
    data: Describe
    user_ids: Callable[[Any], list[str]]
    public: bool = True


CATALOGUE: dict[type, Entry] = {}
METADATA_KEYS = ("requestId", "apiKeyId", "correlationId", "causationId", "traceparent")
# Carried only when the command had one, so envelopes (and hashes) of every other event are
# what they always were.
OPTIONAL_METADATA_KEYS = ("reference",)


def entry(
    event_class: type,
    wire_type: str,
    aggregate_type: str,
    *,
    prefix: str | None = None,
    aggregate_id: Callable[[Any], str] | None = None,
    users: Callable[[Any], list[str]] | None = None,
    public: bool = True,
) -> Callable[[Describe], Describe]:
    """Registers the decorated payload function as the wire form of `event_class`. The
    aggregate id is the event's originator under `prefix` unless `aggregate_id` says otherwise;
    the users concerned are `users(event)`, else the event's `user_id` when it has one."""

    def register(describe: Describe) -> Describe:
        assert event_class not in CATALOGUE, event_class
        assert prefix or aggregate_id, "an entry needs a prefix or an aggregate_id"
        CATALOGUE[event_class] = Entry(
            type=wire_type,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id or (lambda e: originator(e, str(prefix))),
            data=describe,
            user_ids=users or (lambda e: [str(e.user_id)] if getattr(e, "user_id", None) else []),
            public=public,
        )
        return describe

    return register


def originator(event: Any, prefix: str) -> str:
    return identifiers.public_id(prefix, event.originator_id)


def wire(stroops: int | None, currency: str = DEFAULT_CURRENCY) -> str | None:
    if stroops is None:
        return None
    if type(stroops) is int and 0 <= stroops <= STROOPS_MAX:
        return wire_text(stroops)
    return Amount(stroops, currency).to_wire()  # refuses it as an Amount would


def delta(event: Any, account: str) -> int:
    """How much `event`'s postings changed `account` (credits minus debits)."""
    change = 0
    for posting in from_rows(getattr(event, "postings", ())):
        if posting.credit == account:
            change += posting.amount_stroops
        if posting.debit == account:
            change -= posting.amount_stroops
    return change


def iso_utc(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def envelope(position: int, event: Any) -> Payload:
    """The wire envelope of the event stored at `position` (SSE data, webhook body, audit row)."""
    found = CATALOGUE.get(type(event))
    if found is None:
        raise LookupError(f"{type(event).__qualname__} is not in the event catalogue")
    metadata = getattr(event, "metadata", None) or {}
    body: Payload = {
        "id": str(position),
        "eventId": identifiers.event_id(event.originator_id, event.originator_version),
        "type": found.type,
        "occurredAt": iso_utc(event.timestamp),
        "aggregateType": found.aggregate_type,
        "aggregateId": found.aggregate_id(event),
        "version": event.originator_version,
        "data": found.data(event),
        "metadata": {key: metadata.get(key) for key in METADATA_KEYS}
        | {key: metadata[key] for key in OPTIONAL_METADATA_KEYS if metadata.get(key) is not None},
    }
    moved = postings(event)
    if moved:
        body["postings"] = moved
    return body


def postings(event: Any) -> list[Payload]:
    """The double entry an event carries, as `{debit, credit, amount}` in log order (empty for
    events that move no money). Not part of the chained subset: see audit_chain.UNCHAINED_KEYS."""
    # Escrow settlement events carry no currency of their own; escrows hold the default asset.
    currency = getattr(event, "currency", None) or DEFAULT_CURRENCY
    return [
        {"debit": p.debit, "credit": p.credit, "amount": wire(p.amount_stroops, currency)}
        for p in from_rows(getattr(event, "postings", ()))
    ]


# Registration happens on import; the area modules use the helpers above.
from projections.event_feed.catalogue import (  # noqa: E402
    api_keys,
    audit_anchors,
    audit_chain,
    balances,
    deposits,
    disputes,
    orders,
    topups,
    users,
    wallets,
    webhooks,
    withdrawals,
)

__all__ = [
    "CATALOGUE",
    "Entry",
    "api_keys",
    "audit_anchors",
    "audit_chain",
    "balances",
    "deposits",
    "disputes",
    "envelope",
    "orders",
    "topups",
    "users",
    "wallets",
    "webhooks",
    "withdrawals",
]
