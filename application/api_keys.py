"""Use cases for API keys: issue (the secret is shown once), revoke, and authenticate a token.

Tokens look like `ohk_live_key_<id>_<48 hex>`: the id locates the key, the SHA-256 of the whole
token must match the recorded one. Authentication reads the key aggregate from the log itself, so
a revocation is effective on every instance the moment it is committed. The master key from the
environment authenticates as an `admin` principal, for bootstrapping the first keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID, uuid4

from application.context import CommandContext
from application.ledger import Ledger, recorded
from domain import identifiers
from domain.api_keys import ADMIN, ApiKey, check_new_key
from domain.errors import InvalidIdError, ValidationError

TOKEN_PREFIX: Final = "ohk_live_key_"  # noqa: S105  (a format marker, not a secret)
SECRET_BYTES: Final = 24
SECRET_HINT_LENGTH: Final = 4
MASTER_KEY_ID: Final = "master"
RATE_LIMIT_PER_MINUTE_MAX: Final = 100_000


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    name: str
    scopes: frozenset[str]
    rate_limit_per_minute: int | None


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
        self, ledger: Ledger, clock: Callable[[], datetime], master_key: str | None
    ) -> None:
        self._ledger = ledger
        self._clock = clock
        self._master_key = master_key

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
        """Revokes the key; API_KEY_NOT_FOUND or INVALID_STATE when already revoked."""
        return self._ledger.change(
            ApiKey,
            identifiers.parse_public_id(identifiers.API_KEY, key_id),
            ApiKey.revoke,
            context=context,
            outcome=lambda key, position: Revocation(key.public_id, recorded(position)),
        )

    def authenticate(self, token: str) -> Principal | None:
        """The principal `token` stands for, or None when it is unknown, revoked or expired."""
        if self._master_key and hmac.compare_digest(token.encode(), self._master_key.encode()):
            return Principal(MASTER_KEY_ID, "master key", frozenset({ADMIN}), None)
        key_uuid = _key_uuid(token)
        if key_uuid is None:
            return None
        key = self._ledger.get(ApiKey, key_uuid)
        if key is None or not key.accepts(_sha256(token), self._clock()):
            return None
        return Principal(key.public_id, key.name, frozenset(key.scopes), key.rate_limit_per_minute)


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
