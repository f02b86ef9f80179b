"""The headers the edge reads and writes on every route, as OpenAPI components: request headers
(`components/parameters`) and response headers (`components/headers`).

They are the edge's (edge/middleware.py, edge/admission.py, edge/read_your_writes.py,
edge/prefer.py), not any handler's, so no handler signature names them; the document adds each
to the operations it applies to (contract/document.py).
"""

from __future__ import annotations

from typing import Any, Final

from interfaces.http.edge.admission import IDEMPOTENCY_KEY_LENGTH_MAX
from interfaces.http.edge.edge_state import REQUEST_ID_LENGTH_MAX
from interfaces.http.edge.prefer import PREFER_WAIT_MAX_S
from interfaces.http.edge.read_your_writes import MIN_POSITION_WAIT_S

REQUEST_ID: Final = "RequestId"
IDEMPOTENCY_KEY: Final = "IdempotencyKey"
PREFER: Final = "Prefer"
MIN_POSITION: Final = "MinPosition"


def request_headers() -> dict[str, Any]:
    return {
        REQUEST_ID: {
            "name": "X-Request-ID",
            "in": "header",
            "required": False,
            "description": "Your id for this request, echoed on the answer and stamped on the "
            "events it records (one is generated when absent or malformed).",
            "schema": {
                "type": "string",
                "pattern": rf"^[A-Za-z0-9._:\-]{{1,{REQUEST_ID_LENGTH_MAX}}}$",
                "examples": ["req-7f3a"],
            },
        },
        IDEMPOTENCY_KEY: {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Makes a retry safe: the same key (per API key, method and path) with "
            "the same body replays the first answer with `Idempotency-Replay: true`; with another "
            "body it is 409 IDEMPOTENCY_KEY_REUSED, and while the first is still running 409 "
            "IDEMPOTENCY_KEY_IN_PROGRESS. Kept 24 h by default.",
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": IDEMPOTENCY_KEY_LENGTH_MAX,
                "pattern": r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$",
                "examples": ["credit-2026-03-01-alice"],
            },
        },
        PREFER: {
            "name": "Prefer",
            "in": "header",
            "required": False,
            "description": "`wait=N` (RFC 7240): wait up to N seconds (at most "
            f"{PREFER_WAIT_MAX_S:g}) for the command to settle, then answer 200 with the settled "
            "resource; past N, 202 with the resource in flight.",
            "schema": {"type": "string", "pattern": r"^wait=[0-9]{1,5}$", "examples": ["wait=10"]},
        },
        MIN_POSITION: {
            "name": "X-Min-Position",
            "in": "header",
            "required": False,
            "description": "Read-your-writes: the `meta.position` of a command you made. The read "
            "is answered once the read models it uses have applied that position, waiting at most "
            f"{MIN_POSITION_WAIT_S:g} s; past that the answer is 503 POSITION_NOT_REACHED with "
            "`Retry-After` (never stale data). A position beyond the log's end is a 400.",
            "schema": {"type": "string", "pattern": r"^[0-9]{1,18}$", "examples": ["42"]},
        },
    }


def _header(description: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


def response_headers() -> dict[str, Any]:
    integer = {"type": "string", "pattern": r"^[0-9]+$"}
    return {
        "X-Request-ID": _header(
            "The request's id (yours when you sent a sane one).", {"type": "string"}, True
        ),
        "X-RateLimit-Limit": _header("Requests allowed per minute for this key.", integer),
        "X-RateLimit-Remaining": _header("Requests left in the current window.", integer),
        "X-RateLimit-Reset": _header("When the window resets (Unix seconds).", integer),
        "Retry-After": _header("Seconds to wait before trying again.", integer),
        "Idempotency-Replay": _header(
            "`true` when this answer replays the first one sent with this Idempotency-Key.",
            {"type": "string", "enum": ["true"]},
        ),
    }


def success_headers(mutating: bool) -> dict[str, Any]:
    names = ["X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
    if mutating:
        names.append("Idempotency-Replay")
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def error_headers(status: int) -> dict[str, Any]:
    names = ["X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
    if status in (429, 503):
        names.append("Retry-After")
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}
