"""The OpenAPI 3.1 document: what Litestar generates from the handlers (paths, parameters, bodies,
docstrings), completed from what the routes declare and what the edge does, so it says what the
server answers:

- security: a bearer scheme; each operation requires the scope its `opt` declares (public and
  signature-checked routes require none);
- the edge's request headers (X-Request-ID everywhere, Idempotency-Key on writes, X-Min-Position
  where the handler reads a read model, Prefer where it waits) and response headers;
- every status: the decorator's and the declared alternatives (contract/answers.py), and the
  error statuses of the route's kind — 400 always, 401/403 behind a key, 404 with a path id,
  409/413 on writes, 429 and 503 everywhere — each with the error envelope and its codes;
- one example per request body and per success answer, `text/event-stream` for the event
  stream, the raw body of incoming webhooks, `additionalProperties: false` on request bodies.

Built once per app from its routes; never edited by hand.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Final

import msgspec
from litestar import Litestar
from litestar.routes import HTTPRoute

from domain import identifiers
from domain.api_keys import SCOPES
from interfaces.http.contract import headers
from interfaces.http.contract.answers import RAW_BODY_KEY, declared_answers
from interfaces.http.contract.error_envelope import REASONS, error_schemas, schema_name
from interfaces.http.contract.examples import example_of
from interfaces.http.edge.admission import AUTHENTICATED, MUTATING_METHODS, PUBLIC, SIGNATURE
from interfaces.http.schemas.wire import Request, id_example, id_pattern

BEARER: Final = "bearer"
# Path parameters that are public ids, by name.
PATH_IDS: Final = {
    "user_id": identifiers.USER,
    "order_id": identifiers.ORDER,
    "dispute_id": identifiers.DISPUTE,
    "withdrawal_id": identifiers.WITHDRAWAL,
    "key_id": identifiers.API_KEY,
    "endpoint_id": identifiers.WEBHOOK_ENDPOINT,
    "topup_id": identifiers.TOPUP,
}
EVENT_STREAM: Final = "text/event-stream"
ALWAYS: Final = (400, 429, 503)
SUCCESS: Final = {
    "200": "The resource.",
    "201": "Created.",
    "202": "Accepted: recorded, its on-chain steps in flight (follow them on GET, SSE or "
    "webhooks, or send `Prefer: wait=N`).",
}
_ENVELOPE: Final = re.compile(r"^Envelope_(list_)?(?:[A-Za-z0-9_]+\.)*([A-Za-z0-9]+?)(?:Body)?_$")
INTRODUCTION: Final = """\
The Ledgerline HTTP API: an event-sourced payments ledger and escrow orchestrator for
marketplaces on Stellar, in the shape of the OFFER-HUB Orchestrator's API.

- **Authentication**: `Authorization: Bearer <key>` (an API key or a short-lived token from
  `POST /auth/token`); each operation lists the scope it needs (`admin` and `*` grant all; `audit`
  grants every GET and no write).
- **Answers**: `{"data", "meta": {"requestId", "timestamp", "position"?, "pagination"?}}`;
  errors are `{"error": {"code", "message", "details"?, "requestId"}}`.
- **Retries**: send an `Idempotency-Key` on every write; replays carry `Idempotency-Replay`.
- **Read-your-writes**: send a command's `meta.position` as `X-Min-Position` on reads.
- **Asynchronous commands** answer 202; `Prefer: wait=N` waits up to N s for 200.
"""


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    scope: str
    declared: dict[str, Any]
    reads_models: bool
    path_params: bool
    media_type: str
    raw_body: type | None


def operations(app: Litestar) -> list[Operation]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method == "OPTIONS":
                continue
            found.append(
                Operation(
                    path=route.path_format or "/",
                    method=method.lower(),
                    scope=str(handler.opt.get("scope")),
                    declared=declared_answers(handler.opt),
                    reads_models="read_your_writes" in handler.parsed_fn_signature.parameters,
                    path_params=bool(route.path_parameters),
                    media_type=str(handler.media_type),
                    raw_body=handler.opt.get(RAW_BODY_KEY),
                )
            )
    return found


class Contract:
    """The app's document, completed on first use and kept."""

    def __init__(self) -> None:
        self._document: dict[str, Any] | None = None

    def document(self, app: Litestar) -> dict[str, Any]:
        if self._document is None:
            generated = copy.deepcopy(app.openapi_schema.to_schema())
            self._document = complete(generated, operations(app))
        return self._document


def complete(document: dict[str, Any], found: list[Operation]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _rename_envelopes(document)
    _close_request_bodies(schemas)
    statuses: set[int] = set()
    for operation in found:
        spec = document["paths"].get(operation.path, {}).get(operation.method)
        if spec is None:  # not in the schema (the docs pages themselves)
            continue
        statuses |= _complete_operation(spec, operation, schemas)
    schemas.update(error_schemas(sorted(statuses)))
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (`ohk_live_key_…`), the master key, or a short-lived "
            "token (`ohk_tok_…`). Each operation names the scope it needs.",
        }
    }
    components["parameters"] = headers.request_headers()
    components["headers"] = headers.response_headers()
    components["responses"] = {
        schema_name(status): _error_response(status) for status in sorted(statuses)
    }
    document["info"]["description"] = INTRODUCTION
    document["components"] = {key: components[key] for key in sorted(components)}
    return document


def _complete_operation(
    spec: dict[str, Any], operation: Operation, schemas: dict[str, Any]
) -> set[int]:
    mutating = operation.method.upper() in MUTATING_METHODS
    spec["security"] = _security(operation.scope)
    parameters = [_query_or_path(p) for p in spec.get("parameters", [])]
    wanted = [headers.REQUEST_ID]
    if mutating:
        wanted.append(headers.IDEMPOTENCY_KEY)
    if operation.declared["waits"]:
        wanted.append(headers.PREFER)
    if operation.reads_models:
        wanted.append(headers.MIN_POSITION)
    parameters += [{"$ref": f"#/components/parameters/{name}"} for name in wanted]
    spec["parameters"] = parameters
    if operation.raw_body is not None:
        spec["requestBody"] = _raw_body(operation.raw_body, schemas)
    body = spec.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None and "schema" in body:
        body["example"] = example_of(body["schema"], schemas)
    responses = spec.get("responses", {})
    success = {code: answer for code, answer in responses.items() if code.startswith("2")}
    primary_code, primary = next(iter(success.items()))
    if operation.media_type == EVENT_STREAM:
        primary["content"] = _event_stream()
    else:
        content = primary.get("content", {}).get("application/json", {})
        if "schema" in content:
            content["example"] = example_of(content["schema"], schemas)
    primary["description"] = SUCCESS.get(primary_code, primary.get("description", ""))
    primary["headers"] = headers.success_headers(mutating)
    answered: dict[str, Any] = {primary_code: primary}
    for status, meaning in operation.declared["also"].items():
        answered[str(status)] = (
            _redirect(meaning) if 300 <= status < 400 else _alternative(primary, meaning)
        )
    errors = _error_statuses(operation, mutating)
    for status in errors:
        error = {"$ref": f"#/components/responses/{schema_name(status)}"}
        declared = answered.get(str(status))
        answered[str(status)] = error if declared is None else _either(declared, status)
    spec["responses"] = {code: answered[code] for code in sorted(answered)}
    return errors


def _alternative(primary: dict[str, Any], meaning: str) -> dict[str, Any]:
    alternative = copy.deepcopy(primary)
    alternative["description"] = meaning
    return alternative


def _redirect(meaning: str) -> dict[str, Any]:
    """A redirect has no body: where it sends the browser is its `Location`."""
    location = {"description": "Where to go.", "schema": {"type": "string", "format": "uri"}}
    return {"description": meaning, "headers": {"Location": location}}


def _either(declared: dict[str, Any], status: int) -> dict[str, Any]:
    """A status the route answers with its own body and the edge with the error envelope."""
    content = declared["content"]["application/json"]
    content["schema"] = {
        "oneOf": [content["schema"], {"$ref": f"#/components/schemas/{schema_name(status)}"}]
    }
    declared["headers"] = headers.error_headers(status)
    return declared


def _security(scope: str) -> list[dict[str, list[str]]]:
    if scope in (PUBLIC, SIGNATURE):
        return []
    return [{BEARER: [] if scope == AUTHENTICATED else [scope]}]


def _error_statuses(operation: Operation, mutating: bool) -> set[int]:
    statuses = set(ALWAYS) | set(operation.declared["errors"])
    if operation.scope == SIGNATURE or operation.scope not in (PUBLIC,):
        statuses.add(401)
    if operation.scope in SCOPES:
        statuses.add(403)
    if operation.path_params:
        statuses.add(404)
    if mutating:
        statuses |= {409, 413}
    return statuses


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": REASONS.get(status, "An error."),
        "headers": headers.error_headers(status),
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name(status)}"}}
        },
    }


def _query_or_path(parameter: dict[str, Any]) -> dict[str, Any]:
    """A query value is a string or absent, never JSON null: drop Litestar's null branch. A
    path id has its kind's shape (`user_id` is a `usr_…`)."""
    schema = parameter.get("schema", {})
    prefix = PATH_IDS.get(parameter.get("name", "")) if parameter.get("in") == "path" else None
    if prefix is not None:
        schema.update(pattern=id_pattern(prefix), examples=[id_example(prefix)])
    for union in ("oneOf", "anyOf"):
        choices = [c for c in schema.get(union, []) if c.get("type") != "null"]
        if union in schema and len(choices) == 1:
            rest = {k: v for k, v in schema.items() if k != union}
            parameter["schema"] = {**choices[0], **rest}
    for noise in ("deprecated", "allowEmptyValue", "allowReserved"):
        if parameter.get(noise) is False:
            del parameter[noise]
    return parameter


def _event_stream() -> dict[str, Any]:
    return {
        EVENT_STREAM: {
            "schema": {
                "type": "string",
                "description": "Server-sent events. Each event is `id: <log position>`, "
                "`event: <type>`, `data: <event envelope as JSON>`; the first also carries "
                "`retry: <ms>`; a comment line (`: heartbeat`) keeps idle streams open. "
                "Reconnect with `Last-Event-ID: <last id>` to resume without loss or repeats.",
            },
            "example": 'retry: 3000\nid: 42\nevent: balance.credited\ndata: {"eventId": '
            '"evt_4fZ6hq1TtWvGk8Xb2LcN0e", "type": "balance.credited", "data": {}}\n\n',
        }
    }


def _raw_body(struct: type, schemas: dict[str, Any]) -> dict[str, Any]:
    (schema,), defined = msgspec.json.schema_components(
        [struct], ref_template="#/components/schemas/{name}"
    )
    schemas.update(defined)
    return {
        "required": True,
        "description": "The raw bytes are what the signature covers: send them unchanged.",
        "content": {"application/json": {"schema": schema, "example": example_of(schema, schemas)}},
    }


def _rename_envelopes(document: dict[str, Any]) -> None:
    """`Envelope_interfaces.http.schemas.users.UserBody_` is `UserEnvelope` (a list's is
    `UserListEnvelope`), and every reference follows."""
    schemas = document["components"]["schemas"]
    renames = {}
    for name in list(schemas):
        match = _ENVELOPE.match(name)
        if match:
            renames[name] = f"{match.group(2)}{'List' if match.group(1) else ''}Envelope"
    for old, new in renames.items():
        schemas[new] = schemas.pop(old)
        schemas[new]["title"] = new
    refs = {
        f"#/components/schemas/{old}": f"#/components/schemas/{new}" for old, new in renames.items()
    }
    _rewrite_refs(document, refs)


def _rewrite_refs(node: Any, refs: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in refs:
            node["$ref"] = refs[ref]
        for value in node.values():
            _rewrite_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, refs)


def _close_request_bodies(schemas: dict[str, Any]) -> None:
    """Request bodies refuse unknown fields (`forbid_unknown_fields`): say so."""
    pending: list[type] = [Request]
    while pending:
        klass = pending.pop()
        pending.extend(klass.__subclasses__())
        if klass.__name__ in schemas:
            schemas[klass.__name__]["additionalProperties"] = False
