"""The error envelope in the OpenAPI document: one schema per status, `{"error": {code, message,
details?, requestId}}`, whose `code` is an enum of every code the server can send with that
status.

The codes come from the one error table (`interfaces/http/edge/errors.py`): each error class of
ours with the status it maps to, and the codes the edge gives framework errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from domain.errors import DomainError
from interfaces.http.edge.errors import _CODE_BY_STATUS, STATUS_BY_ERROR

OUR_PACKAGES: Final = ("domain.", "application.", "infrastructure.", "projections.", "interfaces.")
REASONS: Final = {
    400: "The request is malformed: a bad body, header, path or query value, or an unknown "
    "query parameter or body field.",
    401: "No API key, or one that is unknown, revoked or expired (for webhooks: a missing or "
    "wrong signature).",
    403: "The key lacks the scope this operation needs.",
    404: "The resource (or one the request names) does not exist.",
    409: "The resource is not in a state that allows this, or the Idempotency-Key is in use by "
    "another request or was used with another body.",
    413: "The body is larger than the server accepts.",
    415: "The body is not JSON.",
    422: "A business rule refused the request (funds, limits, destination).",
    429: "Too many requests for this key (or streams open): wait `Retry-After` seconds.",
    502: "A provider (Horizon, Trustless Work) answered with an error.",
    503: "A dependency is unavailable, a feature is not configured, or a read model did not reach "
    "`X-Min-Position` in time; retry after `Retry-After` seconds.",
    504: "A provider did not answer in time.",
}


def _ours(klass: type) -> bool:
    return klass.__module__.startswith(OUR_PACKAGES)


def _error_classes() -> Iterator[type[DomainError]]:
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        klass = pending.pop()
        yield klass
        pending.extend(klass.__subclasses__())


def _status(klass: type[DomainError]) -> int:
    for ancestor in klass.__mro__:
        if ancestor in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[ancestor]  # type: ignore[index]
    return 400


def codes_by_status() -> dict[int, list[str]]:
    """Every error code the server may answer, by HTTP status."""
    found: dict[int, set[str]] = {}
    for klass in _error_classes():
        if _ours(klass) and klass is not DomainError:
            found.setdefault(_status(klass), set()).add(klass.code)
    for status, code in _CODE_BY_STATUS.items():
        found.setdefault(status, set()).add(code)
    return {status: sorted(codes) for status, codes in sorted(found.items())}


def schema_name(status: int) -> str:
    return f"Error{status}"


def error_schemas(statuses: list[int]) -> dict[str, Any]:
    """The `ErrorNNN` component schemas for `statuses`."""
    codes = codes_by_status()
    schemas: dict[str, Any] = {}
    for status in statuses:
        enum = codes.get(status) or ["VALIDATION_ERROR"]
        schemas[schema_name(status)] = {
            "type": "object",
            "title": schema_name(status),
            "description": REASONS.get(status, ""),
            "required": ["error"],
            "additionalProperties": False,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "requestId"],
                    "additionalProperties": False,
                    "properties": {
                        "code": {"type": "string", "enum": enum, "examples": [enum[0]]},
                        "message": {"type": "string", "examples": ["what went wrong"]},
                        "details": {
                            "type": "object",
                            "description": "What was involved: the field, the limit, the ids.",
                            "additionalProperties": True,
                        },
                        "requestId": {"type": "string", "examples": ["req_3f1c2b7a9e0d"]},
                    },
                }
            },
        }
    return schemas
