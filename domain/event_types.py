"""Event type patterns: how SSE clients, webhook endpoints and auditors say which events they want.

A pattern is an exact wire name (`balance.credited`), every event of one resource (`order.*`) or
everything (`*`). Patterns are checked when they are given, so a typo is a 400 rather than a
filter that silently never matches. No patterns at all means every event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from domain.errors import ValidationError

EVERYTHING: Final = "*"
PATTERNS_MAX: Final = 50
PATTERN_LENGTH_MAX: Final = 100
_PATTERN: Final = re.compile(r"\*|[a-z][a-z0-9_]*\.(?:\*|[a-z][a-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class TypeFilter:
    exact: frozenset[str]
    # `order.*` is kept as the prefix `order.`.
    prefixes: tuple[str, ...]
    everything: bool

    @classmethod
    def parse(cls, patterns: Iterable[str], field: str = "types") -> TypeFilter:
        """Patterns as given; each item may also hold several, separated by commas."""
        items = [p.strip() for raw in patterns for p in raw.split(",") if p.strip()]
        if len(items) > PATTERNS_MAX:
            raise ValidationError(f"at most {PATTERNS_MAX} event types", field=field)
        for item in items:
            if len(item) > PATTERN_LENGTH_MAX or not _PATTERN.fullmatch(item):
                raise ValidationError(
                    "an event type is a name like 'balance.credited', a resource wildcard like"
                    " 'order.*', or '*'",
                    field=field,
                    value=item[:PATTERN_LENGTH_MAX],
                )
        everything = not items or EVERYTHING in items
        return cls(
            exact=frozenset(i for i in items if not i.endswith("*")),
            prefixes=tuple(sorted({i[:-1] for i in items if i.endswith(".*")})),
            everything=everything,
        )

    @property
    def patterns(self) -> list[str]:
        """The canonical list form, as stored on a webhook endpoint."""
        if self.everything:
            return [EVERYTHING]
        return sorted(self.exact) + [f"{prefix}*" for prefix in self.prefixes]

    def matches(self, type_name: str) -> bool:
        return (
            self.everything
            or type_name in self.exact
            or any(type_name.startswith(prefix) for prefix in self.prefixes)
        )


ALL_TYPES: Final = TypeFilter(frozenset(), (), everything=True)
