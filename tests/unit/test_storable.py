"""The escape projections write strings with: only what PostgreSQL cannot store changes, and a
projection's cursor sends every other string exactly as psycopg would."""

from __future__ import annotations

import psycopg
from psycopg.adapt import AdaptersMap, PyFormat

from projections.storable import storable, storable_cursor, storable_json, storable_value

NUL = "\x00"
SURROGATE = "\ud83d"


class CursorLike:
    """What `storable_cursor` touches of a cursor: its own copy of the adapters."""

    def __init__(self) -> None:
        self.adapters = AdaptersMap(psycopg.adapters)


def test_the_escape_changes_only_what_postgresql_cannot_store() -> None:
    assert storable("plain \\u0000 text, ünïcödé 🎉") == "plain \\u0000 text, ünïcödé 🎉"
    assert storable(f"a{NUL}b{SURROGATE}c\udfff") == "a\\u0000b\\ud83dc\\udfff"


def test_every_string_inside_a_json_value_is_escaped_keys_included() -> None:
    assert storable_value({NUL: [SURROGATE, 3, None]}) == {"\\u0000": ["\\ud83d", 3, None]}
    assert storable_json({"k": f"v{NUL}"}) == '{"k": "v\\\\u0000"}'


def test_a_projection_cursor_escapes_strings_and_still_sends_them_untyped() -> None:
    cursor = CursorLike()
    storable_cursor(cursor)  # type: ignore[arg-type]
    for fmt in (PyFormat.AUTO, PyFormat.TEXT, PyFormat.BINARY):
        dumper = cursor.adapters.get_dumper(str, fmt)(str)
        assert bytes(dumper.dump(f"a{NUL}b")) == b"a\\u0000b"
    # Untyped (oid 0) for `%s`, as psycopg sends a str by default, so casts work as before.
    assert cursor.adapters.get_dumper(str, PyFormat.AUTO)(str).oid == 0
    assert psycopg.adapters.get_dumper(str, PyFormat.AUTO) is not (
        cursor.adapters.get_dumper(str, PyFormat.AUTO)
    )
