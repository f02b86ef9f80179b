"""Wire types for API keys. The secret appears once, in `ApiKeyCreatedBody.key`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from application.access_tokens import TTL_MAX_S, IssuedToken
from application.api_keys import TOKEN_PREFIX, IssuedKey, Principal
from interfaces.http.edge.responses import iso
from interfaces.http.schemas.vocabulary import ApiKeyStatus, Scope
from interfaces.http.schemas.wire import (
    ApiKeyId,
    AwareDatetime,
    Body,
    Request,
    Timestamp,
    described,
    either,
)
from projections.api_keys.view import ApiKeyRow


class CreateApiKeyRequest(Request):
    name: str
    scopes: list[Scope]
    expires_at: AwareDatetime | None = None
    rate_limit_per_minute: int | None = None


class ApiKeyCreatedBody(Body):
    id: ApiKeyId
    key: str
    name: str
    scopes: list[Scope]
    expires_at: Timestamp | None
    rate_limit_per_minute: int | None
    created_at: Timestamp | None


def api_key_created_body(issued: IssuedKey) -> ApiKeyCreatedBody:
    return ApiKeyCreatedBody(
        id=issued.key_id,
        key=issued.token,
        name=issued.name,
        scopes=list(issued.scopes),
        expires_at=iso(issued.expires_at),
        rate_limit_per_minute=issued.rate_limit_per_minute,
        created_at=iso(issued.created_at),
    )


class ApiKeyBody(Body):
    id: ApiKeyId
    name: str
    scopes: list[Scope]
    masked_key: str
    status: ApiKeyStatus
    rate_limit_per_minute: int | None
    last_used_at: Timestamp | None
    expires_at: Timestamp | None
    revoked_at: Timestamp | None
    created_at: Timestamp | None


def api_key_body(row: ApiKeyRow, now: datetime) -> ApiKeyBody:
    if row.revoked_at is not None:
        status = "REVOKED"
    elif row.expires_at is not None and row.expires_at <= now:
        status = "EXPIRED"
    else:
        status = "ACTIVE"
    return ApiKeyBody(
        id=row.key_id,
        name=row.name,
        scopes=list(row.scopes),
        masked_key=f"{TOKEN_PREFIX}…{row.secret_hint}",
        status=status,
        rate_limit_per_minute=row.rate_limit_per_minute,
        last_used_at=iso(row.last_used_at),
        expires_at=iso(row.expires_at),
        revoked_at=iso(row.revoked_at),
        created_at=iso(row.created_at),
    )


class RevokedBody(Body):
    id: ApiKeyId
    status: ApiKeyStatus


class MeBody(Body):
    api_key_id: ApiKeyId
    api_key_name: str
    scopes: list[Scope]


def me_body(principal: Principal) -> MeBody:
    return MeBody(principal.key_id, principal.name, sorted(principal.scopes))


TtlSeconds = Annotated[int | None, described(minimum=1, maximum=TTL_MAX_S, examples=[900])]


class CreateTokenRequest(Request):
    """Both optional: the key's scopes, for an hour. OFFER-HUB's `ttl_seconds` is accepted."""

    scopes: list[Scope] | None = None
    ttl_seconds: TtlSeconds = None
    ttl_seconds_snake: TtlSeconds = msgspec.field(default=None, name="ttl_seconds")

    @property
    def ttl(self) -> int | None:
        value = either(self.ttl_seconds, self.ttl_seconds_snake, "ttlSeconds", required=False)
        return None if value is None else int(value)


class TokenBody(Body):
    token: Annotated[str, described(pattern="^ohk_tok_", examples=["ohk_tok_eyJhbGciOi…"])]
    token_type: Literal["Bearer"]
    key_id: ApiKeyId
    scopes: list[Scope]
    expires_at: Timestamp
    expires_in: int


def token_body(issued: IssuedToken, now: datetime) -> TokenBody:
    claims = issued.claims
    return TokenBody(
        token=issued.token,
        token_type="Bearer",  # noqa: S106  (the scheme's name)
        key_id=claims.key_id,
        scopes=list(claims.scopes),
        expires_at=iso(claims.expires_at) or "",
        expires_in=max(int((claims.expires_at - now).total_seconds()), 0),
    )
