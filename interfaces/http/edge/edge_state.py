"""What the edge learned about a request before its handler runs: its id, who is calling, its
idempotency claim, and whether its command already stored the response in-transaction."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Final

from application.api_keys import Principal
from infrastructure.postgres.idempotency import Claim, StoredResponse

STATE_KEY: Final = "ledgerline.edge"
REQUEST_ID_LENGTH_MAX: Final = 128
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
# W3C Trace Context: version-traceid-parentid-flags, lower-case hex.
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")


@dataclass
class EdgeState:
    request_id: str
    principal: Principal | None = None
    claim: Claim | None = None
    traceparent: str | None = None
    # The response a command stored with its events (its idempotency record is complete).
    stored_in_transaction: StoredResponse | None = None
    # The handler settled the claim itself (cached the stored response on its own thread), so
    # the edge need not hand it to another thread after the response.
    settled: bool = False


def header_of(scope: Any, name: bytes) -> str | None:
    """The first value of the request header `name` (lower-case bytes), if sent."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def request_id_from_headers(raw: str | None) -> str:
    """The caller's X-Request-ID when it is sane, otherwise a fresh one."""
    if raw and _REQUEST_ID.fullmatch(raw):
        return raw
    return f"req_{uuid.uuid4().hex}"


def traceparent_from_headers(raw: str | None) -> str | None:
    """The caller's `traceparent` when it is one; it is stored in events' metadata."""
    return raw if raw and _TRACEPARENT.fullmatch(raw) else None


def edge_state(scope: Any) -> EdgeState | None:
    state = scope.get("state") or {}
    value = state.get(STATE_KEY)
    return value if isinstance(value, EdgeState) else None


def request_id_from_scope(scope: Any) -> str:
    state = edge_state(scope)
    if state is not None:
        return state.request_id
    # Requests that never reached the edge (unknown routes) still get an id.
    scope.setdefault("state", {})
    generated = scope["state"].setdefault("ledgerline.request_id", request_id_from_headers(None))
    return str(generated)
