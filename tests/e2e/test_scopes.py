"""Every route under /api/v1 enforces its scope through the one admission mechanism."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from domain import identifiers
from domain.api_keys import grants
from interfaces.http.app import API_PREFIX, DOCS_PATH
from interfaces.http.edge.admission import AUTHENTICATED, PUBLIC, READING_METHODS, SIGNATURE
from tests.support.instances import api_instance
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

KEY_SCOPES = ("read", "write", "support", "admin", "audit")


def routes(stack: Stack) -> list[tuple[str, str, str]]:
    """(method, concrete path, required scope) for every route the app serves."""
    app = stack.server._server.config.app  # the Litestar app under test
    found = []
    for route in app.routes:  # type: ignore[attr-defined]
        if not route.path.startswith(API_PREFIX) or route.path.startswith(DOCS_PATH):
            continue
        path = re.sub(r"\{user_id:str\}", identifiers.public_id("usr", uuid.uuid4()), route.path)
        path = re.sub(r"\{key_id:str\}", identifiers.public_id("key", uuid.uuid4()), path)
        path = re.sub(r"\{withdrawal_id:str\}", identifiers.public_id("wd", uuid.uuid4()), path)
        path = re.sub(r"\{saga_id:str\}", identifiers.public_id("wd", uuid.uuid4()), path)
        path = re.sub(r"\{order_id:str\}", identifiers.public_id("ord", uuid.uuid4()), path)
        path = re.sub(r"\{dispute_id:str\}", identifiers.public_id("dsp", uuid.uuid4()), path)
        path = path.replace("{ref:str}", "design")
        path = path.replace("{account:str}", "platform:fees")
        path = re.sub(r"\{event_id:str\}", identifiers.public_id("evt", uuid.uuid4()), path)
        path = re.sub(r"\{topup_id:str\}", identifiers.public_id("top", uuid.uuid4()), path)
        path = re.sub(r"\{endpoint_id:str\}", identifiers.public_id("whe", uuid.uuid4()), path)
        assert "{" not in path, f"add a sample value for {route.path}"
        for handler in route.route_handlers:
            for method in handler.http_methods:
                if method != "OPTIONS":
                    found.append((method, path[len(API_PREFIX) :], handler.opt["scope"]))
    return found


def answer(client: httpx.Client, method: str, path: str) -> tuple[int, str | None]:
    """Status and error code; an event stream is not read (it never ends)."""
    with client.stream(method, path, json={}) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, None
        response.read()
        code = response.json().get("error", {}).get("code") if response.is_error else None
        return response.status_code, code


def test_every_route_answers_by_the_scope_it_declares(stack: Stack) -> None:
    keys = {scope: stack.key(scope) for scope in KEY_SCOPES}
    checked = 0
    for method, path, required in routes(stack):
        for scope, key in keys.items():
            status, code = answer(stack.client(key), method, path)
            allowed = required in (PUBLIC, AUTHENTICATED) or grants(
                [scope], required, reading=method in READING_METHODS
            )
            if required == SIGNATURE:  # any key or none: only the body's signature counts
                assert (status, code) == (401, "INVALID_SIGNATURE"), (method, path, scope)
            elif allowed:
                assert status not in (401, 403), (method, path, scope)
            else:
                assert (status, code) == (403, "INSUFFICIENT_SCOPE"), (method, path, scope)
            assert status < 500, (method, path, scope, code)
            checked += 1
    assert checked >= 5 * 12


def test_a_route_needing_a_key_refuses_requests_without_one(stack: Stack) -> None:
    for method, path, required in routes(stack):
        if required in (PUBLIC, SIGNATURE):
            continue
        response = stack.client(None).request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_a_read_key_cannot_post(stack: Stack) -> None:
    response = stack.client(stack.key("read")).post("/users", json={"externalUserId": "x"})
    assert response.status_code == 403


def test_an_audit_key_reads_every_scopes_routes_but_changes_nothing(stack: Stack) -> None:
    auditor = stack.client(stack.key("audit"))
    for path in ("/users", "/events/log", "/audit/logs", "/auth/api-keys", "/admin/sagas"):
        assert auditor.get(path).status_code == 200, path
    for path, body in (
        ("/users", {"externalUserId": f"audit-{uuid.uuid4()}"}),
        ("/auth/api-keys", {"name": "from an auditor", "scopes": ["read"]}),
    ):
        refused = auditor.post(path, json=body)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "INSUFFICIENT_SCOPE"


def test_a_revoked_key_is_refused_at_once(stack: Stack) -> None:
    key = stack.key("read")
    client = stack.client(key)
    assert client.get("/me").status_code == 200
    key_id = client.get("/me").json()["data"]["apiKeyId"]
    assert stack.client().delete(f"/auth/api-keys/{key_id}").status_code == 200
    refused = client.get("/me")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "INVALID_API_KEY"


def test_a_key_revoked_on_one_api_process_is_refused_by_the_next_request_on_another(
    stack: Stack,
) -> None:
    key = stack.key("read")
    minted = stack.client(key).post("/auth/token", json={})
    assert minted.status_code == 201, minted.text
    token = str(minted.json()["data"]["token"])
    with api_instance(stack) as other:
        elsewhere = httpx.Client(base_url=other.base_url, headers=bearer(key), timeout=60)
        with elsewhere:
            for _ in range(3):  # remembered there: these read nothing from the log
                assert elsewhere.get("/me").status_code == 200
                assert elsewhere.get("/me", headers=bearer(token)).status_code == 200
            key_id = elsewhere.get("/me").json()["data"]["apiKeyId"]
            assert stack.client().delete(f"/auth/api-keys/{key_id}").status_code == 200
            refused = elsewhere.get("/me")
            assert refused.status_code == 401, refused.text
            assert refused.json()["error"]["code"] == "INVALID_API_KEY"
            # Its short-lived tokens die with it, there too.
            assert elsewhere.get("/me", headers=bearer(token)).status_code == 401
    assert stack.client(key).get("/me").status_code == 401


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_unknown_or_garbled_key_is_invalid(stack: Stack) -> None:
    for token in ("nope", "ohk_live_key_" + "0" * 22 + "_" + "a" * 48, "Basic abc"):
        response = stack.client(token).get("/me")
        assert response.status_code == 401


def test_an_expired_key_is_refused(stack: Stack) -> None:
    response = stack.client().post(
        "/auth/api-keys",
        json={"name": "past", "scopes": ["read"], "expiresAt": "2001-01-01T00:00:00Z"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_keys_are_listed_masked_with_their_last_use(stack: Stack) -> None:
    key = stack.key("read")
    key_id = stack.client(key).get("/me").json()["data"]["apiKeyId"]
    stack.caught_up()
    listed = stack.client().get("/auth/api-keys", params={"limit": 100}).json()["data"]
    mine = next(k for k in listed if k["id"] == key_id)
    assert mine["maskedKey"].endswith(key[-4:])
    assert key not in str(listed)
    assert mine["lastUsedAt"] is not None
    assert mine["status"] == "ACTIVE"
