"""Read-your-writes: a GET may send `X-Min-Position` (the `meta.position` of a command it made)
and is answered only once the read models it reads have applied that position, waiting at most
MIN_POSITION_WAIT_S. It is never answered stale: past the wait the answer is 503
POSITION_NOT_REACHED with `Retry-After`, and a position beyond the log's end (which no command
ever answered) is a 400 at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from litestar import Request

from domain.errors import ValidationError
from interfaces.http.edge.errors import PositionNotReachedError
from projections.store import ProjectionStore

MIN_POSITION_HEADER: Final = "x-min-position"
MIN_POSITION_WAIT_S: Final = 5.0
POSITION_DIGITS_MAX: Final = 18
RETRY_AFTER_S: Final = 1


class ReadYourWrites:
    def __init__(self, stores: Mapping[str, ProjectionStore], head: Callable[[], int]) -> None:
        self._stores = stores
        self._head = head

    def wait(self, request: Request[Any, Any, Any], *projections: str) -> None:
        """Honours `X-Min-Position`: waits (bounded) until `projections` have applied it."""
        raw = request.headers.get(MIN_POSITION_HEADER)
        if raw is None:
            return
        if not raw.isdigit() or len(raw) > POSITION_DIGITS_MAX:
            raise ValidationError(
                "X-Min-Position must be a non-negative integer", field="X-Min-Position"
            )
        wanted = int(raw)
        behind = [name for name in projections if self._stores[name].position() < wanted]
        if not behind:
            return
        head = self._head()
        if wanted > head:
            raise ValidationError(
                f"X-Min-Position {wanted} is beyond the log's last position ({head})",
                field="X-Min-Position",
                head=head,
            )
        for name in behind:
            if not self._stores[name].wait_for(wanted, MIN_POSITION_WAIT_S):
                raise PositionNotReachedError(
                    f"the {name} read model did not reach position {wanted} within "
                    f"{MIN_POSITION_WAIT_S:g} s",
                    readModel=name,
                    minPosition=wanted,
                    position=self._stores[name].position(),
                    retryAfter=RETRY_AFTER_S,
                )
