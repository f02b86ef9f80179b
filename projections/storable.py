"""Storable text: how a projection writes strings PostgreSQL cannot hold.

The edge refuses NUL and lone UTF-16 surrogates (interfaces/http/schemas/wire.py), but logs
written before it may hold such strings, and the log is forever: a projection must still apply
those events, or one old string stalls its read model, and every rebuild, for good.

So every string a projection handler passes to PostgreSQL — a text column, an element of a text
array, a string anywhere inside a json/jsonb value, object keys included — is escaped on the way
in, at one place: the cursor the store hands to handlers (`storable_cursor`). The escape writes
each unstorable code point as the six characters of its JSON escape, backslash-u and four lower-case
hex digits: NUL becomes `\\u0000`, a lone surrogate U+D800 becomes `\\ud800`. Every other string is
written unchanged, so clean rows are byte for byte what they were. The escape is a pure function
of the string, so a rebuild writes exactly what incremental processing wrote.

In practice only NUL reaches a projection: the event store writes events as UTF-8, so it refuses
to record a lone surrogate at all. Surrogates are escaped anyway, since the rule costs nothing and
an event decoded from any other source is then no poison either.

It is not reversible: a string that already spelled `\\u0000` literally reads back the same as one
that held a NUL. Only strings from before the edge check can contain the latter, and a read model
that needs them apart (a unique column) then fails on that event, which stops only that
projection and shows in readiness (see projections/stalls.py).
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from psycopg import Cursor
from psycopg.types.json import set_json_dumps
from psycopg.types.string import StrBinaryDumper, StrDumper, StrDumperUnknown

# NUL (PostgreSQL text and jsonb refuse it) and every surrogate code point; a surrogate in a
# Python str is always unpaired, since a valid pair decodes to one astral code point.
UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")
SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _escape_match(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def storable(text: str) -> str:
    """`text` with every code point PostgreSQL cannot store written as its `\\uXXXX` escape."""
    # Every string inside a json value passes here: the common case (no NUL, and ASCII or no
    # surrogate) returns without running the substitution.
    if "\x00" not in text and (text.isascii() or SURROGATE.search(text) is None):
        return text
    return UNSTORABLE.sub(_escape_match, text)


def storable_value(value: Any) -> Any:
    """`value` with `storable` applied to every string inside it (dict keys too)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable_value(k): storable_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_value(v) for v in value]
    return value


def storable_json(value: Any) -> str:
    """The JSON text of `value` as json/jsonb columns receive it from a projection."""
    return json.dumps(storable_value(value))


class _Escaping:
    """Mixed into psycopg's str dumpers: the escape before their own encoding."""

    def dump(self, obj: str) -> bytes:
        # storable(obj), inlined: it runs once per string parameter. A NUL is looked for; a
        # lone surrogate is found by the UTF-8 encoding the dumper does anyway.
        if "\x00" in obj:
            obj = UNSTORABLE.sub(_escape_match, obj)
        try:
            return super().dump(obj)  # type: ignore[misc, no-any-return]
        except UnicodeEncodeError:
            return super().dump(UNSTORABLE.sub(_escape_match, obj))  # type: ignore[misc, no-any-return]


class _StorableUnknown(_Escaping, StrDumperUnknown):  # type: ignore[misc]
    pass


class _StorableText(_Escaping, StrDumper):  # type: ignore[misc]
    pass


class _StorableBinary(_Escaping, StrBinaryDumper):  # type: ignore[misc]
    pass


def storable_cursor(cursor: Cursor[Any]) -> Cursor[Any]:
    """`cursor`, made to escape every string parameter and json value it sends (its own
    adapters only: other cursors on the connection are untouched)."""
    adapters = cursor.adapters
    # psycopg's own order: the last one registered is the default for `%s`, and a str must
    # stay untyped there (PostgreSQL then casts it as the column needs), as without the escape.
    adapters.register_dumper(str, _StorableBinary)
    adapters.register_dumper(str, _StorableText)
    adapters.register_dumper(str, _StorableUnknown)
    set_json_dumps(storable_json, context=cursor)
    return cursor
