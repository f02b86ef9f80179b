"""Wire types for API keys. The secret appears once, in `ApiKeyCreatedBody.key`."""

from __future__ import annotations

from datetime import datetime

from application.api_keys import TOKEN_PREFIX, IssuedKey, Principal
from interfaces.http.edge.responses import iso
from interfaces.http.schemas.wire import AwareDatetime, Body, Request
from projections.api_keys.view import ApiKeyRow


class CreateApiKeyRequest(Request):
    name: str
    scopes: list[str]
    expires_at: AwareDatetime | None = None
    rate_limit_per_minute: int | None = None


class ApiKeyCreatedBody(Body):
    id: str
    key: str
    name: str
    scopes: list[str]
    expires_at: str | None
    rate_limit_per_minute: int | None
    created_at: str | None


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
    id: str
    name: str
    scopes: list[str]
    masked_key: str
    status: str
    rate_limit_per_minute: int | None
    last_used_at: str | None
    expires_at: str | None
    revoked_at: str | None
    created_at: str | None


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
    id: str
    status: str


class MeBody(Body):
    api_key_id: str
    api_key_name: str
    scopes: list[str]


def me_body(principal: Principal) -> MeBody:
    return MeBody(principal.key_id, principal.name, sorted(principal.scopes))
