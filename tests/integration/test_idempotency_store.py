"""Idempotency records: claims, replays, takeovers, and atomicity with the command's events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from application.context import CommandContext
from domain.accounts import account_id_for
from domain.money import Amount
from infrastructure.postgres.idempotency import (
    Claim,
    IdempotencyKeyInProgressError,
    IdempotencyKeyRecordedError,
    IdempotencyKeyReusedError,
    StoredResponse,
)
from interfaces.http.edge.admission import Gate
from interfaces.services import Services

pytestmark = pytest.mark.integration


def scope() -> str:
    return f"key_test POST /x/{uuid.uuid4().hex}"


def test_a_completed_key_replays_its_response(services: Services) -> None:
    store, where = services.resources.idempotency, scope()
    claim = store.claim(where, "k1", "fp")
    assert isinstance(claim, Claim)
    store.complete(claim, StoredResponse(201, b'{"ok":1}'))
    assert store.claim(where, "k1", "fp") == StoredResponse(201, b'{"ok":1}')
    store.remember(claim, StoredResponse(201, b'{"ok":1}'))
    assert store.flush_cache(5.0)
    with services.resources.pool.connection() as conn:  # now answered by the cache alone
        conn.execute("DELETE FROM idempotency_records WHERE scope = %s", (where,))
    assert store.claim(where, "k1", "fp") == StoredResponse(201, b'{"ok":1}')


def test_a_live_claim_refuses_a_duplicate_and_a_different_body(services: Services) -> None:
    store, where = services.resources.idempotency, scope()
    assert isinstance(store.claim(where, "k1", "fp"), Claim)
    with pytest.raises(IdempotencyKeyInProgressError):
        store.claim(where, "k1", "fp")
    with pytest.raises(IdempotencyKeyReusedError):
        store.claim(where, "k1", "other")


def test_an_abandoned_claim_can_be_claimed_again(services: Services) -> None:
    store, where = services.resources.idempotency, scope()
    claim = store.claim(where, "k1", "fp")
    assert isinstance(claim, Claim)
    store.abandon(claim)
    assert isinstance(store.claim(where, "k1", "fp"), Claim)


def test_a_claim_whose_holder_died_is_taken_over_and_the_old_holder_cannot_complete(
    services: Services,
) -> None:
    store, where = services.resources.idempotency, scope()
    stale = store.claim(where, "k1", "fp")
    assert isinstance(stale, Claim)
    with services.resources.pool.connection() as conn:
        conn.execute(
            "UPDATE idempotency_records SET locked_until = now() - interval '1 second'"
            " WHERE scope = %s",
            (where,),
        )
    fresh = store.claim(where, "k1", "fp")
    assert isinstance(fresh, Claim) and fresh.token != stale.token
    with pytest.raises(IdempotencyKeyInProgressError):
        store.complete(stale, StoredResponse(200, b"late"))
    store.complete(fresh, StoredResponse(200, b"fresh"))
    assert store.claim(where, "k1", "fp") == StoredResponse(200, b"fresh")


class ExplodingCompletion:
    """Writes the record, then fails: the whole transaction, events included, must roll back."""

    def __init__(self, services: Services, claim: Claim) -> None:
        self.services, self.claim = services, claim

    def write(self, cursor: Any, result: Any) -> None:
        self.services.resources.idempotency.complete(
            self.claim, StoredResponse(200, b"x"), cursor=cursor
        )
        raise RuntimeError("rendering failed")


def test_a_failure_while_storing_the_response_rolls_back_the_commands_events(
    services: Services,
) -> None:
    context = CommandContext(request_id="atomic")
    user = services.use_cases.users.create_user(f"atomic-{uuid.uuid4().hex}", None, "BOTH", context)
    user_id = user.user.user_id
    head_before = services.resources.ledger.head_position()
    where = scope()
    claim = store_claim = services.resources.idempotency.claim(where, "k1", "fp")
    assert isinstance(store_claim, Claim)
    failing = CommandContext(request_id="atomic", completion=ExplodingCompletion(services, claim))
    with pytest.raises(RuntimeError):
        services.use_cases.balances.adjust(user_id, "credit", Amount(500), "atomic", failing)
    assert services.use_cases.balances.account(user_id).available_stroops == 0
    # Other writers share this database (the e2e stack's sagas): look for this account's events.
    recorded = services.resources.ledger.read(after=head_before, limit=1000)
    assert [e for _, e in recorded if e.originator_id == account_id_for(user_id)] == []
    with pytest.raises(IdempotencyKeyInProgressError):
        services.resources.idempotency.claim(where, "k1", "fp")  # still claimed, never completed


class StoringCompletion:
    """What the edge does: renders the command's result and stores it with its events."""

    def __init__(self, services: Services, claim: Claim) -> None:
        self._services, self._claim = services, claim
        self.response: StoredResponse | None = None

    def write(self, cursor: Any, result: Any) -> None:
        self.response = StoredResponse(200, f'{{"position":{result.position}}}'.encode())
        self._services.resources.idempotency.complete(self._claim, self.response, cursor=cursor)


def test_a_response_stored_with_the_events_is_replayed_and_never_rewritten(
    services: Services,
) -> None:
    context = CommandContext(request_id="stored")
    user = services.use_cases.users.create_user(f"stored-{uuid.uuid4().hex}", None, "BOTH", context)
    store, where = services.resources.idempotency, scope()
    claim = store.claim(where, "k1", "fp")
    assert isinstance(claim, Claim)
    completion = StoringCompletion(services, claim)
    storing = CommandContext(request_id="stored", completion=completion)
    services.use_cases.balances.adjust(user.user.user_id, "credit", Amount(5), "stored", storing)
    assert completion.response is not None
    gate = Gate(None, None, None, store, 60)  # type: ignore[arg-type]
    # The edge then sent something else (a settled 200 after Prefer: wait): not stored.
    gate.settle(claim, 200, b'{"settled":true}', completion.response)
    assert store.claim(where, "k1", "fp") == completion.response


def test_a_deferred_claim_is_recorded_with_the_events_and_a_second_one_rolls_its_events_back(
    services: Services,
) -> None:
    context = CommandContext(request_id="deferred")
    user = services.use_cases.users.create_user(f"defer-{uuid.uuid4().hex}", None, "BOTH", context)
    user_id = user.user.user_id
    store, where = services.resources.idempotency, scope()
    first, second = store.defer(where, "k1", "fp", None), store.defer(where, "k1", "fp", None)
    assert isinstance(first, Claim) and first.deferred
    assert isinstance(second, Claim)
    completion = StoringCompletion(services, first)
    recording = CommandContext(request_id="deferred", completion=completion)
    services.use_cases.balances.adjust(user_id, "credit", Amount(7), "deferred", recording)
    assert store.recorded(first) == completion.response
    duplicate = CommandContext(
        request_id="deferred", completion=StoringCompletion(services, second)
    )
    with pytest.raises(IdempotencyKeyRecordedError):
        services.use_cases.balances.adjust(user_id, "credit", Amount(7), "deferred", duplicate)
    assert services.use_cases.balances.account(user_id).available_stroops == 7
    # The record answers a claim of either kind, and refuses another body.
    assert store.claim(where, "k1", "fp") == completion.response
    with pytest.raises(IdempotencyKeyReusedError):
        store.recorded(Claim(where, "k1", "another body", None))


def test_a_deferred_record_waits_out_a_live_claim_and_takes_over_a_dead_one(
    services: Services,
) -> None:
    store, where = services.resources.idempotency, scope()
    held = store.claim(where, "k1", "fp")
    assert isinstance(held, Claim)
    deferred = Claim(where, "k1", "fp", None)
    with pytest.raises(IdempotencyKeyRecordedError):
        store.complete(deferred, StoredResponse(200, b"too soon"))
    with pytest.raises(IdempotencyKeyInProgressError):
        store.recorded(deferred)
    with services.resources.pool.connection() as conn:
        conn.execute(
            "UPDATE idempotency_records SET locked_until = now() - interval '1 second'"
            " WHERE scope = %s",
            (where,),
        )
    store.complete(deferred, StoredResponse(200, b"taken over"))
    assert store.recorded(deferred) == StoredResponse(200, b"taken over")
    with pytest.raises(IdempotencyKeyInProgressError):
        store.complete(held, StoredResponse(200, b"late"))  # the dead holder cannot complete
