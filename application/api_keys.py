"""Use cases for API keys: issue (the secret is shown once), revoke, and authenticate a token.

Tokens look like `ohk_live_key_<id>_<48 hex>`: the id locates the key, the SHA-256 of the whole
token must match the recorded one. Authentication is in two steps: `authenticate` finds the key
(remembered by this process, or read from the log: application/key_cache.py), and once the
request's Redis round trip has told the key generation, `confirm` trusts it or reads the log
again; so a revocation is effective on every instance from the next request after it answered.
The master key from the environment authenticates as an `admin` principal, for bootstrapping
the first keys.

A key (or the master key) may also mint short-lived tokens for itself, with a subset of its
scopes (application/access_tokens.py); a token authenticates only while its key still does.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID, uuid4

from application.access_tokens import TOKEN_PREFIX as ACCESS_TOKEN_PREFIX
from application.access_tokens import (
    AccessTokens,
    IssuedToken,
    ScopeEscalationError,
    TokenClaims,
    check_ttl,
    expiry,
)
from application.context import CommandContext
from application.key_cache import KeyCache, KeyFacts, Remembered
from application.ledger import Ledger, recorded
from application.outages import ServiceUnavailableError
from application.ports import KeyGeneration
from domain import identifiers
from domain.api_keys import (
    ADMIN,
    ApiKey,
    ApiKeyNotFoundError,
    check_new_key,
    check_scopes,
    grants,
)
from domain.errors import InvalidIdError, ValidationError

TOKEN_PREFIX: Final = "ohk_live_key_"  # noqa: S105  (a format marker, not a secret)
SECRET_BYTES: Final = 24
SECRET_HINT_LENGTH: Final = 4
MASTER_KEY_ID: Final = "master"
RATE_LIMIT_PER_MINUTE_MAX: Final = 100_000

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    name: str
    scopes: frozenset[str]
    rate_limit_per_minute: int | None
    # Set when the caller presented a short-lived token: when that token ends.
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Authentication:
    """Who a token stands for, as far as this process knows before the request's round trip:
    `ApiKeys.confirm` says whether that still holds (for the master key it always does)."""

    principal: Principal
    token: str
    claims: TokenClaims | None = None  # a short-lived token's
    key_uuid: UUID | None = None
    remembered: Remembered | None = None


class NotRemembered(enum.Enum):
    """`authenticate(…, from_memory=True)` met a key this process does not remember."""

    NOT_REMEMBERED = "not remembered"


NOT_REMEMBERED: Final = NotRemembered.NOT_REMEMBERED


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    token: str
    name: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
    rate_limit_per_minute: int | None
    created_at: datetime
    position: int


@dataclass(frozen=True, slots=True)
class Revocation:
    key_id: str
    position: int


class ApiKeys:
    def __init__(
        self,
        ledger: Ledger,
        clock: Callable[[], datetime],
        master_key: str | None,
        generation: KeyGeneration,
    ) -> None:
        self._ledger = ledger
        self._clock = clock
        self._master_key = master_key
        self._tokens = AccessTokens(master_key)
        self._generation = generation
        self.cache = KeyCache(self._read_facts)

    def issue(
        self,
        name: str,
        scopes: list[str],
        expires_at: datetime | None,
        rate_limit_per_minute: int | None,
        context: CommandContext,
    ) -> IssuedKey:
        check_new_key(name, scopes, expires_at, self._clock())
        if rate_limit_per_minute is not None and not (
            1 <= rate_limit_per_minute <= RATE_LIMIT_PER_MINUTE_MAX
        ):
            raise ValidationError(
                f"rateLimitPerMinute must be 1 to {RATE_LIMIT_PER_MINUTE_MAX}",
                field="rateLimitPerMinute",
            )
        key_uuid = uuid4()
        token = (
            f"{TOKEN_PREFIX}{identifiers.encode_uuid(key_uuid)}_{secrets.token_hex(SECRET_BYTES)}"
        )
        key = ApiKey(
            id=key_uuid,
            name=name,
            scopes=sorted(set(scopes)),
            secret_sha256=_sha256(token),
            secret_hint=token[-SECRET_HINT_LENGTH:],
            expires_at=expires_at,
            rate_limit_per_minute=rate_limit_per_minute,
        )
        return self._ledger.commit(
            key,
            context=context,
            outcome=lambda position: IssuedKey(
                key_id=key.public_id,
                token=token,
                name=name,
                scopes=tuple(key.scopes),
                expires_at=expires_at,
                rate_limit_per_minute=rate_limit_per_minute,
                created_at=key.created_on,
                position=position,
            ),
        )

    def revoke(self, key_id: str, context: CommandContext) -> Revocation:
        """Revokes the key; API_KEY_NOT_FOUND or INVALID_STATE when already revoked.

        The key generation moves before the commit (when Redis cannot hear it, SERVICE_
        UNAVAILABLE and nothing is revoked: a process could go on trusting the key) and after
        it (a process may have read the key between the two)."""
        key_uuid = identifiers.parse_public_id(identifiers.API_KEY, key_id)
        self._generation.move()
        revocation = self._ledger.change(
            ApiKey,
            key_uuid,
            ApiKey.revoke,
            context=context,
            outcome=lambda key, position: Revocation(key.public_id, recorded(position)),
        )
        self.cache.forget(key_uuid)
        try:
            self._generation.move()
        except ServiceUnavailableError:  # revoked: other processes see it within the TTL
            log.warning("the key generation did not move after revoking %s", key_id)
        return revocation

    def issue_token(
        self, caller: Principal, key_id: str | None, scopes: list[str] | None, ttl_s: int | None
    ) -> IssuedToken:
        """A short-lived token for `key_id` (the caller's own key when None), with `scopes`
        (all of the key's when None), for `ttl_s` seconds. Only an admin may mint for another
        key (for anyone else another key is API_KEY_NOT_FOUND); no token gets a scope its key
        or its caller lacks, or outlives either."""
        ttl = check_ttl(ttl_s)
        now = self._clock()
        target = caller if key_id in (None, caller.key_id) else self._other_key(caller, key_id)
        wanted = tuple(sorted(set(target.scopes if scopes is None else scopes)))
        check_scopes(list(wanted))
        lacking = [s for s in wanted if not (grants(target.scopes, s) and grants(caller.scopes, s))]
        if lacking:
            raise ScopeEscalationError(
                f"a token cannot have scopes its key lacks: {', '.join(lacking)}",
                requested=list(wanted),
                granted=sorted(target.scopes),
            )
        return self._tokens.mint(
            target.key_id, wanted, now, expiry(now, ttl, target.expires_at, caller.expires_at)
        )

    def _other_key(self, caller: Principal, key_id: str) -> Principal:
        """Another key, for an admin; to anyone else other keys are invisible (404, as they
        cannot list them either)."""
        key_uuid = identifiers.parse_public_id(identifiers.API_KEY, key_id)
        key = self._ledger.get(ApiKey, key_uuid) if grants(caller.scopes, ADMIN) else None
        if key is None or not key.usable(self._clock()):
            raise ApiKeyNotFoundError("API key not found (or revoked or expired)", keyId=key_id)
        return Principal(
            key.public_id,
            key.name,
            frozenset(key.scopes),
            key.rate_limit_per_minute,
            key.expires_at,
        )

    def authenticate(
        self, token: str, from_memory: bool = False
    ) -> Authentication | NotRemembered | None:
        """Who `token` stands for, or None when it is unknown, revoked or expired; to be
        `confirm`ed with the generation of the request's Redis round trip. `from_memory`:
        NOT_REMEMBERED instead of reading a key this process does not remember."""
        if self._master_key and hmac.compare_digest(token.encode(), self._master_key.encode()):
            master = Principal(MASTER_KEY_ID, "master key", frozenset({ADMIN}), None)
            return Authentication(master, token)
        claims = None
        if token.startswith(ACCESS_TOKEN_PREFIX):
            claims = self._tokens.verify(token, self._clock())
            if claims is None:
                return None
            if claims.key_id == MASTER_KEY_ID:
                scopes = frozenset(claims.scopes)
                master = Principal(
                    MASTER_KEY_ID, "master key (token)", scopes, None, claims.expires_at
                )
                return Authentication(master, token)
        key_uuid = _key_uuid(token) if claims is None else _claimed_key(claims)
        if key_uuid is None:
            return None
        if from_memory:
            remembered = self.cache.peek(key_uuid)
            if remembered is None:
                return NOT_REMEMBERED
        else:
            remembered = self.cache.lookup(key_uuid)
        if remembered is None:
            return None
        principal = self._principal(token, claims, remembered.facts)
        if principal is None:
            return None
        return Authentication(principal, token, claims, key_uuid, remembered)

    def confirms_from_memory(self, authentication: Authentication, generation: str | None) -> bool:
        """Whether `confirm` would answer without reading the log."""
        found = authentication
        if found.key_uuid is None or found.remembered is None:
            return True
        return self.cache.confirms_from_memory(found.remembered, generation)

    def confirm(self, authentication: Authentication, generation: str | None) -> Principal | None:
        """The principal, when the key it was found by still authenticates under the request's
        key `generation` (None: unknown, so the key is read from the log); else None."""
        found = authentication
        if found.key_uuid is None or found.remembered is None:
            return found.principal
        facts = self.cache.confirm(found.key_uuid, found.remembered, generation)
        if facts is found.remembered.facts:
            return found.principal
        return None if facts is None else self._principal(found.token, found.claims, facts)

    def _principal(
        self, token: str, claims: TokenClaims | None, facts: KeyFacts
    ) -> Principal | None:
        """The principal of `token` (a key, or a short-lived token of it when `claims`) given
        its key's `facts`; None when they refuse it. A revoked key's tokens are dead too."""
        if not facts.usable(self._clock()):
            return None
        if claims is not None:
            return Principal(
                facts.public_id,
                facts.name,
                frozenset(claims.scopes),
                facts.rate_limit_per_minute,
                claims.expires_at,
            )
        if not hmac.compare_digest(facts.secret_sha256, _sha256(token)):
            return None
        return Principal(facts.public_id, facts.name, facts.scopes, facts.rate_limit_per_minute)

    def _read_facts(self, key_uuid: UUID) -> KeyFacts | None:
        key = self._ledger.get(ApiKey, key_uuid)
        return None if key is None else KeyFacts.of(key)


def _claimed_key(claims: TokenClaims) -> UUID | None:
    try:
        return identifiers.parse_public_id(identifiers.API_KEY, claims.key_id)
    except InvalidIdError:
        return None


def _key_uuid(token: str) -> UUID | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    encoded, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
    if not sep or len(secret) != SECRET_BYTES * 2:
        return None
    try:
        return identifiers.decode_uuid(encoded)
    except InvalidIdError:
        return None


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
