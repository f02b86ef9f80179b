"""Each user's available and reserved balance, as the Account aggregate last recorded them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final

from psycopg import Cursor

from domain.accounts import Account
from projections.projection import Projection

_BOTH_CHANGE: Final = (Account.Reserved, Account.Released)
# The events that change a balance; anything else of the account's is not this model's.
EVENT_CLASSES: Final = (
    Account.Opened,
    Account.Credited,
    Account.Debited,
    Account.Reserved,
    Account.Released,
)


class BalancesProjection(Projection):
    name = "balances"
    version = 1
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE balances (
            user_id           text        PRIMARY KEY,
            currency          text        NOT NULL,
            available_stroops bigint      NOT NULL CHECK (available_stroops >= 0),
            reserved_stroops  bigint      NOT NULL CHECK (reserved_stroops >= 0),
            updated_at        timestamptz NOT NULL,
            position          bigint      NOT NULL
        )""",
    )

    @property
    def event_classes(self) -> tuple[type, ...]:
        return EVENT_CLASSES

    batched = True

    def apply(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        self.apply_page(cursor, [(position, event)])

    def apply_page(self, cursor: Cursor[Any], events: list[tuple[int, Any]]) -> None:
        """The page folded per user in memory — each account's last recorded balances — then one
        multi-row INSERT for the accounts opened in it and one multi-row UPDATE for the rest."""
        opened: dict[str, _Row] = {}
        changed: dict[str, _Row] = {}
        for position, event in events:
            kind, user = type(event), event.user_id
            if kind is Account.Opened:
                opened[user] = _Row(event.currency, 0, 0, event.timestamp, position)
                continue
            row = opened.get(user) or changed.setdefault(user, _Row(None, 0, None, None, 0))
            row.available_stroops = event.available_after_stroops
            if kind in _BOTH_CHANGE:
                row.reserved_stroops = event.reserved_after_stroops
            row.updated_at, row.position = event.timestamp, position
        if opened:
            cursor.execute(
                "INSERT INTO balances (user_id, currency, available_stroops, reserved_stroops,"
                " updated_at, position) SELECT * FROM unnest(%s::text[], %s::text[],"
                " %s::bigint[], %s::bigint[], %s::timestamptz[], %s::bigint[])",
                _columns(opened, ("currency", "available_stroops", "reserved_stroops")),
            )
        if changed:
            cursor.execute(
                "UPDATE balances AS b SET available_stroops = v.available,"
                " reserved_stroops = coalesce(v.reserved, b.reserved_stroops),"
                " updated_at = v.at, position = v.position"
                " FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::timestamptz[],"
                " %s::bigint[]) AS v(user_id, available, reserved, at, position)"
                " WHERE b.user_id = v.user_id",
                _columns(changed, ("available_stroops", "reserved_stroops")),
            )


@dataclass(slots=True)
class _Row:
    """One user's balances row as the page leaves it (None: unchanged by the page)."""

    currency: str | None
    available_stroops: int
    reserved_stroops: int | None
    updated_at: datetime | None
    position: int


def _columns(rows: dict[str, _Row], fields: tuple[str, ...]) -> tuple[list[Any], ...]:
    """`rows` as parallel arrays: user ids, then `fields`, then updated_at and position."""
    users = list(rows)
    named = [[getattr(rows[u], field) for u in users] for field in fields]
    times = [rows[u].updated_at for u in users]
    return (users, *named, times, [rows[u].position for u in users])
