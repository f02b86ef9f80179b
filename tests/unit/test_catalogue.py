"""Every event any aggregate can record has a wire name and a complete payload."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import UTC, datetime

import pytest
from eventsourcing.domain import (
    Aggregate,
    CanInitAggregate,
    CanMutateAggregate,
    _created_event_classes,
)

import domain
from projections.event_feed.catalogue import CATALOGUE, envelope

pytestmark = pytest.mark.unit


def aggregate_event_classes() -> set[type]:
    found: set[type] = set()
    for module_info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, Aggregate)
                and cls is not Aggregate
                and cls.__module__ == module.__name__
            ):
                created = set(_created_event_classes.get(cls, ()))
                for member in vars(cls).values():
                    if not (inspect.isclass(member) and issubclass(member, CanMutateAggregate)):
                        continue
                    # An aggregate whose creation event has its own name never records the
                    # generic `Created` eventsourcing defines for it.
                    if issubclass(member, CanInitAggregate) and member not in created:
                        continue
                    found.add(member)
    # Drop generated base classes (Aggregate.Event, a Created that Opened specialises).
    return {c for c in found if not any(o is not c and issubclass(o, c) for o in found)}


def test_every_aggregate_event_is_in_the_catalogue() -> None:
    missing = {c.__qualname__ for c in aggregate_event_classes()} - {
        c.__qualname__ for c in CATALOGUE
    }
    assert missing == set()


# A withdrawal reaches these states by a Stellar payment or by an AirTM payout: one wire name,
# two event classes (the payloads say which: `stellarTransactionHash` or `airtmPayoutId`).
SHARED_BY_BOTH_RAILS = {
    "withdrawal.pending",
    "withdrawal.pending_user_action",
    "withdrawal.completed",
    "withdrawal.failed",
    "withdrawal.canceled",
}


def test_wire_names_are_unique_but_for_the_two_withdrawal_rails_and_dotted() -> None:
    names = [entry.type for entry in CATALOGUE.values()]
    shared = {name for name in names if names.count(name) > 1}
    assert shared <= SHARED_BY_BOTH_RAILS
    assert all(names.count(name) <= 2 for name in names)
    assert all(name.count(".") == 1 and name == name.lower() for name in names)


def test_an_envelope_carries_position_ids_type_and_metadata() -> None:
    from domain.users import User

    user = User(external_user_id="alice", email=None, user_type="BOTH")
    event = user.pending_events[0]
    object.__setattr__(event, "metadata", {"requestId": "req_1"})
    body = envelope(42, event)
    assert body["id"] == "42"
    assert body["type"] == "user.created"
    assert body["eventId"].startswith("evt_")
    assert body["aggregateId"] == user.public_id
    assert body["data"]["externalUserId"] == "alice"
    assert set(body["metadata"]) == {
        "requestId",
        "apiKeyId",
        "correlationId",
        "causationId",
        "traceparent",
    }
    assert body["occurredAt"].endswith("Z")
    assert datetime.fromisoformat(body["occurredAt"]).tzinfo == UTC


def test_a_money_events_envelope_carries_its_postings_as_debit_credit_amount() -> None:
    from domain.accounts import Account
    from domain.money import Amount
    from domain.postings import EXTERNAL_STELLAR, user_available, user_reserved

    account = Account(user_id="usr_catalogue", currency="USDC")
    account.credit(Amount(25_000_0000), source="deposit", counterparty=EXTERNAL_STELLAR)
    account.reserve(Amount(10_500_0000), hold_ref="ord_catalogue")
    opened, credited, reserved = account.pending_events

    assert "postings" not in envelope(1, opened)
    assert envelope(2, credited)["postings"] == [
        {"debit": EXTERNAL_STELLAR, "credit": user_available("usr_catalogue"), "amount": "25.00"}
    ]
    assert envelope(3, reserved)["postings"] == [
        {
            "debit": user_available("usr_catalogue"),
            "credit": user_reserved("usr_catalogue"),
            "amount": "10.50",
        }
    ]
