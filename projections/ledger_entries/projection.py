"""Statement lines: one line per side of every posting, with the account's running balance.

Lines are appended in log order, so each account's running balance is the fold of its postings
up to that position — the same number an auditor gets by replaying the log. Running balances are
`numeric`: only user and escrow accounts have a ceiling within bigint, and the external and
platform accounts those are credited from grow without one.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

from psycopg import Cursor

from domain import identifiers
from domain.postings import from_rows
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
        "CREATE INDEX entries_event_idx ON entries (event_id)",
        """CREATE TABLE account_balances (
            account         text   PRIMARY KEY,
            balance_stroops numeric NOT NULL,
            position        bigint NOT NULL
        )""",
    )

    @property
    def event_classes(self) -> tuple[type, ...]:
        return tuple(c for c in CATALOGUE if "postings" in _fields(c))

    def apply(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        postings = from_rows(getattr(event, "postings", ()))
        if not postings:
            return
        event_id = identifiers.event_id(event.originator_id, event.originator_version)
        event_type = CATALOGUE[type(event)].type
        line = 0
        for posting in postings:
            for account, amount, counterparty in (
                (posting.debit, -posting.amount_stroops, posting.credit),
                (posting.credit, posting.amount_stroops, posting.debit),
            ):
                row = cursor.execute(
                    "INSERT INTO account_balances AS b (account, balance_stroops, position)"
                    " VALUES (%s, %s, %s) ON CONFLICT (account) DO UPDATE"
                    " SET balance_stroops = b.balance_stroops + EXCLUDED.balance_stroops,"
                    " position = EXCLUDED.position RETURNING balance_stroops",
                    (account, amount, position),
                ).fetchone()
                assert row is not None
                cursor.execute(
                    "INSERT INTO entries (account, position, line, event_id, event_type,"
                    " amount_stroops, balance_after_stroops, counterparty, occurred_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        account,
                        position,
                        line,
                        event_id,
                        event_type,
                        amount,
                        row["balance_stroops"],
                        counterparty,
                        event.timestamp,
                    ),
                )
                line += 1


def _fields(event_class: type) -> set[str]:
    return set(inspect.signature(event_class).parameters)
