"""Small pieces every controller uses: the scope marker and read-your-writes waiting."""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from domain.errors import ValidationError
from interfaces.bootstrap import Services
from interfaces.http.responses import Responder

# `?userId=` on list routes (camelCase on the wire like every other name).
UserIdQuery = Annotated[str | None, QueryParameter(name="userId")]

# The dependencies every handler may take, injected by parameter name.
AppServices = NamedDependency[Services]
Respond = NamedDependency[Responder]

# Read-your-writes: a GET may ask to see at least this position; we wait this long at most.
MIN_POSITION_HEADER: Final = "x-min-position"
MIN_POSITION_WAIT_S: Final = 5.0


PREFER_WAIT_MAX_S: Final = 30.0
_PREFER_WAIT = re.compile(r"(?:^|[;,\s])wait=(\d{1,5})(?:$|[;,\s])")


def prefer_wait_s(request: Request[Any, Any, Any]) -> float:
    """Seconds the client is willing to wait (RFC 7240 `Prefer: wait=N`), at most 30."""
    match = _PREFER_WAIT.search(request.headers.get("prefer", ""))
    return min(float(match.group(1)), PREFER_WAIT_MAX_S) if match else 0.0


def scope(name: str) -> dict[str, str]:
    """The `opt` of a route: the one scope it requires (see admission.py)."""
    return {"scope": name}


def await_position(request: Request[Any, Any, Any], services: Services, *projections: str) -> None:
    """Honours `X-Min-Position`: waits (bounded) until `projections` have applied it."""
    raw = request.headers.get(MIN_POSITION_HEADER)
    if raw is None:
        return
    if not raw.isdigit():
        raise ValidationError("X-Min-Position must be a non-negative integer")
    for name in projections:
        services.projections[name].wait_for(int(raw), MIN_POSITION_WAIT_S)
