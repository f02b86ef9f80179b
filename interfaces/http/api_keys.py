"""API keys: issue (shown once), list (masked), revoke; and who am I."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from application.api_keys import ApiKeys
from domain.api_keys import ADMIN
from interfaces.http.edge.admission import AUTHENTICATED, scope
from interfaces.http.edge.dependencies import Clock, Provided, Respond
from interfaces.http.edge.edge_state import edge_state
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope
from interfaces.http.schemas.api_keys import (
    ApiKeyBody,
    ApiKeyCreatedBody,
    CreateApiKeyRequest,
    MeBody,
    RevokedBody,
    api_key_body,
    api_key_created_body,
    me_body,
)
from projections.api_keys.view import ApiKeysView


class ApiKeysController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/api-keys", opt=scope(ADMIN), sync_to_thread=True, operation_id="createApiKey")
    def create(
        self,
        data: JSONBody[CreateApiKeyRequest],
        api_keys: Provided[ApiKeys],
        respond: Respond,
    ) -> Response[Envelope[ApiKeyCreatedBody]]:
        """Issues a key. The `key` field is shown only in this response; store it now."""
        return respond.command(
            lambda ctx: api_keys.issue(
                data.name, data.scopes, data.expires_at, data.rate_limit_per_minute, ctx
            ),
            api_key_created_body,
            status=201,
        )

    @get("/api-keys", opt=scope(ADMIN), sync_to_thread=True, operation_id="listApiKeys")
    def list_keys(
        self,
        request: Request[Any, Any, Any],
        api_keys_view: Provided[ApiKeysView],
        clock: Provided[Clock],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        limit: FromQuery[int | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Response[Envelope[list[ApiKeyBody]]]:
        """Keys, newest first, masked, with when each was last used."""
        read_your_writes.wait(request, "api_keys")
        now = clock()
        page = api_keys_view.list(limit, cursor)
        return respond.page(page, lambda row: api_key_body(row, now))

    @delete(
        "/api-keys/{key_id:str}",
        opt=scope(ADMIN),
        sync_to_thread=True,
        status_code=200,
        operation_id="revokeApiKey",
    )
    def revoke(
        self, key_id: FromPath[str], api_keys: Provided[ApiKeys], respond: Respond
    ) -> Response[Envelope[RevokedBody]]:
        """Revokes a key; every instance refuses it from this response on."""
        return respond.command(
            lambda ctx: api_keys.revoke(key_id, ctx),
            lambda r: RevokedBody(id=r.key_id, status="REVOKED"),
        )

    @get("/me", opt=scope(AUTHENTICATED), sync_to_thread=False, operation_id="getMe")
    def me(self, request: Request[Any, Any, Any], respond: Respond) -> Response[Envelope[MeBody]]:
        """The calling key: id, name and scopes."""
        return respond.ok(_me(request))


def _me(request: Request[Any, Any, Any]) -> MeBody:
    state = edge_state(request.scope)
    assert state is not None
    assert state.principal is not None
    return me_body(state.principal)


@get(
    "/me", opt=scope(AUTHENTICATED), sync_to_thread=False, operation_id="getMeAlias", tags=["auth"]
)
def me_alias(request: Request[Any, Any, Any], respond: Respond) -> Response[Envelope[MeBody]]:
    """Alias of `/auth/me`."""
    return respond.ok(_me(request))
