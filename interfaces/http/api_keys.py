"""API keys: issue (shown once), list (masked), revoke; short-lived tokens; and who am I."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody

from application.api_keys import ApiKeys
from domain.api_keys import ADMIN
from interfaces.http.contract.answers import answers
from interfaces.http.edge.admission import AUTHENTICATED, scope
from interfaces.http.edge.dependencies import Clock, Provided, Respond
from interfaces.http.edge.edge_state import edge_state
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope, Responder
from interfaces.http.schemas.api_keys import (
    ApiKeyBody,
    ApiKeyCreatedBody,
    CreateApiKeyRequest,
    CreateTokenRequest,
    MeBody,
    RevokedBody,
    TokenBody,
    api_key_body,
    api_key_created_body,
    me_body,
    token_body,
)
from interfaces.http.schemas.wire import Cursor, Limit
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
        limit: Limit = None,
        cursor: Cursor = None,
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

    @post(
        "/token",
        opt=scope(AUTHENTICATED) | answers(errors=(403,)),
        sync_to_thread=True,
        operation_id="createToken",
    )
    def token(
        self,
        request: Request[Any, Any, Any],
        api_keys: Provided[ApiKeys],
        clock: Provided[Clock],
        respond: Respond,
        data: JSONBody[CreateTokenRequest | None] = None,
    ) -> Response[Envelope[TokenBody]]:
        """A short-lived token (`ohk_tok_…`, at most an hour) for the calling key, with its
        scopes or fewer: use it as the bearer anywhere the key works. It dies with the key
        (revoked or expired) and never outlives it; asking for a scope the key lacks is 403."""
        return self._token(request, None, data, api_keys, clock, respond)

    @post(
        "/api-keys/{key_id:str}/token",
        opt=scope(AUTHENTICATED) | answers(errors=(403, 404)),
        sync_to_thread=True,
        operation_id="createTokenForKey",
    )
    def token_for_key(
        self,
        request: Request[Any, Any, Any],
        key_id: FromPath[str],
        api_keys: Provided[ApiKeys],
        clock: Provided[Clock],
        respond: Respond,
        data: JSONBody[CreateTokenRequest | None] = None,
    ) -> Response[Envelope[TokenBody]]:
        """OFFER-HUB's route: a short-lived token for key `key_id`, which must be the calling
        key unless the caller is an admin (to others another key is 404 API_KEY_NOT_FOUND).
        Same rules as `POST /auth/token`."""
        return self._token(request, key_id, data, api_keys, clock, respond)

    @staticmethod
    def _token(
        request: Request[Any, Any, Any],
        key_id: str | None,
        data: CreateTokenRequest | None,
        api_keys: ApiKeys,
        clock: Clock,
        respond: Responder,
    ) -> Response[Any]:
        state = edge_state(request.scope)
        assert state is not None
        assert state.principal is not None
        issued = api_keys.issue_token(
            state.principal,
            key_id,
            list(data.scopes) if data and data.scopes is not None else None,
            data.ttl if data else None,
        )
        return respond.ok(token_body(issued, clock()), status=201)

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
