"""The API's resources for the asynchronous client: made from `resources/keys.py` by
`clients/python/unasync.py`. Do not edit: edit `resources/keys.py` and run
`python clients/python/unasync.py`.
"""

from __future__ import annotations

import builtins

from ledgerline_sdk import models as m
from ledgerline_sdk.async_resources._base import _body, _Resource
from ledgerline_sdk.transport import Call, Page, page_of


class Keys(_Resource):
    async def create(
        self,
        name: str,
        scopes: builtins.list[str],
        *,
        expires_at: str | None = None,
        rate_limit_per_minute: int | None = None,
        idempotency_key: str | None = None,
    ) -> m.CreatedApiKey:
        """Issues a key (admin scope); its secret is in `.key`, shown only now."""
        body = _body(
            name=name, scopes=scopes, expiresAt=expires_at, rateLimitPerMinute=rate_limit_per_minute
        )
        return await self._send(
            Call(
                "POST",
                "/auth/api-keys",
                m.CreatedApiKey,
                body=body,
                idempotency_key=idempotency_key,
            )
        )

    async def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[m.ApiKey]:
        params = {"limit": limit, "cursor": cursor}
        return await self._send(page_of("/auth/api-keys", m.ApiKey, params))

    async def revoke(self, key_id: str, *, idempotency_key: str | None = None) -> m.RevokedApiKey:
        path = f"/auth/api-keys/{key_id}"
        return await self._send(
            Call("DELETE", path, m.RevokedApiKey, idempotency_key=idempotency_key)
        )

    async def token(
        self,
        *,
        scopes: builtins.list[str] | None = None,
        ttl_s: int | None = None,
        key_id: str | None = None,
    ) -> m.Token:
        """A short-lived token (≤ 1 h) for this key (or, for an admin, key `key_id`)."""
        path = "/auth/token" if key_id is None else f"/auth/api-keys/{key_id}/token"
        body = _body(scopes=scopes, ttlSeconds=ttl_s)
        return await self._send(Call("POST", path, m.Token, body=body))

    async def me(self) -> m.Me:
        return await self._send(Call("GET", "/auth/me", m.Me))
