"""Rows for `COPY … FROM STDIN` written as PostgreSQL's text format, many rows per write.

The append-only tables (the event feed, statement lines) take each page with one COPY. Sending
its rows through psycopg's `write_row` costs a dumper call per value, and through the storable
cursor a Python one per string; a rebuild writes millions. Here a row is one line built from
its values by type, strings escaped as `storable` does (so a NUL is stored as `\\u0000`, exactly
as through the storable cursor) and then as COPY's text format requires, and lines are sent in
blocks of about BLOCK_CHARS. The table holds the same values either way
(tests/integration/test_copy_text.py writes both and compares them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from psycopg import Copy

from projections.storable import storable

# Lines are sent once they add up to about this many characters.
BLOCK_CHARS: Final = 64 * 1024
NULL: Final = "\\N"
# What COPY's text format escapes in a value: the backslash, and the row and column separators.
_SPECIAL: Final = re.compile(r"[\\\n\r\t]")
_ESCAPES: Final = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def field(value: Any) -> str:
    """One value as a COPY text field."""
    if value is None:
        return NULL
    kind = type(value)
    if kind is str:
        return _escaped(storable(value))
    if kind is int:
        return str(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is list:
        return _escaped(_array(value))
    if kind is datetime:
        return value.isoformat()
    raise TypeError(f"{kind.__name__} has no COPY text form here")


def line(values: Iterable[Any]) -> str:
    return "\t".join([field(value) for value in values]) + "\n"


def _escaped(text: str) -> str:
    return text if _SPECIAL.search(text) is None else text.translate(_ESCAPES)


def _array(items: list[Any]) -> str:
    """A one-dimensional text[] literal: every element quoted (so none reads as NULL or splits
    at a comma or brace), its quotes and backslashes escaped."""
    elements = []
    for item in items:
        if item is None:
            elements.append("NULL")
            continue
        text = storable(str(item))
        elements.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(elements) + "}"


class Lines:
    """Collects lines and writes them to `copy` in blocks; `close` writes the rest."""

    def __init__(self, copy: Copy) -> None:
        self._copy = copy
        self._pending: list[str] = []
        self._size = 0

    def write(self, values: Iterable[Any]) -> None:
        text = line(values)
        self._pending.append(text)
        self._size += len(text)
        if self._size >= BLOCK_CHARS:
            self._flush()

    def close(self) -> None:
        self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._copy.write("".join(self._pending))
            self._pending, self._size = [], 0
