"""COPY lines written by hand hold exactly what psycopg's `write_row` through the storable
cursor stores: the same values in every column type the append-only read models use."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.copy_text import BLOCK_CHARS, Lines
from projections.storable import storable_cursor

pytestmark = pytest.mark.integration

COLUMNS = (
    "a text, b bigint, c integer, d timestamptz, e text[], f boolean, g json, h numeric, i text"
)
# Characters COPY's text format or an array literal treats specially, what PostgreSQL cannot
# store (NUL, a lone surrogate), and whole strings that mean NULL to one of them.
AWKWARD = st.sampled_from(
    ["\\", "\t", "\n", "\r", '"', ",", "{", "}", " ", "\x00", "\ud800", "é", "🎉"]
)
TEXT = st.text(AWKWARD | st.characters(codec="utf-8"), max_size=8) | st.sampled_from(
    ["\\N", "NULL", "null", ""]
)
# What an envelope holds: JSON text with escapes of its own (a json column refuses a lone
# surrogate's escape, so none here).
JSON_TEXT = st.text(
    st.sampled_from(["\\", "\t", "\n", '"', "\x00", "é"]) | st.characters(codec="utf-8")
)
ROWS = st.lists(
    st.tuples(
        TEXT,
        st.integers(-(2**63), 2**63 - 1),
        st.integers(-(2**31), 2**31 - 1),
        st.datetimes(
            min_value=datetime(1970, 1, 2),
            max_value=datetime(2200, 1, 1),
            timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
        ),
        st.lists(TEXT, max_size=3),
        st.booleans(),
        JSON_TEXT.map(lambda text: json.dumps({"k": text, "n": [1, None]}, ensure_ascii=False)),
        st.integers(-(2**100), 2**100),
        st.none() | TEXT,
    ),
    min_size=1,
    max_size=6,
)


def stored(conn: psycopg.Connection[Any], table: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        f"SELECT a, b, c, d, e, f, g::text, h, i FROM {table} ORDER BY ctid"
    ).fetchall()


@settings(max_examples=150, deadline=None)
@given(ROWS)
def test_hand_written_lines_store_what_write_row_stores(
    database_url: str, rows: list[tuple[Any, ...]]
) -> None:
    with psycopg.connect(database_url) as conn:
        for table in ("by_psycopg", "by_lines"):
            conn.execute(f"CREATE TEMPORARY TABLE {table} ({COLUMNS})")
        with storable_cursor(conn.cursor()) as cursor:
            with cursor.copy("COPY by_psycopg FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            with cursor.copy("COPY by_lines FROM STDIN") as copy:
                lines = Lines(copy)
                for row in rows:
                    lines.write(row)
                lines.close()
        assert stored(conn, "by_lines") == stored(conn, "by_psycopg")


def test_a_page_larger_than_one_block_is_written_whole(database_url: str) -> None:
    rows = [(f"row {index}", index) for index in range(2 * BLOCK_CHARS // 8)]
    with psycopg.connect(database_url) as conn:
        conn.execute("CREATE TEMPORARY TABLE many (a text, b bigint)")
        with conn.cursor().copy("COPY many FROM STDIN") as copy:
            lines = Lines(copy)
            for row in rows:
                lines.write(row)
            lines.close()
        assert conn.execute("SELECT a, b FROM many ORDER BY b").fetchall() == rows
