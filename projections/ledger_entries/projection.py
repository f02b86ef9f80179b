"""Statement lines: one line per side of every posting, with the account's running balance.

Lines are appended in log order, a page at a time (folded in memory, written with COPY), so each
account's running balance is the fold of its postings up to that position — the same number an
auditor gets by replaying the log. Running balances are `numeric`: only user and escrow accounts
have a ceiling within bigint, and the external and platform accounts those are credited from grow
without one.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any, ClassVar, Final

from psycopg import Cursor

from domain import identifiers
from domain.postings import from_rows
from projections.copy_text import Lines
from projections.event_feed.catalogue import CATALOGUE
from projections.projection import Projection


class LedgerEntriesProjection(Projection):
    name = "ledger_entries"
    # 2: running balances are numeric, since accounts without a ceiling (platform:fees,
    # external:*) may sum past bigint (domain/ceilings.py); single amounts stay bigint.
    # 3: lines are indexed by event, for GET /transactions/{eventId}.
    version = 3
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE entries (
            account                text        NOT NULL,
            position               bigint      NOT NULL,
            line                   integer     NOT NULL,
            event_id               text        NOT NULL,
            event_type             text        NOT NULL,
            amount_stroops         bigint      NOT NULL,
            balance_after_stroops  numeric     NOT NULL,
            counterparty           text        NOT NULL,
            occurred_at            timestamptz NOT NULL,
            PRIMARY KEY (account, position, line)
        )""",
        """CREATE TABLE account_balances (
            account         text   PRIMARY KEY,
            balance_stroops numeric NOT NULL,
            position        bigint NOT NULL
        )""",
    )

    indexes: ClassVar[tuple[str, ...]] = ("CREATE INDEX entries_event_idx ON entries (event_id)",)

    @property
    def event_classes(self) -> tuple[type, ...]:
        return tuple(c for c in CATALOGUE if "postings" in _fields(c))

    batched = True

    def apply(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        self.apply_page(cursor, [(position, event)])

    def apply_page(self, cursor: Cursor[Any], events: list[tuple[int, Any]]) -> None:
        """The page's lines, folded in memory from each touched account's last balance: one
        SELECT of those balances, one COPY of the lines, one multi-row upsert of the balances."""
        lines = list(_lines(events))
        if not lines:
            return
        touched = sorted({line[0] for line in lines})
        rows = cursor.execute(
            "SELECT account, balance_stroops FROM account_balances WHERE account = ANY(%s)",
            (touched,),
        ).fetchall()
        running = {account: 0 for account in touched}
        running.update({row["account"]: int(row["balance_stroops"]) for row in rows})
        last_position: dict[str, int] = {}
        with cursor.copy(_COPY_ENTRIES) as copy:
            written = Lines(copy)
            for account, position, line, event_id, event_type, amount, counterparty, at in lines:
                running[account] += amount
                last_position[account] = position
                written.write(
                    (account, position, line, event_id, event_type, amount, running[account],
                     counterparty, at)
                )  # fmt: skip
            written.close()
        cursor.execute(
            "INSERT INTO account_balances AS b (account, balance_stroops, position)"
            " SELECT * FROM unnest(%s::text[], %s::numeric[], %s::bigint[])"
            " ON CONFLICT (account) DO UPDATE"
            " SET balance_stroops = EXCLUDED.balance_stroops, position = EXCLUDED.position",
            (touched, [running[a] for a in touched], [last_position[a] for a in touched]),
        )


_COPY_ENTRIES: Final = (
    "COPY entries (account, position, line, event_id, event_type, amount_stroops,"
    " balance_after_stroops, counterparty, occurred_at) FROM STDIN"
)
Line = tuple[str, int, int, str, str, int, str, Any]


def _lines(events: list[tuple[int, Any]]) -> Iterator[Line]:
    """Both sides of every posting of `events`, in log order: the debited account's line
    first (a negative amount), then the credited one's."""
    for position, event in events:
        postings = from_rows(getattr(event, "postings", ()))
        if not postings:
            continue
        event_id = identifiers.event_id(event.originator_id, event.originator_version)
        event_type = CATALOGUE[type(event)].type
        line = 0
        for posting in postings:
            for account, amount, counterparty in (
                (posting.debit, -posting.amount_stroops, posting.credit),
                (posting.credit, posting.amount_stroops, posting.debit),
            ):
                yield (
                    account,
                    position,
                    line,
                    event_id,
                    event_type,
                    amount,
                    counterparty,
                    (event.timestamp),
                )
                line += 1


def _fields(event_class: type) -> set[str]:
    return set(inspect.signature(event_class).parameters)
