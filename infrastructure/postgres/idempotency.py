"""Idempotency-Key records: durable in PostgreSQL, cached in Redis once completed.

A request claims (scope, key) by inserting an IN_PROGRESS row with a fencing token and a lock
deadline, or — on a route whose command records its response with its events — defers its claim
to that transaction, which inserts the completed record itself (`defer`, and
`record_idempotent_response` in migration 0006): one statement and one commit fewer per command,
and a duplicate running meanwhile loses at that insert, its events rolled back with it, and
replays the winner's response (`recorded`).

A concurrent duplicate of a claimed key sees the live claim and is refused; a different body
under the same key is refused; a completed key replays its stored response. A command that
records events completes its claim inside the same transaction (see `Completion`), so a retry
after any crash either replays the response or runs the command for the first time — never twice.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Final, cast
from uuid import UUID, uuid4

import msgspec
import psycopg
import redis

from domain.errors import ConflictError
from infrastructure.redis.write_behind import WriteBehind

LOCK_S: Final = 60
CLAIM_LOST_SQLSTATE: Final = "LL409"
# `record_idempotent_response` found the key recorded or held by another request.
ALREADY_RECORDED_SQLSTATE: Final = "LL410"
CACHE_PREFIX: Final = "ledgerline:idem:"
PURGE_BATCH_MAX: Final = 1000
# Relaxed commits: claiming and releasing a key do not wait for their WAL to reach disk (their
# statements end in `RETURNING set_config('synchronous_commit', 'off', true)`). Safe: a
# claim lost in a crash only lets a retry run the command afresh, and the completion that
# depends on a claim commits synchronously, which flushes the WAL up to and past the claim, so
# no durable completion ever lacks its claim; a lost release only waits out its lock (LOCK_S).
# It spares every idempotent command one of its durable commits.

log = logging.getLogger(__name__)
# `claim` was not handed the cache's value: it reads the cache itself.
UNREAD: Final = object()


class IdempotencyKeyReusedError(ConflictError):
    code = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyKeyInProgressError(ConflictError):
    code = "IDEMPOTENCY_KEY_IN_PROGRESS"


class IdempotencyKeyRecordedError(ConflictError):
    """A deferred claim's transaction met the key recorded by another request: nothing of it
    was recorded, and the request answers from that record (`IdempotencyStore.recorded`)."""

    code = "IDEMPOTENCY_KEY_IN_PROGRESS"


@dataclass(frozen=True, slots=True)
class Claim:
    scope: str
    key: str
    fingerprint: str
    # None for a deferred claim: no row holds the key until the command's transaction.
    token: UUID | None

    @property
    def deferred(self) -> bool:
        return self.token is None


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: bytes


class _Cached(msgspec.Struct):
    fingerprint: str
    status: int
    body: bytes


def fingerprint_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class IdempotencyStore:
    def __init__(self, pool: Any, cache: redis.Redis, ttl_s: int) -> None:
        self._pool = pool
        self._cache = cache
        self._ttl_s = ttl_s
        # Completed responses are cached behind the request (Redis only caches the records).
        self._cache_writes = WriteBehind(cache, "idempotency-cache")

    def close(self) -> None:
        """Sends the cache writes still queued (briefly) and stops their thread."""
        self._cache_writes.close()

    def flush_cache(self, timeout_s: float) -> bool:
        """Waits for the cache writes queued so far (for tests and shutdown)."""
        return self._cache_writes.flush(timeout_s)

    def claim(
        self, scope: str, key: str, fingerprint: str, cached_raw: bytes | object | None = UNREAD
    ) -> Claim | StoredResponse:
        """Claims the key, or returns the response stored for it; raises when it is taken.
        `cached_raw` is the cache's value for `cache_key(scope, key)` when the caller already
        read it (with the rate limit, in one round trip)."""
        cached = (
            self._cached(scope, key)
            if cached_raw is UNREAD
            else _decoded(cached_raw if isinstance(cached_raw, bytes) else None)
        )
        if cached is not None:
            if cached.fingerprint != fingerprint:
                raise _reused(key)
            return StoredResponse(cached.status, cached.body)
        token = uuid4()
        with self._pool.connection() as conn:
            claimed = conn.execute(
                "INSERT INTO idempotency_records AS r (scope, idempotency_key, fingerprint,"
                " status, claim_token, locked_until, expires_at)"
                " VALUES (%(scope)s, %(key)s, %(fp)s, 'IN_PROGRESS', %(token)s,"
                "  now() + make_interval(secs => %(lock)s), now() + make_interval(secs => %(ttl)s))"
                " ON CONFLICT (scope, idempotency_key) DO UPDATE SET"
                "  fingerprint = EXCLUDED.fingerprint, status = 'IN_PROGRESS',"
                "  claim_token = EXCLUDED.claim_token, locked_until = EXCLUDED.locked_until,"
                "  expires_at = EXCLUDED.expires_at, created_at = now(),"
                "  response_status = NULL, response_body = NULL"
                # Take over only an expired record, or a claim whose holder died (its lock
                # passed without completing: the command never committed, so it is safe).
                " WHERE r.expires_at < now() OR (r.status = 'IN_PROGRESS'"
                "  AND r.locked_until < now() AND r.fingerprint = EXCLUDED.fingerprint)"
                # A claim is a lock, not a fact: it commits without its own fsync (see
                # "relaxed" above). Only a written row evaluates RETURNING; only it commits.
                " RETURNING claim_token, set_config('synchronous_commit', 'off', true)",
                {
                    "scope": scope,
                    "key": key,
                    "fp": fingerprint,
                    "token": token,
                    "lock": LOCK_S,
                    "ttl": self._ttl_s,
                },
            ).fetchone()
            if claimed is not None:
                return Claim(scope, key, fingerprint, token)
            row = conn.execute(
                "SELECT fingerprint, status, response_status, response_body"
                " FROM idempotency_records WHERE scope = %s AND idempotency_key = %s",
                (scope, key),
            ).fetchone()
        if row is None:  # purged between the two statements: claim again
            return self.claim(scope, key, fingerprint, None)
        if row["fingerprint"] != fingerprint:
            raise _reused(key)
        if row["status"] != "COMPLETED":
            raise IdempotencyKeyInProgressError(
                "a request with this Idempotency-Key is still being processed",
                idempotencyKey=key,
            )
        stored = StoredResponse(row["response_status"], bytes(row["response_body"]))
        self._remember(scope, key, fingerprint, stored)
        return stored

    def defer(
        self, scope: str, key: str, fingerprint: str, cached_raw: bytes | None
    ) -> Claim | StoredResponse:
        """The cached response of (scope, key), else a deferred claim: nothing is written until
        `complete` records the response in the command's own transaction. `cached_raw` is the
        cache's value, read with the rate limit."""
        cached = _decoded(cached_raw)
        if cached is not None:
            if cached.fingerprint != fingerprint:
                raise _reused(key)
            return StoredResponse(cached.status, cached.body)
        return Claim(scope, key, fingerprint, None)

    def recorded(self, claim: Claim) -> StoredResponse | None:
        """The response another request recorded under a deferred claim's key (None when there
        is none); raises when it was another body's, or is still being processed."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT fingerprint, status, response_status, response_body"
                " FROM idempotency_records WHERE scope = %s AND idempotency_key = %s"
                " AND expires_at >= now()",
                (claim.scope, claim.key),
            ).fetchone()
        if row is None:
            return None
        if row["fingerprint"] != claim.fingerprint:
            raise _reused(claim.key)
        if row["status"] != "COMPLETED":
            raise IdempotencyKeyInProgressError(
                "a request with this Idempotency-Key is still being processed",
                idempotencyKey=claim.key,
            )
        stored = StoredResponse(row["response_status"], bytes(row["response_body"]))
        self._remember(claim.scope, claim.key, claim.fingerprint, stored)
        return stored

    def complete(self, claim: Claim, response: StoredResponse, cursor: Any = None) -> None:
        """Stores the response; with `cursor`, inside the caller's (possibly pipelined)
        transaction, which then fails as a whole if the claim was lost (its lock expired and
        another request took the key) or, deferred, if another request recorded the key
        first. Standalone, a lost claim raises IdempotencyKeyInProgressError and a key
        recorded first IdempotencyKeyRecordedError."""
        if claim.deferred:
            statement = "SELECT record_idempotent_response(%s, %s, %s, %s, %s, %s)"
            params: tuple[Any, ...] = (
                claim.scope,
                claim.key,
                claim.fingerprint,
                response.status,
                response.body,
                self._ttl_s,
            )
        else:
            statement = "SELECT complete_idempotency_record(%s, %s, %s, %s, %s)"
            params = (claim.scope, claim.key, claim.token, response.status, response.body)
        if cursor is not None:
            cursor.execute(statement, params)
            return
        try:
            with self._pool.connection() as conn:
                conn.execute(statement, params)
        except psycopg.Error as error:
            if is_claim_lost(error):
                raise claim_lost(claim.key) from None
            if is_recorded_already(error):
                raise recorded_already(claim.key) from None
            raise

    def remember(self, claim: Claim, response: StoredResponse) -> None:
        """Caches a completed response in Redis (after the transaction that stored it)."""
        self._remember(claim.scope, claim.key, claim.fingerprint, response)

    def abandon(self, claim: Claim) -> None:
        """Releases the claim of a request that failed, so a retry runs it afresh."""
        if claim.deferred:
            return  # nothing holds the key
        with self._pool.connection() as conn:
            conn.execute(
                "DELETE FROM idempotency_records WHERE scope = %s AND idempotency_key = %s"
                " AND claim_token = %s AND status = 'IN_PROGRESS'"
                " RETURNING set_config('synchronous_commit', 'off', true)",  # relaxed commit
                (claim.scope, claim.key, claim.token),
            )

    def purge_expired(self) -> int:
        with self._pool.connection() as conn:
            return int(
                conn.execute(
                    "DELETE FROM idempotency_records WHERE ctid IN (SELECT ctid FROM"
                    " idempotency_records WHERE expires_at < now() LIMIT %s)",
                    (PURGE_BATCH_MAX,),
                ).rowcount
            )

    def cache_key(self, scope: str, key: str) -> str:
        """The Redis key a completed response of (scope, key) is cached under."""
        return CACHE_PREFIX + hashlib.sha256(f"{scope}\x1f{key}".encode()).hexdigest()

    def _cached(self, scope: str, key: str) -> _Cached | None:
        try:
            raw = self._cache.get(self.cache_key(scope, key))
        except redis.RedisError as error:
            log.warning("idempotency cache unavailable, reading PostgreSQL: %s", error)
            return None
        return _decoded(cast(bytes | None, raw))

    def _remember(self, scope: str, key: str, fingerprint: str, response: StoredResponse) -> None:
        value = msgspec.msgpack.encode(_Cached(fingerprint, response.status, response.body))
        self._cache_writes.set(self.cache_key(scope, key), value, self._ttl_s)


def _decoded(raw: bytes | None) -> _Cached | None:
    return msgspec.msgpack.decode(raw, type=_Cached) if raw else None


def is_claim_lost(error: BaseException) -> bool:
    """Whether a database error is `complete_idempotency_record` refusing a lost claim."""
    return _raised_with(error, CLAIM_LOST_SQLSTATE)


def is_recorded_already(error: BaseException) -> bool:
    """Whether a database error is `record_idempotent_response` finding the key taken."""
    return _raised_with(error, ALREADY_RECORDED_SQLSTATE)


def _raised_with(error: BaseException | None, sqlstate: str) -> bool:
    """Whether a database error, or one it was raised from, has `sqlstate`."""
    while error is not None:
        if getattr(error, "sqlstate", None) == sqlstate:
            return True
        error = error.__cause__
    return False


def recorded_already(key: str | None = None) -> IdempotencyKeyRecordedError:
    details = {"idempotencyKey": key} if key else {}
    return IdempotencyKeyRecordedError(
        "another request with this Idempotency-Key was recorded first", **details
    )


def claim_lost(key: str | None = None) -> IdempotencyKeyInProgressError:
    details = {"idempotencyKey": key} if key else {}
    return IdempotencyKeyInProgressError(
        "this request's claim on its Idempotency-Key expired and was taken over", **details
    )


def _reused(key: str) -> IdempotencyKeyReusedError:
    return IdempotencyKeyReusedError(
        "this Idempotency-Key was used with a different request body", idempotencyKey=key
    )
