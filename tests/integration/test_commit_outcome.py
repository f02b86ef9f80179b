"""A connection lost while a command commits: the outcome is unknown, and it is said so.

The command's server session is terminated between its last statement and COMMIT, the way a
database crash or a network cut would end it. The command must raise CommitOutcomeUnknownError
(answered 503 COMMIT_OUTCOME_UNKNOWN) and must not be tried again inside the process, where a
retry of a command whose transaction did commit would apply it twice.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from application.context import CommandContext
from application.outages import CommitOutcomeUnknownError
from domain.money import Amount
from infrastructure.postgres.idempotency import Claim, StoredResponse
from interfaces.http.edge.errors import retry_headers, status_of
from interfaces.services import Services

pytestmark = pytest.mark.integration


class SeveredCompletion:
    """Writes the idempotent response, then has the server end this transaction's session
    before COMMIT is sent."""

    def __init__(self, services: Services, claim: Claim) -> None:
        self.services, self.claim = services, claim
        self.writes = 0

    def write(self, cursor: Any, result: Any) -> None:
        self.writes += 1
        self.services.resources.idempotency.complete(
            self.claim, StoredResponse(200, b"{}"), cursor=cursor
        )
        backend = cursor.connection.info.backend_pid
        with psycopg.connect(self.services.resources.database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))


def test_a_connection_lost_during_commit_is_reported_unknown_and_not_retried(
    services: Services,
) -> None:
    user = services.use_cases.users.create_user(
        f"severed-{uuid.uuid4().hex}", None, "BOTH", CommandContext()
    )
    user_id = user.user.user_id
    where = f"key_test POST /severed/{uuid.uuid4().hex}"
    claim = services.resources.idempotency.claim(where, "k1", "fp")
    assert isinstance(claim, Claim)
    completion = SeveredCompletion(services, claim)
    context = CommandContext(request_id="severed", completion=completion)

    with pytest.raises(CommitOutcomeUnknownError) as raised:
        services.use_cases.balances.adjust(user_id, "credit", Amount(700), "severed", context)

    assert completion.writes == 1  # never retried in-process
    assert status_of(raised.value) == 503
    assert raised.value.code == "COMMIT_OUTCOME_UNKNOWN"
    assert "same Idempotency-Key is safe" in raised.value.message
    assert retry_headers(raised.value) == {"Retry-After": "1"}
    # Terminated before COMMIT: nothing was applied, and the ledger still works.
    assert services.use_cases.balances.account(user_id).available_stroops == 0
    services.use_cases.balances.adjust(user_id, "credit", Amount(700), "after", CommandContext())
    assert services.use_cases.balances.account(user_id).available_stroops == 700
