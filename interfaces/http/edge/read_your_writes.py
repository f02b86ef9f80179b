"""Read-your-writes: a GET may send `X-Min-Position` (the `meta.position` of a command it made)
and is answered only once the read models it reads have applied that position, waiting at most
MIN_POSITION_WAIT_S. Past that it is answered from the model as it is; it is never refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from litestar import Request

from domain.errors import ValidationError
from projections.store import ProjectionStore

MIN_POSITION_HEADER: Final = "x-min-position"
MIN_POSITION_WAIT_S: Final = 5.0


class ReadYourWrites:
    def __init__(self, stores: Mapping[str, ProjectionStore]) -> None:
        self._stores = stores

    def wait(self, request: Request[Any, Any, Any], *projections: str) -> None:
        """Honours `X-Min-Position`: waits (bounded) until `projections` have applied it."""
        raw = request.headers.get(MIN_POSITION_HEADER)
        if raw is None:
            return
        if not raw.isdigit():
            raise ValidationError("X-Min-Position must be a non-negative integer")
        for name in projections:
            self._stores[name].wait_for(int(raw), MIN_POSITION_WAIT_S)
