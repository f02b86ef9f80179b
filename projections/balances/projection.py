"""Each user's available and reserved balance, as the Account aggregate last recorded them."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor

from domain.accounts import Account
from projections.projection import Projection, handles


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

    @handles(Account.Opened)
    def _opened(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute(
            "INSERT INTO balances (user_id, currency, available_stroops, reserved_stroops,"
            " updated_at, position) VALUES (%s, %s, 0, 0, %s, %s)",
            (event.user_id, event.currency, event.timestamp, position),
        )

    @handles(Account.Credited, Account.Debited)
    def _available_changed(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute(
            "UPDATE balances SET available_stroops = %s, updated_at = %s, position = %s"
            " WHERE user_id = %s",
            (event.available_after_stroops, event.timestamp, position, event.user_id),
        )

    @handles(Account.Reserved, Account.Released)
    def _both_changed(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute(
            "UPDATE balances SET available_stroops = %s, reserved_stroops = %s,"
            " updated_at = %s, position = %s WHERE user_id = %s",
            (
                event.available_after_stroops,
                event.reserved_after_stroops,
                event.timestamp,
                position,
                event.user_id,
            ),
        )
