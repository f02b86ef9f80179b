"""The OpenAPI document says what the server does: every operation names its scope, headers,
statuses and error codes; every example fits its schema; the docs page needs no other host."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema_rs
import pytest

from domain.api_keys import SCOPES
from interfaces.http.app import DOCS_PATH
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def document(stack: Stack) -> dict[str, Any]:
    response = httpx.get(f"{stack.base_url}/docs/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, spec)
        for path, item in document["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    ]


def handlers(stack: Stack) -> dict[str, Any]:
    """operationId → route handler, from the app under test."""
    app = stack.server._server.config.app
    found = {}
    for route in app.routes:  # type: ignore[attr-defined]
        for handler in getattr(route, "route_handlers", ()):
            if handler.operation_id:
                found[handler.operation_id] = handler
    return found


def valid(document: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    root = {**schema, "components": document["components"]}
    jsonschema_rs.Draft202012Validator(root).validate(value)


def test_the_document_is_openapi_3_1_with_a_bearer_scheme(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}


def test_every_operation_requires_the_scope_its_route_declares(
    stack: Stack, document: dict[str, Any]
) -> None:
    by_id = handlers(stack)
    for method, path, spec in operations(document):
        declared = by_id[spec["operationId"]].opt["scope"]
        if declared in ("public", "signature"):
            assert spec["security"] == [], (method, path)
        elif declared == "authenticated":
            assert spec["security"] == [{"bearer": []}], (method, path)
        else:
            assert declared in SCOPES
            assert spec["security"] == [{"bearer": [declared]}], (method, path)
            assert {"401", "403"} <= set(spec["responses"]), (method, path)


def test_every_operation_has_a_description_headers_and_an_example(
    document: dict[str, Any],
) -> None:
    for method, path, spec in operations(document):
        assert spec.get("description"), f"{method} {path} has no description"
        refs = {p.get("$ref", "").rsplit("/", 1)[-1] for p in spec["parameters"]}
        assert "RequestId" in refs
        if method != "get":
            assert "IdempotencyKey" in refs, (method, path)
        success = [s for code, s in spec["responses"].items() if code.startswith("2")]
        assert success, (method, path)
        for answer in success:
            assert "X-Request-ID" in answer["headers"]
            assert any("example" in media for media in answer["content"].values()), (method, path)


def test_every_error_status_answers_the_error_envelope_with_its_codes(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    for method, path, spec in operations(document):
        for code, answer in spec["responses"].items():
            if code.startswith("2") or (code == "503" and path.endswith("/health/ready")):
                continue
            if code.startswith("3"):  # a redirect: no body, its Location says where
                assert "Location" in answer["headers"], (method, path, code)
                continue
            assert answer == {"$ref": f"#/components/responses/Error{code}"}, (method, path, code)
    assert (
        "IDEMPOTENCY_KEY_IN_PROGRESS"
        in (schemas["Error409"]["properties"]["error"]["properties"]["code"]["enum"])
    )
    assert (
        "POSITION_NOT_REACHED"
        in (schemas["Error503"]["properties"]["error"]["properties"]["code"]["enum"])
    )


def test_every_example_fits_its_schema(document: dict[str, Any]) -> None:
    for method, path, spec in operations(document):
        media = [spec.get("requestBody", {}).get("content", {}).get("application/json")]
        for code, answer in spec["responses"].items():
            if code.startswith("2"):
                media.append(answer["content"].get("application/json"))
        for item in media:
            if item is not None and "schema" in item:
                try:
                    valid(document, item["schema"], item["example"])
                except jsonschema_rs.ValidationError as error:
                    raise AssertionError(f"{method} {path}: {error.message}") from None


def test_statuses_states_and_shapes_are_stated(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    order = schemas["OrderBody"]["properties"]
    assert "IN_PROGRESS" in order["status"]["enum"]
    assert order["amount"]["pattern"].startswith("^")
    assert order["id"]["pattern"] == "^ord_[0-9A-Za-z]{22}$"
    assert "SPLIT" in schemas["ResolveDisputeRequest"]["properties"]["decision"]["enum"]
    assert schemas["CreateOrderRequest"]["additionalProperties"] is False
    credit = document["paths"]["/api/v1/users/{user_id}/balance/credit"]["post"]
    assert (
        set(credit["responses"]) >= {"200", "404", "409", "429"}
        and "201" not in credit["responses"]
    )
    escrow = document["paths"]["/api/v1/orders/{order_id}/escrow"]["post"]
    assert {"200", "202"} <= set(escrow["responses"])
    assert any(p.get("$ref", "").endswith("/Prefer") for p in escrow["parameters"])
    stream = document["paths"]["/api/v1/events"]["get"]
    assert "text/event-stream" in stream["responses"]["200"]["content"]
    assert any(p.get("name") == "Last-Event-ID" for p in stream["parameters"])
    webhook = document["paths"]["/api/v1/webhooks/trustless-work"]["post"]
    assert webhook["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "TrustlessWorkNotification"
    )


def test_the_docs_page_and_its_assets_come_from_the_service_itself(stack: Stack) -> None:
    origin = stack.base_url.removesuffix("/api/v1")
    page = httpx.get(f"{origin}{DOCS_PATH}", timeout=30)
    assert page.status_code == 200
    assert "swagger-ui" in page.text
    assert not re.search(r"(https?:)?//[A-Za-z0-9.-]+\.[a-z]{2,}", page.text), "an external URL"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) >= 4
    for asset in assets:
        assert asset.startswith(DOCS_PATH), asset
        fetched = httpx.get(f"{origin}{asset}", timeout=30)
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 100
