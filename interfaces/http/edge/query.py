"""Query strings: each route takes exactly the parameters its handler declares, in camelCase or in
OFFER-HUB's snake_case (`buyer_id` for `buyerId`), and refuses any other with a 400 naming it,
so a misspelt filter never silently widens a list.

The names come from Litestar's own parse of each handler (its kwargs model), so they are the
ones the handler reads and the OpenAPI document lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from litestar import Litestar
from litestar.enums import ParamType, ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Receive, Send

from domain.errors import ValidationError

_CAMEL_HUMP: Final = re.compile(r"(?<=[a-z0-9])([A-Z])")
NAMES_SHOWN_MAX: Final = 12


def snake_case(name: str) -> str:
    return _CAMEL_HUMP.sub(r"_\1", name).lower()


@dataclass(frozen=True)
class QueryNames:
    """One route's query parameters and the other spellings of them."""

    allowed: frozenset[str]
    aliases: dict[str, str]

    def canonical(self, raw: bytes) -> bytes:
        """The query string with every alias spelt ours; ValidationError for an unknown name or
        a name given under both spellings with different values."""
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, errors="replace")
        by_spelling: dict[str, dict[bool, list[str]]] = {}
        for name, value in pairs:
            ours = self.aliases.get(name, name)
            if ours not in self.allowed:
                shown = ", ".join(sorted(self.allowed)[:NAMES_SHOWN_MAX]) or "none"
                raise ValidationError(
                    f"unknown query parameter '{name[:64]}'; this route takes: {shown}",
                    field=name[:64],
                )
            by_spelling.setdefault(ours, {True: [], False: []})[ours != name].append(value)
        renamed = False
        for ours, values in by_spelling.items():
            if values[True]:
                renamed = True
                if values[False] and values[False] != values[True]:
                    raise ValidationError(
                        f"{ours} is given twice with different values", field=ours
                    )
        if not renamed:
            return raw
        # Both spellings with the same values: keep one of each value.
        kept = {ours: v[False] or v[True] for ours, v in by_spelling.items()}
        spelled = [(ours, value) for ours, values in kept.items() for value in values]
        return urlencode(spelled).encode("ascii")


def query_names(app: Litestar) -> dict[int, QueryNames]:
    """Every HTTP handler's query names, by the handler's id."""
    names: dict[int, QueryNames] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler, kwargs_model in route.route_handler_map.values():
            allowed = frozenset(
                p.field_alias
                for p in kwargs_model.expected_query_params
                if p.param_type is ParamType.QUERY
            )
            aliases = {snake_case(n): n for n in allowed if snake_case(n) != n}
            names[id(handler)] = QueryNames(allowed, aliases)
    return names


class QueryMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self) -> None:
        self._names: dict[int, QueryNames] | None = None

    async def handle(self, scope: Any, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        raw = scope.get("query_string") or b""
        if raw:
            if self._names is None:
                self._names = query_names(scope["app"])
            names = self._names.get(id(scope["route_handler"]))
            if names is not None:
                scope["query_string"] = names.canonical(raw)
        await next_app(scope, receive, send)
