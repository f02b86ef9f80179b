"""Whether a request may reach its handler, decided in the order ARCHITECTURE §10 prescribes:
authenticate the API key and check the route's scope, apply the key's rate limit, then claim the
Idempotency-Key. Every route declares its scope in `opt`; this is the one place it is enforced.

A key this process remembers is authenticated with no I/O; the rate limit's Redis round trip
also answers the key generation, and only then is the key trusted (or read again from the log,
when a revocation moved the generation since: application/key_cache.py).

Most requests are admitted on the event loop (`admit_on_loop`): a remembered key, the Redis
round trip awaited there, and no claim to write before the command. That took an edge thread
per request before — a hop and the blocking Redis client, which under 16 callers cost the
process about 190 µs of CPU a request against 45–53 µs awaited on the loop — and an empty
authenticated GET's API CPU fell from 0.59–0.67 ms to 0.27–0.30 (docs/operations.md). What
would block the loop runs in an edge thread, from the step that needs it: a key to read from
the log or its last use to record (the whole admission), a key generation that moved or that
Redis did not answer (the confirmation and the rest), an Idempotency-Key claimed in its own
transaction (the claim).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Final

from application.api_keys import NOT_REMEMBERED, ApiKeys, Authentication, NotRemembered, Principal
from domain.api_keys import SCOPES, grants
from domain.errors import DomainError, ValidationError
from infrastructure.postgres.idempotency import (
    Claim,
    IdempotencyStore,
    StoredResponse,
    fingerprint_of,
)
from infrastructure.redis.rate_limit import Decision, LoopRateLimiter, RedisRateLimiter
from interfaces.http.edge.errors import (
    InsufficientScopeError,
    InvalidApiKeyError,
    RateLimitedError,
    UnauthorizedError,
)
from interfaces.http.edge.handler_threads import in_edge_thread

PUBLIC: Final = "public"
SIGNATURE: Final = "signature"  # authenticated by a body signature, not an API key
AUTHENTICATED: Final = "authenticated"  # any valid key, whatever its scopes
ROUTE_SCOPES: Final = (*SCOPES, PUBLIC, SIGNATURE, AUTHENTICATED)
MUTATING_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENCY_KEY_LENGTH_MAX: Final = 255
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
# lastUsedAt is an operational hint; writing it once a minute per key is plenty.
USAGE_WRITE_INTERVAL_S: Final = 60
INVALID_KEY: Final = "the API key is unknown, revoked or expired"


# Methods that change nothing: an `audit` key may use every route they reach.
READING_METHODS: Final = frozenset({"GET", "HEAD"})


def scope(name: str) -> dict[str, str]:
    """The `opt` of a route: the one scope it requires, which the gate enforces."""
    return {"scope": name}


CLAIM_OPT: Final = "idempotency"
WITH_EVENTS: Final = "with-events"


def claimed_with_events() -> dict[str, str]:
    """The `opt` of a route whose command does nothing but record events through the ledger
    (`Ledger.change`/`commit`, answering with `Responder.command`): its Idempotency-Key is
    claimed in the transaction that records them, not in one of its own beforehand
    (infrastructure/postgres/idempotency.py). A route with any other effect — a call out, a
    row written beside the log — must claim first, so a duplicate never runs it twice."""
    return {CLAIM_OPT: WITH_EVENTS}


@dataclass(frozen=True, slots=True)
class Arrival:
    method: str
    path: str
    required_scope: str
    authorization: str | None
    idempotency_key: str | None
    client: str
    body: bytes
    # The route claims its key in its command's transaction (`claimed_with_events`).
    claims_with_events: bool = False


@dataclass(frozen=True, slots=True)
class Admitted:
    principal: Principal | None
    claim: Claim | None
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Refused:
    error: DomainError
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Replayed:
    response: StoredResponse
    headers: dict[str, str]


class KeyUsage:
    """Records when each key was last used, at most once per interval per process."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._written: dict[str, float] = {}
        self._lock = threading.Lock()

    def due(self, key_id: str) -> bool:
        """Whether `touch` would write now."""
        with self._lock:
            last = self._written.get(key_id, -USAGE_WRITE_INTERVAL_S)
            return time.monotonic() - last >= USAGE_WRITE_INTERVAL_S

    def touch(self, key_id: str) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._written.get(key_id, -USAGE_WRITE_INTERVAL_S) < USAGE_WRITE_INTERVAL_S:
                return
            self._written[key_id] = now
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO api_key_usage (key_id, last_used_at) VALUES (%s, now())"
                " ON CONFLICT (key_id) DO UPDATE SET last_used_at = EXCLUDED.last_used_at",
                (key_id,),
            )


Outcome = Admitted | Refused | Replayed


@dataclass(frozen=True, slots=True)
class _Begun:
    """What admitting a request knows before its Redis round trip."""

    authentication: Authentication | None
    limit: int
    identity: str
    idempotency_scope: str | None
    cache_key: str | None


@dataclass
class Gate:
    api_keys: ApiKeys
    usage: KeyUsage
    limiter: RedisRateLimiter
    idempotency: IdempotencyStore
    default_limit_per_minute: int
    _clock: Any = field(default=time.time)
    # The same limit awaited on the event loop, once the app has opened it there.
    loop_limiter: LoopRateLimiter | None = None

    def open_on_loop(self) -> None:
        """At startup, on the server's loop: admissions may await Redis there from now on."""
        if self.loop_limiter is not None:
            self.loop_limiter.open()

    async def close_on_loop(self) -> None:
        if self.loop_limiter is not None:
            await self.loop_limiter.close()

    def admit(self, arrival: Arrival) -> Outcome:
        """Admits or refuses `arrival`, blocking on whatever it needs (a thread's way)."""
        begun = self._begin(arrival, from_memory=False)
        assert begun is not None  # only `from_memory` gives up
        if isinstance(begun, Refused):
            return begun
        decision = self.limiter.hit(begun.identity, begun.limit, also_get=begun.cache_key)
        return self._conclude(arrival, begun, decision)

    async def admit_on_loop(self, arrival: Arrival) -> Outcome:
        """`admit`, on the event loop when memory and the one Redis round trip (awaited) are
        all it needs — a remembered key under an unchanged key generation, and no claim
        written before the command — and in one of the edge's threads for the part that
        would block otherwise: a key to read from the log, its last use to record, a
        generation that moved, an Idempotency-Key claimed in a transaction of its own."""
        quick = self.loop_limiter
        begun = self._begin(arrival, from_memory=True) if quick and quick.is_open else None
        if quick is None or begun is None:
            return await in_edge_thread(self.admit, arrival)
        if isinstance(begun, Refused):
            return begun
        decision = await quick.hit(begun.identity, begun.limit, also_get=begun.cache_key)
        if self._concludes_from_memory(arrival, begun, decision):
            return self._conclude(arrival, begun, decision)
        return await in_edge_thread(self._conclude, arrival, begun, decision)

    def _begin(self, arrival: Arrival, from_memory: bool) -> _Begun | Refused | None:
        """What admitting `arrival` knows before its Redis round trip; None when
        `from_memory` and it would have to read or write the database to know it."""
        try:
            authentication = self._authenticate(arrival, from_memory)
        except DomainError as error:
            return Refused(error, {})
        if authentication is NOT_REMEMBERED:
            return None
        principal = authentication.principal if authentication else None
        limit = (principal.rate_limit_per_minute if principal else None) or (
            self.default_limit_per_minute
        )
        identity = f"key:{principal.key_id}" if principal else f"ip:{arrival.client}"
        idempotency_scope = self._idempotency_scope(arrival, principal)
        cache_key = (
            None
            if idempotency_scope is None
            else self.idempotency.cache_key(idempotency_scope, arrival.idempotency_key or "")
        )
        return _Begun(authentication, limit, identity, idempotency_scope, cache_key)

    def _concludes_from_memory(self, arrival: Arrival, begun: _Begun, decision: Decision) -> bool:
        """Whether `_conclude` needs no database: refused by the limit, or a key confirmed
        from memory with no claim to write before the command."""
        if not decision.admitted:
            return True
        authentication = begun.authentication
        if authentication is not None and not self.api_keys.confirms_from_memory(
            authentication, decision.key_generation
        ):
            return False
        return begun.idempotency_scope is None or arrival.claims_with_events

    def _conclude(self, arrival: Arrival, begun: _Begun, decision: Decision) -> Outcome:
        headers = decision.headers(self._clock())
        if not decision.admitted:
            return Refused(
                RateLimitedError(
                    "rate limit exceeded", limit=begun.limit, retryAfter=decision.reset_after_s
                ),
                headers,
            )
        principal = None
        if begun.authentication is not None:
            principal = self.api_keys.confirm(begun.authentication, decision.key_generation)
            if principal is None:  # revoked since this process remembered it
                return Refused(InvalidApiKeyError(INVALID_KEY), headers)
        try:
            claim = self._claim(arrival, begun.idempotency_scope, decision.also_got)
        except DomainError as error:
            return Refused(error, headers)
        if isinstance(claim, StoredResponse):
            return Replayed(claim, headers)
        return Admitted(principal, claim, headers)

    def _authenticate(
        self, arrival: Arrival, from_memory: bool
    ) -> Authentication | NotRemembered | None:
        if arrival.required_scope in (PUBLIC, SIGNATURE):
            return None
        scheme, _, token = (arrival.authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthorizedError("an API key is required: Authorization: Bearer <key>")
        authentication = self.api_keys.authenticate(token.strip(), from_memory)
        if authentication is None:
            raise InvalidApiKeyError(INVALID_KEY)
        if authentication is NOT_REMEMBERED:
            return NOT_REMEMBERED
        principal = authentication.principal
        if arrival.required_scope != AUTHENTICATED and not grants(
            principal.scopes, arrival.required_scope, reading=arrival.method in READING_METHODS
        ):
            raise InsufficientScopeError(
                f"this route needs the '{arrival.required_scope}' scope",
                required=arrival.required_scope,
                granted=sorted(principal.scopes),
            )
        if principal.key_id != "master":
            if from_memory and self.usage.due(principal.key_id):
                return NOT_REMEMBERED  # recording its use writes the database: a thread's work
            self.usage.touch(principal.key_id)
        return authentication

    @staticmethod
    def _idempotency_scope(arrival: Arrival, principal: Principal | None) -> str | None:
        """The scope an Idempotency-Key of this request is claimed in, None when it has none."""
        if arrival.idempotency_key is None or arrival.method not in MUTATING_METHODS:
            return None
        owner = principal.key_id if principal else f"public:{arrival.client}"
        return f"{owner} {arrival.method} {arrival.path}"

    def _claim(
        self, arrival: Arrival, scope: str | None, cached: bytes | None
    ) -> Claim | StoredResponse | None:
        key = arrival.idempotency_key
        if key is None or scope is None:
            return None
        if len(key) > IDEMPOTENCY_KEY_LENGTH_MAX or not _IDEMPOTENCY_KEY.fullmatch(key):
            raise ValidationError(
                f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_LENGTH_MAX} printable characters",
                field="Idempotency-Key",
            )
        # The cache was read with the rate limit, in the same Redis round trip.
        fingerprint = fingerprint_of(arrival.body)
        if arrival.claims_with_events:
            return self.idempotency.defer(scope, key, fingerprint, cached)
        return self.idempotency.claim(scope, key, fingerprint, cached)

    def settle(self, claim: Claim, status: int, body: bytes, stored: StoredResponse | None) -> None:
        """After the handler: keep a successful response, release the claim of a failed one.
        A command that `stored` its response in its own transaction is complete already: its
        record is never rewritten (a replay answers what the transaction stored — for an
        asynchronous command waited on with `Prefer: wait`, its 202 acceptance), only cached."""
        if stored is not None:
            self.idempotency.remember(claim, stored)
            return
        response = StoredResponse(status, body)
        if not 200 <= status < 300:
            self.idempotency.abandon(claim)
            return
        self.idempotency.complete(claim, response)
        self.idempotency.remember(claim, response)
