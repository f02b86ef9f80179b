"""The books, read the way an outside auditor reads them: straight from the event store's table
over a read-only SQL session, folded here, never through the service's code.

Each stored event is JSON; a money event carries `postings`, rows of `[debit, credit, stroops]`
that move `stroops` out of `debit` into `credit`. The fold checks, at every event, that no
`user:*` or `escrow:*` account goes negative, and at the end that all accounts sum to zero.
It also reads each read model's tracking position and finds the events around a position or
naming an id, for the failure report.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import psycopg

EVENTS_TABLE: Final = "ledger_events"
PAGE_SIZE: Final = 2000
GUARDED_PREFIXES: Final = ("user:", "escrow:")
STATE_EXCERPT_CHARS: Final = 240
QUERY_TIMEOUT_MS: Final = 60_000


@dataclass(frozen=True, slots=True)
class Break:
    position: int
    problem: str


@dataclass
class Fold:
    balances: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    breaks: list[Break] = field(default_factory=list)
    head: int = 0
    events: int = 0
    money_events: int = 0

    def guarded_total(self) -> int:
        return sum(v for k, v in self.balances.items() if k.startswith(GUARDED_PREFIXES))

    def user(self, user_id: str) -> tuple[int, int]:
        return self.balances.get(f"user:{user_id}:available", 0), self.balances.get(
            f"user:{user_id}:reserved", 0
        )


@contextmanager
def read_only(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A session that can only read (the auditor never writes the service's database)."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("SET default_transaction_read_only = on")
        conn.execute(f"SET statement_timeout = {QUERY_TIMEOUT_MS}")
        yield conn


def fold(url: str) -> Fold:
    books = Fold()
    with read_only(url) as conn:
        after = 0
        while True:
            rows = conn.execute(
                f"SELECT notification_id, state FROM {EVENTS_TABLE}"  # noqa: S608  (a constant)
                " WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
                (after, PAGE_SIZE),
            ).fetchall()
            for position, state in rows:
                _apply(books, position, bytes(state))
            if len(rows) < PAGE_SIZE:
                break
            after = rows[-1][0]
    total = sum(books.balances.values())
    if total != 0:
        books.breaks.append(Break(books.head, f"postings do not sum to zero ({total} stroops)"))
    return books


def _apply(books: Fold, position: int, state: bytes) -> None:
    books.head, books.events = position, books.events + 1
    try:
        event = json.loads(state)
    except ValueError:
        books.breaks.append(Break(position, "an event the auditor cannot read as JSON"))
        return
    postings = event.get("postings") if isinstance(event, dict) else None
    if not postings:
        return
    books.money_events += 1
    touched: set[str] = set()
    for row in postings:
        if not (isinstance(row, list) and len(row) == 3 and type(row[2]) is int and row[2] > 0):
            books.breaks.append(Break(position, f"a malformed posting {row!r}"))
            continue
        debit, credit, stroops = row
        books.balances[debit] -= stroops
        books.balances[credit] += stroops
        touched.update((debit, credit))
    for account in sorted(touched):
        if account.startswith(GUARDED_PREFIXES) and books.balances[account] < 0:
            books.breaks.append(
                Break(position, f"{account} went negative ({books.balances[account]})")
            )


def head(url: str) -> int:
    with read_only(url) as conn:
        row = conn.execute(f"SELECT max(notification_id) FROM {EVENTS_TABLE}").fetchone()  # noqa: S608
    return int(row[0] or 0) if row else 0


def tracking_positions(url: str) -> dict[str, int]:
    """Each read model's (and follower's) schema and the position it has applied."""
    positions = {}
    with read_only(url) as conn:
        schemas = conn.execute(
            "SELECT table_schema FROM information_schema.tables"
            " WHERE table_name = 'tracking' AND table_schema LIKE 'rm\\_%' ORDER BY 1"
        ).fetchall()
        for (schema,) in schemas:
            row = conn.execute(f'SELECT position FROM "{schema}".tracking').fetchone()  # noqa: S608
            positions[schema] = int(row[0]) if row else 0
    return positions


def events_around(url: str, position: int, radius: int = 4) -> list[str]:
    with read_only(url) as conn:
        rows = conn.execute(
            f"SELECT notification_id, topic, state FROM {EVENTS_TABLE}"  # noqa: S608
            " WHERE notification_id BETWEEN %s AND %s ORDER BY notification_id",
            (position - radius, position + radius),
        ).fetchall()
    return [_line(r, marked=r[0] == position) for r in rows]


def events_naming(url: str, text: str, limit: int = 12) -> list[str]:
    """The last events whose JSON mentions `text` (a public id, a transaction hash)."""
    with read_only(url) as conn:
        rows = conn.execute(
            f"SELECT notification_id, topic, state FROM {EVENTS_TABLE}"  # noqa: S608
            " WHERE position(%s in convert_from(state, 'UTF8')) > 0"
            " ORDER BY notification_id DESC LIMIT %s",
            (text, limit),
        ).fetchall()
    return [_line(r) for r in reversed(rows)]


def _line(row: tuple[Any, ...], marked: bool = False) -> str:
    position, topic, state = row
    excerpt = bytes(state).decode(errors="replace")
    if len(excerpt) > STATE_EXCERPT_CHARS:
        excerpt = excerpt[:STATE_EXCERPT_CHARS] + "…"
    return f"{'>' if marked else ' '} {position:>7} {topic.split(':')[-1]:<32} {excerpt}"
