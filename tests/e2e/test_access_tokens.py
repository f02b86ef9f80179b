"""Short-lived tokens: a key's scopes or fewer, an hour at most, accepted wherever the key is,
and dead on every instance the moment the key is revoked."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.instances import api_instance
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def mint(stack: Stack, key: str, path: str = "/auth/token", **body: object) -> dict[str, object]:
    response = stack.client(key).post(path, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


def test_a_token_works_as_the_bearer_with_the_scopes_it_was_given(stack: Stack) -> None:
    key = stack.key("read", "write")
    token = mint(stack, key, scopes=["read"], ttlSeconds=600)
    assert str(token["token"]).startswith("ohk_tok_")
    assert token["scopes"] == ["read"] and 590 <= int(str(token["expiresIn"])) <= 600
    reader = stack.client(str(token["token"]))
    assert reader.get("/users").status_code == 200
    me = reader.get("/auth/me").json()["data"]
    assert me["scopes"] == ["read"]
    refused = reader.post("/users", json={"externalUserId": f"tok-{uuid.uuid4().hex}"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "INSUFFICIENT_SCOPE"


def test_a_token_never_gets_a_scope_its_key_lacks_nor_lives_past_an_hour(stack: Stack) -> None:
    key = stack.key("read")
    escalation = stack.client(key).post("/auth/token", json={"scopes": ["admin"]})
    assert escalation.status_code == 403
    assert escalation.json()["error"]["code"] == "INSUFFICIENT_SCOPE"
    too_long = stack.client(key).post("/auth/token", json={"ttl_seconds": 3601})
    assert too_long.status_code == 400
    assert too_long.json()["error"]["details"]["field"] == "ttlSeconds"
    token = mint(stack, key)
    assert token["scopes"] == ["read"] and int(str(token["expiresIn"])) <= 3600
    # A token cannot mint a wider one either.
    wider = stack.client(str(token["token"])).post("/auth/token", json={"scopes": ["write"]})
    assert wider.status_code == 403


def test_only_an_admin_mints_a_token_for_another_key(stack: Stack) -> None:
    reader, other = stack.key("read"), stack.key("read", "write")
    other_id = stack.client(other).get("/auth/me").json()["data"]["apiKeyId"]
    own_id = stack.client(reader).get("/auth/me").json()["data"]["apiKeyId"]
    assert mint(stack, reader, f"/auth/api-keys/{own_id}/token")["keyId"] == own_id
    foreign = stack.client(reader).post(f"/auth/api-keys/{other_id}/token", json={})
    assert foreign.status_code == 404  # other keys are invisible to a non-admin
    assert foreign.json()["error"]["code"] == "API_KEY_NOT_FOUND"
    by_admin = mint(stack, stack.key("admin"), f"/auth/api-keys/{other_id}/token")
    assert by_admin["keyId"] == other_id and by_admin["scopes"] == ["read", "write"]


def test_revoking_the_key_kills_its_tokens_at_once_on_every_instance(stack: Stack) -> None:
    key = stack.key("read")
    key_id = stack.client(key).get("/auth/me").json()["data"]["apiKeyId"]
    token = str(mint(stack, key)["token"])
    with api_instance(stack) as other:
        assert get_users(other.base_url, token).status_code == 200
        revoked = stack.client().delete(f"/auth/api-keys/{key_id}")
        assert revoked.status_code == 200, revoked.text
        for base_url in (stack.base_url, other.base_url):
            refused = get_users(base_url, token)
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "INVALID_API_KEY"


def test_a_tampered_token_is_refused(stack: Stack) -> None:
    token = str(mint(stack, stack.key("read"))["token"])
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert stack.client(forged).get("/users").status_code == 401


def get_users(base_url: str, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{base_url}/users", headers=headers, timeout=30)
